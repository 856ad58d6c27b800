"""Defence sessions (现场答辩) of a later review round: the chair's schedule of
time slots for the round's shortlisted entries (``services``), the
applicant's confirmation, the printable and Excel schedule per room
(``exports``) and the pages (blueprint ``review_defence``)."""
