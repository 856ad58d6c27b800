"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (no I, O, S, V, Z): registration
authority (1), organisation type (1), administrative division (6, GB/T 2260),
organisation code (9), check character (1). The check character makes
``sum(value(c_i) * 3^(i) mod 31)`` come out right.
"""
import re

from app.i18n import lazy_gettext as _l

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class CreditCodeError(ValueError):
    """Why a code is not a valid unified social credit code (a translated message)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(raw: str) -> str:
    """Return the code upper-cased and stripped, or raise :class:`CreditCodeError`."""
    code = re.sub(r"\s+", "", raw or "").upper()
    if len(code) != 18:
        raise CreditCodeError(_l("A unified social credit code has exactly 18 characters; this one has %(n)s.", n=len(code)))
    bad = sorted({char for char in code if char not in ALPHABET})
    if bad:
        raise CreditCodeError(
            _l("The code contains characters that never appear in a unified social credit code: %(chars)s (I, O, S, V and Z are not used).", chars=" ".join(bad))
        )
    if not _SHAPE.match(code):
        raise CreditCodeError(_l("Characters 3 to 8 of the code must be the six-digit administrative division code."))
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError(_l("The check character (the last one) does not match: please check the code for a typing error."))
    return code


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (demo data, tests)."""
    return first17 + check_character(first17)
