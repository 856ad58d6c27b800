"""The words of the dashboard's to-do items (``app.main.todos``): each key
with its sentence, plural-aware, translated when the page is rendered."""
from flask_babel import gettext as _
from flask_babel import ngettext

from app.enums import EntryStatus


def _stage(todo) -> str:
    status = EntryStatus(todo.detail)
    return ngettext("%(num)s entry: %(stage)s", "%(num)s entries: %(stage)s", todo.count, stage=status.label)


def _result(todo) -> str:
    return _("Result: %(status)s", status=EntryStatus(todo.detail).label)


_TEXTS = {
    # applicant
    "draft_incomplete": lambda todo: _("Complete the draft"),
    "draft_ready": lambda todo: _("The draft is complete: submit it"),
    "returned": lambda todo: _("Returned for revision: revise and resubmit"),
    "stage": _stage,
    "result": _result,
    "defence_confirm": lambda todo: _("Confirm your defence session"),
    "objection_question": lambda todo: _("Answer a question about an objection to your entry"),
    # expert
    "declare": lambda todo: ngettext(
        "%(num)s entry waits for your conflict declaration", "%(num)s entries wait for your conflict declaration",
        todo.count),
    "score": lambda todo: ngettext("%(num)s sheet to score", "%(num)s sheets to score", todo.count),
    "submit": lambda todo: ngettext(
        "%(num)s sheet fully scored, not submitted yet", "%(num)s sheets fully scored, not submitted yet", todo.count),
    "reopened": lambda todo: _("Sheet reopened by the chair"),
    # chair
    "membership": lambda todo: ngettext(
        "%(num)s request to join an organisation", "%(num)s requests to join an organisation", todo.count),
    "formal_check": lambda todo: ngettext(
        "%(num)s entry waiting for the formal check", "%(num)s entries waiting for the formal check", todo.count),
    "unassigned": lambda todo: ngettext(
        "%(num)s entry still lacks experts", "%(num)s entries still lack experts", todo.count),
    "behind": lambda todo: ngettext(
        "%(num)s expert behind schedule", "%(num)s experts behind schedule", todo.count),
    "defence_unscheduled": lambda todo: ngettext(
        "%(num)s shortlisted entry without a defence session", "%(num)s shortlisted entries without a defence session",
        todo.count),
    "vetoes": lambda todo: ngettext(
        "%(num)s veto awaiting your decision", "%(num)s vetoes awaiting your decision", todo.count),
    "disputed": lambda todo: ngettext(
        "%(num)s disputed entry (the experts disagree)", "%(num)s disputed entries (the experts disagree)", todo.count),
    "stale": lambda todo: _("The results draft is out of date: compute it again"),
    "publish": lambda todo: _("The results draft is ready to publish"),
    "objections": lambda todo: ngettext(
        "%(num)s objection to the public notice awaits a decision",
        "%(num)s objections to the public notice await a decision", todo.count),
    "official_list": lambda todo: _("The notice has ended and every objection is decided: publish the official list"),
    # publicity
    "brochure_missing": lambda todo: _("Newly published results without a brochure"),
    "brochure_failed": lambda todo: _("The last brochure build failed"),
    "curate": lambda todo: ngettext(
        "%(num)s library case waiting for curation", "%(num)s library cases waiting for curation", todo.count),
}


def todo_text(todo) -> str:
    """The sentence of one to-do item, in the language of the request."""
    return _TEXTS[todo.key](todo)


def days_left_text(days: int) -> str:
    """"3 days left", "due today" or "overdue by 2 days"."""
    if days > 0:
        return ngettext("%(num)s day left", "%(num)s days left", days)
    if days == 0:
        return _("due today")
    return ngettext("overdue by %(num)s day", "overdue by %(num)s days", -days)
