"""Reading a run for the pages: the rankings table (filtered, sorted,
paginated in the database), an entry's row, sheets and radar against its
domain, the score distribution per domain, the selection lists, and all rows
in rank order for the exports."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import get_locale
from sqlmodel import Session, select

from app.enums import Domain
from app.i18n import lazy_gettext as _l
from app.models import (
    Assignment,
    ResultEntry,
    ResultRun,
    RubricVersion,
    ScoreSheet,
    User,
)
from app.results import charts
from app.results.inputs import ACTIVE_ASSIGNMENT
from app.review.sheets.scoring import criteria

PER_PAGE = 50

TIE_RULE = (
    _l("the higher adjusted score"),
    _l("then the higher raw mean of the sheet totals"),
    _l("then the higher mean score on “measured outcomes”"),
    _l("then the earlier submission of the entry"),
    _l("then the lower entry number"),
)

_SORT_COLUMNS = {
    "rank": ResultEntry.rank,
    "score": ResultEntry.score,
    "raw_mean": ResultEntry.raw_mean,
    "raw_sd": ResultEntry.raw_sd,
    "raw_range": ResultEntry.raw_range,
    "sheets": ResultEntry.sheets,
}
# Natural directions: best rank first, highest figures first.
_DESCENDING_BY_DEFAULT = {"score", "raw_mean", "raw_sd", "raw_range", "sheets"}


@dataclass(frozen=True)
class Filters:
    scope: str = "overall"
    domain: str = ""
    city: str = ""
    flag: str = ""
    q: str = ""
    sort: str = "rank"
    direction: str = ""

    @classmethod
    def from_form(cls, form) -> Filters:
        return cls(
            scope=form.scope.data or "overall",
            domain=form.domain.data or "",
            city=form.city.data or "",
            flag=form.flag.data or "",
            q=(form.q.data or "").strip(),
            sort=form.sort.data or "rank",
            direction=form.direction.data or "",
        )


@dataclass(frozen=True)
class RankingPage:
    rows: list[ResultEntry]
    total: int
    page: int
    per_page: int
    filters: Filters

    @property
    def rank_column(self) -> str:
        return {"domain": "domain_rank", "city": "city_rank"}.get(self.filters.scope, "rank")


_FLAG_CONDITIONS = {
    "disputed": sa.cast(ResultEntry.disagreement_flags, sa.Text) != "[]",
    "borderline": ResultEntry.borderline.is_(True),
    "veto": ResultEntry.veto_status != "none",
    "incomplete": ResultEntry.sheets < ResultEntry.assigned,
    "selected": ResultEntry.selected.is_(True),
    "not_selected": ResultEntry.selected.is_(False),
}


def count_flagged(session: Session, *, run: ResultRun, flags: tuple[str, ...]) -> dict[str, int]:
    """How many of the run's rows carry each of ``flags`` (keys of the rankings filter), in one query."""
    columns = [sa.func.count(ResultEntry.id).filter(_FLAG_CONDITIONS[flag]) for flag in flags]
    row = session.exec(select(*columns).where(ResultEntry.run_id == run.id)).one()
    return dict(zip(flags, row if len(flags) > 1 else (row,)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ranking_page(session: Session, *, run: ResultRun, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> RankingPage:
    """One page of the run's ranking: the filters and sort are applied in SQL.

    Scope "domain" (or "city") orders by the rank within the domain (city),
    grouped by domain (city) when none is chosen.
    """
    conditions = [ResultEntry.run_id == run.id]
    if filters.domain:
        conditions.append(ResultEntry.domain == Domain(filters.domain))
    if filters.city:
        conditions.append(ResultEntry.city_code == filters.city)
    if filters.flag in _FLAG_CONDITIONS:
        conditions.append(_FLAG_CONDITIONS[filters.flag])
    if filters.q:
        pattern = f"%{_escape_like(filters.q)}%"
        conditions.append(
            sa.or_(ResultEntry.title.like(pattern, escape="\\"), ResultEntry.organisation_name.like(pattern, escape="\\"))
        )
    sort = filters.sort if filters.sort in _SORT_COLUMNS else "rank"
    descending = (filters.direction == "desc") if filters.direction else sort in _DESCENDING_BY_DEFAULT
    if sort == "rank":
        rank_column = {"domain": ResultEntry.domain_rank, "city": ResultEntry.city_rank}.get(filters.scope, ResultEntry.rank)
        group = {"domain": ResultEntry.domain, "city": ResultEntry.city_code}.get(filters.scope)
        order = ([group] if group is not None else []) + [rank_column.desc() if descending else rank_column]
    else:
        column = _SORT_COLUMNS[sort]
        order = [column.desc().nulls_last() if descending else column.asc().nulls_last()]
    order.append(ResultEntry.rank)
    total = session.exec(select(sa.func.count(ResultEntry.id)).where(*conditions)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.exec(
        select(ResultEntry).where(*conditions).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return RankingPage(rows=list(rows), total=total, page=page, per_page=per_page, filters=filters)


def ranked_rows(session: Session, *, run: ResultRun) -> list[ResultEntry]:
    """Every row of the run, in rank order."""
    return list(session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all())


def entry_row(session: Session, *, run: ResultRun, entry_id: int) -> ResultEntry | None:
    """The run's row of an entry (None: the entry is not ranked in the run)."""
    return session.exec(
        select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry_id)
    ).first()


def rows_by_entry(session: Session, *, run: ResultRun, entry_ids) -> dict[int, ResultEntry]:
    """The run's rows of these entries, by entry id (entries not ranked in the run are left out)."""
    ids = set(entry_ids)
    if not ids:
        return {}
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.entry_id.in_(ids))).all()
    return {row.entry_id: row for row in rows}


def entry_sheets(session: Session, *, entry_id: int) -> list[tuple[ScoreSheet, str]]:
    """The entry's score sheets as they count now (active assignments only),
    each with its expert's name, highest total first."""
    return list(
        session.exec(
            select(ScoreSheet, User.name)
            .join(User, User.id == ScoreSheet.expert_id)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .where(ScoreSheet.entry_id == entry_id, ACTIVE_ASSIGNMENT)
            .order_by(ScoreSheet.total.desc(), ScoreSheet.id)
        ).all()
    )


def distribution(session: Session, *, run: ResultRun) -> list[tuple[str, list[float]]]:
    """Adjusted scores per domain, in the order of the domain list."""
    values: dict[str, list[float]] = {domain.value: [] for domain in Domain}
    for domain, score in session.exec(select(ResultEntry.domain, ResultEntry.score).where(ResultEntry.run_id == run.id)):
        values[str(domain)].append(score)
    return [(domain, scores) for domain, scores in values.items() if scores]


def distribution_chart(session: Session, *, run: ResultRun, title, axis_label):
    """The distribution of adjusted scores per domain, as SVG (web and PDF)."""
    return charts.distribution_svg(
        [(str(Domain(domain).label), scores) for domain, scores in distribution(session, run=run)],
        title=str(title),
        axis_label=str(axis_label),
    )


def _criteria_names(session: Session, row: ResultEntry) -> dict[str, dict]:
    """Criterion key → its name in the frozen rubric the entry was scored with."""
    version_id = session.exec(
        select(ScoreSheet.rubric_version_id).where(ScoreSheet.entry_id == row.entry_id).order_by(ScoreSheet.id)
    ).first()
    version = session.get(RubricVersion, version_id) if version_id else None
    return {c["key"]: c["name"] for c in criteria(version.content)} if version else {}


def radar(session: Session, *, run: ResultRun, row: ResultEntry):
    """The entry's criterion means against its domain's, as SVG; None with fewer than three criteria."""
    domain_means = run.summary.get("criterion_means", {}).get(str(row.domain), {})
    names = _criteria_names(session, row)
    keys = list(names) or sorted(row.criterion_means)
    if len(keys) < 3:
        return None
    language = "zh" if str(get_locale() or "zh").startswith("zh") else "en"
    axes = [
        (names.get(key, {}).get(language, key), row.criterion_means.get(key), domain_means.get(key))
        for key in keys
    ]
    return charts.radar_svg(
        axes,
        title=str(_l("Criterion means of this entry against its domain")),
        series_labels=(str(_l("This entry")), str(_l("Domain mean"))),
    )


def selection_rows(session: Session, *, run: ResultRun, selected: bool, limit: int | None = None) -> list[ResultEntry]:
    """Selected entries (or skipped ones, best first), grouped by domain for the selected."""
    statement = select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.selected.is_(selected))
    statement = statement.order_by(ResultEntry.domain, ResultEntry.domain_rank) if selected else statement.order_by(ResultEntry.rank)
    if limit:
        statement = statement.limit(limit)
    return list(session.exec(statement).all())


def chair_decisions(session: Session, *, run: ResultRun) -> list[ResultEntry]:
    """The entries the chair forced in or out, as this run records them (a
    published snapshot keeps the decisions it was published with)."""
    return list(
        session.exec(
            select(ResultEntry)
            .where(ResultEntry.run_id == run.id, ResultEntry.decision.in_(("included_by_chair", "excluded_by_chair")))
            .order_by(ResultEntry.rank)
        ).all()
    )
