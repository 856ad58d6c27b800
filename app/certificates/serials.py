"""Certificate serial numbers: random, not guessable, easy to read aloud.

A serial is 16 characters from an alphabet without the look-alikes 0/O and
1/I (32 symbols: 80 random bits from :mod:`secrets`), printed in groups of
four: ``7KQM-2XJD-R9TB-WH4C``. Nothing about it follows from another
certificate's, so a serial cannot be guessed from one seen; the public
verification page is rate-limited besides.
"""
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 16
GROUP = 4
_NOT_SYMBOL = re.compile(r"[\s\-_]+")


def new_serial() -> str:
    """A fresh random serial, grouped (``XXXX-XXXX-XXXX-XXXX``)."""
    return grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def grouped(symbols: str) -> str:
    return "-".join(symbols[index:index + GROUP] for index in range(0, len(symbols), GROUP))


def normalise(text: str) -> str | None:
    """A serial as typed (any case, with or without dashes or spaces) in its
    printed form, or None when it cannot be one."""
    symbols = _NOT_SYMBOL.sub("", text or "").upper()
    if len(symbols) != LENGTH or any(char not in ALPHABET for char in symbols):
        return None
    return grouped(symbols)
