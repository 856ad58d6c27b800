"""Public notices (公示): the call's notice settings, opening a notice by
publishing a proposed list, the list as it stands while objections are
decided, and publishing the official list. Services only flush; the view
or command commits.

A call with ``notice_required`` publishes its draft as a *proposed* list
(:func:`publish_proposed`): a snapshot frozen and hashed like any other
(``list_kind="proposed"``), but no entry moves and the library receives
nothing. The notice runs ``notice_days`` working days (the Chinese holiday
calendar, ``app.notices.periods``) or calendar days. An upheld objection
withdraws its entry and the next entry under the quota rules takes its
place (:func:`standing`). When the period has ended and every objection is
decided, :func:`publish_official` copies the proposed rows into a new
published run (``list_kind="official"``) with the withdrawals and the
replacements, seals it, and only then moves the entries and fills the library.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import get_call, lock_call
from app.certificates.services import revoke_dropped
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.library.services import publish_snapshot, touch_version
from app.models import Call, Notice, Objection, ResultEntry, ResultRun
from app.notices.periods import DAYS_RANGE, Period, notice_period
from app.results import publishing, selection
from app.results.inputs import VETO_CONFIRMED
from app.results.settings import Settings

CONTACT_LIMIT = 500
UPHELD = "upheld"
DISMISSED = "dismissed"
DECIDED = (UPHELD, DISMISSED)


# --- settings ------------------------------------------------------------------------


def _settings(call: Call) -> dict:
    return {"notice_required": call.notice_required, "notice_days": call.notice_days,
            "notice_working_days": call.notice_working_days, "notice_contact": call.notice_contact,
            "objections_anonymous": call.objections_anonymous}


def update_settings(session: Session, *, call: Call, actor, required: bool, days: int, working_days: bool,
                    contact: str, anonymous: bool) -> None:
    """Set whether the call's results go through a public notice and how it runs (audited)."""
    if not DAYS_RANGE[0] <= days <= DAYS_RANGE[1]:
        raise DomainError(_l("The notice runs %(low)s to %(high)s days.", low=DAYS_RANGE[0], high=DAYS_RANGE[1]))
    contact = contact.strip()
    if len(contact) > CONTACT_LIMIT:
        raise DomainError(_l("The contact is at most %(n)s characters.", n=CONTACT_LIMIT))
    if required and not contact:
        raise DomainError(_l("Give the contact for objections: the notice prints it."))
    if not required and open_notice_of(session, call=call) is not None:
        raise DomainError(_l("A notice of this call is running: it cannot be turned off now."))
    before = _settings(call)
    call.notice_required, call.notice_days, call.notice_working_days = required, days, working_days
    call.notice_contact, call.objections_anonymous = contact, anonymous
    session.add(call)
    session.flush()
    after = _settings(call)
    if after != before:
        record(session, actor=actor, action="call.notice_settings_changed", obj=call, before=before, after=after)


# --- finding notices --------------------------------------------------------------------


def latest_notice(session: Session, *, call_id: int) -> Notice | None:
    """The call's newest notice, open or closed."""
    return session.exec(select(Notice).where(Notice.call_id == call_id).order_by(Notice.id.desc())).first()


def open_notice_of(session: Session, *, call: Call) -> Notice | None:
    """The call's notice whose official list is not published yet, if any."""
    return session.exec(select(Notice).where(Notice.call_id == call.id, Notice.closed_at.is_(None))).first()


def running_notices(session: Session, *, now: datetime) -> list[Notice]:
    """Notices whose period runs at ``now`` (the public pages link to them)."""
    return list(session.exec(
        select(Notice).where(Notice.closed_at.is_(None), Notice.starts_at <= now, Notice.ends_at >= now)
        .order_by(Notice.ends_at)
    ).all())


def is_running(notice: Notice, *, now: datetime) -> bool:
    """Whether objections may be filed at ``now``."""
    return notice.closed_at is None and notice.starts_at <= now <= notice.ends_at


def undecided_count(session: Session, *, notice: Notice) -> int:
    return session.exec(select(sa.func.count(Objection.id)).where(
        Objection.notice_id == notice.id, Objection.status.not_in(DECIDED))).one()


def decided_counts(session: Session, *, notice: Notice) -> dict[str, int]:
    """How many objections the notice has: in all, upheld, dismissed, open."""
    statuses = session.exec(select(Objection.status).where(Objection.notice_id == notice.id)).all()
    upheld = sum(1 for status in statuses if status == UPHELD)
    dismissed = sum(1 for status in statuses if status == DISMISSED)
    return {"total": len(statuses), "upheld": upheld, "dismissed": dismissed,
            "open": len(statuses) - upheld - dismissed}


