"""The password policy: what a new password must be, from the settings.

- at least ``PASSWORD_MIN_LENGTH`` characters (default 12);
- at least ``PASSWORD_MIN_CLASSES`` of the four kinds: lower-case letters,
  capital letters, digits, symbols (anything else, Chinese included);
- not one of the common passwords in ``common-passwords.txt`` (shipped
  here), nor one of them with digits or symbols around it, with letters
  written as digits (``P@ssw0rd2024!``) or with the separators taken out;
- not a repetition (``abcdabcdab``), nor mostly a run of the alphabet, the
  digits or a keyboard row (fewer than four characters besides it), nor
  made of fewer than five different characters;
- not containing the account's email local part (or a part of it), the
  person's name or the organisation's name;
- not one of the last ``PASSWORD_HISTORY`` passwords (checked by the
  service, which holds the hashes); it expires after
  ``PASSWORD_MAX_AGE_DAYS`` (both 0: off).
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from app.errors import DomainError
from app.i18n import lazy_gettext as _l

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb", "qazwsxedcrfvtgbyhnujm", "1q2w3e4r5t6y7u8i9o0p",
)
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "$": "s", "5": "s", "7": "t", "!": "i", "1": "i"})
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_EMAIL_PARTS = re.compile(r"[._+\-\d]+")
MIN_DISTINCT = 5
MIN_EXTRA = 4  # characters a password needs besides its longest run


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    min_classes: int = 3
    max_age_days: int = 0  # 0: passwords do not expire
    history: int = 0  # 0: any former password may be used again

    @classmethod
    def from_config(cls, config) -> "PasswordPolicy":
        return cls(
            min_length=config["PASSWORD_MIN_LENGTH"], min_classes=config["PASSWORD_MIN_CLASSES"],
            max_age_days=config["PASSWORD_MAX_AGE_DAYS"], history=config["PASSWORD_HISTORY"],
        )

    def expired(self, changed_at: datetime, *, now: datetime) -> bool:
        return bool(self.max_age_days) and now - changed_at >= timedelta(days=self.max_age_days)

    def describe(self):
        """The rules in a sentence, for the help text under a new-password field."""
        return _l("At least %(n)s characters with at least %(k)s of these kinds: lower-case letters, capital letters, "
                  "digits, symbols. Not a common password, and not your email address or name.",
                  n=self.min_length, k=self.min_classes)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (one password a line; ``#`` starts a comment)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def character_classes(password: str) -> int:
    """How many of the four kinds of characters ``password`` uses."""
    return sum((
        any(char.islower() for char in password),
        any(char.isupper() for char in password),
        any(char.isdigit() for char in password),
        any(not (char.isascii() and char.isalnum()) and not char.islower() and not char.isupper()
            for char in password),
    ))


def _variants(password: str) -> set[str]:
    """The forms of ``password`` compared with the common list and the sequences."""
    lower = password.lower()
    stripped = _AROUND.sub("", lower)
    forms = {lower, stripped, _NON_LETTERS.sub("", lower)}
    for form in (lower, stripped):
        unleet = form.translate(_LEET)
        forms |= {unleet, unleet.replace("i", "l"), _AROUND.sub("", unleet)}
    return {form for form in forms if form}


def is_repetition(password: str) -> bool:
    """True for a short unit repeated (``abcdabcdab``, ``xyxyxy``)."""
    for size in range(1, len(password) // 2 + 1):
        unit = password[:size]
        if (unit * (len(password) // size + 1))[: len(password)] == password:
            return True
    return False


def is_sequence(text: str) -> bool:
    """True for a run of the alphabet, the digits or a keyboard row (either way), four characters or more."""
    return len(text) >= 4 and any(text in run or text in run[::-1] for run in _SEQUENCES)


def longest_run(text: str) -> int:
    """The length of the longest stretch of ``text`` that runs through the
    alphabet, the digits or a keyboard row (either way)."""
    best = 1 if text else 0
    for run in _SEQUENCES:
        for sequence in (run, run[::-1]):
            for start in range(len(text)):
                end = start + best + 1
                while end <= len(text) and text[start:end] in sequence:
                    best, end = end - start, end + 1
    return best


def personal_words(*, email: str = "", names=()) -> list[str]:
    """The words a password must not contain: the email's local part and its
    parts of three letters or more, and the given names (person, organisation)."""
    local = email.split("@")[0].strip().lower()
    words = [local] if len(local) >= 3 else []
    words += [part for part in _EMAIL_PARTS.split(local) if len(part) >= 3]
    words += [name.strip().lower() for name in names if name and len(name.strip()) >= 2]
    return list(dict.fromkeys(words))


def password_problem(password: str, *, policy: PasswordPolicy, words=()):
    """The first rule ``password`` breaks, as a translated message; None when it is fine."""
    if len(password) < policy.min_length:
        return _l("Use at least %(n)s characters.", n=policy.min_length)
    if character_classes(password) < policy.min_classes:
        return _l("Use at least %(n)s of these four kinds of characters: lower-case letters, capital letters, "
                  "digits and symbols.", n=policy.min_classes)
    lower = password.lower()
    if any(word in lower for word in words):
        return _l("The password must not contain your email address, your name or your organisation's name.")
    if (is_repetition(lower) or len(set(lower)) < MIN_DISTINCT or len(lower) - longest_run(lower) < MIN_EXTRA
            or any(is_sequence(form) for form in _variants(password))):
        return _l("This password is too easy to guess: it repeats or runs through characters in order.")
    if _variants(password) & common_passwords():
        return _l("This is a common password, or made from one; choose one that is harder to guess.")
    return None


def check_password(password: str, *, policy: PasswordPolicy, words=()) -> None:
    """Raise DomainError when ``password`` breaks the policy."""
    problem = password_problem(password, policy=policy, words=words)
    if problem is not None:
        raise DomainError(problem)
