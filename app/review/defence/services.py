"""Scheduling the defence sessions (现场答辩) of a review round.

The shortlisted entries of round *n* are the :class:`ShortlistEntry` rows of
the call with ``round_no`` *n* and ``included`` set; the chair gives each a
:class:`DefenceSlot`: a room or an https video link (or both), a start and a
duration, within the round's dates (else the review phase). Two slots never
overlap in the same room, nor two slots of the same organisation (its people
cannot be in two rooms at once). A change of time or place after the
applicant confirmed clears the confirmation; every change is audited and
tells the organisation's members.

Services flush, never commit: a refused slot (:class:`DomainError`) leaves
nothing behind once the view's write block rolls back, also when the "fill
a room" helper refuses its tenth slot after nine good ones.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import format_datetime
from sqlmodel import Session, select

from app.accounts.services import active_members
from app.audit.services import record
from app.calls.services import lock_call
from app.enums import Domain, Phase
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, DefenceSlot, Entry, Organisation, ResultEntry, ReviewRound, ShortlistEntry, User
from app.models.rounds import DEFENCE
from app.notifications.services import notify
from app.urls import site_path

#: A session lasts 5 minutes to 8 hours; a break between two filled slots at most 2 hours.
DURATION_RANGE = (5, 480)
BREAK_RANGE = (0, 120)
ROOM_MAX, LINK_MAX, NOTE_MAX = 100, 500, 1000
#: The fields whose change moves the session (and so clears a confirmation).
PLACE_AND_TIME = ("room", "video_link", "starts_at", "duration_minutes")


# --- reading ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShortlistRow:
    """One shortlisted entry of a defence round, with its slot if it has one."""

    entry: Entry
    organisation: Organisation
    rank: int | None  # in the previous round's draft the shortlist was drawn from
    slot: DefenceSlot | None


def defence_rounds(session: Session, *, call: Call) -> list[ReviewRound]:
    """The call's defence rounds, in order."""
    return list(session.exec(
        select(ReviewRound).where(ReviewRound.call_id == call.id, ReviewRound.kind == DEFENCE)
        .order_by(ReviewRound.number)
    ).all())


def defence_round(session: Session, *, call: Call, round_no: int) -> ReviewRound | None:
    """Round ``round_no`` of the call if it is a defence round, else None."""
    return session.exec(
        select(ReviewRound).where(ReviewRound.call_id == call.id, ReviewRound.number == round_no,
                                  ReviewRound.kind == DEFENCE)
    ).first()


def round_window(call: Call, review_round: ReviewRound) -> tuple[datetime, datetime] | None:
    """When the round's sessions may take place: the round's own dates where
    set, the review phase's for the rest; None without either."""
    review = call.phase_window(Phase.REVIEW)
    starts = review_round.starts_at or (review.starts_at if review else None)
    ends = review_round.ends_at or (review.ends_at if review else None)
    if starts is None or ends is None:
        return None
    return starts, ends


def shortlist(session: Session, *, call: Call, round_no: int, domain: Domain | None = None) -> list[ShortlistRow]:
    """The round's shortlisted entries in shortlist order — by rank in the
    draft they were drawn from, entries added by hand after them — each with
    its organisation and slot (one grouped query)."""
    query = (
        select(Entry, Organisation, ResultEntry.rank, DefenceSlot)
        .join(ShortlistEntry, ShortlistEntry.entry_id == Entry.id)
        .join(Organisation, Organisation.id == Entry.organisation_id)
        .outerjoin(ResultEntry, sa.and_(ResultEntry.run_id == ShortlistEntry.from_run_id,
                                        ResultEntry.entry_id == Entry.id))
        .outerjoin(DefenceSlot, sa.and_(DefenceSlot.entry_id == Entry.id, DefenceSlot.call_id == call.id,
                                        DefenceSlot.round_no == round_no))
        .where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no, ShortlistEntry.included)
        .order_by(ResultEntry.rank.is_(None), ResultEntry.rank, ShortlistEntry.id)
    )
    if domain is not None:
        query = query.where(Entry.domain == domain)
    return [ShortlistRow(entry, organisation, rank, slot) for entry, organisation, rank, slot in session.exec(query)]


def schedule(session: Session, *, call: Call, round_no: int) -> list[ShortlistRow]:
    """The round's scheduled entries, by start (then room): what the exports print."""
    rows = [row for row in shortlist(session, call=call, round_no=round_no) if row.slot is not None]
    return sorted(rows, key=lambda row: (row.slot.starts_at, row.slot.room, row.slot.id))


