"""Conflicts of interest between experts and entries.

Automatic conflicts are computed, never stored: an expert may not score an
entry of their own organisation, of an organisation they left less than
three years ago, or one that lists either as a partner (matched by unified
social credit code, else by exact name). Declared and chair-recorded
conflicts are stored; recording one closes the expert's assignment.
"""
from datetime import datetime

from sqlmodel import Session, select

from app.audit.services import record
from app.entries.states import sync_scoring_status
from app.enums import ConflictSource
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, Conflict, Entry, ExpertProfile, User

FORMER_EMPLOYER_YEARS = 3


def _normalised(name: str) -> str:
    return "".join((name or "").split())


def _organisation_keys(profile: ExpertProfile, *, year: int) -> set[str]:
    """Codes and names of the expert's current and recent organisations."""
    keys: set[str] = set()
    if profile.affiliation_code:
        keys.add(profile.affiliation_code)
    if profile.affiliation_name:
        keys.add(_normalised(profile.affiliation_name))
    for job in profile.employments:
        if job.end_year is None or job.end_year >= year - FORMER_EMPLOYER_YEARS:
            if job.credit_code:
                keys.add(job.credit_code)
            if job.organisation_name:
                keys.add(_normalised(job.organisation_name))
    keys.discard("")
    return keys


def _entry_keys(entry: Entry) -> set[str]:
    keys = {entry.organisation.credit_code, _normalised(entry.organisation.name)}
    for partner in entry.partners:
        keys.add(partner.get("credit_code") or "")
        keys.add(_normalised(partner.get("name") or ""))
    keys.discard("")
    return keys


def automatic_conflict(profile: ExpertProfile | None, entry: Entry, *, year: int):
    """Why the expert can never score the entry (a translated reason), or None."""
    if profile is None:
        return None
    if _organisation_keys(profile, year=year) & _entry_keys(entry):
        return _l("The expert works, or worked in the last %(n)s years, for the organisation or a partner of this entry.", n=FORMER_EMPLOYER_YEARS)
    return None


def organisation_keys(profile: ExpertProfile | None, *, year: int) -> frozenset[str]:
    """For bulk checks (assignment): the keys :func:`automatic_conflict` compares."""
    return frozenset(_organisation_keys(profile, year=year)) if profile else frozenset()


def entry_keys(entry: Entry) -> frozenset[str]:
    return frozenset(_entry_keys(entry))


def recorded_conflict(session: Session, *, expert_id: int, entry_id: int) -> Conflict | None:
    return session.exec(select(Conflict).where(Conflict.expert_id == expert_id, Conflict.entry_id == entry_id)).first()


def call_conflicts(session: Session, *, call: Call) -> list:
    """The conflicts recorded in ``call``, newest first: rows of
    (conflict, the entry's title, the expert's name, the expert's email)."""
    return session.exec(
        select(Conflict, Entry.title, User.name, User.email)
        .join(Entry, Entry.id == Conflict.entry_id)
        .join(User, User.id == Conflict.expert_id)
        .where(Entry.call_id == call.id)
        .order_by(Conflict.created_at.desc(), Conflict.id.desc())
    ).all()


def entry_conflicts(session: Session, *, entry: Entry) -> list:
    """The conflicts recorded for ``entry``: rows of (conflict, the expert's name)."""
    return session.exec(
        select(Conflict, User.name).join(User, User.id == Conflict.expert_id).where(Conflict.entry_id == entry.id)
    ).all()


def record_conflict(
    session: Session, *, expert_id: int, entry: Entry, source: ConflictSource, reason: str, actor, now: datetime
) -> Conflict:
    """Store a conflict and close the expert's assignment to the entry (audited).

    Recording the same conflict twice keeps the first one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say briefly what the conflict of interest is."))
    conflict = recorded_conflict(session, expert_id=expert_id, entry_id=entry.id)
    if conflict is None:
        conflict = Conflict(
            expert_id=expert_id, entry_id=entry.id, source=source, reason=reason,
            recorded_by_id=actor.id if actor is not None else None, created_at=now,
        )
        session.add(conflict)
        session.flush()
        record(session, actor=actor, action=f"conflict.{source.value}", obj=entry, after={"expert_id": expert_id}, reason=reason)
    assignment = session.exec(
        select(Assignment).where(Assignment.entry_id == entry.id, Assignment.expert_id == expert_id, Assignment.removed_at.is_(None))
    ).first()
    if assignment is not None:
        assignment.removed_at = now
        assignment.removed_reason = reason
        session.add(assignment)
        record(session, actor=actor, action="assignment.removed", obj=entry, before={"expert_id": expert_id}, reason=reason)
        # The closed assignment may have been the entry's last outstanding one.
        sync_scoring_status(session, entry_ids=[entry.id], actor=actor, now=now)
    return conflict
