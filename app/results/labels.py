"""What the results pages and exports call the keys the pure modules return."""
from app.i18n import lazy_gettext as _l
from app.results import aggregation, experts, reliability, selection

DECISIONS = {
    selection.SELECTED: _l("Selected by the ranking"),
    selection.INCLUDED_BY_CHAIR: _l("Selected by the chair"),
    selection.EXCLUDED_BY_CHAIR: _l("Excluded by the chair"),
    selection.VETO: _l("Excluded: veto confirmed"),
    selection.QUOTA_FULL: _l("Not selected: the domain's quota is full"),
    selection.ORGANISATION_CAP: _l("Not selected: the organisation's cap is reached"),
    selection.TARGET_REACHED: _l("Not selected: the target is reached"),
}

WARNINGS = {
    selection.QUOTA_OVERFILLED: _l("The chair's selections exceed a domain's quota."),
    selection.ORGANISATION_CAP_EXCEEDED: _l("The chair's selections exceed the cap of an organisation."),
    selection.TARGET_OVERFILLED: _l("The chair selected more entries than the target."),
    selection.TARGET_NOT_FILLED: _l("The ranking ran out before the target was reached."),
    selection.VETOED_INCLUDED_BY_CHAIR: _l("The chair selected an entry whose veto was confirmed."),
}

DISAGREEMENT = {
    aggregation.FLAG_SD: _l("SD at or above the threshold"),
    aggregation.FLAG_RANGE: _l("Range at or above the threshold"),
}

NOTES = {
    aggregation.NOTE_TRIMMED: _l("Highest and lowest sheet dropped"),
    aggregation.NOTE_NOT_TRIMMED_TOO_FEW: _l("Not trimmed: fewer than 5 sheets"),
    aggregation.NOTE_NO_SHEETS: _l("No sheets"),
    aggregation.NOTE_ZSCORE_GUARDED: _l("Some experts had too few sheets or no spread: their sheets were standardised on the call"),
    aggregation.NOTE_ZSCORE_NO_CALL_SPREAD: _l("No spread in the call: raw mean used"),
}

VETO_STATUS = {
    "none": _l("None"),
    "pending": _l("Awaiting decision"),
    "confirmed": _l("Confirmed"),
    "dismissed": _l("Dismissed"),
}

#: The reliability verdict: a Koo & Li band, or the span of bands its interval covers.
VERDICTS = {
    "poor": _l("poor"),
    "moderate": _l("moderate"),
    "good": _l("good"),
    "excellent": _l("excellent"),
    "poor_to_moderate": _l("poor to moderate"),
    "poor_to_good": _l("poor to good"),
    "poor_to_excellent": _l("poor to excellent"),
    "moderate_to_good": _l("moderate to good"),
    "moderate_to_excellent": _l("moderate to excellent"),
    "good_to_excellent": _l("good to excellent"),
    reliability.NOT_COMPUTABLE: _l("not computable"),
}

#: What the verdict means for the chair, or why there is none: one sentence.
VERDICT_EXPLANATIONS = {
    reliability.EXPLAIN_SEPARATES_WELL: _l(
        "Even at the low end of its interval, the mean of an entry's sheets separates the entries well: "
        "other experts would very probably have ranked them much the same."),
    reliability.EXPLAIN_SEPARATES_MODERATELY: _l(
        "The mean of an entry's sheets separates the entries moderately: large differences in score hold, "
        "differences of a few points may not."),
    reliability.EXPLAIN_MAY_NOT_SEPARATE: _l(
        "The mean of an entry's sheets does not separate the entries reliably: which experts scored an entry "
        "weighs on its score, so close scores should not decide on their own."),
    reliability.EXPLAIN_TOO_UNCERTAIN: _l(
        "The interval is too wide to judge: reliability may be poor or good; more entries or more sheets per "
        "entry would tell."),
    reliability.REASON_NO_SHEETS: _l("There are no submitted sheets."),
    reliability.REASON_SINGLE_ENTRY: _l(
        "Reliability compares entries with each other, and there is only one entry."),
    reliability.REASON_TOO_FEW_REPEATED: _l("Fewer than two entries have two or more sheets."),
    reliability.REASON_NO_VARIANCE: _l("Every sheet has the same total: there are no differences to compare."),
}

#: The parts of the variance decomposition.
VARIANCE_COMPONENTS = {
    "entries": _l("Entries (real differences)"),
    "experts": _l("Experts (leniency)"),
    "residual": _l("Residual"),
}

EXPERT_FLAGS = {
    experts.FLAG_LENIENT: _l("Lenient"),
    experts.FLAG_SEVERE: _l("Severe"),
    experts.FLAG_NARROW_SPREAD: _l("Narrow spread"),
    experts.FLAG_STRAIGHT_LINING: _l("Straight-lining"),
    experts.FLAG_FAST: _l("Very fast"),
}
