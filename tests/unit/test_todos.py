"""The dashboard's date arithmetic: days left to a deadline in the site's
timezone, and when an expert counts as behind schedule."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.main.todos import behind_schedule, days_left

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (datetime(2026, 12, 9, 15, 59, tzinfo=UTC), 3),  # 23:59 on the 9th in Shanghai
        (datetime(2026, 12, 9, 16, 0, tzinfo=UTC), 4),  # midnight into the 10th in Shanghai
        (datetime(2026, 12, 6, 15, 0, tzinfo=UTC), 0),  # later today in Shanghai
        (datetime(2026, 12, 4, 10, 0, tzinfo=UTC), -2),
    ],
)
def test_days_left_counts_calendar_days_in_the_site_timezone(deadline, expected):
    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)  # 16:00 on the 6th in Shanghai
    assert days_left(deadline, now=now, zone=SHANGHAI) == expected


def test_days_left_changes_at_local_midnight_not_utc_midnight():
    deadline = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)  # noon on the 8th in Shanghai
    before_midnight = datetime(2026, 12, 6, 15, 59, tzinfo=UTC)  # 23:59 on the 6th in Shanghai
    after_midnight = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)  # 00:00 on the 7th in Shanghai
    assert days_left(deadline, now=before_midnight, zone=SHANGHAI) == 2
    assert days_left(deadline, now=after_midnight, zone=SHANGHAI) == 1


START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=10)


@pytest.mark.parametrize(
    ("assigned", "submitted", "now", "expected"),
    [
        (10, 0, START - timedelta(days=1), False),  # the phase has not started
        (10, 0, START + timedelta(hours=12), False),  # 5 % gone: nothing due yet
        (10, 3, START + timedelta(days=4), True),  # 40 % gone, 30 % submitted
        (10, 4, START + timedelta(days=4), False),
        (10, 10, END + timedelta(days=1), False),  # all in
        (10, 9, END, True),  # the phase has ended with a sheet open
        (0, 0, START + timedelta(days=5), False),  # nothing assigned
    ],
)
def test_an_expert_is_behind_when_submissions_lag_the_time_gone(assigned, submitted, now, expected):
    assert behind_schedule(assigned=assigned, submitted=submitted, starts_at=START, ends_at=END, now=now) is expected