# --- opening -----------------------------------------------------------------------------


def publish_proposed(session: Session, *, run: ResultRun, actor, now: datetime, public_scores: bool,
                     early: bool = False) -> tuple[Notice, Period]:
    """Publish the draft ``run`` as the proposed list and open its notice.

    Refused when the call does not require a notice or already has one
    whose official list is not published. The period is returned too: its
    ``uncovered_years`` name the years the holiday calendar did not know.
    """
    lock_call(session, run.call_id)
    call = get_call(session, run.call_id)
    if not call.notice_required:
        raise DomainError(_l("This call does not require a public notice."))
    if open_notice_of(session, call=call) is not None:
        raise DomainError(_l("A notice of this call is already open: publish its official list first."))
    publishing.publish(session, run=run, actor=actor, now=now, public_scores=public_scores, early=early,
                       list_kind="proposed")
    period = notice_period(now, days=call.notice_days, working_days=call.notice_working_days)
    notice = Notice(
        call_id=call.id, proposed_run_id=run.id, starts_at=now, ends_at=period.ends_at, period_days=call.notice_days,
        working_days=call.notice_working_days, contact=call.notice_contact, show_scores=public_scores,
        anonymous_allowed=call.objections_anonymous,
        opened_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
    )
    session.add(notice)
    session.flush()
    record(session, actor=actor, action="notice.opened", obj=notice,
           after={"call_id": call.id, "proposed_run_id": run.id, "ends_at": period.ends_at.isoformat(),
                  "days": notice.period_days, "working_days": notice.working_days,
                  "uncovered_years": list(period.uncovered_years)})
    touch_version(session, now=now)  # the library's pages link to the running notice
    return notice, period


# --- the list as it stands -------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    """One entry of the notice's list: ``row`` is the proposed run's row."""

    row: ResultEntry
    on_list: bool  # on the list now
    proposed: bool  # on the proposed list
    withdrawn_by: Objection | None = None  # the upheld objection that withdrew it
    replaces: ResultEntry | None = None  # the withdrawn entry whose place it took
    decision: str = ""  # the selection's reason now


def proposed_rows(session: Session, *, notice: Notice) -> list[ResultEntry]:
    """Every row of the proposed run, in rank order."""
    return list(session.exec(select(ResultEntry).where(ResultEntry.run_id == notice.proposed_run_id)
                             .order_by(ResultEntry.rank, ResultEntry.entry_id)).all())


def _ranking(rows: list[ResultEntry]) -> list[selection.RankedEntry]:
    return [selection.RankedEntry(row.entry_id, row.domain.value, row.organisation_id, row.score, row.rank,
                                  vetoed=row.veto_status == VETO_CONFIRMED) for row in rows]


def reselect(session: Session, *, notice: Notice, withdrawn: set[int]) -> selection.Selection:
    """The selection of the proposed ranking with the chair's overrides as
    published and the ``withdrawn`` entries excluded, under the run's quotas."""
    run = session.get(ResultRun, notice.proposed_run_id)
    # Entries a later review round left behind never take a place.
    rows = [row for row in proposed_rows(session, notice=notice) if row.shortlisted]
    settings = Settings.of_run(run)
    overrides = [selection.ChairOverride(row.entry_id, True, row.chair_reason or "") for row in rows
                 if row.decision == selection.INCLUDED_BY_CHAIR and row.entry_id not in withdrawn]
    overrides += [selection.ChairOverride(row.entry_id, False, row.chair_reason or "") for row in rows
                  if row.decision == selection.EXCLUDED_BY_CHAIR and row.entry_id not in withdrawn]
    overrides += [selection.ChairOverride(entry_id, False, "objection") for entry_id in sorted(withdrawn)]
    return selection.select(_ranking(rows), target=settings.target, quotas=settings.quotas,
                            organisation_cap=settings.organisation_cap, overrides=overrides,
                            fill_quotas=settings.quota_fill)


def upheld_objections(session: Session, *, notice: Notice) -> list[Objection]:
    return list(session.exec(select(Objection).where(Objection.notice_id == notice.id, Objection.status == UPHELD)
                             .order_by(Objection.decided_at, Objection.id)).all())


