"""A call's review rounds: reading them, the chair's settings, when a round
is open, whether it is blind, and the panel of a later round.

A call without ``ReviewRound`` rows has one round, the online review, and
behaves as it always did (:func:`rounds_of` is empty, :func:`last_round_no`
is 1). Adding round 2 creates the row of round 1 too. Services only flush;
the caller commits.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.enums import AssignmentSource, Phase, Role, SheetStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import (
    Assignment,
    Call,
    Entry,
    ExpertProfile,
    Panel,
    PanelMember,
    ResultRun,
    ReviewRound,
    ScoreSheet,
    ShortlistEntry,
    User,
    UserRole,
)
from app.models.rounds import DEFENCE, ONLINE
from app.notifications.services import notify
from app.review.conflicts import automatic_conflict, recorded_conflict
from app.urls import site_path

KINDS = (ONLINE, DEFENCE)
KIND_LABELS = {ONLINE: _l("Online review"), DEFENCE: _l("Defence (on site or by video)")}
BASES = ("per_domain", "overall")
BASIS_LABELS = {"per_domain": _l("The top entries of each domain"), "overall": _l("The top entries of the call")}
COMBINATIONS = ("weighted", "final_round")
COMBINATION_LABELS = {
    "weighted": _l("Weighted: every round's score by the rounds' weights"),
    "final_round": _l("Last round only: the last round's score alone ranks the shortlist"),
}
MAX_SHORTLIST = 1000
NAME_MAX = 100


@dataclass(frozen=True)
class RoundSettings:
    """What the chair sets for round 2 (and round 1's name and weight)."""

    first_name: str
    first_weight: float
    name: str
    kind: str
    weight: float
    starts_at: datetime | None
    ends_at: datetime | None
    shortlist_basis: str
    shortlist_size: int
    shortlist_borderline: bool
    combination: str


def rounds_of(session: Session, *, call: Call) -> list[ReviewRound]:
    """The call's rounds by number; empty for a call with the one round."""
    return list(session.exec(
        select(ReviewRound).where(ReviewRound.call_id == call.id).order_by(ReviewRound.number)
    ).all())


def round_of(session: Session, *, call_id: int, number: int) -> ReviewRound | None:
    """Round ``number`` of the call, if the call has rounds."""
    return session.exec(
        select(ReviewRound).where(ReviewRound.call_id == call_id, ReviewRound.number == number)
    ).first()


def last_round_no(session: Session, *, call: Call) -> int:
    """The number of the call's last round (1 for a call with the one round)."""
    rounds = rounds_of(session, call=call)
    return rounds[-1].number if rounds else 1


def current_round(session: Session, *, call: Call) -> int:
    """The round results are computed for now: the last round whose shortlist
    has been drawn, else round 1."""
    drawn = session.exec(
        select(ShortlistEntry.round_no).where(ShortlistEntry.call_id == call.id, ShortlistEntry.included.is_(True))
        .order_by(ShortlistEntry.round_no.desc())
    ).first()
    return drawn or 1


def is_blind(call: Call, review_round: ReviewRound | None) -> bool:
    """Whether experts score the round blind: a defence is never blind; other
    rounds follow the call's setting."""
    return call.blind_review and not (review_round is not None and review_round.kind == DEFENCE)


def round_open(call: Call, review_round: ReviewRound | None, *, now: datetime) -> bool:
    """True while the round's sheets can be changed: the review phase runs
    and, for a round with dates, the round too."""
    if not call.is_phase_open(Phase.REVIEW, now=now):
        return False
    if review_round is None:
        return True
    starts, ends = review_round.starts_at, review_round.ends_at
    return (starts is None or starts <= now) and (ends is None or now < ends)


def round_state(call: Call, review_round: ReviewRound | None, *, now: datetime) -> str:
    """"open", "upcoming" or "ended" for a round with dates; None otherwise."""
    if review_round is None or (review_round.starts_at is None and review_round.ends_at is None):
        return None
    if review_round.starts_at is not None and now < review_round.starts_at:
        return "upcoming"
    if review_round.ends_at is not None and now >= review_round.ends_at:
        return "ended"
    return "open"


def _check(call: Call, settings: RoundSettings) -> None:
    """DomainError, saying what, for settings that cannot be saved."""
    for name in (settings.first_name, settings.name):
        if not name.strip() or len(name) > NAME_MAX:
            raise DomainError(_l("Give each round a name of at most %(n)s characters.", n=NAME_MAX))
    if settings.kind not in KINDS or settings.shortlist_basis not in BASES or settings.combination not in COMBINATIONS:
        raise DomainError(_l("Choose the round's kind, shortlist rule and combination from the lists."))
    weights = (settings.first_weight, settings.weight)
    if any(weight < 0 or weight > 100 for weight in weights) or abs(sum(weights) - 100) > 1e-6:
        raise DomainError(_l("The weights of all rounds must add up to 100 (now %(total)s).", total=f"{sum(weights):g}"))
    if not 1 <= settings.shortlist_size <= MAX_SHORTLIST:
        raise DomainError(_l("The shortlist takes from 1 to %(n)s entries per rule.", n=MAX_SHORTLIST))
    review = call.phase_window(Phase.REVIEW)
    if settings.starts_at or settings.ends_at:
        if review is None:
            raise DomainError(_l("The call has no review phase: set its dates first."))
        starts = settings.starts_at or review.starts_at
        ends = settings.ends_at or review.ends_at
        if starts < review.starts_at or ends > review.ends_at:
            raise DomainError(_l("A round's dates must lie within the review phase."))
        if starts >= ends:
            raise DomainError(_l("A round must end after it starts."))


def save_second_round(session: Session, *, call: Call, actor, settings: RoundSettings) -> ReviewRound:
    """Add round 2 to the call (and the row of round 1), or change its settings.

    Refused when the weights do not add up to 100, when the dates leave the
    review phase, and once round 2 has scores (its sheets are opened).
    Audited (``round.added`` or ``round.changed``).
    """
    lock_call(session, call.id)
    _check(call, settings)
    first = round_of(session, call_id=call.id, number=1)
    second = round_of(session, call_id=call.id, number=2)
    if second is not None and session.exec(
        select(Assignment.id).where(Assignment.call_id == call.id, Assignment.round_no == 2)
    ).first() is not None and second.kind != settings.kind:
        raise DomainError(_l("Experts already have entries of this round: its kind can no longer change."))
    before = _snapshot(call, first, second) if second else None
    first = first or ReviewRound(call_id=call.id, number=1, kind=ONLINE)
    first.name, first.weight = settings.first_name.strip(), settings.first_weight
    second = second or ReviewRound(call_id=call.id, number=2)
    second.name, second.kind, second.weight = settings.name.strip(), settings.kind, settings.weight
    second.starts_at, second.ends_at = settings.starts_at, settings.ends_at
    second.shortlist_basis, second.shortlist_size = settings.shortlist_basis, settings.shortlist_size
    second.shortlist_borderline = settings.shortlist_borderline
    call.round_combination = settings.combination
    session.add_all([first, second, call])
    session.flush()
    if before:
        record(session, actor=actor, action="round.changed", obj=call, before=before, after=_snapshot(call, first, second))
    else:
        record(session, actor=actor, action="round.added", obj=call, after=_snapshot(call, first, second))
    return second


def _snapshot(call: Call, first: ReviewRound, second: ReviewRound) -> dict:
    return {
        "combination": call.round_combination,
        "rounds": [
            {"number": r.number, "name": r.name, "kind": r.kind, "weight": r.weight,
             "starts_at": r.starts_at.isoformat() if r.starts_at else None,
             "ends_at": r.ends_at.isoformat() if r.ends_at else None,
             "shortlist": [r.shortlist_basis, r.shortlist_size, r.shortlist_borderline]}
            for r in (first, second) if r is not None
        ],
    }


# --- the panel of a later round -------------------------------------------------


def results_published(session: Session, *, call: Call) -> bool:
    """Whether the call's results are published: its rounds' shortlists and
    panels are then part of the record and no longer change."""
    return session.exec(select(ResultRun.id).where(ResultRun.call_id == call.id,
                                                   ResultRun.published_at.is_not(None))).first() is not None


def round_panel(session: Session, *, call: Call, round_no: int) -> Panel | None:
    """The panel scoring round ``round_no`` (≥ 2), if the chair named one."""
    return session.exec(
        select(Panel).where(Panel.call_id == call.id, Panel.round_no == round_no).order_by(Panel.id)
        .options(selectinload(Panel.members))
    ).first()


def round_assignments(session: Session, *, call: Call, round_no: int) -> list[Assignment]:
    """The active assignments of round ``round_no``."""
    return list(session.exec(
        select(Assignment).where(Assignment.call_id == call.id, Assignment.round_no == round_no,
                                 Assignment.removed_at.is_(None)).order_by(Assignment.entry_id, Assignment.expert_id)
    ).all())


def assign_round_panel(session: Session, *, call: Call, round_no: int, expert_ids: list[int], actor,
                       now: datetime) -> int:
    """Set the panel of round ``round_no`` (≥ 2) and give each of its experts
    every entry on the round's shortlist, except where a conflict of interest
    (recorded, or automatic from the expert's profile) forbids it.

    Experts already assigned keep their sheets; new ones are told. Returns how
    many assignments were added. Audited (``round.panel_set``).
    """
    lock_call(session, call.id)
    if results_published(session, call=call):
        raise DomainError(_l("The call's results are published: the round's panel can no longer change."))
    review_round = round_of(session, call_id=call.id, number=round_no)
    if review_round is None or round_no < 2:
        raise DomainError(_l("The call has no such round."))
    entry_ids = included_entry_ids(session, call=call, round_no=round_no)
    if not entry_ids:
        raise DomainError(_l("Draw the round's shortlist first: there is no entry to score."))
    experts = [user for user in session.exec(select(User).where(User.id.in_(expert_ids))
                                             .options(selectinload(User.role_rows))).all()
               if user.has_role(Role.EXPERT)] if expert_ids else []
    if not experts:
        raise DomainError(_l("Choose at least one expert."))
    panel = round_panel(session, call=call, round_no=round_no)
    if panel is None:
        name = str(_l("Panel of %(round)s", round=review_round.name))[:NAME_MAX]
        panel = Panel(call_id=call.id, round_no=round_no, name=name, domains=[])
        session.add(panel)
        session.flush()
    known = {member.user_id for member in panel.members}
    chosen = {user.id for user in experts}
    for user in experts:
        if user.id not in known:
            session.add(PanelMember(panel_id=panel.id, user_id=user.id))
    for member in panel.members:
        if member.user_id not in chosen:
            session.delete(member)
    existing = {(a.entry_id, a.expert_id): a for a in session.exec(
        select(Assignment).where(Assignment.call_id == call.id, Assignment.round_no == round_no)).all()}
    left = _close_left_out(session, existing.values(), keep=chosen, now=now)
    # The conflict checks compare the entries' organisations with the experts' employments.
    entries = {entry.id: entry for entry in session.exec(
        select(Entry).where(Entry.id.in_(entry_ids)).options(joinedload(Entry.organisation))).all()}
    profiles = {profile.user_id: profile for profile in session.exec(
        select(ExpertProfile).where(ExpertProfile.user_id.in_(chosen)).options(selectinload(ExpertProfile.employments)))}
    added: dict[int, int] = {}
    skipped = []
    for user in experts:
        profile = profiles.get(user.id)
        for entry_id in sorted(entry_ids):
            known_assignment = existing.get((entry_id, user.id))
            if known_assignment is not None and known_assignment.removed_at is None:
                continue
            entry = entries[entry_id]
            if automatic_conflict(profile, entry, year=call.year) is not None or recorded_conflict(
                    session, expert_id=user.id, entry_id=entry_id) is not None:
                skipped.append([entry_id, user.id])
                continue
            if known_assignment is not None:  # back on the shortlist: the same assignment again
                known_assignment.removed_at = known_assignment.removed_reason = None
                session.add(known_assignment)
            else:
                session.add(Assignment(call_id=call.id, round_no=round_no, entry_id=entry_id, expert_id=user.id,
                                       panel_id=panel.id, source=AssignmentSource.MANUAL, created_at=now,
                                       created_by_id=actor.id))
            added[user.id] = added.get(user.id, 0) + 1
    session.flush()
    record(session, actor=actor, action="round.panel_set", obj=call,
           after={"round": round_no, "panel_id": panel.id, "expert_ids": sorted(u.id for u in experts),
                  "assigned": sum(added.values()), "conflicts": skipped, "closed": left})
    window = call.phase_window(Phase.REVIEW)
    deadline = review_round.ends_at or (window.ends_at if window else None)
    for user in experts:
        if added.get(user.id):
            notify(session, user=user, kind="review.assigned",
                   params={"call": call.name, "count": added[user.id],
                           "deadline": deadline.isoformat() if deadline else None},
                   link=site_path("review.queue", call=call.id), mail={"deadline": deadline}, now=now)
    return sum(added.values())


def _close_left_out(session: Session, assignments, *, keep: set[int], now: datetime) -> list[int]:
    """Close the open assignments of experts taken off the panel, except those
    whose sheet is submitted (their scores count); returns the ids closed."""
    open_ones = [a for a in assignments if a.expert_id not in keep and a.removed_at is None]
    if not open_ones:
        return []
    submitted = set(session.exec(select(ScoreSheet.assignment_id).where(
        ScoreSheet.assignment_id.in_([a.id for a in open_ones]), ScoreSheet.status == SheetStatus.SUBMITTED)).all())
    closed = []
    for assignment in open_ones:
        if assignment.id not in submitted:
            assignment.removed_at, assignment.removed_reason = now, str(_l("Taken off the round's panel."))
            session.add(assignment)
            closed.append(assignment.id)
    return closed


def included_entry_ids(session: Session, *, call: Call, round_no: int) -> set[int]:
    """The entries on round ``round_no``'s shortlist (the chair's removals left out)."""
    return set(session.exec(
        select(ShortlistEntry.entry_id).where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no,
                                              ShortlistEntry.included.is_(True))
    ).all())


def experts(session: Session) -> list[User]:
    """Every expert, by name: whom a later round's panel is chosen from."""
    return list(session.exec(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.EXPERT, User.active)
        .order_by(User.name, User.id)
    ).all())
