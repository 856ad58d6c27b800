"""The notice period (公示期): when a notice of ``days`` working or calendar days ends.

Pure: dates and times in, dates and times out; no database, no Flask.

Days are counted in Beijing time from the day after the notice opens, so
the public always has ``days`` whole days. A working day is one the Chinese
public-holiday calendar (the ``chinese-calendar`` package) says people work:
weekends and public holidays are not, and the Saturdays or Sundays worked
in exchange for a holiday (调休) are. The package covers the years the State
Council has announced; for a year it does not know it raises
``NotImplementedError``, and then Monday to Friday count as working days and
the year is reported in :attr:`Period.uncovered_years`, so that the chair can
be told plainly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
DAYS_RANGE = (1, 30)


@dataclass(frozen=True)
class Period:
    starts_at: datetime
    ends_at: datetime  # the end of the last counted day (Beijing time), aware
    last_day: date
    uncovered_years: tuple[int, ...] = ()  # years the holiday calendar does not know (weekdays were counted)


def working_day(day: date) -> tuple[bool, bool]:
    """Whether ``day`` is a working day, and whether the holiday calendar
    knows its year (if not, the answer is Monday to Friday)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def notice_period(opens_at: datetime, *, days: int, working_days: bool, zone: ZoneInfo = BEIJING) -> Period:
    """The period of a notice opening at ``opens_at`` (aware) that runs ``days``
    working days (``working_days``) or calendar days, counted from the next day."""
    if days < 1:
        raise ValueError("a notice runs at least one day")
    day = opens_at.astimezone(zone).date()
    uncovered: set[int] = set()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if not working_days:
            counted += 1
            continue
        works, known = working_day(day)
        if not known:
            uncovered.add(day.year)
        if works:
            counted += 1
    ends_at = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone) - timedelta(microseconds=1)
    return Period(starts_at=opens_at, ends_at=ends_at, last_day=day, uncovered_years=tuple(sorted(uncovered)))


def days_left(ends_at: datetime, *, now: datetime, zone: ZoneInfo = BEIJING) -> int:
    """Whole calendar days from today to the period's last day at ``now`` (as
    the dashboard counts deadlines): 0 on the last day, -1 once it has ended."""
    if now > ends_at:
        return -1
    return (ends_at.astimezone(zone).date() - now.astimezone(zone).date()).days
