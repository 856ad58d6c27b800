"""Finding published scenarios: filters, sorting and substring search.

Search is by substring, in Chinese or English, over each case's
``search_text`` (title, organisation, tag names, shown summary; lower-cased
when stored): every whitespace-separated term of the query must occur, so
"智能" finds every scenario with those two characters in a row and
"缺陷检测" only those with the four. Cases whose title holds the first term
come first, then featured ones, then by rank.

Each term is matched as :mod:`app.library.matching` says for the database.

- SQLite counts a search's hits in its full-text tables and, with many hits,
  reads a page from the order index instead of sorting them all (:func:`_walk`).
- PostgreSQL counts the hits in the pass that sorts them for the page; for a
  first page of a search its statistics say is common, the page is walked
  from the order index and the hits counted apart (:func:`_walk_postgres`).

Only visible cases (not hidden) are ever returned.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.sql import operators
from sqlmodel import Session, func, select

from app.enums import Domain, Technology
from app.i18n import lazy_gettext as _l
from app.input_rules import page_within
from app.library.matching import gram_shares, postgres_conditions, sqlite_count, sqlite_sources
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


def _search_conditions(session: Session, found: list[str], *, walk: bool = False) -> list:
    """The WHERE clauses that make every term of ``found`` occur.

    SQLite: with ``walk`` the hits are a set each row is checked against
    (``id + 0 IN``) while the query reads a narrow index in order, rather than
    a list of ids to look up in the wide table one by one.
    """
    if not found:
        return []
    if session.get_bind().dialect.name != "sqlite":
        return postgres_conditions(session, found)
    case_id = LibraryCase.id + 0 if walk else LibraryCase.id
    return [case_id.in_(source) for source in sqlite_sources(found)]


def visible():
    """Cases the public may see."""
    return LibraryCase.hidden.is_(False)


def uncurated():
    """Cases nobody has curated yet: shown with the submitted summary,
    neither featured nor hidden (the dashboard counts them for publicity staff)."""
    return sa.and_(LibraryCase.public_summary.is_(None), LibraryCase.featured.is_(False), LibraryCase.hidden.is_(False))


def conditions(session: Session, filters: Filters, *, walk: bool = False) -> list:
    """The WHERE clauses of ``filters`` (visibility included); ``walk``: see :func:`_search_conditions`."""
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
    where.extend(_search_conditions(session, terms(filters.q), walk=walk))
    return where


def _title_holds(title, term: str):
    """PostgreSQL: whether the lower-cased ``title`` holds ``term`` (the first of a search).

    lower() in the "C" collation folds A–Z only, as SQLite's does: four times
    faster than the database's own (a third of a search for a common term,
    which computes this for every hit).
    """
    return func.strpos(func.lower(sa.collate(title, "C")), sa.bindparam("first_term", term, unique=True)) > 0


def _order(filters: Filters, dialect: str) -> list:
    order = []
    found = terms(filters.q)
    if found:
        # The title sits early in the row (the long texts come later, or out of line).
        if dialect == "postgresql":
            title_holds = _title_holds(LibraryCase.title, found[0])
        else:
            title_holds = func.instr(func.lower(LibraryCase.title),
                                     sa.bindparam("first_term", found[0], unique=True)) > 0
        order.append(sa.case((title_holds, 0), else_=1))
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
    """One page of the visible cases matching ``filters``, best first, and their number.

    Only the page's ids are fetched, then their rows. PostgreSQL counts the
    hits in the same pass that picks the page (``count(*) OVER ()``), or,
    for a first page of a common search, walks the result order and counts
    them apart (:func:`_walk_postgres`). SQLite
    counts a search's hits in its full-text tables (:func:`sqlite_count`)
    and, with many hits in the default order, walks that order
    (:func:`_walk`) instead of sorting every hit. A page past the end is the
    last page.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and terms(filters.q):
        _plan_for_terms(session)
    walked = _walk_postgres(session, filters, page=page, per_page=per_page) \
        if dialect == "postgresql" and _walkable(filters, per_page) else None
    if walked is not None:
        wanted, total, page = walked
    elif dialect == "sqlite" and _walkable(filters, per_page):
        total = sqlite_count(session, terms(filters.q))
        page = page_within(page, total, per_page)
        if not total:
            wanted = []
        elif total >= WALK_FROM:
            wanted = _walk(session, filters, offset=(page - 1) * per_page, limit=per_page)
        else:  # a few hits: looked up by id and sorted (the unary + keeps SQLite off the order index)
            few = [sa.literal_column("+library_cases.hidden").is_(False),
                   *_search_conditions(session, terms(filters.q))]
            wanted = list(session.exec(select(LibraryCase.id).where(*few)
                                       .order_by(*_order(filters, dialect)).offset((page - 1) * per_page)
                                       .limit(per_page)).all())
    else:
        wanted, total = _sorted_page(session, filters, offset=(page - 1) * per_page, limit=per_page)
        if not wanted and page > 1:  # past the end: the last page (the count came with no row)
            total = _count(session, filters)
            page = page_within(page, total, per_page)
            wanted, _ = _sorted_page(session, filters, offset=(page - 1) * per_page, limit=per_page)
    rows = {case.id: case for case in session.exec(select(LibraryCase).where(LibraryCase.id.in_(wanted)))} \
        if wanted else {}
    return Page(cases=[rows[case_id] for case_id in wanted], total=total, page=page, per_page=per_page)


