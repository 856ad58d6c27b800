"""Which rubric a call uses, per domain, and freezing them for review.

Built on :mod:`app.review.rubrics`: a call has a default rubric (a
``call_rubrics`` row without a domain; ``default.yaml`` when the chair chose
none) and optional per-domain overrides. Once a domain's rubric is frozen it
can no longer be changed for that domain — not even by changing the default
it inherits.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.services import record
from app.enums import Domain, EntryStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, CallRubric, Entry, RubricVersion
from app.review.rubrics import RubricError, choose_rubric, frozen_rubric, review_open

DEFAULT_KEY = "default"

AGGREGATION_LABELS = {
    "mean": _l("Mean of the sheets"),
    "trimmed_mean": _l("Trimmed mean (the highest and lowest sheet dropped when there are enough)"),
    "zscore": _l("Mean of per-expert standardised scores, rescaled to 0–100"),
}

# Entries that take part in expert review (from the formal check's "eligible" on).
REVIEW_STATUSES = (
    EntryStatus.ELIGIBLE,
    EntryStatus.IN_REVIEW,
    EntryStatus.SCORED,
    EntryStatus.SELECTED,
    EntryStatus.NOT_SELECTED,
    EntryStatus.PUBLISHED,
)


@dataclass(frozen=True)
class RubricRow:
    """The rubric in force for a domain (``domain`` None: the call's default)."""

    domain: Domain | None
    rubric_key: str
    explicit: bool  # the call has a row for this domain itself (or a chosen default)
    version: RubricVersion | None  # set once frozen (possibly through the default)
    entries: int  # entries of the domain in review (all domains for the default)

    @property
    def frozen(self) -> bool:
        return self.version is not None


def entries_in_review(session: Session, *, call: Call) -> dict[Domain, int]:
    """How many entries of each domain take part in review (one GROUP BY)."""
    rows = session.exec(
        select(Entry.domain, sa.func.count(Entry.id))
        .where(Entry.call_id == call.id, Entry.status.in_(REVIEW_STATUSES), Entry.domain.is_not(None))
        .group_by(Entry.domain)
    ).all()
    return {Domain(domain): count for domain, count in rows}


def rubric_table(session: Session, *, call: Call) -> list[RubricRow]:
    """The default row, then one row per domain, with what is frozen."""
    rows = {row.domain: row for row in session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).all()}
    version_ids = {row.rubric_version_id for row in rows.values() if row.rubric_version_id}
    versions = (
        {version.id: version for version in session.exec(select(RubricVersion).where(RubricVersion.id.in_(version_ids))).all()}
        if version_ids
        else {}
    )
    counts = entries_in_review(session, call=call)
    default = rows.get(None)
    table = [
        RubricRow(
            domain=None,
            rubric_key=default.rubric_key if default else DEFAULT_KEY,
            explicit=default is not None,
            version=versions.get(default.rubric_version_id) if default else None,
            entries=sum(counts.values()),
        )
    ]
    for domain in Domain:
        row = rows.get(domain)
        effective = row or default
        table.append(
            RubricRow(
                domain=domain,
                rubric_key=effective.rubric_key if effective else DEFAULT_KEY,
                explicit=row is not None,
                version=versions.get(effective.rubric_version_id) if effective else None,
                entries=counts.get(domain, 0),
            )
        )
    return table


def _row(session: Session, *, call: Call, domain: Domain | None) -> CallRubric | None:
    return session.exec(select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.domain == domain)).first()


def _frozen_for(session: Session, *, call: Call, domain: Domain) -> bool:
    """True when ``domain`` scores against a frozen version (its own or the default's)."""
    row = _row(session, call=call, domain=domain) or _row(session, call=call, domain=None)
    return row is not None and row.rubric_version_id is not None


def set_rubric(session: Session, *, actor, call: Call, domain: Domain | None, rubric_key: str) -> CallRubric:
    """Choose the call's default rubric (``domain`` None) or a domain's override.

    Refused for an unknown or invalid file (the message names the file, the
    line and the problem) and for a rubric that is already frozen.
    """
    if domain is not None and _frozen_for(session, call=call, domain=domain):
        raise DomainError(
            _l("The rubric of %(domain)s is frozen: review has started with it.", domain=domain.label)
        )
    return choose_rubric(session, actor=actor, call=call, domain=domain, rubric_key=rubric_key)


def clear_override(session: Session, *, actor, call: Call, domain: Domain) -> None:
    """Let ``domain`` use the call's default rubric again (audited)."""
    row = _row(session, call=call, domain=domain)
    if row is None:
        return
    if row.rubric_version_id is not None:
        raise DomainError(_l("The rubric of %(domain)s is frozen: review has started with it.", domain=domain.label))
    record(session, actor=actor, action="rubric.override_removed", obj=call,
           before={"domain": domain.value, "rubric_key": row.rubric_key})
    session.delete(row)
    session.flush()


def freeze_rubrics(session: Session, *, actor, call: Call, now) -> dict[Domain, RubricVersion]:
    """Freeze the rubric of every domain that has entries in review, now.

    All or nothing: if one domain's file is invalid (or missing), a
    :class:`RubricError` lists every problem and the caller rolls back —
    review never starts with an invalid rubric.
    """
    if not review_open(call, now=now):
        raise DomainError(_l("Rubrics are frozen while the review phase runs."))
    counts = entries_in_review(session, call=call)
    if not counts:
        raise DomainError(_l("No entry takes part in review yet: there is nothing to freeze."))
    frozen, problems = {}, []
    for domain in Domain:
        if domain not in counts:
            continue
        try:
            frozen[domain] = frozen_rubric(session, call=call, domain=domain, now=now, actor=actor)
        except RubricError as error:
            problems.extend(problem for problem in error.problems if problem not in problems)
    if problems:
        raise RubricError(problems)
    return frozen
