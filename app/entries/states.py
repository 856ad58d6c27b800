"""The life of an entry: every status change goes through :func:`transition`,
or, for the moves that expert scoring causes, :func:`sync_scoring_status`.

A transition is allowed only from certain statuses, to certain roles, in
certain phases of the call; it writes one audit row with who, when and why.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, selectinload
from sqlmodel import Session, select

from app.accounts.services import active_members
from app.audit.services import record
from app.entries.blind import check_entry
from app.entries.completeness import missing_items
from app.enums import EntryStatus, Phase, Role, SheetStatus
from app.errors import DomainError, NotAllowed
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Entry, ScoreSheet
from app.notifications.services import notify
from app.permissions import is_active_member
from app.urls import site_path

S = EntryStatus
DECISIONS = (S.ELIGIBLE, S.RETURNED, S.INELIGIBLE)


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset
    applicant: bool  # True: members of the organisation; False: chairs
    # True: a consequence of what experts and chairs do to sheets and
    # assignments, made by :func:`sync_scoring_status` only, never by hand.
    automatic: bool = False


RULES: dict[EntryStatus, tuple[Rule, ...]] = {
    S.SUBMITTED: (
        Rule("entry.submitted", frozenset({S.DRAFT}), applicant=True),
        Rule("entry.resubmitted", frozenset({S.RETURNED}), applicant=True),
    ),
    S.WITHDRAWN: (Rule("entry.withdrawn", frozenset({S.SUBMITTED, S.RETURNED, S.ELIGIBLE}), applicant=True),),
    S.DRAFT: (Rule("entry.reopened", frozenset({S.WITHDRAWN}), applicant=True),),
    S.ELIGIBLE: (Rule("entry.checked_eligible", frozenset({S.SUBMITTED, S.RETURNED, S.INELIGIBLE}), applicant=False),),
    S.RETURNED: (Rule("entry.returned", frozenset({S.SUBMITTED, S.ELIGIBLE, S.INELIGIBLE}), applicant=False),),
    S.INELIGIBLE: (Rule("entry.checked_ineligible", frozenset({S.SUBMITTED, S.RETURNED, S.ELIGIBLE}), applicant=False),),
    S.IN_REVIEW: (
        Rule("entry.review_started", frozenset({S.ELIGIBLE}), applicant=False),
        Rule("entry.review_resumed", frozenset({S.SCORED}), applicant=False, automatic=True),
    ),
    S.SCORED: (Rule("entry.scored", frozenset({S.IN_REVIEW}), applicant=False, automatic=True),),
    # Publishing results (a later snapshot may change an entry's outcome).
    S.SELECTED: (Rule("entry.selected", frozenset({S.SCORED, S.NOT_SELECTED}), applicant=False, automatic=True),),
    S.NOT_SELECTED: (Rule("entry.not_selected", frozenset({S.SCORED, S.SELECTED}), applicant=False, automatic=True),),
}
SCORING = (S.IN_REVIEW, S.SCORED)


def _rule(entry: Entry, target: EntryStatus, *, automatic: bool = False) -> Rule:
    for rule in RULES.get(target, ()):
        if entry.status in rule.sources and rule.automatic == automatic:
            return rule
    raise DomainError(
        _l("An entry that is “%(current)s” cannot become “%(target)s”.", current=entry.status.label, target=target.label)
    )


def _check_actor(rule: Rule, *, entry: Entry, actor) -> None:
    if rule.applicant:
        if not is_active_member(actor, entry.organisation_id):
            raise NotAllowed(_l("Only approved members of the entry's organisation can do this."))
    elif not (actor is not None and actor.is_authenticated and actor.has_role(Role.CHAIR)):
        raise NotAllowed(_l("Only a chair can record the formal check."))


def review_started(entry: Entry, *, now: datetime) -> bool:
    window = entry.call.phase_window(Phase.REVIEW)
    return window is not None and now >= window.starts_at


def formal_check_open(entry: Entry, *, now: datetime) -> bool:
    return entry.call.is_phase_open(Phase.SUBMISSION, now=now) or entry.call.is_phase_open(Phase.FORMAL_CHECK, now=now)


def _check_phase(target: EntryStatus, *, entry: Entry, now: datetime) -> None:
    call = entry.call
    if target == S.SUBMITTED and entry.status == S.DRAFT and not call.is_phase_open(Phase.SUBMISSION, now=now):
        raise NotAllowed(_l("The submission phase is closed: entries can no longer be submitted."))
    if target == S.SUBMITTED and entry.status == S.RETURNED and not (entry.revision_deadline and now < entry.revision_deadline):
        raise NotAllowed(_l("The deadline for resubmitting this entry has passed."))
    if target == S.DRAFT and not call.is_phase_open(Phase.SUBMISSION, now=now):
        raise NotAllowed(_l("The submission phase is closed: a withdrawn entry can no longer be reopened."))
    if target == S.WITHDRAWN and review_started(entry, now=now):
        raise NotAllowed(_l("The expert review has started: entries can no longer be withdrawn."))
    if target in DECISIONS and not formal_check_open(entry, now=now):
        raise NotAllowed(_l("The formal check can only be recorded during the submission and formal check phases."))
    if target == S.IN_REVIEW and entry.call.phase_window(Phase.REVIEW) is None:
        raise NotAllowed(_l("This call has no review phase."))


def transition(
    session: Session,
    *,
    entry: Entry,
    target: EntryStatus,
    actor,
    now: datetime,
    reason: str | None = None,
    revision_deadline: datetime | None = None,
) -> None:
    """Move ``entry`` to ``target`` if ``actor`` may, now; audit it; notify the applicant.

    Raises DomainError (or NotAllowed) with a message for the user otherwise.
    The moves between "in review" and "scored" are not made by hand: see
    :func:`sync_scoring_status`.
    """
    rule = _rule(entry, target)
    _check_actor(rule, entry=entry, actor=actor)
    _check_phase(target, entry=entry, now=now)
    reason = (reason or "").strip() or None

    if target == S.SUBMITTED:
        missing = missing_items(entry)
        if missing:
            raise DomainError(_l("The entry is not complete yet: see what is missing below."))
    if target in (S.RETURNED, S.INELIGIBLE) and not reason:
        raise DomainError(_l("Give a reason: the applicant sees it."))
    if target == S.RETURNED:
        check_end = entry.call.phase_window(Phase.FORMAL_CHECK)
        if revision_deadline is None or revision_deadline <= now:
            raise DomainError(_l("Set a resubmission deadline in the future."))
        if check_end is not None and revision_deadline > check_end.ends_at:
            raise DomainError(_l("The resubmission deadline must fall before the formal check ends."))

    before = {"status": entry.status.value}
    entry.status = target
    entry.updated_at = now
    if target == S.SUBMITTED:
        entry.submitted_at = now
        entry.revision_deadline = None
    if target in DECISIONS:
        entry.check_reason = reason
        entry.revision_deadline = revision_deadline if target == S.RETURNED else None
    session.add(entry)
    session.flush()
    after = {"status": target.value}
    if entry.revision_deadline:
        after["revision_deadline"] = entry.revision_deadline.isoformat()
    record(session, actor=actor, action=rule.action, obj=entry, before=before, after=after, reason=reason)
    if target == S.SUBMITTED:
        check_entry(session, entry=entry, now=now)  # for blind review: where it names its organisation
        _notify_members(session, entry, "entry.submitted", now=now)
    if target == S.RETURNED:
        _notify_members(session, entry, "entry.returned", now=now, reason=reason,
                        deadline=entry.revision_deadline.isoformat())
    elif target in DECISIONS:
        _notify_members(session, entry, "entry.checked", now=now, status=target.value)


def transition_many(session: Session, *, entries: list[Entry], target: EntryStatus, actor, now: datetime) -> None:
    """Move many entries to ``target`` under the same rules as :func:`transition`,
    with one flush for all (an assignment run starts review for thousands).

    Only for transitions that need no reason and notify nobody.
    """
    if target != S.IN_REVIEW:
        raise ValueError(f"transition_many does not handle {target}")
    rules = []
    for entry in entries:
        rule = _rule(entry, target)
        _check_actor(rule, entry=entry, actor=actor)
        _check_phase(target, entry=entry, now=now)
        rules.append(rule)
    for entry, rule in zip(entries, rules, strict=True):
        before = {"status": entry.status.value}
        entry.status = target
        entry.updated_at = now
        session.add(entry)
        record(session, actor=actor, action=rule.action, obj=entry, before=before, after={"status": target.value})
    session.flush()


def scoring_counts(session: Session, *, entry_ids) -> dict[int, tuple[int, int]]:
    """Entry id → (active assignments, submitted sheets among them), in one
    grouped query; entries without an active assignment are left out."""
    rows = session.exec(
        select(Assignment.entry_id, sa.func.count(Assignment.id), sa.func.count(ScoreSheet.id))
        .outerjoin(ScoreSheet, sa.and_(ScoreSheet.assignment_id == Assignment.id, ScoreSheet.status == SheetStatus.SUBMITTED))
        .where(Assignment.entry_id.in_(list(entry_ids)), Assignment.removed_at.is_(None))
        .group_by(Assignment.entry_id)
    ).all()
    return {entry_id: (active, submitted) for entry_id, active, submitted in rows}


def _locked(session: Session, *conditions, options=()) -> list[Entry]:
    """The entries matching ``conditions``, row-locked in id order (FOR NO KEY
    UPDATE on PostgreSQL) and reloaded as they are now, so their version (an
    optimistic lock) is current; their photos and texts are not loaded
    (``options``: loader options for what the caller reads of them)."""
    return list(
        session.exec(
            select(Entry)
            .where(*conditions)
            .order_by(Entry.id)
            .with_for_update(key_share=True)
            .options(lazyload(Entry.outcomes), lazyload(Entry.photos), lazyload(Entry.attachments), *options)
            .execution_options(populate_existing=True)
        ).all()
    )


def sync_scoring_status(session: Session, *, entry_ids, actor, now: datetime) -> list[Entry]:
    """Move entries between "in review" and "scored" as their expert scoring
    becomes complete or stops being so; returns the entries moved.

    Scoring is complete when the entry has at least one active assignment and
    every active assignment has a submitted sheet. A complete entry in review
    becomes scored ("entry.scored"); a scored one that is no longer complete
    (a sheet reopened, an expert added) is in review again
    ("entry.review_resumed"). Entries in other statuses are left alone.

    Call it after any change that can complete or un-complete an entry's
    scoring (a submit, a reopen, an expert added or removed, a conflict), in
    the same transaction. ``actor`` is who made that change, an expert or a
    chair (None: the system): the move is audited in their name without a
    role check, since the change itself was checked. Nobody is mailed: the
    status is internal progress that applicants merely see.

    The entries' rows are locked (FOR NO KEY UPDATE on PostgreSQL, in id
    order) before the sheets are counted: of two experts submitting an
    entry's last two sheets at once, the second waits for the first to
    commit, then counts both, and the entry ends up scored. The entries are
    reloaded as locked, so their version (an optimistic lock) is current. On
    SQLite the writing transaction holds the database's write lock already.
    Two queries whatever the number of entries, then the writes.
    """
    ids = sorted(set(entry_ids))
    if not ids:
        return []
    session.flush()  # the change that called us must be in the count
    entries = _locked(session, Entry.id.in_(ids), Entry.status.in_(SCORING))
    if not entries:
        return []
    counts = scoring_counts(session, entry_ids=[entry.id for entry in entries])
    moved = []
    for entry in entries:
        active, submitted = counts.get(entry.id, (0, 0))
        target = S.SCORED if active and submitted == active else S.IN_REVIEW
        if entry.status == target:
            continue
        rule = _rule(entry, target, automatic=True)
        before = {"status": entry.status.value}
        entry.status = target
        entry.updated_at = now
        session.add(entry)
        record(session, actor=actor, action=rule.action, obj=entry, before=before,
               after={"status": target.value, "assignments": active, "submitted": submitted})
        moved.append(entry)
    session.flush()
    return moved


def record_selection(session: Session, *, selected: dict[int, bool], actor, now: datetime) -> list[Entry]:
    """Move the entries of a published results snapshot to "selected" or "not
    selected" (``selected``: entry id → chosen); returns the entries moved.

    Publishing checked the chair's right and that every entry is scored, so
    no role check here; each move is audited. Entries already where they
    belong are left alone. The members of each moved entry's organisation
    are notified (and mailed) of its outcome.
    """
    if not selected:
        return []
    # The notifications name each entry's call.
    entries = _locked(session, Entry.id.in_(sorted(selected)), options=[selectinload(Entry.call)])
    moved = []
    for entry in entries:
        target = S.SELECTED if selected[entry.id] else S.NOT_SELECTED
        if entry.status == target:
            continue
        rule = _rule(entry, target, automatic=True)
        before = {"status": entry.status.value}
        entry.status = target
        entry.updated_at = now
        session.add(entry)
        record(session, actor=actor, action=rule.action, obj=entry, before=before, after={"status": target.value})
        moved.append(entry)
    session.flush()
    for entry in moved:
        _notify_members(session, entry, "results.published", now=now, call=entry.call.name,
                        selected=entry.status == S.SELECTED)
    return moved


def _notify_members(session: Session, entry: Entry, kind: str, *, now: datetime, **params) -> None:
    """Tell every active member of the entry's organisation (they all act for it)."""
    params = {"entry_id": entry.id, "title": entry.title} | params
    link = site_path("entries.detail", entry_id=entry.id)
    for member in active_members(session, entry.organisation_id):
        notify(session, user=member, kind=kind, params=params, link=link, mail={"member": member, "entry": entry}, now=now)
