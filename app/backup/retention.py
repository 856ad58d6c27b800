"""Which backup archives to keep: N daily and M monthly ones.

Pure: names and instants in, names out. The rule is the one restic and
borg use for ``--keep-daily``/``--keep-monthly``: walking the archives from
the newest, keep the newest archive of each of the last ``daily`` days that
have one, and the newest archive of each of the last ``monthly`` months that
have one; keep the union. Days and months are counted in UTC, as the
archives' names are written. Because the newest archive of a day (or month)
is kept, pruning twice keeps what pruning once kept.
"""
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

ARCHIVE_PREFIX = "showcase-backup-"
ARCHIVE_SUFFIX = ".tar"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(rf"^{ARCHIVE_PREFIX}(\d{{8}}T\d{{6}}Z)(?:-(\d+))?{re.escape(ARCHIVE_SUFFIX)}$")


def archive_name(created_at: datetime, serial: int = 1) -> str:
    """``showcase-backup-20261206T031500Z.tar`` for an archive made at that
    instant; ``serial`` 2, 3, … tells apart archives made in the same second."""
    stamp = created_at.astimezone(timezone.utc).strftime(_STAMP)
    return f"{ARCHIVE_PREFIX}{stamp}{'' if serial == 1 else f'-{serial}'}{ARCHIVE_SUFFIX}"


def archive_time(name: str) -> datetime | None:
    """When the archive called ``name`` was made (UTC), or None when the name
    is not an archive's (such files are never pruned)."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=timezone.utc)
    except ValueError:  # 20261340T…: shaped like a name, but no date
        return None


def _serial(name: str) -> int:
    match = _NAME.fullmatch(name)
    return int(match.group(2) or 1) if match else 1


def _newest_per_period(ordered: list[tuple[datetime, str]], periods: int,
                       period: Callable[[datetime], tuple[int, ...]]) -> set[str]:
    kept: set[str] = set()
    last = None
    for created_at, name in ordered:
        if len(kept) == periods:
            break
        if period(created_at) != last:
            kept.add(name)
            last = period(created_at)
    return kept


def archives_to_keep(archives: Mapping[str, datetime], *, daily: int, monthly: int) -> set[str]:
    """The names among ``archives`` (name → when it was made) to keep; see the
    module for the rule. Of archives made in the same second, the higher serial is the newer."""
    if daily < 0 or monthly < 0:
        raise ValueError("daily and monthly must not be negative")
    ordered = sorted(((created_at.astimezone(timezone.utc), name) for name, created_at in archives.items()),
                     key=lambda item: (item[0], _serial(item[1]), item[1]), reverse=True)
    return (_newest_per_period(ordered, daily, lambda moment: (moment.year, moment.month, moment.day))
            | _newest_per_period(ordered, monthly, lambda moment: (moment.year, moment.month)))
