"""What the app accepts as input, decided in one place.

- **Text** (:func:`clean_text`): every value of every request's query string
  and form passes through it (``app.web.InputRequest``), whatever the field:
  C0 control characters other than tab and newline, DEL and the C1 controls
  are removed (NUL among them: PostgreSQL refuses it in text and JSON, SQLite
  stores it), CR LF and a lone CR become LF, and the invisible bidirectional
  controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) are removed, so
  that no title or name can be shown reversed or reordered.
- **Numbers** (:class:`Bounds`): a number is typed in plain decimal notation
  (full-width digits are read as digits; no exponent, no ``inf`` or ``nan``)
  and must lie in its field's documented range. The form field
  (``app.forms.NumberField``) and the score sheet's own parsing use this.
- **Ids** (:func:`parse_id`): row ids and version numbers are whole numbers
  from 1 to :data:`MAX_ID`, the largest value of the database's INTEGER
  columns; the URL converter, query arguments and id fields use it.
"""
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from app.i18n import format_number
from app.i18n import lazy_gettext as _l

#: The largest id a row can have: ids (and versions) are INTEGER columns,
#: 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1

#: Removed from every text a request brings: C0 controls but tab and newline
#: (CR is turned into newline first), DEL, the C1 controls, and the
#: bidirectional marks, embeddings, overrides and isolates.
_REMOVED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """``value`` with line breaks as ``\\n`` and without control or bidi characters."""
    if value.isascii() and value.isprintable():
        return value
    return _REMOVED.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


# Plain decimal notation in ASCII digits; full-width digits, sign and point
# (typed with a Chinese input method) are read as their ASCII forms.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－．", "0123456789+-.")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WHOLE = re.compile(r"[+-]?[0-9]+")
#: Longer input is no number a person types (and int() of thousands of digits is slow).
MAX_NUMBER_LENGTH = 40


class NumberError(ValueError):
    """A value that is not a number in its field's range."""


@dataclass(frozen=True)
class Bounds:
    """The range of a numeric field, both ends included; ``whole``: integers only."""

    minimum: int | float
    maximum: int | float
    whole: bool = False

    def parse(self, raw) -> int | float | None:
        """The number ``raw`` holds (a string as typed, or a number), None when
        it is empty; :class:`NumberError` when it is not a finite number in range."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            raise NumberError(raw)
        if isinstance(raw, str):
            text = raw.translate(_FULL_WIDTH).strip()
            if not text:
                return None
            if len(text) > MAX_NUMBER_LENGTH or not (_WHOLE if self.whole else _DECIMAL).fullmatch(text):
                raise NumberError(raw)
            number = int(text) if self.whole else float(text)
        elif isinstance(raw, Decimal):
            if not raw.is_finite():
                raise NumberError(raw)
            number = raw
        elif isinstance(raw, int | float):
            number = raw
        else:
            raise NumberError(raw)
        if isinstance(number, float) and not math.isfinite(number):
            raise NumberError(raw)
        if self.whole:
            if number != int(number):
                raise NumberError(raw)
            number = int(number)
        elif not isinstance(number, float):
            number = float(number)
        if not self.minimum <= number <= self.maximum:
            raise NumberError(raw)
        return number

    def message(self, field):
        """The translated "enter a number from … to …" of the field named ``field``."""
        low, high = format_number(self.minimum), format_number(self.maximum)
        if self.whole:
            return _l("%(field)s: enter a whole number from %(low)s to %(high)s.", field=field, low=low, high=high)
        return _l("%(field)s: enter a number from %(low)s to %(high)s.", field=field, low=low, high=high)


ID_BOUNDS = Bounds(1, MAX_ID, whole=True)
#: Seeds of the seeded computations (the expert assignment, the bootstrap),
#: in the web forms and on the command line.
SEED_RANGE = (0, 2**31 - 1)


def page_within(page: int, total: int, per_page: int) -> int:
    """``page`` moved into the pages a list of ``total`` rows has: a page past
    the end is the last page (an empty list has page 1)."""
    return min(max(page, 1), max(1, -(-total // per_page)))


def parse_id(raw) -> int | None:
    """The row id or version number in ``raw`` (digits, or an int), or None
    when it is empty or none a row can have (not a number, 0, above :data:`MAX_ID`)."""
    try:
        return ID_BOUNDS.parse(raw)
    except NumberError:
        return None


def coerce_id(raw) -> int:
    """``parse_id`` for WTForms' ``coerce``: ValueError instead of None."""
    number = parse_id(raw)
    if number is None:
        raise ValueError(raw)
    return number