def _count(session: Session, filters: Filters) -> int:
    """How many visible cases match ``filters``."""
    return session.exec(select(func.count()).select_from(LibraryCase).where(*conditions(session, filters))).one()


def _plan_for_terms(session: Session) -> None:
    """PostgreSQL: plan this transaction's statements for their values.
    psycopg prepares a statement run five times, and PostgreSQL's generic plan
    for it, made without the terms, is a quarter slower for a common term
    (50–56 ms against 38–40 for ``vision`` at 50,000 cases)."""
    session.connection().exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


#: From this many hits a SQLite search walks the result order (:func:`_walk`);
#: fewer are looked up one by one and sorted.
WALK_FROM = 1000


def page_query(session: Session, filters: Filters):
    """The ids of the hits in :func:`_order`, each with the number of hits (add offset and limit).

    PostgreSQL: the count is over the hits as found, the order outside it: so
    the hits are counted as they come and only the page is sorted out of them
    (top-N), where ``count(*) OVER ()`` next to ``ORDER BY`` sorts every hit first.
    """
    dialect = session.get_bind().dialect.name
    order = _order(filters, dialect)
    if dialect == "sqlite":  # a few hits are looked up by id, many read from the order index (the planner's choice)
        return select(LibraryCase.id, func.count().over()).where(*conditions(session, filters)).order_by(*order)
    keys, descending = [], []
    for position, term in enumerate(order):
        descending.append(getattr(term, "modifier", None) is operators.desc_op)
        keys.append((term.element if descending[-1] else term).label(f"key_{position}"))
    # OFFSET 0 keeps PostgreSQL from merging this subquery into the next: the
    # sort keys are computed as the rows are found, so the count's window
    # keeps narrow rows in memory instead of the titles on disk.
    found = select(LibraryCase.id, *keys).where(*conditions(session, filters)).offset(0).subquery("found")
    hits = select(found, func.count().over().label("total")).subquery("hits")
    return select(hits.c.id, hits.c.total).order_by(
        *(hits.c[key.name].desc() if down else hits.c[key.name] for key, down in zip(keys, descending)))


def _sorted_page(session: Session, filters: Filters, *, offset: int, limit: int) -> tuple[list[int], int]:
    """The ids of one page in :func:`_order`, and the number of hits (0 if the page is empty)."""
    rows = session.exec(page_query(session, filters).offset(offset).limit(limit)).all()
    return [case_id for case_id, _ in rows], rows[0][1] if rows else 0


def _walkable(filters: Filters, per_page: int) -> bool:
    """Whether an order index may serve this search (SQLite's :func:`_walk`, PostgreSQL's
    :func:`_walk_postgres`): terms only, the default order, a page of a screen."""
    return bool(terms(filters.q)) and filters.sort == "rank" and per_page <= 100 \
        and not (filters.domain or filters.city or filters.tag or filters.year)


