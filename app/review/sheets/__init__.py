"""The expert's scoring: the queue, the conflict declaration and the score
sheets (``services``), the arithmetic of a sheet (``scoring``, pure), and the
expert's pages (``views``, ``forms``)."""