def room_label(slot: DefenceSlot) -> str:
    """The room a slot is listed under: its room, else "" (video only)."""
    return slot.room.strip()


def rooms(rows: Sequence[ShortlistRow]) -> list[str]:
    """The rooms of the scheduled rows, by their first session ("" for video only, last)."""
    first: dict[str, datetime] = {}
    for row in rows:
        if row.slot is not None:
            room = room_label(row.slot)
            first[room] = min(first.get(room, row.slot.starts_at), row.slot.starts_at)
    return sorted(first, key=lambda room: (room == "", first[room]))


def confirmers(session: Session, slots: Sequence[DefenceSlot]) -> dict[int, User]:
    """Who confirmed each slot, by user id."""
    ids = {slot.confirmed_by_id for slot in slots if slot.confirmed_by_id}
    if not ids:
        return {}
    return {user.id: user for user in session.exec(select(User).where(User.id.in_(ids))).all()}


def still_shortlisted():
    """The condition that a slot's entry is still on its round's shortlist: a
    slot of an entry the chair took off the shortlist is no longer shown,
    printed or in the way of other slots."""
    return sa.exists().where(ShortlistEntry.call_id == DefenceSlot.call_id,
                             ShortlistEntry.round_no == DefenceSlot.round_no,
                             ShortlistEntry.entry_id == DefenceSlot.entry_id, ShortlistEntry.included)


def unscheduled_counts(session: Session, *, call: Call,
                       now: datetime) -> list[tuple[ReviewRound, int, datetime | None]]:
    """Per defence round of the call whose dates have not ended: how many
    shortlisted entries still have no session, and when the round's
    sessions start (rounds with none missing left out)."""
    counts = []
    for review_round in defence_rounds(session, call=call):
        window = round_window(call, review_round)
        if window is not None and now >= window[1]:
            continue
        missing = session.exec(
            select(sa.func.count(ShortlistEntry.id))
            .where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == review_round.number,
                   ShortlistEntry.included,
                   ~sa.exists().where(DefenceSlot.call_id == call.id, DefenceSlot.round_no == review_round.number,
                                      DefenceSlot.entry_id == ShortlistEntry.entry_id))
        ).one()
        if missing:
            counts.append((review_round, missing, window[0] if window else None))
    return counts


def organisation_slots(session: Session, *, organisation_id: int, now: datetime) -> list[tuple[DefenceSlot, Entry]]:
    """The organisation's defence sessions that have not ended yet, soonest first."""
    rows = session.exec(
        select(DefenceSlot, Entry).join(Entry, Entry.id == DefenceSlot.entry_id)
        .where(Entry.organisation_id == organisation_id, DefenceSlot.starts_at >= now - timedelta(hours=8),
               still_shortlisted())
        .order_by(DefenceSlot.starts_at, DefenceSlot.id)
    ).all()
    return [(slot, entry) for slot, entry in rows if slot_ends(slot) > now]


def entry_slots(session: Session, *, entry: Entry) -> list[DefenceSlot]:
    """Every defence session of one entry (one per defence round)."""
    return list(session.exec(
        select(DefenceSlot).where(DefenceSlot.entry_id == entry.id, still_shortlisted()).order_by(DefenceSlot.round_no)
    ).all())


def slot_ends(slot: DefenceSlot) -> datetime:
    return slot.starts_at + timedelta(minutes=slot.duration_minutes)


# --- checking --------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A slot as the overlap rules see it."""

    slot_id: int | None
    entry_id: int
    organisation_id: int
    room: str  # casefolded, "" for video only
    starts_at: datetime
    ends_at: datetime
    title: str
    room_name: str = ""  # as typed

    def overlaps(self, other: "Booking") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def _when(value: datetime) -> str:
    return format_datetime(value, "short")


def clash(candidate: Booking, others: Sequence[Booking]) -> DomainError | None:
    """The first rule ``candidate`` breaks against ``others`` (not itself):
    the same room at the same time, or the same organisation at the same time."""
    for other in others:
        if other.entry_id == candidate.entry_id or not candidate.overlaps(other):
            continue
        if candidate.room and candidate.room == other.room:
            return DomainError(_l(
                "Room %(room)s is taken from %(start)s to %(end)s by “%(title)s”.",
                room=other.room_name or other.room, start=_when(other.starts_at), end=_when(other.ends_at), title=other.title))
        if candidate.organisation_id == other.organisation_id:
            return DomainError(_l(
                "The same organisation defends “%(title)s” from %(start)s to %(end)s: its sessions may not overlap.",
                title=other.title, start=_when(other.starts_at), end=_when(other.ends_at)))
    return None


