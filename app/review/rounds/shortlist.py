"""The shortlist of a later round (复评名单), drawn from the previous round's
draft results, and the chair's additions and removals.

The round's rule puts entries on it: the top ``shortlist_size`` of each
domain (``top_domain``) or of the call (``top_overall``), and, when the
round says so, the borderline entries just below that line whose rank
interval reaches it while the interval of the entry at the line reaches
them (``borderline``). The chair adds entries
(``chair_added``) and removes entries, each with a reason; a removal keeps
the row (``included`` False), so the shortlist explains itself. Drawing
again replaces what the rule put there and keeps every decision of the
chair. Services only flush; the caller commits.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from app.accounts.services import active_members
from app.audit.services import record
from app.calls.services import lock_call
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, Entry, ResultEntry, ResultRun, ReviewRound, ShortlistEntry
from app.notifications.services import notify
from app.review.rounds.services import assign_round_panel, results_published, round_of, round_panel
from app.urls import site_path

TOP_DOMAIN = "top_domain"
TOP_OVERALL = "top_overall"
BORDERLINE = "borderline"
CHAIR_ADDED = "chair_added"
REASON_LABELS = {
    TOP_DOMAIN: _l("Among the top of its domain"),
    TOP_OVERALL: _l("Among the top of the call"),
    BORDERLINE: _l("Borderline (its rank interval reaches the line)"),
    CHAIR_ADDED: _l("Added by the chair"),
}
REASON_MAX = 1000
#: The veto status that keeps an entry off every list (app.results.inputs).
_VETO_CONFIRMED = "confirmed"


@dataclass(frozen=True)
class ShortlistRow:
    """One entry of the previous round's results and where it stands on the shortlist."""

    result: ResultEntry
    item: ShortlistEntry | None

    @property
    def included(self) -> bool:
        return self.item is not None and self.item.included


def source_run(session: Session, *, call: Call, round_no: int) -> ResultRun | None:
    """The results the shortlist of round ``round_no`` is drawn from: the
    newest run of round ``round_no`` − 1 (its draft, or else its latest snapshot)."""
    return session.exec(
        select(ResultRun).where(ResultRun.call_id == call.id, ResultRun.round_no == round_no - 1)
        .order_by(ResultRun.published_at.is_not(None), ResultRun.id.desc())
    ).first()


def shortlist_items(session: Session, *, call: Call, round_no: int) -> list[ShortlistEntry]:
    """Every shortlist row of the round, removals included."""
    return list(session.exec(
        select(ShortlistEntry).where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no)
        .order_by(ShortlistEntry.entry_id)
    ).all())


def shortlist_table(session: Session, *, call: Call, round_no: int) -> tuple[ResultRun | None, list[ShortlistRow]]:
    """The previous round's results in rank order, each with its shortlist row."""
    run = source_run(session, call=call, round_no=round_no)
    if run is None:
        return None, []
    items = {item.entry_id: item for item in shortlist_items(session, call=call, round_no=round_no)}
    results = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    return run, [ShortlistRow(result, items.get(result.entry_id)) for result in results]


def rule_picks(review_round: ReviewRound, rows, *, intervals_per_domain: bool) -> dict[int, str]:
    """Entry id → the rule that shortlists it, from the previous round's result
    rows (rank order): the top of each domain or of the call, then the
    borderline ones below the line. Vetoed entries (confirmed) never."""
    size, per_domain = review_round.shortlist_size, review_round.shortlist_basis == "per_domain"

    def position(row) -> int:
        return row.domain_rank if per_domain else row.rank

    def group(row) -> str:
        return str(row.domain) if per_domain else ""

    # How far down the rank interval of the entry at the line reaches, per group.
    line_hi = {group(row): row.rank_hi for row in rows if position(row) == size}
    same_scale = per_domain == intervals_per_domain
    picks: dict[int, str] = {}
    for row in rows:
        if row.veto_status == _VETO_CONFIRMED:
            continue
        if position(row) <= size:
            picks[row.entry_id] = TOP_DOMAIN if per_domain else TOP_OVERALL
        elif review_round.shortlist_borderline and _borderline(row, size, position(row), line_hi.get(group(row)),
                                                                same_scale):
            picks[row.entry_id] = BORDERLINE
    return picks


def _borderline(row, size: int, position: int, line_hi: int | None, same_scale: bool) -> bool:
    """Below the line, yet not to be told apart from the entry at it: its rank
    interval reaches the line and the line entry's interval reaches it. The
    intervals must count positions in the same groups as the rule (domain, or
    call); otherwise the run's own borderline flag (its interval straddles the
    selection's cut) says."""
    if same_scale and row.rank_lo is not None:
        return row.rank_lo <= size and (line_hi is None or position <= line_hi)
    return bool(row.borderline)


def _check_open(session: Session, call: Call) -> None:
    if results_published(session, call=call):
        raise DomainError(_l("The call's results are published: its shortlist can no longer change."))


