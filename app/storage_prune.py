"""Pruning stored files nothing uses any more: ``flask storage prune`` and
its periodic job (see :mod:`app.jobs`).

Files are shared by content (an entry's photo, a brochure's cover, a library
case's copy may be one blob), so none is deleted on the spot: this sweep
deletes those no entry, brochure, library case, objection or certificate references, once they are
old enough not to belong to an upload still being saved.
"""
from datetime import timedelta

from sqlmodel import Session

from app.brochure.builds import brochure_blobs
from app.certificates.services import certificate_blobs
from app.db import db
from app.entries.services import referenced_blobs
from app.jobs import periodic_job
from app.library.services import library_blobs
from app.notices.files import objection_blobs
from app.storage import prune, storage

#: The periodic job keeps unused files younger than this (as the command's default).
KEEP_UNUSED = timedelta(hours=24)


def prune_unused_blobs(session: Session, *, older_than: timedelta) -> list[str]:
    """Delete the stored files nothing references, stored more than
    ``older_than`` ago (only reads the database); their keys."""
    referenced = (referenced_blobs(session) | brochure_blobs(session) | library_blobs(session)
                  | objection_blobs(session) | certificate_blobs(session))
    return prune(storage(), referenced=referenced, older_than=older_than)


@periodic_job("STORAGE_PRUNE_SCHEDULE")
def prune_storage() -> int:
    """Delete unused stored files older than a day; how many."""
    return len(prune_unused_blobs(db.session, older_than=KEEP_UNUSED))
