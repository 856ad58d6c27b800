"""The public case library's data: what publishing a snapshot puts in it,
curation, and Chinese/English substring search (on SQLite and PostgreSQL)."""
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from app.accounts.credit_code import make_credit_code
from app.db import create_engine, utcnow
from app.db_cli import alembic_config
from app.enums import Domain, EntryStatus
from app.errors import DomainError
from app.library import matching, search, services
from app.library.search import Filters
from app.models import AuditEvent, Call, Entry, LibraryCase, Organisation, ResultRun
from app.results.compute import compute_results
from app.results.publishing import publish
from tests.databases import ON_POSTGRES, fresh_database
from tests.factories.library import SUMMARIES, TITLES
from tests.queries import count_queries


def _titles(session, **filters):
    return [case.title for case in search.find(session, Filters(**filters)).cases]


def test_publishing_puts_the_selected_entries_in_the_library_and_nothing_private(app, library, session):
    cases = session.exec(select(LibraryCase).order_by(LibraryCase.rank)).all()

    assert [case.title for case in cases] == TITLES[:5]  # the 5 selected, by rank; not the 2 others
    top = cases[0]
    assert (top.rank, top.year, top.city_code, top.domain) == (1, library.call.year, "440300", Domain.MANUFACTURING)
    assert top.score is not None and top.outcomes == [{"metric": "检出率", "before": 92.0, "after": 99.5, "unit": "%"}]
    columns = {column.name for column in LibraryCase.__table__.columns}
    assert not columns & {"contact_name", "contact_email", "contact_phone", "partners", "investment"}
    assert all("secret" not in str(getattr(case, column)) for case in cases for column in columns)
    assert "智能质检缺陷检测平台" in top.search_text and "computer vision" in top.search_text
    # A line each, the summary last (PostgreSQL's strpos finds a term in the short lines first).
    lines = top.search_text.split("\n")
    assert lines[:2] == [top.title.lower(), top.organisation_name.lower()]
    assert "\n".join(lines[-top.summary.count("\n") - 1:]) == top.summary.lower()


def test_republishing_drops_deselected_cases_and_keeps_curation(app, library, session):
    with app.test_request_context():
        second = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[1])).one()
        services.set_featured(session, case=second, featured=True, actor=library.chair, now=utcnow())
        session.commit()
        library.call.target_count = 2
        session.add(library.call)
        session.commit()
        run = compute_results(session, call=library.call, actor=library.chair, now=utcnow())
        publish(session, run=run, actor=library.chair, now=utcnow(), public_scores=False, early=True)
        session.commit()

    cases = session.exec(select(LibraryCase).order_by(LibraryCase.id)).all()
    assert sorted(case.title for case in cases) == sorted(TITLES[:2])
    assert all(case.rank is None and case.score is None for case in cases)  # this snapshot keeps scores private
    assert session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[1])).one().featured


@pytest.mark.parametrize(("query", "expected"), [
    ("智", {TITLES[0], TITLES[2], TITLES[3]}),  # one character: LIKE on the table
    ("智能", {TITLES[0], TITLES[2]}),  # two characters: "智X能" must not match
    ("缺陷检测", {TITLES[0]}),  # four: the trigram index / pg_trgm
    ("效率提升", {TITLES[1], TITLES[2]}),  # in summaries
    ("影像 三倍", {TITLES[1]}),  # every term must occur
    ("COMPUTER vision", {TITLES[0]}),  # English tag names, any case
    ("计算机视觉", {TITLES[0]}),  # the tag's Chinese name
    ("99.5%", {TITLES[0]}),  # LIKE wildcards are literal
    ('"', set()),
    ("无此内容", set()),
])
def test_search_finds_substrings_of_any_length(app, library, session, query, expected):
    with app.test_request_context():
        assert set(_titles(session, q=query)) == expected


