"""Finding published scenarios: filters, sorting and substring search.

Search is by substring, in Chinese or English, over each case's
``search_text`` (title, shown summary, organisation, tag names; lower-cased
when stored): every whitespace-separated term of the query must occur, so
"智能" finds every scenario with those two characters in a row and
"缺陷检测" only those with the four. Cases whose title holds the first term
come first, then featured ones, then by rank.

- SQLite: the FTS5 table ``library_search`` (trigram tokenizer) holds a copy
  of every text. A term of three characters or more is a phrase query (a
  substring match through the index); a shorter one is ``instr()`` over
  that narrow copy — never ``LIKE`` on the trigram table, which SQLite 3.40
  answers wrongly for two-character Chinese terms.
- PostgreSQL: ``LIKE`` on ``search_text`` (stored lower-case), served by a
  pg_trgm GIN index for terms of three characters or more.

Only visible cases (not hidden) are ever returned.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, func, select

from app.enums import Domain, Technology
from app.i18n import lazy_gettext as _l
from app.input_rules import page_within
from app.models import Call, LibraryCase, ResultRun
from app.reference import CITIES

SORTS = ("rank", "newest", "title")
#: Newest call first, then by rank (unranked last).
RANK_ORDER = (LibraryCase.year.desc(), sa.case((LibraryCase.rank.is_(None), 1), else_=0), LibraryCase.rank,
              LibraryCase.id)
MAX_QUERY = 100
MAX_TERMS = 5


@dataclass(frozen=True)
class Filters:
    """What a visitor asked for; :meth:`parse` accepts only known values."""

    q: str = ""
    domain: str | None = None
    city: str | None = None
    tag: str | None = None
    year: int | None = None
    sort: str = "rank"

    @classmethod
    def parse(cls, args) -> tuple[Filters, dict[str, str]]:
        """Filters from query arguments, and the problems found (field → reason key).

        A bad value is dropped, not guessed: the caller says so to the visitor
        (HTML) or answers 400 (open data).
        """
        problems: dict[str, str] = {}
        q = " ".join((args.get("q") or "").split())[:MAX_QUERY]
        domain = args.get("domain") or None
        if domain and domain not in {d.value for d in Domain}:
            problems["domain"], domain = "unknown", None
        city = args.get("city") or None
        if city and city not in CITIES:
            problems["city"], city = "unknown", None
        tag = args.get("tag") or None
        if tag and tag not in {t.value for t in Technology}:
            problems["tag"], tag = "unknown", None
        year = None
        if args.get("year"):
            try:
                year = int(args["year"])
            except ValueError:
                problems["year"] = "number"
            else:
                if not 2000 <= year <= 2100:
                    problems["year"], year = "range", None
        sort = args.get("sort") or "rank"
        if sort not in SORTS:
            problems["sort"], sort = "unknown", "rank"
        return cls(q=q, domain=domain, city=city, tag=tag, year=year, sort=sort), problems

    def args(self) -> dict[str, str]:
        """The non-default filters as query arguments (for links and pagination)."""
        pairs = {"q": self.q, "domain": self.domain, "city": self.city, "tag": self.tag,
                 "year": str(self.year) if self.year else None, "sort": self.sort if self.sort != "rank" else None}
        return {key: value for key, value in pairs.items() if value}


PROBLEMS = {
    "domain": _l("That domain is not one of the library's, so every domain is shown."),
    "city": _l("That city is not one of Guangdong's 21, so every city is shown."),
    "tag": _l("That technology is not one we know, so every technology is shown."),
    "year": _l("The year must be a number such as 2025, so every year is shown."),
    "sort": _l("That sort order is not one we offer, so the scenarios are sorted by rank."),
    "page": _l("The page must be a whole number from 1."),
    "per_page": _l("per_page must be a whole number from 1 to 100."),
}


def filter_messages(problems: dict[str, str]) -> list[str]:
    """The translated message of each problem :meth:`Filters.parse` found."""
    return [str(PROBLEMS[field]) for field in problems]


def terms(query: str) -> list[str]:
    """The lower-cased terms of a query, at most MAX_TERMS."""
    return [term.lower() for term in query.split()][:MAX_TERMS]


def like_pattern(term: str) -> str:
    """``%term%`` for LIKE with ``escape='\\'``: the term's own % and _ match themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_conditions(session: Session, found: list[str]) -> list:
    """The WHERE clauses that make every term of ``found`` occur."""
    if not found:
        return []
    if session.get_bind().dialect.name != "sqlite":
        # search_text is stored lower-case: LIKE (served by the pg_trgm index from three characters) is enough.
        return [LibraryCase.search_text.like(like_pattern(term), escape="\\") for term in found]
    # One pass over the FTS table: the long terms as one phrase query through
    # the trigram index, the short ones with instr() on its own narrow copy of
    # the text (never LIKE on the trigram table: SQLite 3.40 gets two
    # Chinese characters wrong there).
    where = []
    long_terms = [term for term in found if len(term) >= 3]
    if long_terms:
        query = " ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
        where.append(sa.text("library_search MATCH :phrases").bindparams(sa.bindparam("phrases", query, unique=True)))
    where += [sa.func.instr(sa.column("search_text"), sa.bindparam("term", term, unique=True)) > 0
              for term in found if len(term) < 3]
    return [LibraryCase.id.in_(sa.select(sa.column("rowid")).select_from(sa.table("library_search")).where(*where))]


