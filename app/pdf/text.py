"""Text and language helpers shared by every PDF (application forms, rankings,
the brochure)."""
import re
import unicodedata
from contextlib import nullcontext

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale

from app.pdf.fonts import drawable

# C0 controls but tab and newline, DEL, and the C1 controls: they have no
# glyph and would print as boxes (and spreadsheets refuse them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: Printed for a character the PDF fonts cannot draw (an emoji, a script the
#: CJK fonts lack): the geta mark, which CJK typesetting uses for a character
#: the type case does not have — instead of an empty box.
MISSING_GLYPH = "〓"
_ZWJ = "\u200d"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def printable(value: str | None) -> str:
    """``value`` ready to print: without control characters and surrounding
    space ("" for None), and with :data:`MISSING_GLYPH` for each character
    (an emoji sequence counts as one) the PDF fonts cannot draw."""
    return with_fallback_glyphs(_CONTROL.sub("", value or "").strip())


def with_fallback_glyphs(text: str) -> str:
    """``text`` with one :data:`MISSING_GLYPH` for each run the PDF fonts
    cannot draw: an emoji with its modifiers, variation selectors and
    zero-width joiners (👨‍👩‍👧, 👍🏽, ❤️), a flag (two regional indicators), any
    other character. Invisible marks the fonts lack are dropped. Unchanged
    when the fonts are not installed (nothing is known then)."""
    covered = drawable()
    if covered is None or text.isascii() or all(ord(char) in covered or char.isspace() for char in text):
        return text
    out: list[str] = []
    joined = flag = False  # the next character continues the last missing one (after a ZWJ; a flag's second half)
    for char in text:
        code = ord(char)
        if code in covered or char.isspace():
            out.append(char)
            joined = flag = False
        elif char == _ZWJ:
            joined = bool(out) and out[-1] == MISSING_GLYPH
        elif code in _SKIN_TONES and out and out[-1] == MISSING_GLYPH:
            pass  # modifies the emoji before it
        elif unicodedata.category(char) in ("Mn", "Me", "Cf"):
            pass  # a mark or a format character: nothing to see
        elif joined or (flag and code in _REGIONAL_INDICATORS):
            joined = flag = False
        else:
            out.append(MISSING_GLYPH)
            flag = code in _REGIONAL_INDICATORS
    return "".join(out)


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
