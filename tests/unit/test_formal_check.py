"""Pieces of the formal check that need no database: formula guards, column
widths, file names, which decisions a status allows, the filters."""
from datetime import datetime

import pytest

from app.enums import EntryStatus as S
from app.formal_check.exports import column_widths, filename, neutralise
from app.formal_check.services import EntryFilters, decisions_from


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("a=1", "a=1"),
        ("智能制造", "智能制造"),
        ("", ""),
        (-2, -2),
        (850.5, 850.5),
        (None, None),
        (datetime(2026, 3, 1), datetime(2026, 3, 1)),
    ],
)
def test_formula_starts_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_column_widths_fit_the_longest_cell_with_chinese_counted_double():
    widths = column_widths(
        ["ID", "Title", "Submitted at", "Summary"],
        [[7, "产线缺陷检测", datetime(2026, 3, 1, 9, 30), "x" * 200], [12345, "AB", None, ""]],
    )
    # Two characters of margin: "12345" is 5 wide, six Chinese characters 12,
    # a date-time 16; the 200 characters are capped at 60.
    assert widths == [7.0, 14.0, 18.0, 60.0]


def test_file_names_keep_chinese_and_drop_what_file_systems_refuse():
    assert filename("2026年/第一批: “试点”", "entries", "20260301-0930", extension="xlsx") == (
        "2026年_第一批_ “试点”-entries-20260301-0930.xlsx"
    )
    assert filename("", "..", extension="csv") == "export.csv"


def test_decisions_each_status_allows():
    assert decisions_from(S.SUBMITTED) == (S.ELIGIBLE, S.RETURNED, S.INELIGIBLE)
    assert decisions_from(S.RETURNED) == (S.ELIGIBLE, S.INELIGIBLE)
    assert decisions_from(S.ELIGIBLE) == (S.RETURNED, S.INELIGIBLE)
    assert decisions_from(S.INELIGIBLE) == (S.ELIGIBLE, S.RETURNED)
    assert decisions_from(S.DRAFT) == decisions_from(S.WITHDRAWN) == decisions_from(S.IN_REVIEW) == ()


def test_filters_refuse_an_unknown_sort_key():
    assert EntryFilters().sort == "submitted"
    with pytest.raises(ValueError):
        EntryFilters(sort="password_hash")
