"""The report of an automatic run (or top-up).

What a run assigned, each panel's loads after it, and the entries it left
short with why (:class:`RunReport`, made by
:func:`app.review.assignment.services.run_assignment`). Its summary is kept
as JSON in the run's ``assignment.run`` audit row on the call, and
:func:`last_run` reads the latest one back for the chair's pages.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from app.i18n import lazy_gettext as _l
from app.models import AuditEvent, Call, Entry, Panel
from app.review.assignment.solver import CAPS, NO_PANEL, TOO_FEW_EXPERTS, PanelLoad

REASON_LABELS = {
    NO_PANEL: _l("No panel covers the entry's domain."),
    TOO_FEW_EXPERTS: _l("Too few experts of the panel are free of conflicts of interest with it."),
    CAPS: _l("The panel's eligible experts have reached their maximum number of entries."),
}


@dataclass(frozen=True)
class PanelSummary:
    """A panel's members' loads (active assignments in the call)."""

    id: int
    name: str
    domains: tuple[str, ...]
    members: int
    minimum: int
    maximum: int
    spread: int
    entries: int = 0  # assignable entries in its domains (overview only)
    assignments: int = 0  # active assignments made through it (overview only)


@dataclass(frozen=True)
class ShortfallRow:
    """An entry that could not get all its experts, and why."""

    entry_id: int
    title: str
    panel_name: str | None
    needed: int
    found: int
    eligible: int
    reason: str

    @property
    def message(self):
        return REASON_LABELS[self.reason]


@dataclass(frozen=True)
class EntryExperts:
    """The experts one entry got in a run."""

    entry_id: int
    title: str
    panel_name: str
    experts: tuple[str, ...]  # "name <email>"


@dataclass
class RunReport:
    call_id: int
    per_entry: int
    seed: int
    top_up: bool
    entries: int  # entries considered
    already_complete: int  # of which had enough experts before the run
    assigned: list[EntryExperts] = field(default_factory=list)
    pairs: int = 0
    moved_to_review: int = 0
    panels: list[PanelSummary] = field(default_factory=list)
    infeasible: list[ShortfallRow] = field(default_factory=list)

    @property
    def nothing_assigned(self) -> bool:
        """True when the run assigned no one although something was to be done."""
        return self.pairs == 0 and (self.entries == 0 or bool(self.infeasible))

    def summary(self) -> dict:
        """What the ``assignment.run`` audit row keeps (JSON)."""
        return {
            "per_entry": self.per_entry,
            "seed": self.seed,
            "top_up": self.top_up,
            "entries": self.entries,
            "already_complete": self.already_complete,
            "assigned": self.pairs,
            "entries_assigned": len(self.assigned),
            "moved_to_review": self.moved_to_review,
            "panels": [
                {"id": p.id, "name": p.name, "domains": list(p.domains), "members": p.members,
                 "minimum": p.minimum, "maximum": p.maximum, "spread": p.spread}
                for p in self.panels
            ],
            "infeasible": [
                {"entry_id": s.entry_id, "panel": s.panel_name, "needed": s.needed, "found": s.found,
                 "eligible": s.eligible, "reason": s.reason}
                for s in self.infeasible
            ],
        }


@dataclass(frozen=True)
class StoredRun:
    """The last run of a call, as its audit row recorded it."""

    occurred_at: datetime
    actor_email: str | None
    per_entry: int
    seed: int
    top_up: bool
    entries: int
    already_complete: int
    assigned: int
    entries_assigned: int
    moved_to_review: int
    panels: list[PanelSummary]
    infeasible: list[ShortfallRow]


def panel_summaries(panels: list[Panel], loads: dict[int, PanelLoad]) -> list[PanelSummary]:
    """One summary per panel, from the loads a plan reports."""
    return [
        PanelSummary(
            id=panel.id, name=panel.name, domains=tuple(panel.domains), members=loads[panel.id].members,
            minimum=loads[panel.id].minimum, maximum=loads[panel.id].maximum,
            spread=loads[panel.id].spread,
        )
        for panel in panels
    ]


def last_run(session: Session, *, call: Call) -> StoredRun | None:
    """The call's latest automatic run (or top-up), from its audit row."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "assignment.run", AuditEvent.object_type == "calls", AuditEvent.object_id == call.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    data = event.after or {}
    shortfalls = data.get("infeasible", [])
    titles = dict(
        session.exec(select(Entry.id, Entry.title).where(Entry.id.in_([s["entry_id"] for s in shortfalls]))).all()
    ) if shortfalls else {}
    return StoredRun(
        occurred_at=event.occurred_at,
        actor_email=event.actor_email,
        per_entry=data.get("per_entry", 0),
        seed=data.get("seed", 0),
        top_up=data.get("top_up", False),
        entries=data.get("entries", 0),
        already_complete=data.get("already_complete", 0),
        assigned=data.get("assigned", 0),
        entries_assigned=data.get("entries_assigned", 0),
        moved_to_review=data.get("moved_to_review", 0),
        panels=[
            PanelSummary(id=p["id"], name=p["name"], domains=tuple(p.get("domains", ())), members=p["members"],
                         minimum=p["minimum"], maximum=p["maximum"], spread=p["spread"])
            for p in data.get("panels", [])
        ],
        infeasible=[
            ShortfallRow(entry_id=s["entry_id"], title=titles.get(s["entry_id"], ""), panel_name=s.get("panel"),
                         needed=s["needed"], found=s["found"], eligible=s["eligible"], reason=s["reason"])
            for s in shortfalls
        ],
    )
