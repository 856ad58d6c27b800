"""Translation helpers.

Flask-Babel's lazy strings declare themselves safe HTML (``__html__`` returns
the formatted text as is), so ``_l("… %(name)s", name=user_input)`` would put
an applicant's markup into the page unescaped. Our lazy strings escape
themselves instead: translations never contain markup, so nothing is lost.
"""
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


class EscapedLazyString(LazyString):
    def __html__(self):
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> EscapedLazyString:
    """Like ``flask_babel.lazy_gettext``, but safe to render with user input."""
    return EscapedLazyString(gettext, string, **variables)
