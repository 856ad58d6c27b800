"""Expert review, one folder per part of it:

- ``assignment/``: which experts review which entries — the pure solver, its
  loaders, the automatic run and manual changes, the chair's assignment
  pages (blueprint ``review_assign``) and ``flask review assign``;
- ``sheets/``: the expert's side — queue, conflict declaration, score sheets,
  the pure scoring, the expert's pages (blueprint ``review``);
- ``manage/``: the chair's side — panels, expert profiles, progress,
  reminders and reopening sheets, the chair's pages (blueprint
  ``review_manage``);
- ``defence/``: the defence sessions of a later round — the chair's
  schedule of the shortlist, the applicant's confirmation, the schedule per
  room as PDF and Excel (blueprint ``review_defence``);
- ``rubrics/``: rubric files and their validation, the call's rubric per
  domain and freezing it, ``flask rubrics``;
- ``conflicts.py``: conflicts of interest, shared by all of them.
"""
