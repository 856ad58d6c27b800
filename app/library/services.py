"""The public case library's writes: publishing a snapshot's selection, curation.

Every function works in the caller's transaction (the view or command
commits once) and bumps the library's version (:func:`touch_version`), which
the public pages' ETags are made from: a publication or a curation change
invalidates every cached public page at once.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy.orm import selectinload
from sqlmodel import Session, delete, select

from app.audit.services import record
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Entry, LibraryCase, LibrarySetting, ResultEntry, ResultRun  # noqa: F401  (LibrarySetting: tests reach it here)
from app.reference import technology_label

VERSION_KEY = "version"
HEADLINE_KEY = "headline"
HEADLINE_LIMIT = 300
REASON_LIMIT = 500
SUMMARY_LIMIT = 600


def touch_version(session: Session, *, now: datetime) -> None:
    """Mark the library as changed: a new version, which every public ETag includes."""
    setting = session.get(LibrarySetting, VERSION_KEY) or LibrarySetting(key=VERSION_KEY)
    setting.value = uuid.uuid4().hex
    setting.updated_at = now
    session.add(setting)


def search_text(case: LibraryCase) -> str:
    """What search looks in, lower-cased, a line each: the title, the
    organisation, the technology tags with their Chinese and English names,
    and the shown summary last — PostgreSQL checks a long term's candidates
    with ``strpos``, which stops at the first match: in the short lines first,
    a match there is found after a tenth of the text."""
    parts = [case.title, case.organisation_name]
    for tag in case.tech_tags:
        parts.append(tag.replace("_", " "))
        for locale in ("zh", "en"):
            with force_locale(locale):
                parts.append(str(technology_label(tag)))
    parts.append(case.shown_summary)
    return "\n".join(part for part in parts if part).lower()


def publish_snapshot(session: Session, *, run: ResultRun, now: datetime) -> int:
    """Put the scenarios a just-published snapshot selects into the library.

    Their public fields are copied from the entries (never contact details,
    attachments, partners or review internals); ranks and scores only when
    the snapshot publishes them. Cases of the same call that the snapshot no
    longer selects leave the library; curation (featured, hidden, a public
    summary) survives a republication. Returns how many cases the call has.
    """
    selected = session.exec(
        select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.selected.is_(True))
    ).all()
    rows = {row.entry_id: row for row in selected}
    session.exec(delete(LibraryCase).where(LibraryCase.call_id == run.call_id,
                                           LibraryCase.entry_id.not_in(list(rows) or [0])))
    existing = {case.entry_id: case for case in session.exec(
        select(LibraryCase).where(LibraryCase.entry_id.in_(list(rows) or [0]))).all()}
    entries = session.exec(
        select(Entry).where(Entry.id.in_(list(rows) or [0]))
        .options(selectinload(Entry.photos), selectinload(Entry.outcomes), selectinload(Entry.organisation),
                 selectinload(Entry.call))
    ).all()
    for entry in entries:
        row = rows[entry.id]
        case = existing.get(entry.id) or LibraryCase(entry_id=entry.id, published_at=now)
        case.call_id = run.call_id
        case.run_id = run.id
        case.year = entry.call.year
        case.title = entry.title
        case.organisation_name = entry.organisation.name
        case.domain = entry.domain
        case.city_code = entry.city_code or ""
        case.tech_tags = list(entry.tech_tags or [])
        case.summary = entry.summary
        case.problem = entry.problem
        case.solution = entry.solution
        case.deployment_scale = entry.deployment_scale
        case.outcomes = [{"metric": o.metric, "before": o.before, "after": o.after, "unit": o.unit}
                         for o in sorted(entry.outcomes, key=lambda o: o.position) if _finite_outcome(o)]
        case.photos = [{"id": p.id, "caption": p.caption, "width": p.width, "height": p.height,
                        "display_key": p.display_key, "thumb_key": p.thumb_key}
                       for p in sorted(entry.photos, key=lambda p: p.position)]
        case.rank = row.rank if run.public_scores else None
        case.score = round(row.score, 2) if run.public_scores else None
        case.published_at = run.published_at or now
        case.updated_at = now
        case.search_text = search_text(case)
        session.add(case)
    touch_version(session, now=now)
    return len(entries)


def _finite_outcome(outcome) -> bool:
    """Whether an outcome's figures are finite numbers: a row stored before the
    forms checked them (∞, NaN) is not published (JSON has no such numbers,
    and PostgreSQL refuses them in a JSON column)."""
    return math.isfinite(outcome.after) and (outcome.before is None or math.isfinite(outcome.before))


def library_blobs(session: Session) -> set[str]:
    """Storage keys of the photos the library shows: kept by ``flask storage prune``
    even if the entry's own photo rows change."""
    keys: set[str] = set()
    for photos in session.exec(select(LibraryCase.photos)).all():
        for photo in photos or []:
            keys.update(key for key in (photo.get("display_key"), photo.get("thumb_key")) if key)
    return keys