#: The search order after "the title holds the first term", as
#: ix_library_cases_search_order has it on both databases: the same order as :func:`_order`.
WALK_ORDER = (LibraryCase.featured.desc(), LibraryCase.year.desc(), LibraryCase.rank.is_(None), LibraryCase.rank,
              LibraryCase.id)


def _walk(session: Session, filters: Filters, *, offset: int, limit: int) -> list[int]:
    """SQLite: one page of a search, read from ix_library_cases_search_order
    in its order (which holds the title and the hidden flag) until the page
    is full: first the hits whose title holds the first term, then the others. With thousands of
    hits a page is found after a few dozen index entries, where sorting would
    read every hit's row."""
    visible_, *search = conditions(session, filters, walk=True)
    # LIKE folds ASCII letters as SQLite's lower() does, so this is _order's instr(lower(title), …) — four times faster.
    title_holds = LibraryCase.title.like(like_pattern(terms(filters.q)[0]), escape="\\")

    def ids(title_test, skip: int, take: int) -> list[int]:
        # The title first: rows it rules out never need the hits (which SQLite gathers on their first use).
        return list(session.exec(select(LibraryCase.id).where(visible_, title_test, *search).order_by(*WALK_ORDER)
                                 .offset(skip).limit(take)).all())

    found = ids(title_holds, skip=offset, take=limit)
    if len(found) == limit:
        return found
    # The title hits end on this page, or before it (then count them to know where the others start).
    title_hits = offset + len(found) if found or not offset else session.exec(
        select(func.count()).select_from(LibraryCase).where(visible_, title_holds, *search)).one()
    return found + ids(~title_holds, skip=offset - title_hits + len(found), take=limit - len(found))


#: PostgreSQL walks the order index for a search's page (:func:`_walk_postgres`)
#: when the statistics say its terms are in at least this share of the cases;
#: fewer hits are sorted, and counted in the same pass. (At 50,000 cases a
#: term in half of them: '智' 0.6 of the time of one pass; one in a fifth to
#: a third, 0.9 to 1.14 of it, as its title hits come rarer.) ...
WALK_SHARE = 0.5
#: ... within its first this many hits: a first page (on later ones a walk
#: often fails, and counting, then sorting, costs more than one pass) ...
WALK_HITS = 20
#: ... through at most this many cases (about 20 ms; sorting a common term's
#: hits costs 30 to 50) ...
WALK_ROWS = 4000
#: ... and this many times those a page's hits are likely within.
WALK_MARGIN = 3
#: Before they are counted, title hits are taken to come one in 1/TITLE_DENSITY cases.
TITLE_DENSITY = 0.06


def _walk_postgres(session: Session, filters: Filters, *, page: int,
                   per_page: int) -> tuple[list[int], int, int] | None:
    """PostgreSQL: a common search's page (its ids, the number of hits, and
    the page, the last one if asked past it), from walks of
    ix_library_cases_search_order and a count; None for a search the
    statistics say is not common (:data:`WALK_SHARE`), or a page past
    :data:`WALK_HITS`: one pass sorts and counts its hits.

    A common term's hits are thousands, and sorting them reads every one's
    row; walking the visible cases in the result order finds a page after a
    few hundred. Title hits come first: a walk for a page of them, then a
    count of the hits. When they do not fill it, one pass counts the hits
    and the title hits and brings this page's title hits (they are few),
    and the rest of the page is walked (:func:`_walk_others`).

    Each step is a statement of its own: a publication committed between
    them can make that one page momentarily inconsistent (as SQLite's walk).
    """
    if page * per_page > WALK_HITS:
        return None
    found = terms(filters.q)
    gram_statistics = gram_shares(session)
    if math.prod(gram_statistics.of(term) for term in found) < WALK_SHARE:
        return None
    offset = (page - 1) * per_page
    title_page = _walked(session, found, in_title=True, offset=offset, limit=per_page,
                         within=_walk_within(offset + per_page, TITLE_DENSITY))
    if len(title_page) == per_page:
        return title_page, _count(session, filters), page
    in_title = _title_holds(LibraryCase.title, found[0])
    in_order = aggregate_order_by(LibraryCase.id, *WALK_ORDER)
    title_hits_in_order = func.array_agg(in_order, type_=ARRAY(sa.Integer)).filter(in_title)
    total, title_total, title_ids = session.exec(
        select(func.count(), func.count().filter(in_title), title_hits_in_order[1:WALK_HITS])  # a page within them
        .where(*conditions(session, filters))).one()
    page = page_within(page, total, per_page)
    offset = (page - 1) * per_page
    wanted = (title_ids or [])[offset:offset + per_page]
    others = total - title_total
    if len(wanted) < per_page and others:
        skip = max(0, offset - title_total)
        wanted += _walk_others(session, filters, offset=skip, limit=min(per_page - len(wanted), others - skip),
                               density=others / max(gram_statistics.cases, total))
    return wanted, total, page


