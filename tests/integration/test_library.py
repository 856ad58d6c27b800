"""The public case library's data: what publishing a snapshot puts in it,
curation, and Chinese/English substring search (on SQLite and PostgreSQL)."""
import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain
from app.errors import DomainError
from app.library import search, services
from app.library.search import Filters
from app.models import AuditEvent, LibraryCase
from app.results.compute import compute_results
from app.results.publishing import publish
from tests.databases import ON_POSTGRES
from tests.factories.library import SUMMARIES, TITLES


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
    alone and mixed with longer ones, against a plain substring check in Python."""
    with app.test_request_context():
        cases = session.exec(select(LibraryCase)).all()
        for query in _short_queries():
            expected = {case.title for case in cases if all(term in case.search_text for term in search.terms(query))}
            assert set(_titles(session, q=query)) == expected, query


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


@pytest.mark.skipif(ON_POSTGRES, reason="the walk through the order index is SQLite's")
def test_walking_the_order_index_gives_the_pages_sorting_gives(app, library, session, monkeypatch):
    """Every page of every size the same whether find sorts the hits or walks the
    order index (title hits first, across the page where they end)."""
    with app.test_request_context():
        second = session.exec(select(LibraryCase).where(LibraryCase.title == TITLES[3])).one()
        services.set_featured(session, case=second, featured=True, actor=library.chair, now=utcnow())
        session.commit()
        for query in ("提升", "智", "能", "医", "0", "智能 提升", "诊断"):
            for per_page in (1, 2, 3, 20):
                pages = {}
                for walk_from in (10**9, 1):
                    monkeypatch.setattr(search, "WALK_FROM", walk_from)
                    found = [search.find(session, Filters(q=query), page=page, per_page=per_page) for page in range(1, 7)]
                    pages[walk_from] = [([case.id for case in page.cases], page.total, page.page) for page in found]
                assert pages[1] == pages[10**9], (query, per_page)
