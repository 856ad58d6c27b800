"""The life of an entry: every status change goes through :func:`transition`.

A transition is allowed only from certain statuses, to certain roles, in
certain phases of the call; it writes one audit row with who, when and why.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlmodel import Session

from app.accounts.services import active_members
from app.audit.services import record
from app.calls.services import is_phase_open
from app.entries.completeness import missing_items
from app.enums import EntryStatus, Phase, Role
from app.errors import DomainError, NotAllowed
from app.i18n import lazy_gettext as _l
from app.mail import send_after_commit
from app.models import Entry
from app.permissions import is_active_member
from app.urls import external_url

S = EntryStatus
DECISIONS = (S.ELIGIBLE, S.RETURNED, S.INELIGIBLE)


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset
    applicant: bool  # True: members of the organisation; False: chairs


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
    S.IN_REVIEW: (Rule("entry.review_started", frozenset({S.ELIGIBLE}), applicant=False),),
}


def _rule(entry: Entry, target: EntryStatus) -> Rule:
    for rule in RULES.get(target, ()):
        if entry.status in rule.sources:
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
    return is_phase_open(entry.call, Phase.SUBMISSION, now=now) or is_phase_open(entry.call, Phase.FORMAL_CHECK, now=now)


def _check_phase(target: EntryStatus, *, entry: Entry, now: datetime) -> None:
    call = entry.call
    if target == S.SUBMITTED and entry.status == S.DRAFT and not is_phase_open(call, Phase.SUBMISSION, now=now):
        raise NotAllowed(_l("The submission phase is closed: entries can no longer be submitted."))
    if target == S.SUBMITTED and entry.status == S.RETURNED and not (entry.revision_deadline and now < entry.revision_deadline):
        raise NotAllowed(_l("The deadline for resubmitting this entry has passed."))
    if target == S.DRAFT and not is_phase_open(call, Phase.SUBMISSION, now=now):
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
    if target in DECISIONS:
        _notify_applicant(session, entry)


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


def _notify_applicant(session: Session, entry: Entry) -> None:
    for member in active_members(session, entry.organisation):
        send_after_commit(
            to=member.email,
            subject=_("Formal check of “%(title)s”: %(status)s", title=entry.title, status=entry.status.label),
            template="formal_check_decision",
            member=member,
            entry=entry,
            url=external_url("entries.detail", entry_id=entry.id),
        )
