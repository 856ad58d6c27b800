"""Assigning experts to entries: the pure planner (``solver``), the automatic
run, top-ups, manual changes and what the chair's pages show (``services``),
the chair's pages (``views``, ``forms``) and ``flask review assign`` (``cli``)."""
