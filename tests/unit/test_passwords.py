"""The password policy's rules (app/accounts/passwords.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from app.accounts.passwords import (
    COMMON_PASSWORDS_FILE,
    PasswordPolicy,
    character_classes,
    common_passwords,
    is_repetition,
    longest_run,
    password_problem,
    personal_words,
)

DEFAULT = PasswordPolicy()
# A short minimum, to show the other rules catch what the length alone would not.
LENIENT = PasswordPolicy(min_length=8, min_classes=1)


def problem(password, policy=DEFAULT, **words):
    found = password_problem(password, policy=policy, words=personal_words(**words) if words else ())
    return None if found is None else str(found)


@pytest.mark.parametrize("password", ["password12", "abcdabcdab"])
def test_the_passwords_accepted_before_are_refused(password):
    assert problem(password) == "Use at least 12 characters."
    assert problem(password, LENIENT) is not None  # and not only for their length


def test_default_length_and_classes():
    assert DEFAULT.min_length == 12 and DEFAULT.min_classes == 3
    assert problem("Short-1a") == "Use at least 12 characters."
    assert problem("correct-horse-battery").startswith("Use at least 3 of these four kinds of characters")
    assert problem("Correct-horse-battery-9") is None
    assert problem("Correct-horse-battery-9", PasswordPolicy(min_classes=4)) is None
    assert problem("Correcthorsebattery9", PasswordPolicy(min_classes=4)).startswith("Use at least 4")


@pytest.mark.parametrize(("password", "classes"), [
    ("abc", 1), ("aB", 2), ("aB3", 3), ("aB3!", 4), ("密码密码", 1), ("Ab1密码", 4), ("ABC 123", 3),
])
def test_character_classes(password, classes):
    assert character_classes(password) == classes


@pytest.mark.parametrize("password", [
    "password12", "Password2024!", "P@ssw0rd2024!", "p.a.s.s.w.o.r.d.1!", "Qwerty123456!", "woaini1314",
    "Woaini1314520", "Admin@123456", "!!Iloveyou99", "1qaz2wsx3edc", "5201314",
])
def test_common_passwords_and_their_disguises_are_refused(password):
    assert problem(password, LENIENT) is not None, password


@pytest.mark.parametrize("password", ["abcdabcdab", "xyxyxyxyxy", "Ab1!Ab1!Ab1!", "aaaaaaaa", "abcdefgh1234",
                                      "Zyxwvutsrq98", "1234567890Ab!", "aaaa1111!!!!"])
def test_repetitions_and_runs_are_refused(password):
    assert problem(password, LENIENT) is not None, password


def test_repetition_and_run_detection():
    assert is_repetition("abcdabcdab") and is_repetition("aaaa") and not is_repetition("abcdabcdax")
    assert (longest_run("1234567890ab!"), longest_run("xqwertyx"), longest_run("zyxw"), longest_run("")) == (10, 6, 4, 0)


def test_the_email_and_names_may_not_be_in_the_password():
    words = {"email": "zhang.wei88@gdii.gov.cn", "names": ("张伟", "广州智造科技有限公司")}
    message = "The password must not contain your email address, your name or your organisation's name."
    assert problem("Zhang.wei88-secret", **words) == message
    assert problem("My-Zhang-Secret-7", **words) == message  # a part of the address
    assert problem("Secret-Yu-2026x", email="zhang.yu@gdii.gov.cn") is None  # parts under three letters are no words
    assert problem("广州智造科技有限公司Ab1!", **words) == message
    assert problem("张伟的Secret-2026", **words) == message
    assert problem("Harbour-lights-2026", **words) is None


def test_ordinary_good_passwords_pass():
    for password in ("Correct-horse-battery-9", "Tr0ub4dor&3xyz", "Harbour lights 2026", "Brand-new-secret-42",
                     "青山绿水Walk-2026"):
        assert problem(password) is None, password


def test_the_shipped_list_is_read_in_lower_case_without_comments():
    words = common_passwords()
    assert COMMON_PASSWORDS_FILE.exists() and len(words) > 400
    assert {"password", "123456", "woaini1314", "qwerty"} <= words
    assert not any(word.startswith("#") or word != word.lower() for word in words)


def test_expiry_is_off_by_default_and_counts_days():
    changed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert not DEFAULT.expired(changed, now=changed + timedelta(days=3650))
    policy = PasswordPolicy(max_age_days=90)
    assert not policy.expired(changed, now=changed + timedelta(days=89, hours=23))
    assert policy.expired(changed, now=changed + timedelta(days=90))