def test_title_hits_come_first_and_filters_combine(app, library, session):
    with app.test_request_context():
        # "智能" is in both titles; "提升" in TITLES[0..2] summaries only: rank order among non-title hits.
        assert _titles(session, q="提升")[:3] == [TITLES[0], TITLES[1], TITLES[2]]
        assert _titles(session, q="诊断")[0] == TITLES[1]
        assert set(_titles(session, city="440300")) == {TITLES[0], TITLES[2]}
        assert _titles(session, city="440300", domain="manufacturing", q="港口") == [TITLES[2]]
        assert set(_titles(session, tag="computer_vision")) == {TITLES[0]}
        assert _titles(session, year=library.call.year + 1) == []
        assert _titles(session, sort="title") == sorted(TITLES[:5])



def test_a_title_holding_the_term_in_capitals_comes_first(app, library, session):
    with app.test_request_context():
        # The 5th by rank gets "Vision" in its title; the 1st holds "vision" only in its tags.
        case = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[4])).one()
        case.title = "Vision" + case.title
        case.search_text = services.search_text(case)
        session.add(case)
        session.commit()

        assert _titles(session, q="vision") == [case.title, TITLES[0]]
        assert _titles(session, q="VISION") == [case.title, TITLES[0]]


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plan cache")
def test_a_search_is_planned_for_its_terms_on_postgresql(app, library, session):
    with app.test_request_context(), count_queries(session.get_bind()) as queries:
        # A page past the end runs the search twice (the count, then the last page): set once.
        found = search.find(session, Filters(q="智能"), page=99)
        assert found.page == found.pages and found.cases
        # Not the generic plan of a prepared statement (made without the terms): a quarter slower.
        assert session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
    assert sum("plan_cache_mode = force_custom_plan" in statement for statement in queries.statements) == 1, queries


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's statistics")
def test_a_process_reads_the_gram_statistics_once_in_a_while(app, library, session, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(matching.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(matching, "_gram_shares_read", {})

    def reads() -> int:
        with count_queries(session.get_bind()) as queries:
            found = _titles(session, q="智能")
        assert set(found) == {TITLES[0], TITLES[2]}
        return sum("pg_stats" in statement for statement in queries.statements)

    with app.test_request_context():
        assert reads() == 1
        clock[0] += 60
        assert reads() == 0  # the same answer, from this process's memory
        clock[0] += matching.GRAM_SHARES_SECONDS
        assert reads() == 1

def test_bad_filters_are_reported_not_guessed():
    filters, problems = Filters.parse({"domain": "nope", "city": "999999", "year": "x", "sort": "drop", "q": "  a   b "})
    assert problems == {"domain": "unknown", "city": "unknown", "year": "number", "sort": "unknown"}
    assert (filters.domain, filters.city, filters.year, filters.sort, filters.q) == (None, None, None, "rank", "a b")


def test_hidden_cases_leave_search_counts_and_their_page(app, library, session):
    with app.test_request_context():
        case = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[0])).one()
        with pytest.raises(DomainError):
            services.hide(session, case=case, reason="  ", actor=library.chair, now=utcnow())
        services.hide(session, case=case, reason="企业要求暂不公开", actor=library.chair, now=utcnow())
        session.commit()

        assert TITLES[0] not in _titles(session, q="智能")
        assert search.counts_by(session, LibraryCase.city_code)["440300"] == 1
        assert search.visible_case(session, year=case.year, entry_id=case.entry_id) is None
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "library.hidden")).all()
        assert [event.reason for event in events] == ["企业要求暂不公开"]

        services.unhide(session, case=case, actor=library.chair, now=utcnow())
        session.commit()
        assert search.visible_case(session, year=case.year, entry_id=case.entry_id) == case


def test_a_public_summary_replaces_the_submitted_one_which_is_kept(app, library, session):
    with app.test_request_context():
        case = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[4])).one()
        services.set_public_summary(session, case=case, text="高炉配料由模型给出，焦比下降", actor=library.chair,
                                    now=utcnow())
        session.commit()
        assert case.shown_summary == "高炉配料由模型给出，焦比下降" and case.summary == "配料成本下降"
        assert _titles(session, q="焦比") == [TITLES[4]]

        services.set_public_summary(session, case=case, text="", actor=library.chair, now=utcnow())
        session.commit()
        assert case.public_summary is None and _titles(session, q="焦比") == []
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "library_cases")).all()
        assert actions.count("library.summary_edited") == 2