# --- curation ------------------------------------------------------------------------


def _audit(session, case: LibraryCase, *, actor, action: str, before: dict, after: dict, now: datetime,
           reason: str | None = None) -> None:
    case.updated_at = now
    session.add(case)
    session.flush()
    record(session, actor=actor, action=action, obj=case, before=before, after=after, reason=reason)
    touch_version(session, now=now)


def set_featured(session: Session, *, case: LibraryCase, featured: bool, actor, now: datetime) -> None:
    """Feature a case on the home page, or stop featuring it (audited)."""
    if case.featured == featured:
        return
    before = {"featured": case.featured}
    case.featured = featured
    _audit(session, case, actor=actor, action="library.featured" if featured else "library.unfeatured",
           before=before, after={"featured": featured}, now=now)


def hide(session: Session, *, case: LibraryCase, reason: str, actor, now: datetime) -> None:
    """Take a case out of the public library, with a reason (audited). Raises DomainError without one."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for hiding this scenario."))
    if len(reason) > REASON_LIMIT:
        raise DomainError(_l("The reason is too long (at most %(limit)s characters).", limit=REASON_LIMIT))
    before = {"hidden": case.hidden, "hidden_reason": case.hidden_reason}
    case.hidden, case.hidden_reason = True, reason
    _audit(session, case, actor=actor, action="library.hidden", before=before,
           after={"hidden": True, "hidden_reason": reason}, now=now, reason=reason)


def unhide(session: Session, *, case: LibraryCase, actor, now: datetime) -> None:
    """Show a hidden case again (audited)."""
    if not case.hidden:
        return
    before = {"hidden": True, "hidden_reason": case.hidden_reason}
    case.hidden, case.hidden_reason = False, ""
    _audit(session, case, actor=actor, action="library.unhidden", before=before,
           after={"hidden": False}, now=now)


def set_public_summary(session: Session, *, case: LibraryCase, text: str, actor, now: datetime) -> None:
    """Replace the summary the public sees; an empty text restores the
    submitted one, which is always kept (audited)."""
    text = (text or "").strip()
    if len(text) > SUMMARY_LIMIT:
        raise DomainError(_l("The summary is too long (at most %(limit)s characters).", limit=SUMMARY_LIMIT))
    new = text if text and text != case.summary else None
    if new == case.public_summary:
        return
    before = {"public_summary": case.public_summary}
    case.public_summary = new
    case.search_text = search_text(case)
    _audit(session, case, actor=actor, action="library.summary_edited", before=before,
           after={"public_summary": new}, now=now)


def headline(session: Session) -> str:
    setting = session.get(LibrarySetting, HEADLINE_KEY)
    return setting.value if setting else ""


def set_headline(session: Session, *, text: str, actor, now: datetime) -> None:
    """The home page's headline text (audited on the setting's row)."""
    text = (text or "").strip()
    if len(text) > HEADLINE_LIMIT:
        raise DomainError(_l("The headline is too long (at most %(limit)s characters).", limit=HEADLINE_LIMIT))
    setting = session.get(LibrarySetting, HEADLINE_KEY) or LibrarySetting(key=HEADLINE_KEY)
    before = {"value": setting.value}
    setting.value, setting.updated_at = text, now
    setting.updated_by_id = getattr(actor, "id", None)
    session.add(setting)
    session.flush()
    record(session, actor=actor, action="library.headline", obj=setting, before={"key": HEADLINE_KEY, **before},
           after={"key": HEADLINE_KEY, "value": text})
    touch_version(session, now=now)
