"""The chair's side of review: panels, expert profiles, progress, reminders
and reopening sheets (one module each), and the chair's pages (``views``,
``forms``) — rubric choice and conflicts included."""
