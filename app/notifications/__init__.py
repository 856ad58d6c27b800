"""What concerns a person: in-app notifications (the bell in the navigation,
the list page) and the mails that go with them, in the reader's language.

``labels`` holds the kinds and writes their sentences; ``services`` records a
notification with the state change that causes it and queues its mail.
"""
