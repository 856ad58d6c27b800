"""The official list (正式名单) of a call, which certificates and the
programme's counts read.

A call's official list is its newest published results snapshot whose
``list_kind`` is "results" (a call without a public notice: publishing
selects at once) or "official" (the list published after a notice). A
"proposed" list put up for notice is not one. Its selected rows are the
entries on the list; a newer official list replaces an older one.
"""
from sqlmodel import Session, select

from app.models import ResultEntry, ResultRun

#: The kinds of published snapshot that are a call's official list.
OFFICIAL_KINDS = ("results", "official")


def is_official(run: ResultRun) -> bool:
    """Whether ``run`` is a published official list."""
    return run.published_at is not None and run.list_kind in OFFICIAL_KINDS


def official_run(session: Session, *, call_id: int) -> ResultRun | None:
    """The call's current official list (its newest published official snapshot), if any."""
    return session.exec(
        select(ResultRun)
        .where(ResultRun.call_id == call_id, ResultRun.published_at.is_not(None),
               ResultRun.list_kind.in_(OFFICIAL_KINDS))
        .order_by(ResultRun.published_at.desc(), ResultRun.id.desc())
    ).first()


def official_runs(session: Session) -> dict[int, ResultRun]:
    """The current official list of every call that has one, by call id."""
    runs = session.exec(
        select(ResultRun)
        .where(ResultRun.published_at.is_not(None), ResultRun.list_kind.in_(OFFICIAL_KINDS))
        .order_by(ResultRun.call_id, ResultRun.published_at.desc(), ResultRun.id.desc())
    ).all()
    newest: dict[int, ResultRun] = {}
    for run in runs:
        newest.setdefault(run.call_id, run)
    return newest


def listed_rows(session: Session, *, run_ids) -> list[ResultEntry]:
    """The selected rows of the runs ``run_ids`` (the entries on those lists), in rank order."""
    run_ids = list(run_ids)
    if not run_ids:
        return []
    return list(session.exec(
        select(ResultEntry)
        .where(ResultEntry.run_id.in_(run_ids), ResultEntry.selected.is_(True))
        .order_by(ResultEntry.run_id, ResultEntry.rank)
    ).all())
