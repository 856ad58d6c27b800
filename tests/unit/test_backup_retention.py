"""Which backup archives the retention rule keeps (app.backup.retention)."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from app.backup.retention import archive_name, archive_time, archives_to_keep

UTC = timezone.utc


def _archives(moments: list[datetime]) -> dict[str, datetime]:
    names = {}
    for moment in moments:
        serial = 1
        while archive_name(moment, serial) in names:
            serial += 1
        names[archive_name(moment, serial)] = moment
    return names


def test_names_carry_the_instant_in_utc():
    moment = datetime(2026, 12, 6, 11, 15, 0, tzinfo=timezone(timedelta(hours=8)))
    assert archive_name(moment) == "showcase-backup-20261206T031500Z.tar"
    assert archive_name(moment, 2) == "showcase-backup-20261206T031500Z-2.tar"
    assert archive_time("showcase-backup-20261206T031500Z.tar") == datetime(2026, 12, 6, 3, 15, tzinfo=UTC)
    assert archive_time("showcase-backup-20261206T031500Z-2.tar") == datetime(2026, 12, 6, 3, 15, tzinfo=UTC)


def test_other_files_are_not_archives():
    for name in ("notes.txt", "showcase-backup-20261206T031500Z.tar.partial", ".showcase-backup-20261206T031500Z.tar",
                 "showcase-backup-20261340T031500Z.tar", "showcase-backup-20261206.tar"):
        assert archive_time(name) is None


def test_a_year_of_nightly_archives_keeps_seven_days_and_twelve_months():
    today = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    archives = _archives([today - timedelta(days=days) for days in range(400)])
    kept = archives_to_keep(archives, daily=7, monthly=12)
    days = {archive_name(today - timedelta(days=days)) for days in range(7)}
    # The newest of each month: December's is today's, then the last day of each month before.
    months = {archive_name(datetime(2026, 12, 6, 3, 0, tzinfo=UTC))} | {
        archive_name(datetime(year, month + 1, 1, 3, 0, tzinfo=UTC) - timedelta(days=1))
        for year, month in [(2026, m) for m in range(1, 12)]
    }
    assert kept == days | months
    # Today is also December's newest, and 30 November (six days ago) November's.
    assert len(kept) == 7 + 12 - 2


def test_several_archives_a_day_keep_the_newest_of_each_day():
    day = datetime(2026, 12, 6, tzinfo=UTC)
    archives = _archives([day + timedelta(hours=h) for h in (1, 5, 23)] + [day - timedelta(hours=2)])
    assert archives_to_keep(archives, daily=2, monthly=0) == {
        archive_name(day + timedelta(hours=23)), archive_name(day - timedelta(hours=2))}


def test_archives_made_in_the_same_second_keep_the_later_one():
    moment = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    archives = _archives([moment, moment, moment])
    assert archives_to_keep(archives, daily=1, monthly=0) == {archive_name(moment, 3)}


moments = st.lists(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    min_size=1, max_size=60,
)


@settings(max_examples=200)
@given(moments, st.integers(1, 10), st.integers(0, 14))
def test_retention_properties(moment_list, daily, monthly):
    archives = _archives(moment_list)
    kept = archives_to_keep(archives, daily=daily, monthly=monthly)
    # Of archives made in the same second, the longer name has the higher serial.
    order = lambda name: (archives[name], len(name), name)  # noqa: E731
    newest = max(archives, key=order)

    assert newest in kept
    assert kept <= set(archives)
    assert len(kept) <= daily + monthly
    # Pruning again keeps everything that is left.
    assert archives_to_keep({name: archives[name] for name in kept}, daily=daily, monthly=monthly) == kept

    def day(moment):
        return moment.date()

    def month(moment):
        return (moment.year, moment.month)

    # The newest archive of each of the last `daily` days (and `monthly`
    # months) that have archives is kept; nothing else is.
    for period, count in ((day, daily), (month, monthly)):
        periods = sorted({period(moment) for moment in archives.values()}, reverse=True)[:count]
        for chosen in periods:
            same = [name for name in archives if period(archives[name]) == chosen]
            assert max(same, key=order) in kept
    for name in kept:
        recent_days = sorted({day(moment) for moment in archives.values()}, reverse=True)[:daily]
        recent_months = sorted({month(moment) for moment in archives.values()}, reverse=True)[:monthly]
        assert day(archives[name]) in recent_days or month(archives[name]) in recent_months