def visible():
    """Cases the public may see."""
    return LibraryCase.hidden.is_(False)


def uncurated():
    """Cases nobody has curated yet: shown with the submitted summary,
    neither featured nor hidden (the dashboard counts them for publicity staff)."""
    return sa.and_(LibraryCase.public_summary.is_(None), LibraryCase.featured.is_(False), LibraryCase.hidden.is_(False))


def conditions(session: Session, filters: Filters) -> list:
    """The WHERE clauses of ``filters`` (visibility included)."""
    where = [visible()]
    if filters.domain:
        where.append(LibraryCase.domain == Domain(filters.domain))
    if filters.city:
        where.append(LibraryCase.city_code == filters.city)
    if filters.year:
        where.append(LibraryCase.year == filters.year)
    if filters.tag:
        # JSON arrays differ by dialect; the tag codes are plain words, so a
        # quoted match on the stored JSON text is exact on both.
        where.append(sa.cast(LibraryCase.tech_tags, sa.Text).like(f'%"{filters.tag}"%'))
    where.extend(_search_conditions(session, terms(filters.q)))
    return where


def _order(filters: Filters, dialect: str) -> list:
    order = []
    found = terms(filters.q)
    if found:
        # The title sits early in the row (the long texts come later, or out of line).
        position = func.strpos if dialect == "postgresql" else func.instr
        first = position(func.lower(LibraryCase.title), sa.bindparam("first_term", found[0], unique=True))
        order.append(sa.case((first > 0, 0), else_=1))
    if filters.sort == "newest":
        order += [LibraryCase.published_at.desc(), LibraryCase.id.desc()]
    elif filters.sort == "title":
        order += [LibraryCase.title, LibraryCase.id]
    else:
        if found:
            order.append(LibraryCase.featured.desc())
        order += RANK_ORDER
    return order


@dataclass(frozen=True)
class Page:
    cases: list[LibraryCase]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find(session: Session, filters: Filters, *, page: int = 1, per_page: int = 20) -> Page:
    """One page of the visible cases matching ``filters``, best first.

    One scan finds every matching id in order (the count is their number),
    then only the page's rows are loaded: searching reads the table once.
    A page past the end is the last page.
    """
    ids = list(session.exec(select(LibraryCase.id).where(*conditions(session, filters))
                            .order_by(*_order(filters, session.get_bind().dialect.name))).all())
    page = page_within(page, len(ids), per_page)
    wanted = ids[(page - 1) * per_page:page * per_page]
    rows = {case.id: case for case in session.exec(select(LibraryCase).where(LibraryCase.id.in_(wanted or [0])))}
    return Page(cases=[rows[case_id] for case_id in wanted], total=len(ids), page=page, per_page=per_page)


