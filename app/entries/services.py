"""Creating and editing entries, their photos and attachments.

Plain functions over a session: they flush, never commit. Every change checks
the version the user's form was based on (:class:`EditConflict` otherwise),
bumps the entry's version and writes one audit row.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, func, select

from app.audit.services import record
from app.entries.blind import check_entry
from app.entries.documents import check_pdf, safe_filename
from app.entries.images import process_photo
from app.enums import EntryStatus
from app.errors import DomainError, NotAllowed, StaleVersion, UploadTooLarge
from app.i18n import lazy_gettext as _l
from app.models import Call, Entry, EntryAttachment, EntryOutcome, EntryPhoto
from app.models.entries import MAX_ATTACHMENTS, MAX_PHOTOS
from app.permissions import can_create_entry, can_edit_entry
from app.storage import storage


class EditConflict(StaleVersion):
    """The entry changed since the user's form was loaded."""

    def __init__(self):
        super().__init__(
            _l(
                "Someone else (or you, in another window) changed this entry after you opened it. "
                "Reload the page to see the latest version; what you typed is kept in this browser."
            )
        )


# Fields a step form may set, by step; anything else is ignored.
STEP_FIELDS = {
    "basics": ("title", "domain", "city_code", "summary", "tech_tags", "partners"),
    "solution": (
        "problem",
        "solution",
        "deployment_scale",
        "deployment_start",
        "deployment_end",
        "investment",
        "investment_note",
    ),
    "outcomes": ("replicability", "data_security"),
    "contacts": ("contact_name", "contact_position", "contact_phone", "contact_email"),
}


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def create_entry(session: Session, *, actor, call: Call, now: datetime) -> Entry:
    """A new draft of the actor's organisation, with the actor as contact person."""
    if not can_create_entry(actor, call, now=now):
        raise NotAllowed(_l("New entries can only be created by approved members while submissions are open."))
    entry = Entry(
        call_id=call.id,
        organisation_id=actor.organisation_id,
        created_by_id=actor.id,
        city_code=actor.organisation.city_code,
        contact_name=actor.name,
        contact_phone=actor.phone,
        contact_email=actor.email,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    record(session, actor=actor, action="entry.created", obj=entry, after={"status": entry.status.value})
    return entry


def _check_editable(entry: Entry, *, actor, now: datetime, version: int | None) -> None:
    if not can_edit_entry(actor, entry, now=now):
        if entry.status in (EntryStatus.DRAFT, EntryStatus.RETURNED):
            raise NotAllowed(_l("The deadline has passed: this entry can no longer be changed."))
        raise NotAllowed(_l("This entry has been submitted and can no longer be changed."))
    # The version the form was loaded with is required: without it a stale
    # tab could overwrite a colleague's newer text.
    if version != entry.version:
        raise EditConflict()


def _touch(session: Session, entry: Entry, now: datetime) -> None:
    # Updating the row bumps its version even when only child rows changed,
    # so a concurrent edit based on the old version is detected.
    entry.updated_at = now
    session.add(entry)
    session.flush()


def update_step(
    session: Session,
    *,
    entry: Entry,
    actor,
    now: datetime,
    version: int | None,
    step: str,
    values: dict,
    outcomes: list[dict] | None = None,
    autosave: bool = False,
) -> list[str]:
    """Save one step's fields (and, for "outcomes", the outcome rows).

    Returns the names of the fields that changed; records them (before and
    after) in the audit log. ``version`` is the entry version the form was
    loaded with.
    """
    _check_editable(entry, actor=actor, now=now, version=version)
    allowed = STEP_FIELDS.get(step, ())
    before, after = {}, {}
    for name, value in values.items():
        if name not in allowed:
            continue
        if getattr(entry, name) != value:
            before[name], after[name] = _jsonable(getattr(entry, name)), _jsonable(value)
            setattr(entry, name, value)
    if outcomes is not None:
        old = [_outcome_dict(row) for row in entry.outcomes]
        if old != outcomes:
            before["outcomes"], after["outcomes"] = old, outcomes
            entry.outcomes = [EntryOutcome(position=index, **row) for index, row in enumerate(outcomes)]
    if not after:
        return []
    _touch(session, entry, now)
    record(
        session,
        actor=actor,
        action="entry.autosaved" if autosave else "entry.updated",
        obj=entry,
        before=before,
        after=after,
    )
    return sorted(after)


def _outcome_dict(row: EntryOutcome) -> dict:
    return {"metric": row.metric, "before": row.before, "after": row.after, "unit": row.unit}


# --- photos and attachments -------------------------------------------------


def _store(data: bytes, *, suffix: str) -> str:
    return storage().put(data, suffix=suffix)


def add_photo(session: Session, *, entry: Entry, actor, now: datetime, version: int | None, data: bytes, caption: str) -> EntryPhoto:
    """Check, re-encode and attach a photo; the first photo is the cover."""
    _check_editable(entry, actor=actor, now=now, version=version)
    if len(entry.photos) >= MAX_PHOTOS:
        raise DomainError(_l("An entry has at most %(n)s photos. Remove one first.", n=MAX_PHOTOS))
    _check_size(data)
    processed = process_photo(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
    keys = {name: _store(blob, suffix=".jpg") for name, blob in processed.renditions.items()}
    photo = EntryPhoto(
        position=len(entry.photos),
        caption=caption.strip(),
        master_key=keys["master"],
        display_key=keys["display"],
        thumb_key=keys["thumb"],
        width=processed.width,
        height=processed.height,
        created_at=now,
    )
    entry.photos.append(photo)
    _touch(session, entry, now)
    record(session, actor=actor, action="entry.photo_added", obj=entry, after={"photo_id": photo.id, "caption": photo.caption})
    return photo


def _photo(entry: Entry, photo_id: int) -> EntryPhoto:
    photo = next((photo for photo in entry.photos if photo.id == photo_id), None)
    if photo is None:
        raise DomainError(_l("This photo does not belong to the entry."))
    return photo


def remove_photo(session: Session, *, entry: Entry, actor, now: datetime, version: int | None, photo_id: int) -> None:
    _check_editable(entry, actor=actor, now=now, version=version)
    photo = _photo(entry, photo_id)
    entry.photos.remove(photo)
    for position, remaining in enumerate(entry.photos):
        remaining.position = position
    _touch(session, entry, now)
    record(session, actor=actor, action="entry.photo_removed", obj=entry, before={"photo_id": photo_id, "caption": photo.caption})


def update_photo(
    session: Session, *, entry: Entry, actor, now: datetime, version: int | None, photo_id: int, caption: str, move: int = 0
) -> None:
    """Change a photo's caption and/or move it ``move`` places (−1 earlier, +1 later)."""
    _check_editable(entry, actor=actor, now=now, version=version)
    photo = _photo(entry, photo_id)
    photos = list(entry.photos)
    before = {"caption": photo.caption, "position": photo.position}
    index = photos.index(photo)
    target = min(max(index + move, 0), len(photos) - 1)
    photos.insert(target, photos.pop(index))
    for position, item in enumerate(photos):
        item.position = position
    photo.caption = caption.strip()
    after = {"caption": photo.caption, "position": photo.position}
    if after == before:
        return
    entry.photos.sort(key=lambda item: item.position)
    _touch(session, entry, now)
    record(session, actor=actor, action="entry.photo_updated", obj=entry, before=before | {"photo_id": photo_id}, after=after)


def add_attachment(
    session: Session, *, entry: Entry, actor, now: datetime, version: int | None, data: bytes, filename: str
) -> EntryAttachment:
    """Attach a PDF after checking that it is one."""
    _check_editable(entry, actor=actor, now=now, version=version)
    if len(entry.attachments) >= MAX_ATTACHMENTS:
        raise DomainError(_l("An entry has at most %(n)s attachments. Remove one first.", n=MAX_ATTACHMENTS))
    _check_size(data)
    pages = check_pdf(data)
    attachment = EntryAttachment(
        filename=safe_filename(filename, suffix=".pdf"),
        blob_key=_store(data, suffix=".pdf"),
        size=len(data),
        pages=pages,
        created_at=now,
    )
    entry.attachments.append(attachment)
    _touch(session, entry, now)
    record(session, actor=actor, action="entry.attachment_added", obj=entry, after={"filename": attachment.filename, "pages": pages})
    _recheck(session, entry, now)
    return attachment


def remove_attachment(session: Session, *, entry: Entry, actor, now: datetime, version: int | None, attachment_id: int) -> None:
    _check_editable(entry, actor=actor, now=now, version=version)
    attachment = next((item for item in entry.attachments if item.id == attachment_id), None)
    if attachment is None:
        raise DomainError(_l("This attachment does not belong to the entry."))
    entry.attachments.remove(attachment)
    _touch(session, entry, now)
    record(session, actor=actor, action="entry.attachment_removed", obj=entry, before={"filename": attachment.filename})
    _recheck(session, entry, now)


def _recheck(session: Session, entry: Entry, now: datetime) -> None:
    """An entry past the draft (returned for revision) is checked again for
    its organisation's names when its attachments change; a draft is checked
    when it is submitted."""
    if entry.status != EntryStatus.DRAFT:
        check_entry(session, entry=entry, now=now)


def _check_size(data: bytes) -> None:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise DomainError(_l("The file is empty."))
    if len(data) > limit:
        raise UploadTooLarge(limit)


def delete_draft(session: Session, *, entry: Entry, actor, now: datetime, version: int | None) -> None:
    """Delete a draft that was never submitted (submitted entries are withdrawn instead)."""
    if entry.status != EntryStatus.DRAFT or entry.submitted_at is not None:
        raise DomainError(_l("Only a draft that was never submitted can be deleted; withdraw it instead."))
    _check_editable(entry, actor=actor, now=now, version=version)
    record(session, actor=actor, action="entry.deleted", obj=entry, before={"title": entry.title})
    session.delete(entry)
    session.flush()


def with_call(*, locked: bool = False):
    """The loader option for entries whose call and its phase windows are read
    (what may be done with an entry now): joined into the entry's query, or,
    for an entry read FOR UPDATE (the joined rows would be locked with it),
    selected in after it."""
    if locked:
        return selectinload(Entry.call).selectinload(Call.phases)
    return joinedload(Entry.call).joinedload(Call.phases)


def organisation_entries(session: Session, *, organisation_id: int, options=()) -> list[Entry]:
    """An organisation's entries in all calls, newest first; ``options``:
    loader options for what the page reads of them."""
    return list(
        session.exec(
            select(Entry).where(Entry.organisation_id == organisation_id).order_by(Entry.created_at.desc(), Entry.id.desc())
            .options(*options)
        ).all()
    )


def count_entries(session: Session, *, call_id: int) -> int:
    return session.exec(select(func.count()).select_from(Entry).where(Entry.call_id == call_id)).one()


def referenced_blobs(session: Session) -> set[str]:
    """Every blob key a photo or attachment row points at (an attachment's
    blind-review copy included)."""
    keys: set[str] = set()
    for master, display, thumb in session.exec(select(EntryPhoto.master_key, EntryPhoto.display_key, EntryPhoto.thumb_key)):
        keys.update((master, display, thumb))
    for original, blind in session.exec(select(EntryAttachment.blob_key, EntryAttachment.blind_blob_key)):
        keys.add(original)
        if blind is not None:
            keys.add(blind)
    return keys