def _walk_others(session: Session, filters: Filters, *, offset: int, limit: int, density: float) -> list[int]:
    """PostgreSQL: ``limit`` hits whose title does not hold the first term,
    from ``offset`` in :data:`WALK_ORDER`, where they are one in 1/``density``
    cases: walked (:func:`_walked`) through the cases :func:`_walk_within`
    allows; else, or when they are not all found there, sorted from the grams index."""
    found = terms(filters.q)
    walked = _walked(session, found, in_title=False, offset=offset, limit=limit,
                     within=_walk_within(offset + limit, density))
    if len(walked) == limit:
        return walked
    # OFFSET 0: the hits are found first (the grams index), then sorted; else, for a
    # small page, PostgreSQL may walk the order index computing every case's grams.
    hits = select(*_walk_keys()).where(*conditions(session, filters), ~_title_holds(LibraryCase.title, found[0])) \
        .offset(0).subquery("hits")
    return _in_walk_order(session, hits, offset=offset, limit=limit)


def _walked(session: Session, found: list[str], *, in_title: bool, offset: int, limit: int, within: int) -> list[int]:
    """Up to ``limit`` hits of ``found`` whose title holds the first term or
    not (``in_title``), from ``offset`` among the first ``within`` visible
    cases in :data:`WALK_ORDER`: the order index read in order, each term
    checked with strpos() (computing a row's grams costs more than searching
    its text)."""
    if not within:
        return []
    first = select(*_walk_keys(), LibraryCase.title, LibraryCase.search_text).where(visible()) \
        .order_by(*WALK_ORDER).limit(within).subquery("first")
    title_holds = _title_holds(first.c.title, found[0])
    texts = [func.strpos(first.c.search_text, sa.bindparam("term", term, unique=True)) > 0 for term in found]
    return _in_walk_order(session, first, title_holds if in_title else ~title_holds, *texts,
                          offset=offset, limit=limit)


def _walk_keys() -> tuple:
    """The id and what :data:`WALK_ORDER` sorts by, as columns of a subquery (``unranked``: rank IS NULL)."""
    return (LibraryCase.id, LibraryCase.featured, LibraryCase.year, LibraryCase.rank.is_(None).label("unranked"),
            LibraryCase.rank)


def _in_walk_order(session: Session, cases, *where, offset: int, limit: int) -> list[int]:
    """The ids of a page of the rows of ``cases`` (a subquery of
    :func:`_walk_keys`) in :data:`WALK_ORDER` — by its columns, so that
    PostgreSQL sees a subquery read in that order needs no sort."""
    return list(session.exec(
        select(cases.c.id).where(*where)
        .order_by(cases.c.featured.desc(), cases.c.year.desc(), cases.c.unranked, cases.c.rank, cases.c.id)
        .offset(offset).limit(limit)).all())


def _walk_within(needed: int, density: float) -> int:
    """How many cases a walk reads for ``needed`` hits that come one in
    1/``density`` cases: :data:`WALK_MARGIN` times as many as that makes
    likely; 0 (sort them instead) when that is over :data:`WALK_ROWS`."""
    within = math.ceil(WALK_MARGIN * needed / density)
    return within if within <= WALK_ROWS else 0


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
    title, organisation, tags, shown summary): a plain substring scan, enough
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
