"""Assigning experts to entries: the pure planner (``solver``), what it is
fed from the database (``loaders``), the automatic run, top-ups and manual
changes (``services``), the run's report (``reports``), what the chair's
pages show (``overview``), those pages (``views``, ``forms``) and
``flask review assign`` (``cli``)."""