def test_every_change_bumps_the_version_the_public_pages_are_cached_by(app, library, session):
    with app.test_request_context():
        first = session.get(services.LibrarySetting, services.VERSION_KEY).value
        services.set_headline(session, text="二百个人工智能示范场景", actor=library.chair, now=utcnow())
        session.commit()
        assert services.headline(session) == "二百个人工智能示范场景"
        assert session.get(services.LibrarySetting, services.VERSION_KEY).value != first
        with pytest.raises(DomainError):
            services.set_headline(session, text="长" * 301, actor=library.chair, now=utcnow())


def _short_queries() -> list[str]:
    """Every character and two-character run of the published titles and summaries, Latin
    letters and punctuation among them, and multi-term queries that mix the three paths."""
    texts = [text.lower() for text in TITLES[:5] + SUMMARIES[:5]]
    runs = {text[i:i + n] for text in texts for n in (1, 2) for i in range(len(text) - n + 1)}
    return sorted(runs - {" "}) + ["v", "vi", "cv", "9.", "%", "智能 检", "vision 检测", "质 c", "99.5% 缺陷", "x能"]


def test_every_short_term_finds_exactly_the_cases_whose_text_holds_it(app, library, session):
    """One- and two-character terms (the grams index, or instr() for other characters),
    alone and mixed with longer ones, against a plain substring check in Python; a
    hidden case is neither found nor counted."""
    with app.test_request_context():
        hidden = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[1])).one()
        services.hide(session, case=hidden, reason="暂不公开", actor=library.chair, now=utcnow())
        session.commit()
        cases = session.exec(select(LibraryCase).where(LibraryCase.hidden.is_(False))).all()
        for query in _short_queries():
            expected = {case.title for case in cases if all(term in case.search_text for term in search.terms(query))}
            found = search.find(session, Filters(q=query))
            assert ({case.title for case in found.cases}, found.total) == (expected, len(expected)), query


def test_the_short_term_index_follows_inserts_updates_and_deletes(app, library, session):
    with app.test_request_context():
        case = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[3])).one()
        assert _titles(session, q="随访") == [TITLES[3]]
        services.set_public_summary(session, case=case, text="焦比下降", actor=library.chair, now=utcnow())
        session.commit()
        assert (_titles(session, q="焦"), _titles(session, q="随访"), _titles(session, q="访提")) == ([TITLES[3]], [TITLES[3]], [])

        library.call.target_count = 2  # republished: TITLES[2:] leave the library
        session.add(library.call)
        session.commit()
        run = compute_results(session, call=library.call, actor=library.chair, now=utcnow())
        publish(session, run=run, actor=library.chair, now=utcnow(), public_scores=True, early=True)
        session.commit()
        assert _titles(session, q="焦") == [] and _titles(session, q="随访") == []
        assert set(_titles(session, q="智")) == {TITLES[0]}


#: Sorting every hit, then walking the order index as far as it serves (SQLite:
#: from one hit; PostgreSQL: for any terms, through as many cases as likely
#: hold the page, through one only, or never, each part then sorted).
SORTED = {"WALK_FROM": 10**9, "WALK_SHARE": 2.0}
WALKED = [{"WALK_FROM": 1}] if not ON_POSTGRES else [
    {"WALK_SHARE": 0.0}, {"WALK_SHARE": 0.0, "WALK_MARGIN": 0.01}, {"WALK_SHARE": 0.0, "WALK_ROWS": 0}]