def standing(session: Session, *, notice: Notice) -> list[ListRow]:
    """The proposed list's entries and the ones that moved up, in rank order,
    each saying whether it is on the list now, and why not."""
    rows = proposed_rows(session, notice=notice)
    by_entry = {row.entry_id: row for row in rows}
    upheld = {objection.entry_id: objection for objection in upheld_objections(session, notice=notice)}
    replaced = {o.replacement_entry_id: by_entry.get(o.entry_id) for o in upheld.values() if o.replacement_entry_id}
    now_selected = {d.entry_id: d for d in reselect(session, notice=notice, withdrawn=set(upheld)).decisions}
    listed = []
    for row in rows:
        decision = now_selected.get(row.entry_id)
        on_list = bool(decision and decision.selected)
        if row.selected or on_list or row.entry_id in upheld:
            listed.append(ListRow(row=row, on_list=on_list, proposed=row.selected, withdrawn_by=upheld.get(row.entry_id),
                                  replaces=replaced.get(row.entry_id), decision=decision.reason if decision else ""))
    return listed


# --- the official list -------------------------------------------------------------------


def official_blockers(session: Session, *, notice: Notice, now: datetime) -> list[str]:
    """Why the official list cannot be published yet (translated; empty: it can)."""
    if notice.closed_at is not None:
        return [_("The official list of this notice is already published.")]
    blockers = []
    if now <= notice.ends_at:
        blockers.append(_("The notice period has not ended yet."))
    undecided = undecided_count(session, notice=notice)
    if undecided:
        blockers.append(_("%(num)s objections are not decided yet.", num=undecided))
    return blockers


def publish_official(session: Session, *, notice: Notice, actor, now: datetime) -> ResultRun:
    """Publish the official list of a notice whose period has ended and whose
    objections are all decided: a new sealed snapshot; the entries move to
    selected / not selected and the library receives the selected cases."""
    lock_call(session, notice.call_id)
    session.refresh(notice)
    blockers = official_blockers(session, notice=notice, now=now)
    if blockers:
        raise DomainError(blockers[0])
    proposed = session.get(ResultRun, notice.proposed_run_id)
    objections = list(session.exec(select(Objection).where(Objection.notice_id == notice.id)).all())
    upheld = {o.entry_id: o for o in objections if o.status == UPHELD}
    final = {d.entry_id: d for d in reselect(session, notice=notice, withdrawn=set(upheld)).decisions}
    rows = proposed_rows(session, notice=notice)
    title_of = {row.entry_id: row.title for row in rows}
    replaced = {o.replacement_entry_id: o.entry_id for o in upheld.values() if o.replacement_entry_id}
    summary = dict(proposed.summary)
    summary["objections"] = {
        "notice_id": notice.id, "proposed_run_id": proposed.id, "total": len(objections),
        "upheld": len(upheld), "dismissed": sum(1 for o in objections if o.status == DISMISSED),
        "withdrawn": [{"entry_id": o.entry_id, "title": title_of.get(o.entry_id, ""), "reference": o.reference,
                       "reason": o.decision_reason or "", "replacement_entry_id": o.replacement_entry_id}
                      for o in upheld.values()],
    }
    selected = [d for d in final.values() if d.selected]
    summary["selection"] = dict(summary.get("selection", {}), selected=len(selected))
    run = ResultRun(
        call_id=proposed.call_id, round_no=proposed.round_no, list_kind="official", computed_at=now,
        computed_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
        method=proposed.method, parameters=dict(proposed.parameters, notice_id=notice.id, proposed_run_id=proposed.id),
        summary=summary, inputs_hash=proposed.inputs_hash, published_at=now,
        published_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
        public_scores=proposed.public_scores,
    )
    session.add(run)
    session.flush()
    columns = [c.name for c in ResultEntry.__table__.columns if c.name not in ("id", "run_id")]
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for row in rows:
            copy = ResultEntry(run_id=run.id, **{name: getattr(row, name) for name in columns})
            decision = final.get(row.entry_id)
            copy.selected = bool(decision and decision.selected)
            if row.entry_id in upheld:
                copy.decision = selection.WITHDRAWN
                copy.chair_reason = copy.withdrawn_reason = upheld[row.entry_id].decision_reason or ""
            elif decision is not None and copy.selected != row.selected:
                copy.decision = decision.reason
                if row.entry_id in replaced:
                    copy.withdrawn_reason = _("In place of “%(title)s”, withdrawn after an upheld objection",
                                              title=title_of.get(replaced[row.entry_id], ""))
            session.add(copy)
    session.flush()
    publishing.seal(session, run)
    notice.official_run_id, notice.closed_at = run.id, now
    session.add_all([run, notice])
    session.flush()
    publishing.move_entries(session, run=run, actor=actor, now=now)
    publish_snapshot(session, run=run, now=now)
    revoke_dropped(session, run=run, actor=actor, now=now)  # certificates of entries the new list drops
    record(session, actor=actor, action="notice.official_published", obj=notice,
           after={"run_id": run.id, "content_hash": run.content_hash, "selected": len(selected),
                  "upheld": len(upheld), "objections": len(objections)})
    return run
