"""Translation helpers, and numbers written for the current locale.

Flask-Babel's lazy strings declare themselves safe HTML (``__html__`` returns
the formatted text as is), so ``_l("… %(name)s", name=user_input)`` would put
an applicant's markup into the page unescaped. Our lazy strings escape
themselves instead: translations never contain markup, so nothing is lost.
"""
import math
from decimal import Decimal

from babel.dates import get_timezone_name
from flask import g, has_app_context
from flask_babel import format_decimal, format_scientific, get_locale, get_translations
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

#: From this magnitude on, a number is written in scientific notation (1.2E20):
#: no field accepts such values, but older rows may hold them, and Babel's
#: decimal arithmetic (28 digits) fails on them.
SCIENTIFIC_FROM = 1e15


def translations():
    """The catalog of the current locale, found once per request and locale.

    Flask-Babel finds it anew for every string (nine look-ups of its request
    state, about 15 µs), and a page translates a few hundred: the catalog is
    kept on that state beside the locale object it was found for, so a
    forced locale (``force_locale``) or a ``refresh()`` gets its own. (The
    app has one translation domain, so the locale decides the catalog.)
    """
    if not has_app_context():
        return get_translations()
    state = g.get("_flask_babel")
    kept = getattr(state, "showcase_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    found = get_translations()
    state = g._flask_babel  # Flask-Babel's request state, made by the call above
    state.showcase_translations = (state.babel_locale, found)
    return found


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext``, with the catalog found once per request (:func:`translations`)."""
    text = translations().ugettext(string)
    return text if not variables else text % variables


def ngettext(singular: str, plural: str, num, **variables) -> str:
    """``flask_babel.ngettext`` (``%(num)s`` is ``num``), with the catalog found once per request."""
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return text if not variables else text % variables


def install_template_gettext(jinja_env) -> None:
    """Templates' ``_``, ``gettext`` and ``ngettext`` (and the ``p`` forms)
    through :func:`translations` — as Flask-Babel installs them, but without
    its per-string look-ups."""
    jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


class EscapedLazyString(LazyString):
    def __html__(self):
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> EscapedLazyString:
    """Like ``flask_babel.lazy_gettext``, but safe to render with user input."""
    return EscapedLazyString(gettext, string, **variables)


def format_number(value, format: str = "#,##0.####") -> str:
    """A figure as people write it in the current locale: grouped thousands, no
    trailing ``.0`` ("" for None). Never raises: ∞, −∞ and NaN are written as
    such, huge values in scientific notation (a page or PDF showing an older
    row must render whatever it holds)."""
    if value is None:
        return ""
    try:
        number = value if isinstance(value, int | Decimal) else float(value)
        if number != number:  # NaN (a signalling one raises)
            return "NaN"
        if abs(number) == math.inf:
            return "∞" if number > 0 else "−∞"
        if abs(number) >= SCIENTIFIC_FROM:
            return format_scientific(number, "0.###E0")
        return format_decimal(number, format=format)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


#: The zones that keep China's standard time, which people call Beijing time.
BEIJING_TIME_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


def timezone_name(zone: str) -> str:
    """What people call the time of ``zone`` in the current locale: "北京时间"
    for China's standard time (not "Asia/Shanghai时区时间"), otherwise
    Babel's name of the zone ("中欧时间"), or the key when Babel has none."""
    if zone in BEIJING_TIME_ZONES:
        return gettext("Beijing time")
    try:
        return get_timezone_name(zone, locale=get_locale())
    except LookupError:
        return zone


def with_colon(label) -> Markup:
    """``label`` followed by the locale's colon and spacing ("部署规模：",
    "Deployment scale: "): Chinese text takes the full-width colon, and a
    template that wrote ``{{ label }}:`` put a half-width one after Chinese."""
    return Markup(escape(gettext("%(label)s: "))) % {"label": label}


def in_brackets(text) -> Markup:
    """``text`` in the locale's brackets, with the spacing they need before
    them ("（含配套设施）", " (incl. facilities)"). Markup in ``text`` stays markup."""
    return Markup(escape(gettext(" (%(text)s)"))) % {"text": text}
