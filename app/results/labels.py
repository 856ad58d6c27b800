"""What the results pages and exports call the keys the pure modules return."""
from app.enums import Domain
from app.i18n import lazy_gettext as _l
from app.results import aggregation, experts, selection

DECISIONS = {
    selection.SELECTED: _l("Selected by the ranking"),
    selection.INCLUDED_BY_CHAIR: _l("Selected by the chair"),
    selection.EXCLUDED_BY_CHAIR: _l("Excluded by the chair"),
    selection.VETO: _l("Excluded: veto confirmed"),
    selection.QUOTA_FULL: _l("Not selected: the domain's quota is full"),
    selection.ORGANISATION_CAP: _l("Not selected: the organisation's cap is reached"),
    selection.TARGET_REACHED: _l("Not selected: the target is reached"),
    selection.QUOTA_FILL: _l("Selected into a place another domain left unfilled"),
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
}

VETO_STATUS = {
    "none": _l("None"),
    "pending": _l("Awaiting decision"),
    "confirmed": _l("Confirmed"),
    "dismissed": _l("Dismissed"),
}

BANDS = {
    "poor": _l("poor"),
    "moderate": _l("moderate"),
    "good": _l("good"),
    "excellent": _l("excellent"),
    "reliable": _l("reliable"),
    "tentative": _l("tentative"),
    "unreliable": _l("unreliable"),
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