def _bookings(session: Session, *, call: Call) -> list[Booking]:
    rows = session.exec(
        select(DefenceSlot, Entry.organisation_id, Entry.title).join(Entry, Entry.id == DefenceSlot.entry_id)
        .where(DefenceSlot.call_id == call.id, still_shortlisted())
    ).all()
    return [_booking(slot, organisation_id=organisation_id, title=title) for slot, organisation_id, title in rows]


def _booking(slot: DefenceSlot, *, organisation_id: int, title: str) -> Booking:
    return Booking(slot.id, slot.entry_id, organisation_id, room_label(slot).casefold(), slot.starts_at,
                   slot_ends(slot), title, room_label(slot))


def _clean_place(*, room: str, video_link: str) -> tuple[str, str]:
    room, video_link = (room or "").strip(), (video_link or "").strip()
    if not room and not video_link:
        raise DomainError(_l("Give a room or a video link (or both)."))
    if len(room) > ROOM_MAX:
        raise DomainError(_l("The room may have at most %(num)s characters.", num=ROOM_MAX))
    if video_link:
        parts = urlsplit(video_link)
        if (len(video_link) > LINK_MAX or parts.scheme != "https" or not parts.hostname
                or any(char.isspace() for char in video_link)):
            raise DomainError(_l("The video link must be a web address starting with https://."))
    return room, video_link


def _check_time(call: Call, review_round: ReviewRound, *, starts_at: datetime, duration_minutes: int) -> None:
    low, high = DURATION_RANGE
    if not low <= duration_minutes <= high:
        raise DomainError(_l("A session lasts %(low)s to %(high)s minutes.", low=low, high=high))
    window = round_window(call, review_round)
    if window is None:
        raise DomainError(_l("Set the dates of the round or of the review phase first."))
    if starts_at < window[0] or starts_at + timedelta(minutes=duration_minutes) > window[1]:
        raise DomainError(_l("Sessions of %(round)s take place between %(start)s and %(end)s.",
                             round=review_round.name, start=_when(window[0]), end=_when(window[1])))


def _on_shortlist(session: Session, *, call: Call, round_no: int, entry: Entry) -> None:
    listed = session.exec(
        select(ShortlistEntry.id).where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no,
                                        ShortlistEntry.entry_id == entry.id, ShortlistEntry.included)
    ).first()
    if listed is None:
        raise DomainError(_l("“%(title)s” is not on the shortlist of this round.", title=entry.title))


# --- writing ---------------------------------------------------------------------


def _state(slot: DefenceSlot) -> dict:
    return {
        "room": slot.room, "video_link": slot.video_link, "starts_at": slot.starts_at.isoformat(),
        "duration_minutes": slot.duration_minutes, "note": slot.note,
        "confirmed_at": slot.confirmed_at.isoformat() if slot.confirmed_at else None,
    }


def _tell_members(session: Session, *, entry: Entry, slot: DefenceSlot, change: str, now: datetime) -> None:
    params = {"entry_id": entry.id, "title": entry.title, "change": change, "starts_at": slot.starts_at.isoformat(),
              "room": slot.room, "video_link": slot.video_link}
    link = site_path("entries.detail", entry_id=entry.id)
    for member in active_members(session, entry.organisation_id):
        notify(session, user=member, kind="defence.scheduled", params=params, link=link,
               mail={"slot": slot, "entry": entry}, now=now)


