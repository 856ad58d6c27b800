"""The demo's second round: last year's call held an on-site defence
(现场答辩) for a shortlist drawn from its online review.

The online review (round 1) ends about a week before the review phase does;
the next working day the chair computes its draft, draws the shortlist (the
top of each domain and the borderline entries), books one defence room —
ten-minute sessions on the phase's last five working days, mornings and
afternoons — and
seats a panel of seven experts, who score every defence in the room. The
applicants confirm their sessions the day they are booked. The combined
score weighs the online review 40 % and the defence 60 %.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.demo import sheets as demo_sheets
from app.demo.history import History
from app.demo.review import day_of, defence_days, office_time, shortlist_day
from app.enums import Domain, Membership, Phase
from app.models import Call, DefenceSlot, Entry, ShortlistEntry, User
from app.models.rounds import DEFENCE
from app.results.compute import compute_results
from app.review.defence.services import confirm_slot, schedule_slot
from app.review.rounds.services import RoundSettings, assign_round_panel, round_of, save_second_round
from app.review.rounds.shortlist import draw_shortlist
from app.review.rubrics.services import frozen_rubric

ONLINE_NAME, DEFENCE_NAME = "网络初评", "现场答辩"
ONLINE_WEIGHT, DEFENCE_WEIGHT = 40.0, 60.0
SHORTLIST_PER_DOMAIN = 15
SHORTLIST_SEED = 20251210  # the online round's bootstrap, whose intervals say which entries are borderline
ROOM = "省人工智能产业创新中心 第一答辩室"
SESSION_MINUTES = 10  # six minutes of presentation, four of questions
#: The defence day's sittings (local time): morning and afternoon.
SITTINGS = ((time(9), time(12)), (time(14), time(17, 30)))
#: The defence panel: experts of the online review, chosen by number.
PANEL = (2, 5, 9, 14, 21, 27, 33)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _session_starts(days: list[date]) -> list[datetime]:
    """Every session's start over ``days``, in order."""
    zone, starts = _zone(), []
    for day in days:
        for first, last in SITTINGS:
            start = datetime.combine(day, first, tzinfo=zone)
            end = datetime.combine(day, last, tzinfo=zone)
            while start + timedelta(minutes=SESSION_MINUTES) <= end:
                starts.append(start)
                start += timedelta(minutes=SESSION_MINUTES)
    return starts


def _members(session: Session, organisation_ids) -> dict[int, User]:
    """The first active member of each organisation: who confirms its sessions."""
    members: dict[int, User] = {}
    for user in session.exec(select(User).where(User.organisation_id.in_(list(organisation_ids)),
                                                User.membership == Membership.ACTIVE).order_by(User.id)
                                .options(selectinload(User.role_rows))).all():  # they act: their roles are checked
        members.setdefault(user.organisation_id, user)
    return members


def load_second_round(session: Session, *, call: Call, chair: User, experts: dict[int, User],
                      history: History) -> int:
    """Take ``call`` (its online review complete, no round added yet) through
    its defence round, up to the last defence sheet; the caller computes the
    results that combine both rounds. Returns how many entries defended."""
    review = call.phase_window(Phase.REVIEW)
    # The online round's draft and the shortlist on one day, the defences on the phase's last five working days.
    drawn = office_time(shortlist_day(call), 0.15)
    days = defence_days(call)
    history.now = office_time(day_of(review.starts_at) + timedelta(days=1), 0.3)
    save_second_round(session, call=call, actor=chair, settings=RoundSettings(
        first_name=ONLINE_NAME, first_weight=ONLINE_WEIGHT, name=DEFENCE_NAME, kind=DEFENCE, weight=DEFENCE_WEIGHT,
        starts_at=datetime.combine(days[0], time(8), tzinfo=_zone()),
        ends_at=min(datetime.combine(days[-1], time(18), tzinfo=_zone()), review.ends_at),
        shortlist_basis="per_domain", shortlist_size=SHORTLIST_PER_DOMAIN, shortlist_borderline=True,
        combination="weighted"))

    history.now = drawn
    # A seed of its own (not the call's id, which differs between databases): the same borderline entries everywhere.
    compute_results(session, call=call, actor=chair, now=drawn, round_no=1, seed=SHORTLIST_SEED)
    history.now = drawn + timedelta(hours=2)
    draw_shortlist(session, call=call, round_no=2, actor=chair, now=history.now)
    review_round = round_of(session, call_id=call.id, number=2)

    booked = drawn + timedelta(hours=5)
    history.now = booked
    shortlisted = session.exec(
        select(Entry).join(ShortlistEntry, ShortlistEntry.entry_id == Entry.id)
        .where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == 2, ShortlistEntry.included.is_(True))
    ).all()
    order = {domain: index for index, domain in enumerate(Domain)}
    shortlisted = sorted(shortlisted, key=lambda entry: (order[entry.domain], entry.title))
    starts = _session_starts(days)
    if len(starts) < len(shortlisted):
        raise RuntimeError(f"{len(shortlisted)} defences do not fit in {len(days)} days")
    for entry, start in zip(shortlisted, starts):
        schedule_slot(session, actor=chair, call=call, review_round=review_round, entry=entry, room=ROOM,
                      video_link="", starts_at=start, duration_minutes=SESSION_MINUTES, now=booked)
    members = _members(session, {entry.organisation_id for entry in shortlisted})
    for slot in session.exec(select(DefenceSlot).where(DefenceSlot.call_id == call.id)
                             .order_by(DefenceSlot.starts_at)).all():
        entry = session.get(Entry, slot.entry_id)
        history.now = booked + timedelta(minutes=30 + slot.id % 240)
        confirm_slot(session, actor=members[entry.organisation_id], slot=slot, now=history.now)

    seated = booked + timedelta(days=1)
    history.now = seated
    assign_round_panel(session, call=call, round_no=2, expert_ids=[experts[number].id for number in PANEL],
                       actor=chair, now=seated)
    opens = datetime.combine(days[0], time(8, 30), tzinfo=_zone())
    history.now = opens
    versions = {domain: frozen_rubric(session, call=call, domain=domain, now=opens, actor=None, round_no=2,
                                      opens_at=review_round.starts_at) for domain in Domain}
    demo_sheets.load_sheets(session, call=call, versions=versions, now=review.ends_at - timedelta(hours=1),
                            complete=True, round_no=2, available=opens)
    return len(shortlisted)
