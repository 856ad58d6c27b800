"""The notice period in working days (Chinese public-holiday calendar) or calendar days."""
from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from app.notices.periods import BEIJING, days_left, notice_period, working_day


def _end(period):
    return period.ends_at.astimezone(BEIJING)


def test_working_days_skip_the_weekend():
    # Thursday 12 June 2025: Friday, then Monday and Tuesday.
    period = notice_period(datetime(2025, 6, 12, 9, 0, tzinfo=BEIJING), days=3, working_days=True)
    assert period.last_day == date(2025, 6, 17)
    assert _end(period) == datetime(2025, 6, 17, 23, 59, 59, 999999, tzinfo=BEIJING)
    assert period.uncovered_years == ()


def test_working_days_skip_a_holiday_and_count_the_swapped_sunday():
    # Friday 26 September 2025: Sunday 28 September is worked (调休), 1–8 October
    # is the National Day holiday, so the fifth working day is Friday 10 October.
    period = notice_period(datetime(2025, 9, 26, 14, 0, tzinfo=BEIJING), days=5, working_days=True)
    assert period.last_day == date(2025, 10, 10)
    assert working_day(date(2025, 9, 28)) == (True, True)
    assert working_day(date(2025, 10, 3)) == (False, True)


def test_calendar_days_count_every_day():
    period = notice_period(datetime(2025, 9, 26, 14, 0, tzinfo=BEIJING), days=5, working_days=False)
    assert period.last_day == date(2025, 10, 1)


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday(monkeypatch):
    def unknown(day):
        raise NotImplementedError(f"no data for {day.year}")

    monkeypatch.setattr(chinese_calendar, "is_workday", unknown)
    # Without holiday data the National Day week counts as working days.
    period = notice_period(datetime(2025, 9, 26, 14, 0, tzinfo=BEIJING), days=5, working_days=True)
    assert period.last_day == date(2025, 10, 3)
    assert period.uncovered_years == (2025,)


def test_the_period_starts_in_beijing_time():
    # 17:00 UTC on 12 June is already 13 June in Beijing: counting starts on the 14th's next working day.
    period = notice_period(datetime(2025, 6, 12, 17, 0, tzinfo=UTC), days=1,
                           working_days=True)
    assert period.last_day == date(2025, 6, 16)


def test_days_left_is_zero_on_the_last_day_and_negative_after_it():
    period = notice_period(datetime(2025, 6, 12, 9, 0, tzinfo=BEIJING), days=3, working_days=True)
    assert days_left(period.ends_at, now=datetime(2025, 6, 12, 10, 0, tzinfo=BEIJING)) == 5
    assert days_left(period.ends_at, now=datetime(2025, 6, 17, 23, 0, tzinfo=BEIJING)) == 0
    assert days_left(period.ends_at, now=datetime(2025, 6, 18, 0, 0, tzinfo=BEIJING)) == -1


def test_a_notice_runs_at_least_one_day():
    with pytest.raises(ValueError):
        notice_period(datetime(2025, 6, 12, 9, 0, tzinfo=BEIJING), days=0, working_days=True)
