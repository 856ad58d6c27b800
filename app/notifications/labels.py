"""The kinds of notification, and the sentence each one reads as.

A notification stores its kind and its parameters, never a sentence: the
sentence is written here in the reader's language when it is shown (and,
for a mail, in the recipient's language when it is queued). Parameters
are plain JSON values; times are ISO 8601 strings.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _

from app.enums import EntryStatus
from app.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    key: str
    name: object  # what the account settings call it (a lazy string)
    template: str | None  # the mail's template under templates/mail/; None: in the app only
    essential: bool = False  # mailed whatever the user chose


def _when(value: str | None) -> str:
    return format_datetime(datetime.fromisoformat(value), "short") if value else ""


def _organisation(params: dict) -> str:
    # Who was never a member learns only the credit code, not the name.
    return params.get("organisation") or _("the organisation with the credit code %(code)s", code=params["credit_code"])


def _status(value: str) -> str:
    return str(EntryStatus(value).label)


def _defence(params: dict) -> str:
    if params["change"] == "cancelled":
        return _("The defence session of “%(title)s” has been cancelled", title=params["title"])
    if params["change"] == "note":
        return _("The chair updated the note on the defence session of “%(title)s”", title=params["title"])
    if params["change"] == "changed":
        return _("The defence session of “%(title)s” has changed: now %(when)s, please confirm it again",
                 title=params["title"], when=_when(params["starts_at"]))
    return _("Defence session of “%(title)s” scheduled for %(when)s: please confirm it",
             title=params["title"], when=_when(params["starts_at"]))


_SENTENCES: dict[str, Callable[[dict], str]] = {
    "entry.submitted": lambda p: _("Entry “%(title)s” received, number %(number)s", title=p["title"], number=p["entry_id"]),
    "entry.returned": lambda p: _("“%(title)s” was returned for revision: resubmit it before %(deadline)s",
                                  title=p["title"], deadline=_when(p.get("deadline"))),
    "entry.checked": lambda p: _("Formal check of “%(title)s”: %(status)s", title=p["title"], status=_status(p["status"])),
    "review.assigned": lambda p: ngettext(
        "%(num)s entry of %(call)s was assigned to you for review, due %(deadline)s",
        "%(num)s entries of %(call)s were assigned to you for review, due %(deadline)s",
        p["count"], call=p["call"], deadline=_when(p.get("deadline"))),
    "review.reminder": lambda p: ngettext(
        "Expert review of %(call)s: %(num)s entry waits for your scores",
        "Expert review of %(call)s: %(num)s entries wait for your scores",
        p["count"], call=p["call"]),
    "sheet.reopened": lambda p: _("Your score sheet for “%(title)s” has been reopened", title=p["title"]),
    "results.published": lambda p: (
        _("“%(title)s” has been selected in %(call)s", title=p["title"], call=p["call"]) if p["selected"]
        else _("“%(title)s” was not selected in %(call)s", title=p["title"], call=p["call"])),
    "membership.requested": lambda p: _("%(name)s asks to join %(organisation)s", name=p["name"],
                                        organisation=p["organisation"]),
    "membership.decided": lambda p: (
        _("You are now a member of %(organisation)s", organisation=_organisation(p)) if p["approved"]
        else _("You are not a member of %(organisation)s", organisation=_organisation(p))),
    "invitation": lambda p: _("You are invited to Scenario Showcase"),
    "round.shortlisted": lambda p: _("“%(title)s” is on the shortlist of %(round)s in %(call)s",
                                     title=p["title"], round=p["round"], call=p["call"]),
    "defence.scheduled": lambda p: _defence(p),
    "objection.filed": lambda p: _("New objection %(reference)s to “%(title)s”", reference=p["reference"],
                                   title=p["title"]),
    "objection.assigned": lambda p: _("Objection %(reference)s to “%(title)s” was assigned to you",
                                      reference=p["reference"], title=p["title"]),
    "objection.question": lambda p: _("Please answer a question about an objection to “%(title)s” before %(deadline)s",
                                      title=p["title"], deadline=_when(p.get("deadline"))),
    "objection.answered": lambda p: _("The applicant answered about objection %(reference)s", reference=p["reference"]),
    "objection.upheld": lambda p: _("An objection to “%(title)s” was upheld: the entry leaves the list",
                                    title=p["title"]),
    "certificate.ready": lambda p: _("The certificate of “%(title)s” (%(call)s) can be downloaded", title=p["title"],
                                     call=p["call"]),
}

KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    Kind("entry.submitted", _l("Receipt for a submitted entry"), "entry_submitted"),
    Kind("entry.returned", _l("Entry returned for revision"), "formal_check_decision"),
    Kind("entry.checked", _l("Formal check decision"), "formal_check_decision"),
    Kind("review.assigned", _l("Entries assigned to you for review"), "review_assigned"),
    Kind("review.reminder", _l("Reminders of open score sheets"), "review_reminder"),
    Kind("sheet.reopened", _l("Score sheet reopened by the chair"), "review_sheet_reopened"),
    Kind("results.published", _l("Results of your entries"), "results_published"),
    Kind("membership.requested", _l("Requests to join your organisation"), "join_request"),
    Kind("membership.decided", _l("Decisions on your membership"), "membership_decision"),
    Kind("invitation", _l("Invitation to the site"), "invitation", essential=True),
    Kind("round.shortlisted", _l("Your entries on a later round's shortlist"), None),
    Kind("defence.scheduled", _l("Defence sessions of your entries"), "defence_scheduled"),
    Kind("objection.filed", _l("Objections filed during a public notice"), None),
    Kind("objection.assigned", _l("Objections assigned to you"), None),
    Kind("objection.question", _l("Questions about objections to your entries"), "objection_question"),
    Kind("objection.answered", _l("Answers to questions about objections"), None),
    Kind("objection.upheld", _l("Objections upheld against your entries"), "objection_upheld"),
    Kind("certificate.ready", _l("Certificates of your entries"), "certificate_ready"),
)}

#: Mails that always go out and are no notification: the settings page names them.
ESSENTIAL_MAILS = (
    _l("Password reset links"),
    _l("Registration confirmation links"),
    _l("Account lockout warnings"),
    _l("Invitations"),
)


def mutable_kinds() -> list[Kind]:
    """The kinds whose mail a user may turn off, in the settings' order."""
    return [kind for kind in KINDS.values() if kind.template and not kind.essential]


def sentence(kind: str, params: dict) -> str:
    """What the notification says, in the current language. A kind this
    version no longer knows, or parameters it cannot read, give a neutral
    sentence: an old row never breaks the bell's page."""
    write = _SENTENCES.get(kind)
    if write is not None:
        try:
            return write(params)
        except (KeyError, TypeError, ValueError):
            pass
    return _("You have a notification.")
