"""Evidence attached to an objection or to an applicant's answer: checked
and re-encoded exactly like an entry's uploads before anything is stored.

A PDF must be a real, readable, unencrypted PDF (``check_pdf``) and is
stored as the copy rewritten without its document metadata
(``strip_metadata``); an image must be a JPEG, PNG or WebP within the pixel
limit and is stored as its re-encoded master rendition (``process_photo``),
so no file is ever kept as the sender's bytes. Every file of a submission
is checked first: one bad file refuses the whole submission, naming it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlmodel import Session, select

from app.entries.documents import check_pdf, safe_filename, strip_metadata
from app.entries.images import process_photo
from app.errors import DomainError, UploadTooLarge
from app.i18n import lazy_gettext as _l
from app.models import ObjectionFile
from app.storage import storage

MAX_FILES = 3


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # pdf | image
    filename: str
    data: bytes  # the re-encoded bytes that will be stored


def check_files(uploads: list[tuple[bytes, str]]) -> list[CheckedFile]:
    """Check and re-encode uploads (``(bytes, file name)`` pairs); DomainError
    naming the first file that is refused, or when there are too many."""
    if len(uploads) > MAX_FILES:
        raise DomainError(_l("Attach at most %(n)s files.", n=MAX_FILES))
    return [_check(data, filename) for data, filename in uploads]


def _check(data: bytes, filename: str) -> CheckedFile:
    shown = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:80] or "file"
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise DomainError(_l("“%(name)s”: the file is empty.", name=shown))
    if len(data) > limit:
        raise UploadTooLarge(limit)
    try:
        if data.lstrip()[:5] == b"%PDF-":
            check_pdf(data)
            return CheckedFile("pdf", safe_filename(filename, suffix=".pdf"), strip_metadata(data))
        processed = process_photo(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
    except UploadTooLarge:
        raise
    except DomainError as error:
        raise DomainError(_l("“%(name)s”: %(problem)s Attach PDF documents or JPEG, PNG or WebP images only.",
                             name=shown, problem=error.message)) from None
    return CheckedFile("image", safe_filename(filename, suffix=".jpg"), processed.renditions["master"])


def store_files(session: Session, *, objection_id: int, question_id: int | None, files: list[CheckedFile],
                now: datetime) -> list[ObjectionFile]:
    """Store checked files and add their rows (flushed)."""
    rows = []
    for checked in files:
        key = storage().put(checked.data, suffix=".pdf" if checked.kind == "pdf" else ".jpg")
        rows.append(ObjectionFile(objection_id=objection_id, question_id=question_id, kind=checked.kind,
                                  filename=checked.filename, blob_key=key, size=len(checked.data), created_at=now))
    session.add_all(rows)
    session.flush()
    return rows


def objection_blobs(session: Session) -> set[str]:
    """Every blob key an objection's or answer's file points at (kept by ``flask storage prune``)."""
    return set(session.exec(select(ObjectionFile.blob_key)).all())
