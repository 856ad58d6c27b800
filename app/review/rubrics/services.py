"""Which rubric a call uses, per domain, and freezing them for review.

A call has a default rubric (a ``call_rubrics`` row without a domain;
``default.yaml`` when the chair chose none) and optional per-domain
overrides, each naming a rubric file (:mod:`app.review.rubrics.files`).
When review needs a domain's rubric, the file's validated content is frozen
into ``rubric_versions`` and the call's row points at it. Once a domain's
rubric is frozen it can no longer be changed for that domain — not even by
changing the default it inherits.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.services import record
from app.enums import REVIEW_STATUSES, Domain, Phase
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, CallRubric, Entry, RubricVersion
from app.review.rubrics.files import RubricError, available_rubrics, check_file, content_hash, rubrics_folder

DEFAULT_KEY = "default"

AGGREGATION_LABELS = {
    "mean": _l("Mean of the sheets"),
    "trimmed_mean": _l("Trimmed mean (the highest and lowest sheet dropped when there are enough)"),
    "zscore": _l("Mean of per-expert standardised scores, rescaled to 0–100"),
    "calibrated": _l("Mean of the sheets corrected for each expert's leniency (calibrated per panel)"),
}



@dataclass(frozen=True)
class RubricRow:
    """The rubric in force for a domain (``domain`` None: the call's default)."""

    domain: Domain | None
    rubric_key: str
    explicit: bool  # the call has a row for this domain itself (or a chosen default)
    version: RubricVersion | None  # set once frozen (possibly through the default)
    entries: int  # entries of the domain in review (all domains for the default)
    # When this call froze the rubric; None for rows frozen before the time was kept.
    # Not the version's own time: a version is shared by every call that froze the same content.
    frozen_at: datetime | None = None

    @property
    def frozen(self) -> bool:
        return self.version is not None


# --- choosing and freezing one rubric ---------------------------------------


def rubric_choice(session: Session, *, call: Call, domain: Domain, round_no: int = 1) -> CallRubric | None:
    """The call's rubric row for ``domain`` in round ``round_no``, else its default row."""
    rows = session.exec(
        select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.round_no == round_no)
    ).all()
    specific = next((row for row in rows if row.domain == domain), None)
    return specific or next((row for row in rows if row.domain is None), None)


def choose_rubric(session: Session, *, actor, call: Call, domain: Domain | None, rubric_key: str,
                  round_no: int = 1) -> CallRubric:
    """Set the rubric file a call uses (for one domain, or by default) in round ``round_no``."""
    rubric = available_rubrics().get(rubric_key)
    if rubric is None:
        raise DomainError(_l("There is no rubric file “%(key)s”.", key=rubric_key))
    if isinstance(rubric, RubricError):
        raise rubric
    row = _row(session, call=call, domain=domain, round_no=round_no)
    if row is not None and row.rubric_version_id is not None:
        raise DomainError(_l("This rubric is frozen: review has started with it."))
    before = {"rubric_key": row.rubric_key} if row else None
    row = row or CallRubric(call_id=call.id, domain=domain, rubric_key=rubric_key, round_no=round_no)
    row.rubric_key = rubric_key
    session.add(row)
    session.flush()
    record(session, actor=actor, action="rubric.chosen", obj=call, before=before,
           after={"domain": domain.value if domain else None, "rubric_key": rubric_key}
           | ({"round": round_no} if round_no != 1 else {}))
    return row


def frozen_rubric(session: Session, *, call: Call, domain: Domain, now, actor=None, round_no: int = 1,
                  opens_at=None) -> RubricVersion:
    """The frozen rubric version scoring uses for ``domain`` in ``call`` (round ``round_no``).

    The first time (once the review phase — for a later round, the round
    itself, ``opens_at`` — has opened) the chosen file — or ``default.yaml``
    when the chair chose none; a later round without a choice, the file of
    round 1's default — is validated and frozen; an invalid file refuses to
    start review.
    """
    row = rubric_choice(session, call=call, domain=domain, round_no=round_no)
    if row is not None and row.rubric_version_id is not None:
        return session.get(RubricVersion, row.rubric_version_id)
    review = call.phase_window(Phase.REVIEW)
    if review is None or now < review.starts_at or (opens_at is not None and now < opens_at):
        raise DomainError(_l("Rubrics are frozen when the review phase opens; it has not opened yet."))
    if row is None:
        first = _row(session, call=call, domain=None) if round_no != 1 else None
        row = CallRubric(call_id=call.id, domain=None, rubric_key=first.rubric_key if first else "default",
                         round_no=round_no)
    path = rubrics_folder() / f"{row.rubric_key}.yaml"
    content = check_file(path)
    digest = content_hash(content)
    version = session.exec(select(RubricVersion).where(RubricVersion.content_hash == digest)).first()
    if version is None:
        version = RubricVersion(key=content["key"], source_file=path.name, content=content, content_hash=digest, frozen_at=now)
        session.add(version)
        session.flush()
    row.rubric_version_id = version.id
    row.frozen_at = now
    session.add(row)
    session.flush()
    record(session, actor=actor, action="rubric.frozen", obj=call,
           after={"domain": row.domain.value if row.domain else None, "rubric_key": row.rubric_key, "content_hash": digest}
           | ({"round": round_no} if round_no != 1 else {}))
    return version


