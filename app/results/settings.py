"""How a call's results are computed: the aggregation method (the call's
choice, else its default rubric's), the z-score method's guards, the
disagreement thresholds, the cap per organisation, the target and the domain quotas, and the bootstrap's
resamples and seed. Each run stores them (``ResultRun.parameters``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlmodel import Session, select

from app.audit.services import record
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, CallQuota, CallRubric, ResultRun, RubricVersion
from app.results import aggregation, bootstrap
from app.review.rubrics.files import RubricError, check_file, rubrics_folder
from app.review.rubrics.services import DEFAULT_KEY

# The z-score guards' ranges, both ends included (sheets per expert; SD floor in points).
ZSCORE_MIN_SHEETS_RANGE = (2, 100)
ZSCORE_SD_FLOOR_RANGE = (0.1, 50)


@dataclass(frozen=True)
class Settings:
    """How a call's results are computed (stored with each run)."""

    method: str
    sd_threshold: float | None
    range_threshold: float | None
    organisation_cap: int | None
    resamples: int
    seed: int
    target: int
    quotas: dict[str, int]
    zscore_min_sheets: int = aggregation.ZSCORE_MIN_SHEETS
    zscore_sd_floor: float | None = aggregation.ZSCORE_SD_FLOOR
    quota_fill: bool = True  # places a short domain leaves go to the best entries of the others

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "sd_threshold": self.sd_threshold,
            "range_threshold": self.range_threshold,
            "organisation_cap": self.organisation_cap,
            "resamples": self.resamples,
            "seed": self.seed,
            "target": self.target,
            "quotas": dict(sorted(self.quotas.items())),
            "quota_fill": self.quota_fill,
            "trim_min_sheets": aggregation.TRIM_MIN_SHEETS,
            "zscore_min_sheets_per_expert": self.zscore_min_sheets,
            "zscore_sd_floor": self.zscore_sd_floor,
            "rank_interval": [bootstrap.LOWER_PERCENTILE, bootstrap.UPPER_PERCENTILE],
        }

    @classmethod
    def of_run(cls, run: ResultRun) -> Settings:
        """The settings a run was computed with."""
        parameters = run.parameters
        return cls(
            method=run.method,
            sd_threshold=parameters["sd_threshold"],
            range_threshold=parameters["range_threshold"],
            organisation_cap=parameters["organisation_cap"],
            resamples=parameters["resamples"],
            seed=parameters["seed"],
            target=parameters["target"],
            quotas=parameters["quotas"],
            # Runs from before the guards were settings used 3 sheets and no floor.
            zscore_min_sheets=parameters.get("zscore_min_sheets_per_expert", 3),
            zscore_sd_floor=parameters.get("zscore_sd_floor"),
            # Runs from before fill-up existed read as the setting's default.
            quota_fill=parameters.get("quota_fill", True),
        )


def default_method(session: Session, *, call: Call) -> str:
    """The aggregation method of the call's default rubric (frozen if it is;
    else its file, only that one read)."""
    row = session.exec(select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.domain.is_(None))).first()
    if row is not None and row.rubric_version_id is not None:
        return session.get(RubricVersion, row.rubric_version_id).content["aggregation"]
    try:
        content = check_file(rubrics_folder() / f"{row.rubric_key if row else DEFAULT_KEY}.yaml")
    except RubricError:
        return "trimmed_mean"  # the rubric page says what is wrong with the file
    return content["aggregation"]


def settings_for(session: Session, *, call: Call, resamples: int | None = None, seed: int | None = None) -> Settings:
    """The call's results settings; the bootstrap seed defaults to the call id,
    so the same call always resamples the same way."""
    quotas = session.exec(select(CallQuota.domain, CallQuota.quota).where(CallQuota.call_id == call.id)).all()
    return Settings(
        method=call.results_method or default_method(session, call=call),
        sd_threshold=call.disagreement_sd,
        range_threshold=call.disagreement_range,
        organisation_cap=call.organisation_cap,
        resamples=resamples or current_app.config["RESULTS_RESAMPLES"],
        seed=call.id if seed is None else seed,
        target=call.target_count,
        quotas={str(domain): quota for domain, quota in quotas},
        zscore_min_sheets=call.zscore_min_sheets,
        zscore_sd_floor=call.zscore_sd_floor,
        quota_fill=call.quota_fill,
    )


def update_settings(
    session: Session,
    *,
    call: Call,
    actor,
    method: str | None,
    sd_threshold: float | None,
    range_threshold: float | None,
    organisation_cap: int | None,
    zscore_min_sheets: int = aggregation.ZSCORE_MIN_SHEETS,
    zscore_sd_floor: float | None = aggregation.ZSCORE_SD_FLOOR,
    quota_fill: bool | None = None,
) -> None:
    """Change how results are computed (audited); the draft is recomputed by the caller.

    `zscore_min_sheets` and `zscore_sd_floor` (points; None: no floor) are the
    z-score method's guards: an expert with fewer sheets or less spread is
    standardised on the call instead of on their own sheets. `quota_fill`
    None keeps the call's choice.
    """
    if method is not None and method not in aggregation.METHODS:
        raise DomainError(_l("Choose one of the aggregation methods offered."))
    for value in (sd_threshold, range_threshold):
        if value is not None and not (0 < value <= 100):
            raise DomainError(_l("Disagreement thresholds are between 0 and 100 points."))
    if organisation_cap is not None and organisation_cap < 1:
        raise DomainError(_l("The cap per organisation must be at least 1, or left empty."))
    if not (ZSCORE_MIN_SHEETS_RANGE[0] <= zscore_min_sheets <= ZSCORE_MIN_SHEETS_RANGE[1]):
        raise DomainError(_l("The z-score method needs between 2 and 100 sheets per expert."))
    if zscore_sd_floor is not None and not (ZSCORE_SD_FLOOR_RANGE[0] <= zscore_sd_floor <= ZSCORE_SD_FLOOR_RANGE[1]):
        raise DomainError(_l("The z-score method's SD floor is between 0.1 and 50 points, or left empty."))
    fields = ("results_method", "disagreement_sd", "disagreement_range", "organisation_cap", "zscore_min_sheets",
              "zscore_sd_floor", "quota_fill")
    before = {name: getattr(call, name) for name in fields}
    call.results_method = method
    call.disagreement_sd = sd_threshold
    call.disagreement_range = range_threshold
    call.organisation_cap = organisation_cap
    call.zscore_min_sheets = zscore_min_sheets
    call.zscore_sd_floor = zscore_sd_floor
    if quota_fill is not None:
        call.quota_fill = quota_fill
    after = {name: getattr(call, name) for name in fields}
    if before != after:
        session.add(call)
        session.flush()
        record(session, actor=actor, action="results.settings_changed", obj=call, before=before, after=after)