def draw_shortlist(session: Session, *, call: Call, round_no: int, actor, now: datetime) -> dict[str, int]:
    """Draw (or draw again) the shortlist of round ``round_no`` from the
    previous round's results; the chair's additions and removals stay.

    Newly shortlisted applicants are told. Returns the counts per reason.
    Audited (``shortlist.drawn``).
    """
    lock_call(session, call.id)
    _check_open(session, call)
    review_round = round_of(session, call_id=call.id, number=round_no)
    if review_round is None or round_no < 2:
        raise DomainError(_l("The call has no such round."))
    run = source_run(session, call=call, round_no=round_no)
    if run is None:
        raise DomainError(_l("Compute the results of the previous round first: the shortlist is drawn from them."))
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    picks = rule_picks(review_round, rows, intervals_per_domain=bool(run.parameters.get("quotas")))
    items = {item.entry_id: item for item in shortlist_items(session, call=call, round_no=round_no)}
    before = {entry_id for entry_id, item in items.items() if item.included}
    for entry_id, item in items.items():
        # The rule's rows go; the chair's decisions stay (a removal keeps its rule).
        if item.decided_by_id is None and entry_id not in picks:
            session.delete(item)
    for entry_id, reason in picks.items():
        item = items.get(entry_id)
        if item is None:
            session.add(ShortlistEntry(call_id=call.id, round_no=round_no, entry_id=entry_id, from_run_id=run.id,
                                       reason=reason, created_at=now, updated_at=now))
        elif item.reason != CHAIR_ADDED:
            item.reason, item.from_run_id, item.updated_at = reason, run.id, now
            session.add(item)
    session.flush()
    after = included_ids(session, call=call, round_no=round_no)
    counts = {reason: sum(1 for r in picks.values() if r == reason) for reason in (TOP_DOMAIN, TOP_OVERALL, BORDERLINE)}
    counts["included"] = len(after)
    record(session, actor=actor, action="shortlist.drawn", obj=call,
           after={"round": round_no, "from_run_id": run.id, **counts,
                  "added": sorted(after - before), "dropped": sorted(before - after)})
    _withdraw(session, call=call, round_no=round_no, entry_ids=before - after, now=now,
              reason=str(_l("No longer on the shortlist.")))
    _tell(session, call=call, review_round=review_round, entry_ids=after - before, now=now)
    _assign_panel(session, call=call, round_no=round_no, actor=actor, now=now, new=after - before)
    return counts


def included_ids(session: Session, *, call: Call, round_no: int) -> set[int]:
    return {item.entry_id for item in shortlist_items(session, call=call, round_no=round_no) if item.included}


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason: it is shown on the shortlist and kept in the history."))
    if len(reason) > REASON_MAX:
        raise DomainError(_l("The reason can be at most %(n)s characters long.", n=REASON_MAX))
    return reason


def decide(session: Session, *, call: Call, round_no: int, entry_id: int, include: bool, reason: str | None,
           actor, now: datetime) -> ShortlistEntry:
    """The chair adds an entry of the previous round's results to the
    shortlist, or removes one, with a reason (required). Audited
    (``shortlist.added`` / ``shortlist.removed`` on the entry)."""
    lock_call(session, call.id)
    _check_open(session, call)
    reason = _reason(reason)
    review_round = round_of(session, call_id=call.id, number=round_no)
    run = source_run(session, call=call, round_no=round_no)
    if review_round is None or run is None or round_no < 2:
        raise DomainError(_l("Compute the results of the previous round first: the shortlist is drawn from them."))
    in_results = session.exec(
        select(ResultEntry.id).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry_id)
    ).first()
    entry = session.get(Entry, entry_id)
    if in_results is None or entry is None or entry.call_id != call.id:
        raise DomainError(_l("Only entries ranked in the previous round can be shortlisted."))
    item = session.exec(select(ShortlistEntry).where(
        ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no, ShortlistEntry.entry_id == entry_id)
    ).first()
    was = item is not None and item.included
    if was == include:
        raise DomainError(_l("The entry is already on the shortlist.") if include
                          else _l("The entry is not on the shortlist."))
    if item is None:
        item = ShortlistEntry(call_id=call.id, round_no=round_no, entry_id=entry_id, reason=CHAIR_ADDED,
                              created_at=now)
    item.included, item.chair_reason, item.decided_by_id, item.updated_at = include, reason, actor.id, now
    session.add(item)
    session.flush()
    if include:
        record(session, actor=actor, action="shortlist.added", obj=entry, after={"round": round_no, "rule": item.reason},
               reason=reason)
        _tell(session, call=call, review_round=review_round, entry_ids={entry_id}, now=now)
        _assign_panel(session, call=call, round_no=round_no, actor=actor, now=now, new={entry_id})
    else:
        record(session, actor=actor, action="shortlist.removed", obj=entry, after={"round": round_no, "rule": item.reason},
               reason=reason)
        _withdraw(session, call=call, round_no=round_no, entry_ids={entry_id}, now=now, reason=reason)
    return item


def _tell(session: Session, *, call: Call, review_round: ReviewRound, entry_ids, now: datetime) -> None:
    """Tell the members of each newly shortlisted entry's organisation."""
    for entry in session.exec(select(Entry).where(Entry.id.in_(sorted(entry_ids)))).all() if entry_ids else ():
        for member in active_members(session, entry.organisation_id):
            notify(session, user=member, kind="round.shortlisted",
                   params={"entry_id": entry.id, "title": entry.title, "call": call.name,
                           "round": str(review_round.name)},
                   link=site_path("entries.detail", entry_id=entry.id), now=now)


def _withdraw(session: Session, *, call: Call, round_no: int, entry_ids, now: datetime, reason: str) -> None:
    """Close the round's open assignments of entries that left the shortlist."""
    if not entry_ids:
        return
    for assignment in session.exec(select(Assignment).where(
            Assignment.call_id == call.id, Assignment.round_no == round_no, Assignment.entry_id.in_(sorted(entry_ids)),
            Assignment.removed_at.is_(None))).all():
        assignment.removed_at, assignment.removed_reason = now, reason
        session.add(assignment)
    session.flush()


def _assign_panel(session: Session, *, call: Call, round_no: int, actor, now: datetime, new) -> None:
    """Give entries new on the shortlist to the round's panel, once it has one."""
    panel = round_panel(session, call=call, round_no=round_no)
    if new and panel is not None and panel.members:
        assign_round_panel(session, call=call, round_no=round_no, expert_ids=[m.user_id for m in panel.members],
                           actor=actor, now=now)
