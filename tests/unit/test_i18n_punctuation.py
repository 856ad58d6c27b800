"""Punctuation and time-zone names in the reader's language (issue 16, item 9)."""
import pytest
from flask_babel import force_locale
from markupsafe import Markup

from app.i18n import format_number, in_brackets, timezone_name, with_colon


@pytest.mark.parametrize(
    ("locale", "colon", "brackets"),
    [("zh", "部署规模：", "860（含配套设施）"), ("en", "部署规模: ", "860 (含配套设施)")],
)
def test_colon_and_brackets_follow_the_locale(app, locale, colon, brackets):
    with app.test_request_context(), force_locale(locale):
        assert with_colon("部署规模") == colon
        assert "860" + in_brackets("含配套设施") == brackets


def test_colon_and_brackets_escape_text_and_keep_markup(app):
    with app.test_request_context(), force_locale("zh"):
        assert with_colon("<b>") == Markup("&lt;b&gt;：")
        assert in_brackets(Markup('<span data-field="n">3</span>')) == Markup('（<span data-field="n">3</span>）')


@pytest.mark.parametrize(
    ("zone", "locale", "name"),
    [
        ("Asia/Shanghai", "zh", "北京时间"),
        ("Asia/Shanghai", "en", "Beijing time"),
        ("Europe/Berlin", "zh", "中欧时间"),
        ("Not/AZone", "zh", "Not/AZone"),
    ],
)
def test_time_zones_are_named_as_people_say_them(app, zone, locale, name):
    with app.test_request_context(), force_locale(locale):
        assert timezone_name(zone) == name


def test_whole_numbers_lose_the_needless_point_zero(app):
    with app.test_request_context(), force_locale("zh"):
        assert (format_number(8.0), format_number(8.5), format_number(12000.0)) == ("8", "8.5", "12,000")
