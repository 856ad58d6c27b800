"""What the results pages and exports call the keys the pure modules return."""
from app.enums import Domain
from app.i18n import lazy_gettext as _l
from app.results import aggregation, combination, experts, reliability, selection

DECISIONS = {
    selection.SELECTED: _l("Selected by the ranking"),
    selection.INCLUDED_BY_CHAIR: _l("Selected by the chair"),
    selection.EXCLUDED_BY_CHAIR: _l("Excluded by the chair"),
    selection.VETO: _l("Excluded: veto confirmed"),
    selection.QUOTA_FULL: _l("Not selected: the domain's quota is full"),
    selection.ORGANISATION_CAP: _l("Not selected: the organisation's cap is reached"),
    selection.TARGET_REACHED: _l("Not selected: the target is reached"),
    selection.QUOTA_FILL: _l("Selected into a place another domain left unfilled"),
    combination.NOT_SHORTLISTED: _l("Not selected: not on the last round's shortlist"),
    selection.WITHDRAWN: _l("Withdrawn after an upheld objection"),
}

WARNINGS = {
    selection.QUOTA_OVERFILLED: _l("The chair's selections exceed a domain's quota."),
    selection.ORGANISATION_CAP_EXCEEDED: _l("The chair's selections exceed the cap of an organisation."),
    selection.TARGET_OVERFILLED: _l("The chair selected more entries than the target."),
    selection.TARGET_NOT_FILLED: _l("The ranking ran out before the target was reached."),
    selection.VETOED_INCLUDED_BY_CHAIR: _l("The chair selected an entry whose veto was confirmed."),
    selection.QUOTA_NOT_FILLED: _l("A domain has fewer selectable entries than its quota; with fill-up off, its places stay empty."),
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
    aggregation.NOTE_NOT_CALIBRATED_UNLINKED: _l("Not calibrated: the panel's experts are not all linked by entries they scored in common"),
    aggregation.NOTE_NOT_CALIBRATED_TOO_FEW: _l("Not calibrated: the panel has too few sheets to tell experts' leniency from noise"),
}

# Two sentences per method for the settings panel: what it does, and what it costs.
METHOD_EXPLANATIONS = {
    "mean": _l("The score is the average of the entry's sheet totals. It is the simplest to explain, but an unusually lenient or severe expert moves every entry they scored."),
    "trimmed_mean": _l("With 5 or more sheets the highest and the lowest total are dropped before averaging. One outlying sheet then counts for less; with fewer sheets it is the plain mean."),
    "zscore": _l("Each expert's totals are standardised on their own mean and spread, then put back on the call's scale. Experts with too few sheets or too little spread are standardised on the whole call instead, and because each expert sees only one domain it also erases real differences between domains."),
    "calibrated": _l("In each panel a model separates each entry's quality from each expert's leniency, learnt from the entries experts scored in common and shrunk towards zero when the data cannot tell them apart. The panel's average is kept, so real differences between domains remain; a panel whose experts share no entries is left uncorrected."),
}

# The methods' short names, for the method sensitivity line.
METHOD_SHORT = {
    "mean": _l("mean"),
    "trimmed_mean": _l("trimmed mean"),
    "zscore": _l("z-score"),
    "calibrated": _l("calibrated"),
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


def quota_fill_reasons(summary_selection: dict) -> dict[int, str]:
    """Why each entry taken by quota fill-up was, from a run's selection
    summary: the domains that left places unfilled, with their quota and how
    many they filled. Runs from before fill-up have none."""
    reasons = {}
    for fill in summary_selection.get("fills", []):
        domains = str(_l("; ")).join(
            str(_l("%(domain)s (%(selected)s of %(quota)s places filled)", domain=Domain(short["domain"]).label,
                   selected=short["selected"], quota=short["quota"]))
            for short in fill["unfilled"]
        )
        reasons[fill["entry_id"]] = str(_l("It took a place left unfilled by: %(domains)s.", domains=domains))
    return reasons