def counts_by(session: Session, column) -> dict[str, int]:
    """Visible cases per value of ``column`` (domain or city code)."""
    rows = session.exec(select(column, func.count()).where(visible()).group_by(column)).all()
    return {str(getattr(value, "value", value)): count for value, count in rows}


def visible_case(session: Session, *, year: int, entry_id: int) -> LibraryCase | None:
    """The case at ``/library/<year>/<entry_id>``, or None (unknown, another year, or hidden)."""
    return session.exec(
        select(LibraryCase).where(LibraryCase.entry_id == entry_id, LibraryCase.year == year, visible())
    ).first()


def visible_photo(session: Session, *, entry_id: int, photo_id: int) -> dict | None:
    """The published photo ``photo_id`` of a visible case (its renditions' keys), or None."""
    shown = session.exec(select(LibraryCase).where(LibraryCase.entry_id == entry_id, visible())).first()
    return next((photo for photo in (shown.photos if shown else []) if photo.get("id") == photo_id), None)


def featured_cases(session: Session, *, limit: int) -> list[LibraryCase]:
    """The featured visible cases, newest call first, then by rank; else the best ranked ones."""
    featured = session.exec(
        select(LibraryCase).where(visible(), LibraryCase.featured.is_(True))
        .order_by(LibraryCase.year.desc(), LibraryCase.rank, LibraryCase.id).limit(limit)
    ).all()
    return list(featured) or find(session, Filters(), per_page=limit).cases


def latest_call(session: Session) -> tuple[Call, int] | None:
    """The newest call with visible cases in the library, and their number."""
    return session.exec(
        select(Call, func.count(LibraryCase.id)).join(LibraryCase, LibraryCase.call_id == Call.id)
        .where(visible()).group_by(Call.id).order_by(Call.year.desc(), Call.id.desc()).limit(1)
    ).first()


def published_snapshots(session: Session) -> list[tuple[ResultRun, Call]]:
    """Every published results snapshot with public documents, newest first,
    with its call: the library links each one's public document and hash."""
    return list(session.exec(
        select(ResultRun, Call).join(Call, Call.id == ResultRun.call_id)
        .where(ResultRun.published_at.is_not(None), ResultRun.public_hash.is_not(None))
        .order_by(ResultRun.published_at.desc(), ResultRun.id.desc())
    ).all())


def snapshot_of(session: Session, case: LibraryCase) -> ResultRun | None:
    """The published snapshot that put ``case`` in the library."""
    return session.get(ResultRun, case.run_id)


def years(session: Session, *, hidden: bool = False) -> list[int]:
    """The years of the library's cases, newest first (of visible cases only, unless ``hidden``)."""
    query = select(LibraryCase.year).distinct().order_by(LibraryCase.year.desc())
    return list(session.exec(query if hidden else query.where(visible())).all())


def curation_page(session: Session, *, q: str = "", year: int | None = None, state: str | None = None, page: int = 1,
                  per_page: int = 50) -> Page:
    """One page of every case, hidden ones included, newest year first, then by rank.

    Every term of ``q`` must occur in the case's ``search_text`` (lower-cased
    title, shown summary, organisation, tags): a plain substring scan, enough
    for a staff list of a few thousand rows. ``state`` keeps only the
    featured, the hidden or the uncurated cases.
    """
    where = []
    if year:
        where.append(LibraryCase.year == year)
    if state == "featured":
        where.append(LibraryCase.featured.is_(True))
    elif state == "hidden":
        where.append(LibraryCase.hidden.is_(True))
    elif state == "uncurated":
        where.append(uncurated())
    where.extend(LibraryCase.search_text.like(like_pattern(term), escape="\\") for term in terms(q))
    total = session.exec(select(func.count()).select_from(LibraryCase).where(*where)).one()
    page = page_within(page, total, per_page)
    cases = session.exec(
        select(LibraryCase).where(*where)
        .order_by(*RANK_ORDER)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(cases=list(cases), total=total, page=page, per_page=per_page)