def review_open(call: Call, *, now) -> bool:
    return call.is_phase_open(Phase.REVIEW, now=now)


# --- the call's rubric table ---------------------------------------------------


def entries_in_review(session: Session, *, call: Call) -> dict[Domain, int]:
    """How many entries of each domain take part in review (one GROUP BY)."""
    rows = session.exec(
        select(Entry.domain, sa.func.count(Entry.id))
        .where(Entry.call_id == call.id, Entry.status.in_(REVIEW_STATUSES), Entry.domain.is_not(None))
        .group_by(Entry.domain)
    ).all()
    return {Domain(domain): count for domain, count in rows}


def rubric_table(session: Session, *, call: Call, round_no: int = 1) -> list[RubricRow]:
    """The default row, then one row per domain, with what is frozen (in round ``round_no``)."""
    rows = {
        row.domain: row
        for row in session.exec(
            select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.round_no == round_no)
        ).all()
    }
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
            frozen_at=default.frozen_at if default else None,
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
                frozen_at=effective.frozen_at if effective else None,
            )
        )
    return table


def _row(session: Session, *, call: Call, domain: Domain | None, round_no: int = 1) -> CallRubric | None:
    return session.exec(
        select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.domain == domain, CallRubric.round_no == round_no)
    ).first()


def _frozen_for(session: Session, *, call: Call, domain: Domain, round_no: int = 1) -> bool:
    """True when ``domain`` scores against a frozen version (its own or the default's)."""
    row = _row(session, call=call, domain=domain, round_no=round_no) or _row(session, call=call, domain=None,
                                                                              round_no=round_no)
    return row is not None and row.rubric_version_id is not None


def set_rubric(session: Session, *, actor, call: Call, domain: Domain | None, rubric_key: str,
               round_no: int = 1) -> CallRubric:
    """Choose the call's default rubric (``domain`` None) or a domain's override.

    Refused for an unknown or invalid file (the message names the file, the
    line and the problem) and for a rubric that is already frozen.
    """
    if domain is not None and _frozen_for(session, call=call, domain=domain, round_no=round_no):
        raise DomainError(
            _l("The rubric of %(domain)s is frozen: review has started with it.", domain=domain.label)
        )
    return choose_rubric(session, actor=actor, call=call, domain=domain, rubric_key=rubric_key, round_no=round_no)


def clear_override(session: Session, *, actor, call: Call, domain: Domain, round_no: int = 1) -> None:
    """Let ``domain`` use the call's default rubric again (audited)."""
    row = _row(session, call=call, domain=domain, round_no=round_no)
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

    Returns every domain whose rubric this froze, as the rubric table shows
    them: freezing the call's default also freezes each domain that uses it,
    entries or not.

    All or nothing: if one domain's file is invalid (or missing), a
    :class:`RubricError` lists every problem and the caller rolls back —
    review never starts with an invalid rubric.
    """
    if not review_open(call, now=now):
        raise DomainError(_l("Rubrics are frozen while the review phase runs."))
    counts = entries_in_review(session, call=call)
    if not counts:
        raise DomainError(_l("No entry takes part in review yet: there is nothing to freeze."))
    already = {row.domain for row in rubric_table(session, call=call) if row.domain and row.frozen}
    problems = []
    for domain in Domain:
        if domain not in counts:
            continue
        try:
            frozen_rubric(session, call=call, domain=domain, now=now, actor=actor)
        except RubricError as error:
            problems.extend(problem for problem in error.problems if problem not in problems)
    if problems:
        raise RubricError(problems)
    return {
        row.domain: row.version
        for row in rubric_table(session, call=call)
        if row.domain is not None and row.frozen and row.domain not in already
    }
