"""Text and language helpers shared by every PDF (application forms, rankings,
the brochure)."""
import re
from contextlib import nullcontext

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale

# C0 controls but tab and newline, DEL, and the C1 controls: they have no
# glyph and would print as boxes (and spreadsheets refuse them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: str | None) -> str:
    """``value`` without control characters and surrounding space ("" for None)."""
    return _CONTROL.sub("", value or "").strip()


def document_language(locale: str | None = None):
    """A context in ``locale``; without one, the request's language, and
    outside a request (a job, the command line) the default language."""
    if locale is None and not has_request_context():
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    return force_locale(locale) if locale else nullcontext()


def language_tag() -> str:
    """The current language as a BCP 47 tag, for ``<html lang>`` and the PDF's /Lang."""
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return "zh-CN"
    return str(locale).replace("_", "-")