def test_walking_the_order_index_gives_the_pages_sorting_gives(app, library, session, monkeypatch):
    """Every page of every size the same whether find sorts the hits or walks the
    order index (title hits first, across the page where they end), with a
    featured, a hidden, an unranked and an older case among the hits."""
    with app.test_request_context():
        cases = {case.title: case for case in session.exec(select(LibraryCase)).all()}
        services.set_featured(session, case=cases[TITLES[3]], featured=True, actor=library.chair, now=utcnow())
        services.hide(session, case=cases[TITLES[2]], reason="暂不公开", actor=library.chair, now=utcnow())
        cases[TITLES[3]].title = "VISION" + TITLES[3]  # a title holding an English term in capitals
        cases[TITLES[3]].search_text = services.search_text(cases[TITLES[3]])
        cases[TITLES[1]].rank = None
        cases[TITLES[0]].year -= 1
        session.add_all(cases.values())
        session.commit()
        for query in ("提升", "智", "能", "医", "0", "智能 提升", "诊断", "vision", "vision 智", "集卡"):
            for per_page in (1, 2, 3, 20):
                pages = []
                for settings in (SORTED, *WALKED):
                    with monkeypatch.context() as patched:
                        for name, value in settings.items():
                            patched.setattr(search, name, value)
                        found = [search.find(session, Filters(q=query), page=page, per_page=per_page)
                                 for page in range(1, 7)]
                    pages.append([([case.id for case in page.cases], page.total, page.page) for page in found])
                assert all(walked == pages[0] for walked in pages[1:]), (query, per_page)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's walk")
def test_a_common_term_s_page_is_walked_and_its_hits_counted(app, library, session, monkeypatch):
    """With the statistics saying a term is common, a first page of title hits comes
    from walking the order index, then a count of the hits; a page the title hits do
    not fill, from a count of the hits that brings the title hits, then a walk for
    the others. Never a sort of every hit."""
    monkeypatch.setattr(search, "gram_shares", lambda session: matching.GramShares(shares={"智": 0.6}, cases=5))

    def searches(**arguments) -> tuple[list[str], list[str]]:
        with count_queries(session.get_bind()) as queries:
            found = search.find(session, Filters(q="智"), **arguments)
        statements = [statement for statement in queries.statements if "FROM library_cases" in statement]
        assert found.total == 3 and "OVER" not in " ".join(statements), statements
        return [case.title for case in found.cases], statements

    with app.test_request_context():
        titles, statements = searches(per_page=1)
        assert titles == [TITLES[0]] and len(statements) == 3, statements  # the walk, the count, the rows
        assert "first" in statements[0] and "count(*)" in statements[1] and "FILTER" not in statements[1]
        titles, statements = searches(per_page=3)  # two title hits, then TITLES[3] (智 in its summary)
        assert titles == [TITLES[0], TITLES[2], TITLES[3]] and len(statements) == 4, statements
        assert "array_agg" in statements[1] and "first" in statements[2]
        # A page past the end is the last.
        assert searches(page=9, per_page=2)[0] == [TITLES[3]]
        # A rare term (not in the statistics) is sorted, with its count, in one query.
        with count_queries(session.get_bind()) as queries:
            assert _titles(session, q="医") == [TITLES[1]]
        assert sum("count(*) OVER" in statement for statement in queries.statements) == 1, queries


BEFORE_SEARCH_INDEX = "73fc9fd352d9"  # the revision before the grams index and the order index


def _search_objects(engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'library_search_grams%' "
                "OR name LIKE 'library_cases_search_grams%' OR name = 'ix_library_cases_search_order'").scalars())
        # The search text's storage too: kept in the row ("m") since the order index came.
        return set(connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE indexname IN ('ix_library_cases_search_grams', "
            "'ix_library_cases_search_order') AND schemaname = current_schema() "
            "UNION SELECT proname FROM pg_proc WHERE proname = 'library_search_grams' "
            "AND pronamespace = current_schema()::regnamespace "
            "UNION SELECT 'search_text storage ' || attstorage::text FROM pg_attribute "
            "WHERE attrelid = 'library_cases'::regclass AND attname = 'search_text'").scalars())


