"""The input rules every form, route and command uses (``app/input_rules.py``),
and number formatting that never raises (``app.i18n.format_number``)."""
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.i18n import format_number
from app.input_rules import MAX_ID, Bounds, NumberError, clean_text, page_within, parse_id

# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b", "ab"),
        ("制造\x01\x08\x0b\x0c\x0e\x1f\x7f业", "制造业"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("windows\r\nline\rbreaks", "windows\nline\nbreaks"),
        ("C1 \x85\x9f controls", "C1  controls"),
        ("\u202eevil.exe\u202c", "evil.exe"),
        ("\u2066isolate\u2069 \u200emark\u200f \u061carabic", "isolate mark arabic"),
        ("智能质检 ✓ 👍🏽 e\u0301", "智能质检 ✓ 👍🏽 e\u0301"),  # emoji, combining marks and symbols stay
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # the zero-width joiner of emoji sequences stays
        ("plain ascii 123", "plain ascii 123"),
    ],
)
def test_clean_text_removes_controls_and_bidi_marks_only(raw, clean):
    assert clean_text(raw) == clean
    assert clean_text(clean) == clean  # idempotent


# --- numbers -------------------------------------------------------------------------

OUTCOME = Bounds(-1e12, 1e12)


@pytest.mark.parametrize(
    ("raw", "number"),
    [("99.5", 99.5), (" -3 ", -3.0), ("+7", 7.0), (".5", 0.5), ("5.", 5.0), ("１２．５", 12.5), ("－４", -4.0),
     ("1000000000000", 1e12), ("", None), ("   ", None), (None, None), (42, 42.0), (Decimal("1.25"), 1.25)],
)
def test_a_number_in_range_is_read(raw, number):
    assert OUTCOME.parse(raw) == number


@pytest.mark.parametrize(
    "raw",
    ["1e308", "1e27", "1E2", "inf", "-inf", "Infinity", "nan", "NaN", "0x10", "1,000", "1_000", "١٢", "²", "12abc",
     "1000000000001", "-1000000000000.5", "9" * 41, float("inf"), float("nan"), 1e300, Decimal("NaN"),
     Decimal("sNaN"), Decimal("Infinity"), True, [], "1\x002"],
)
def test_anything_else_is_refused(raw):
    with pytest.raises(NumberError):
        OUTCOME.parse(raw)


def test_whole_numbers():
    year = Bounds(2000, 2100, whole=True)
    assert year.parse("2025") == 2025 and isinstance(year.parse("2025"), int)
    assert year.parse(2025.0) == 2025
    for raw in ("2025.5", "2025.0", "1999", "2101", "9" * 30, 2025.5):
        with pytest.raises(NumberError):
            year.parse(raw)


def test_the_message_names_the_field_and_the_range(app):
    with app.test_request_context(), force_locale("en"):
        assert str(OUTCOME.message("Before")) == (
            "Before: enter a number from -1,000,000,000,000 to 1,000,000,000,000.")
        assert str(Bounds(0, 10_000_000).message("Investment")) == "Investment: enter a number from 0 to 10,000,000."
        assert str(Bounds(1, 20, whole=True).message("Experts")) == "Experts: enter a whole number from 1 to 20."
    with app.test_request_context(), force_locale("zh"):
        assert str(Bounds(0, 100).message("质量")) == "质量：请输入 0 至 100 之间的数字。"


def test_ids():
    assert parse_id("17") == 17 and parse_id(17) == 17 and parse_id(str(MAX_ID)) == MAX_ID
    for raw in (None, "", "0", "-1", str(MAX_ID + 1), "9" * 100, "1.5", "abc", "٣", "²", 2**63):
        assert parse_id(raw) is None, raw


def test_a_page_past_the_end_is_the_last_page():
    assert page_within(MAX_ID, 101, 50) == 3
    assert page_within(2, 0, 50) == 1
    assert page_within(0, 101, 50) == 1
    assert page_within(2, 101, 50) == 2


# --- formatting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (99.5, "99.5"), (1234567.0, "1,234,567"), (0.00001, "0"), (850, "850"),
     (1e308, "1E308"), (-1.5e27, "-1.5E27"), (1e15, "1E15"), (999_999_999_999.5, "999,999,999,999.5"),
     (float("inf"), "∞"), (float("-inf"), "−∞"), (float("nan"), "NaN"), (Decimal("sNaN"), "sNaN"),
     (Decimal("1e400"), "1E400"), ("abc", "abc")],
)
def test_format_number_never_raises(app, value, text):
    with app.test_request_context(), force_locale("en"):
        assert format_number(value) == text
