"""Rubrics: the rubric files and their validation (``files``), which rubric a
call uses per domain and freezing it for review (``services``), and the
``flask rubrics`` command (``cli``)."""
