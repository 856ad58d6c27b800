"""An entry's history, as people read it: one line per step, typing grouped."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.audit.labels import action_label
from app.i18n import lazy_gettext as _l
from app.models import AuditEvent

# Shorter wording where the entry is understood; the other steps read as the
# audit log labels them (app.audit.labels).
ACTION_LABELS = {
    "entry.created": _l("Created"),
    "entry.updated": _l("Edited"),
    "entry.autosaved": _l("Edited"),
    "entry.photo_added": _l("Photo added"),
    "entry.photo_removed": _l("Photo removed"),
    "entry.photo_updated": _l("Photo changed"),
    "entry.attachment_added": _l("Attachment added"),
    "entry.attachment_removed": _l("Attachment removed"),
    "entry.submitted": _l("Submitted"),
    "entry.resubmitted": _l("Resubmitted after revision"),
    "entry.withdrawn": _l("Withdrawn"),
    "entry.reopened": _l("Reopened as a draft"),
    "demo.entry_created": _l("Created (demo data)"),
}
FIELD_LABELS = {
    "title": _l("Title"),
    "domain": _l("Domain"),
    "city_code": _l("City"),
    "summary": _l("Summary"),
    "tech_tags": _l("AI technologies"),
    "partners": _l("Partner organisations"),
    "problem": _l("Problem solved"),
    "solution": _l("Solution"),
    "deployment_scale": _l("Deployment scale"),
    "deployment_start": _l("Deployed since"),
    "deployment_end": _l("Deployed until"),
    "investment": _l("Investment"),
    "investment_note": _l("About the investment"),
    "outcomes": _l("Outcomes"),
    "replicability": _l("Replicability"),
    "data_security": _l("Data security and ethics measures"),
    "contact_name": _l("Contact person"),
    "contact_position": _l("Position"),
    "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact email"),
}
_EDITS = {"entry.updated", "entry.autosaved"}
# What the entry's organisation sees: its own steps and the entry's status
# milestones. Review internals (who was assigned, conflicts, sheets, vetoes,
# the chair's selection reasons) stay with the chairs: review is blind.
_STAFF_MILESTONES = {
    "entry.checked_eligible", "entry.returned", "entry.checked_ineligible", "entry.review_started",
    "entry.scored", "entry.review_resumed", "entry.selected", "entry.not_selected",
}
_APPLICANT_ACTIONS = set(ACTION_LABELS) | _STAFF_MILESTONES
_GROUP_GAP = timedelta(minutes=30)


@dataclass
class HistoryItem:
    started_at: datetime
    ended_at: datetime
    actor: str | None
    action: str
    reason: str | None = None
    fields: set[str] = field(default_factory=set)

    @property
    def label(self):
        return ACTION_LABELS.get(self.action) or action_label(self.action)

    @property
    def field_labels(self) -> list:
        return [FIELD_LABELS.get(name, name) for name in sorted(self.fields)]


def describe_history(events: list[AuditEvent], *, for_applicant: bool = False) -> list[HistoryItem]:
    """Oldest first; consecutive edits by one person within half an hour become one item.

    ``for_applicant``: only the steps the organisation may see, and staff
    shown as nobody in particular (never an expert's name or address); the
    formal check's reasons stay, since they are written for the applicant.
    """
    items: list[HistoryItem] = []
    for event in events:
        if for_applicant:
            if event.action not in _APPLICANT_ACTIONS:
                continue
            if event.action in _STAFF_MILESTONES:
                event = _anonymous(event)
        changed = set((event.after or {}).keys()) if event.action in _EDITS else set()
        last = items[-1] if items else None
        if (
            last is not None
            and event.action in _EDITS
            and last.action in _EDITS
            and last.actor == event.actor_email
            and event.occurred_at - last.ended_at <= _GROUP_GAP
        ):
            last.ended_at = event.occurred_at
            last.fields |= changed
            continue
        items.append(
            HistoryItem(
                started_at=event.occurred_at,
                ended_at=event.occurred_at,
                actor=event.actor_email,
                action="entry.updated" if event.action in _EDITS else event.action,
                reason=event.reason,
                fields=changed,
            )
        )
    return items


@dataclass(frozen=True)
class _StaffStep:
    """A staff event as the applicant sees it: no actor, no internal details."""

    action: str
    occurred_at: datetime
    reason: str | None
    actor_email: None = None
    after: None = None


def _anonymous(event: AuditEvent) -> _StaffStep:
    # The formal check's reasons are written for the applicant; others are internal.
    keep_reason = event.action in {"entry.returned", "entry.checked_ineligible", "entry.checked_eligible"}
    return _StaffStep(event.action, event.occurred_at, event.reason if keep_reason else None)