def _one_case(engine) -> None:
    """A call, its published run, an organisation, an entry and its library case, by Core inserts."""
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(sa.insert(Call.__table__), [{"id": 1, "name": "征集", "year": 2026, "target_count": 1,
                                                        "created_at": now}])
        connection.execute(sa.insert(ResultRun.__table__), [{
            "id": 1, "call_id": 1, "computed_at": now, "method": "trimmed_mean", "parameters": {}, "summary": {},
            "inputs_hash": "0" * 64, "published_at": now, "content_hash": "1" * 64, "public_scores": True}])
        connection.execute(sa.insert(Organisation.__table__), [{
            "id": 1, "name": "港务集团", "credit_code": make_credit_code("91440300000000001"), "city_code": "440300",
            "created_at": now}])
        connection.execute(sa.insert(Entry.__table__), [{
            "id": 1, "call_id": 1, "organisation_id": 1, "status": EntryStatus.SELECTED, "version": 1, "title": "港口调度",
            "domain": Domain.MANUFACTURING, "city_code": "440300", "partners": [], "summary": "集卡调度",
            "tech_tags": [], "created_at": now, "updated_at": now, "submitted_at": now}])
        connection.execute(sa.insert(LibraryCase.__table__), [{
            "id": 1, "entry_id": 1, "call_id": 1, "run_id": 1, "year": 2026, "title": "港口调度",
            "organisation_name": "港务集团", "domain": Domain.MANUFACTURING, "city_code": "440300", "tech_tags": [],
            "summary": "集卡调度", "search_text": "港口调度\n集卡 ai 调度", "published_at": now, "updated_at": now}])


def test_the_search_index_migration_indexes_existing_cases_and_goes_back(app, tmp_path):
    """Upgrading a library with cases indexes them (on SQLite the grams table is
    filled from the rows); downgrading removes the table, triggers, indexes and function."""
    with fresh_database(tmp_path) as url:
        engine = create_engine(url)
        _one_case(engine)
        command.downgrade(alembic_config(url), BEFORE_SEARCH_INDEX)
        assert _search_objects(engine) == (set() if engine.dialect.name == "sqlite" else {"search_text storage x"})
        command.upgrade(alembic_config(url), "head")
        expected = {"library_search_grams", "library_cases_search_grams_insert", "library_cases_search_grams_delete",
                    "library_cases_search_grams_update", "ix_library_cases_search_order"} \
            if engine.dialect.name == "sqlite" else {"ix_library_cases_search_grams", "library_search_grams",
                                                     "ix_library_cases_search_order", "search_text storage m"}
        assert expected <= _search_objects(engine)
        with Session(engine) as session, app.test_request_context():
            assert [search.find(session, Filters(q=q)).total for q in ("调", "集卡", "ai", "调度 a", "集装", "港口调")] \
                == [1, 1, 1, 1, 0, 1]
        engine.dispose()



BEFORE_SUMMARY_LAST = "4e7a9c2d1b80"  # the revision before the search text's summary moved last


def test_the_summary_last_migration_reorders_existing_texts_and_goes_back(app, tmp_path):
    old_shape = "港口调度\n集卡调度\n港务集团\ncomputer vision"
    with fresh_database(tmp_path) as url:
        engine = create_engine(url)
        _one_case(engine)
        with engine.begin() as connection:
            connection.execute(sa.update(LibraryCase.__table__).values(search_text=old_shape))
        command.downgrade(alembic_config(url), BEFORE_SUMMARY_LAST)
        command.upgrade(alembic_config(url), "head")
        with engine.connect() as connection:
            assert connection.execute(sa.select(LibraryCase.search_text)).scalar_one() \
                == "港口调度\n港务集团\ncomputer vision\n集卡调度"
        with Session(engine) as session, app.test_request_context():
            # Found as before, through the rewritten text's index entries on SQLite too.
            assert [search.find(session, Filters(q=q)).total for q in ("集卡调度", "vision", "港务", "度集")] \
                == [1, 1, 1, 0]
        command.downgrade(alembic_config(url), BEFORE_SUMMARY_LAST)
        with engine.connect() as connection:
            assert connection.execute(sa.select(LibraryCase.search_text)).scalar_one() == old_shape
        engine.dispose()

def test_a_page_past_the_end_is_the_last_page(app, library, session):
    with app.test_request_context():
        for filters in (Filters(q="提升"), Filters(q="智", sort="title"), Filters(city="440300"), Filters(q="无此内容")):
            everything = search.find(session, filters, per_page=100)
            last = search.find(session, filters, page=99, per_page=2)
            assert (last.total, last.page) == (everything.total, max(1, -(-everything.total // 2)))
            assert [case.id for case in last.cases] == [case.id for case in everything.cases][(last.page - 1) * 2:]