def schedule_slot(session: Session, *, actor, call: Call, review_round: ReviewRound, entry: Entry, room: str,
                  video_link: str, starts_at: datetime, duration_minutes: int, note: str = "",
                  now: datetime) -> DefenceSlot:
    """Give ``entry`` its session in ``review_round``, or change it: checked
    against the round's dates and every other session of the call (room and
    organisation overlaps). A changed time or place clears the applicant's
    confirmation. Audited; the organisation's members are told. Flushes."""
    room, video_link = _clean_place(room=room, video_link=video_link)
    note = (note or "").strip()[:NOTE_MAX]
    lock_call(session, call.id)  # two chairs scheduling at once: the second sees the first's slots
    _on_shortlist(session, call=call, round_no=review_round.number, entry=entry)
    _check_time(call, review_round, starts_at=starts_at, duration_minutes=duration_minutes)
    slot = session.exec(
        select(DefenceSlot).where(DefenceSlot.call_id == call.id, DefenceSlot.round_no == review_round.number,
                                  DefenceSlot.entry_id == entry.id)
    ).first()
    candidate = Booking(slot.id if slot else None, entry.id, entry.organisation_id, room.casefold(), starts_at,
                        starts_at + timedelta(minutes=duration_minutes), entry.title)
    error = clash(candidate, _bookings(session, call=call))
    if error is not None:
        raise error
    values = {"room": room, "video_link": video_link, "starts_at": starts_at, "duration_minutes": duration_minutes,
              "note": note}
    if slot is None:
        slot = DefenceSlot(call_id=call.id, round_no=review_round.number, entry_id=entry.id, created_at=now,
                           updated_at=now, **values)
        session.add(slot)
        session.flush()
        record(session, actor=actor, action="defence.slot_scheduled", obj=slot, after=_state(slot))
        _tell_members(session, entry=entry, slot=slot, change="scheduled", now=now)
        return slot
    before = _state(slot)
    moved = any(getattr(slot, name) != values[name] for name in PLACE_AND_TIME)
    if not moved and slot.note == note:
        return slot  # nothing changed: nothing to record or tell
    for name, value in values.items():
        setattr(slot, name, value)
    if moved:
        slot.confirmed_at, slot.confirmed_by_id = None, None
    slot.updated_at = now
    session.add(slot)
    session.flush()
    record(session, actor=actor, action="defence.slot_changed", obj=slot, before=before, after=_state(slot))
    _tell_members(session, entry=entry, slot=slot, change="changed" if moved else "note", now=now)
    return slot


def remove_slot(session: Session, *, actor, slot: DefenceSlot, now: datetime) -> None:
    """Take an entry's session off the schedule; audited, its members told. Flushes."""
    lock_call(session, slot.call_id)
    entry = session.get(Entry, slot.entry_id)
    record(session, actor=actor, action="defence.slot_removed", obj=slot, before=_state(slot))
    _tell_members(session, entry=entry, slot=slot, change="cancelled", now=now)
    session.delete(slot)
    session.flush()


def fill_room(session: Session, *, actor, call: Call, review_round: ReviewRound, domain: Domain | None, room: str,
              video_link: str, starts_at: datetime, duration_minutes: int, break_minutes: int,
              now: datetime) -> list[DefenceSlot]:
    """Consecutive sessions in one room, from ``starts_at``, for the round's
    shortlisted entries (of ``domain``, or all) that have none yet, in
    shortlist order, ``break_minutes`` apart. Every slot passes the rules of
    :func:`schedule_slot`; the first one that does not refuses the whole
    fill (the caller rolls back). Flushes."""
    low, high = BREAK_RANGE
    if not low <= break_minutes <= high:
        raise DomainError(_l("A break lasts %(low)s to %(high)s minutes.", low=low, high=high))
    waiting = [row.entry for row in shortlist(session, call=call, round_no=review_round.number, domain=domain)
               if row.slot is None]
    if not waiting:
        raise DomainError(_l("Every shortlisted entry of this choice already has a session."))
    slots, start = [], starts_at
    for entry in waiting:
        slots.append(schedule_slot(session, actor=actor, call=call, review_round=review_round, entry=entry, room=room,
                                   video_link=video_link, starts_at=start, duration_minutes=duration_minutes,
                                   now=now))
        start += timedelta(minutes=duration_minutes + break_minutes)
    return slots


def confirm_slot(session: Session, *, actor, slot: DefenceSlot, now: datetime) -> bool:
    """The applicant confirms their organisation will attend; False when it
    was confirmed already. A session that has begun cannot be confirmed.
    Audited. Flushes."""
    if slot.confirmed_at is not None:
        return False
    if now >= slot.starts_at:
        raise DomainError(_l("This session has already begun: it can no longer be confirmed."))
    slot.confirmed_at, slot.confirmed_by_id = now, actor.id
    session.add(slot)
    session.flush()
    record(session, actor=actor, action="defence.slot_confirmed", obj=slot,
           after={"confirmed_at": now.isoformat(), "starts_at": slot.starts_at.isoformat()})
    return True
