"""The brochure's content and pages: what a published snapshot puts in it,
how texts are cut to their frames, and that each chunk renders to exactly its
planned pages, numbered from its start page, with Chinese text extractable
and applicant text kept as text."""
import io
import re
import subprocess
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from app.brochure import pages
from app.brochure.content import brochure_content, scenario_url
from app.brochure.fitting import ELLIPSIS, em_width, fit, wrap
from app.brochure.options import BuildOptions
from app.enums import Domain, Phase
from app.errors import DomainError
from app.models import EntryOutcome, EntryPhoto, ResultEntry
from app.pdf.text import document_language
from app.reference import technology_label
from app.storage import storage
from tests import factories

# Five entries, ranked 1..5 by these totals; a target of 4 selects the first four.
TOTALS = [[90, 91, 92], [80, 81, 82], [70, 71, 72], [60, 61, 62], [50, 51, 52]]
DOMAINS = [Domain.HEALTHCARE, Domain.MANUFACTURING]  # entry i gets DOMAINS[i % 2]
CITIES = ["440300", "440100"]  # Shenzhen, Guangzhou
TITLES = [
    "基于深度学习的眼底影像智能筛查应用",
    "<b>x</b>注塑机预测性维护平台",
    "面向装备制造的行业大模型与数字孪生融合的全生命周期智能运维与质量追溯一体化平台示范应用（第二期）广东省试点",  # 60
    "综合医院智慧运营管理决策平台",
    "未入选的场景",
]
LONG = "设备振动、温度、电流等数据分散在不同系统，缺少统一采集和分析手段，维修经验集中在少数老师傅手中。"


def _photo(position: int, key: str, caption: str = "") -> EntryPhoto:
    return EntryPhoto(position=position, caption=caption or f"现场照片{position + 1}", master_key=key,
                      display_key=key, thumb_key=key, width=400, height=300)


def _published(app, make, session, *, public_scores: bool, publish: bool = True):
    """A call with five scored entries (four selected), enriched and published."""
    scored = make.scored_call(totals=TOTALS, domains=DOMAINS, cities=CITIES, open_phase=Phase.RESULTS,
                              target_count=4)
    with app.app_context():
        keys = [storage().put(factories.jpeg_bytes(400, 300, color=(40 * i, 120, 200)), suffix=".jpg") for i in range(6)]
    missing_key = "ab/cd/" + "0" * 64 + ".jpg"  # a well-formed key with no stored blob
    for index, entry in enumerate(scored.entries):
        entry.title = TITLES[index]
        entry.summary = f"{TITLES[index]}的场景简介：利用人工智能技术提升效率，检出率显著提升。"
        entry.problem = "人工目检效率低、漏检率高。"
        entry.solution = "在产线部署工业相机与边缘推理设备，实时识别缺陷并自动分拣。"
        entry.tech_tags = ["computer_vision", "边缘计算"]
        entry.deployment_scale = "3个工厂、12条产线"
        entry.outcomes = [
            EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%"),
            EntryOutcome(position=1, metric="质量追溯覆盖率", before=None, after=100, unit="%"),
        ]
    first, second, third = scored.entries[:3]
    first.photos = [_photo(0, keys[0], "产线全景")]
    # The second has no photo and very long texts.
    second.summary = "针对注塑机非计划停机频发、维修依赖经验的难题，" * 12
    second.problem = (LONG * 6 + "\n") * 3
    second.solution = (LONG * 10 + "\n") * 4
    # The third has six photos, one of them lost from storage.
    third.photos = [_photo(position, missing_key if position == 1 else keys[position]) for position in range(6)]
    third.outcomes = [EntryOutcome(position=p, metric=f"指标{p}", before=p, after=p + 1, unit="个") for p in range(6)]
    session.commit()
    run = scored.compute()
    if publish:
        scored.publish(run, public_scores=public_scores)
    return scored, run


def _rows(session, run) -> dict[int, ResultEntry]:
    return {row.entry_id: row for row in session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id)).all()}


def _text(pdf: bytes, page: int | None = None, *, mode: str = "-layout") -> str:
    """pdftotext of the PDF (or of one page, 1-based); "-raw" keeps the content stream's order."""
    pages_args = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages_args, mode, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(autouse=True)
def _brochure_cache(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BROCHURE_CACHE_FOLDER", str(tmp_path / "brochure-cache"))


# --- content ---------------------------------------------------------------------------


def test_content_prints_the_snapshots_selection_by_domain_then_rank(app, make, session):
    scored, run = _published(app, make, session, public_scores=False)
    rows = _rows(session, run)
    with app.app_context():
        content = brochure_content(session, BuildOptions(call_id=scored.call.id))
        with document_language():
            vision = str(technology_label("computer_vision"))
            healthcare = str(Domain.HEALTHCARE.label)
        url = scenario_url(scored.call.year, scored.entries[0].id)

    ids = [entry.id for entry in scored.entries]
    # Domain order of the domain list (manufacturing before healthcare), then rank in the domain.
    assert [chapter.key for chapter in content.chapters] == ["chapter-manufacturing", "chapter-healthcare"]
    assert [[s.entry_id for s in chapter.scenarios] for chapter in content.chapters] == [[ids[1], ids[3]],
                                                                                         [ids[0], ids[2]]]
    assert ids[4] not in [s.entry_id for chapter in content.chapters for s in chapter.scenarios]  # not selected
    assert [rows[s.entry_id].domain_rank for s in content.chapters[1].scenarios] == [1, 2]
    assert [s.number for chapter in content.chapters for s in chapter.scenarios] == ["001", "002", "003", "004"]

    first = content.chapters[1].scenarios[0]
    assert first.key == f"scenario-{ids[0]}"
    assert first.title == TITLES[0] and first.city == "深圳" and first.domain == healthcare
    assert first.url == url == f"http://127.0.0.1:5000/library/{scored.call.year}/{ids[0]}"
    assert [photo.caption for photo in first.photos] == ["产线全景"]
    assert first.tag_lines == (f"{vision} · 边缘计算",)
    # The unit with the metric, the value alone on its line.
    assert [(f.metric, f.value) for f in first.figures] == [("缺陷检出率（%）", "99.5"), ("质量追溯覆盖率（%）", "100")]
    assert [f.change for f in first.figures] == ["92 → 99.5", "新增能力"]
    # Scores not public: no rank, no score; the list is numbered in brochure order.
    assert (first.rank, first.score) == ("", "")
    assert [(row.rank, row.score) for row in content.rankings] == [("1", ""), ("2", ""), ("3", ""), ("4", "")]
    assert [row.key for row in content.rankings] == [s.key for chapter in content.chapters for s in chapter.scenarios]
    assert content.public_scores is False
    # The city index follows the city list: Guangzhou (440100) before Shenzhen (440300).
    assert [group.city for group in content.city_index] == ["广州", "深圳"]
    assert [line.key for line in content.city_index[0].lines] == [f"scenario-{ids[1]}", f"scenario-{ids[3]}"]
    assert content.cover_key == first.photos[0].key  # no cover chosen: the first scenario's first photo


def test_rank_and_score_only_when_the_snapshot_makes_them_public(app, make, session):
    scored, run = _published(app, make, session, public_scores=True)
    rows = _rows(session, run)
    with app.app_context():
        content = brochure_content(session, BuildOptions(call_id=scored.call.id))
    scenario = content.chapters[1].scenarios[0]
    row = rows[scenario.entry_id]
    assert (scenario.rank, scenario.domain_rank, scenario.score) == (str(row.rank), "1", f"{row.score:.2f}")
    ranked = sorted((r for r in rows.values() if r.selected), key=lambda r: r.rank)
    assert [(r.rank, r.score) for r in content.rankings] == [(str(r.rank), f"{r.score:.2f}") for r in ranked]


def test_order_by_city_and_hand_picked_entries(app, make, session):
    scored, _run = _published(app, make, session, public_scores=False)
    ids = [entry.id for entry in scored.entries]
    with app.app_context():
        by_city = brochure_content(session, BuildOptions(call_id=scored.call.id, order="city"))
        picked = brochure_content(session, BuildOptions(call_id=scored.call.id,
                                                        entry_ids=(ids[4], ids[3], ids[0], ids[1])))
    assert [(c.key, c.title) for c in by_city.chapters] == [("chapter-city-440100", "广州"), ("chapter-city-440300", "深圳")]
    assert [[s.entry_id for s in c.scenarios] for c in by_city.chapters] == [[ids[1], ids[3]], [ids[0], ids[2]]]
    # A hand-picked list (here with an entry that was not selected) keeps its order within each chapter.
    assert [[s.entry_id for s in c.scenarios] for c in picked.chapters] == [[ids[3], ids[1]], [ids[4], ids[0]]]


def test_without_a_published_snapshot_there_is_no_brochure(app, make, session):
    scored, draft = _published(app, make, session, public_scores=False, publish=False)
    other, _run = _published(app, make, session, public_scores=False)
    with app.app_context():
        with pytest.raises(DomainError):
            brochure_content(session, BuildOptions(call_id=scored.call.id))
        with pytest.raises(DomainError):  # a draft is not a snapshot
            brochure_content(session, BuildOptions(call_id=scored.call.id, snapshot_id=draft.id))
        with pytest.raises(DomainError):  # nor is another call's snapshot
            brochure_content(session, BuildOptions(call_id=scored.call.id, snapshot_id=_run.id))
        with pytest.raises(DomainError):  # an entry of another call
            brochure_content(session, BuildOptions(call_id=other.call.id, entry_ids=(scored.entries[0].id,)))


def test_texts_are_cut_to_their_frames_with_an_ellipsis(app, make, session):
    scored, _run = _published(app, make, session, public_scores=True)
    with app.app_context():
        content = brochure_content(session, BuildOptions(call_id=scored.call.id, foreword=(LONG * 20 + "\n") * 5))
    scenarios = {s.entry_id: s for chapter in content.chapters for s in chapter.scenarios}
    long_texts = scenarios[scored.entries[1].id]
    assert long_texts.photos == ()  # the summary moves into the panel
    assert long_texts.lead[-1].endswith(ELLIPSIS)
    assert [section.paragraphs[-1].endswith(ELLIPSIS) for section in long_texts.sections] == [True, True]
    assert content.foreword[-1].endswith(ELLIPSIS)
    # Nothing is cut that fits.
    short = scenarios[scored.entries[0].id]
    assert short.lead == (f"{TITLES[0]}的场景简介：利用人工智能技术提升效率，检出率显著提升。",)
    # A long title gets a smaller type class rather than an ellipsis.
    long_title = scenarios[scored.entries[2].id]
    assert (long_title.title, long_title.title_size) == (TITLES[2], "s")
    assert (short.title_size, len(long_title.photos), len(long_title.figures)) == ("l", 3, 4)

    cut = fit("测" * 100, width_mm=30.0, size_pt=10.0, lines=2)
    assert cut.endswith(ELLIPSIS) and cut[:-1] == "测" * (len(cut) - 1)
    assert len(wrap(cut, em_width(30.0, 10.0))) == 2
    assert fit("短标题", width_mm=30.0, size_pt=10.0) == "短标题"


def test_a_long_solution_fills_the_column_down_to_the_footer(app, make, session):
    """A long summary once took half the column and left the solution two
    lines above ~3 cm of blank page: the solution now gets the space that is
    free, and what is printed still ends above the footer, on one page."""
    scored, _run = _published(app, make, session, public_scores=True)
    entry = scored.entries[0]  # one photo: the summary leads the text column
    entry.summary = "针对眼底影像筛查依赖专科医生、基层医院难以开展、患者往返奔波的问题，" * 6
    entry.problem = LONG * 4
    entry.solution = "".join(f"第{step}阶段，在基层医院部署眼底相机与AI阅片系统，筛查结果由上级医院复核并回传。" for step in range(1, 13))
    session.flush()
    with app.app_context():
        content = brochure_content(session, BuildOptions(call_id=scored.call.id))
        chunk = next(chunk for chunk in pages.chunks(content) if chunk.key == "chapter-healthcare")
        pdf = pages.render_chunk(chunk, start_page=1)
    scenario = next(s for chapter in content.chapters for s in chapter.scenarios if s.entry_id == entry.id)
    solution = scenario.sections[-1].paragraphs[-1]
    assert solution.endswith(ELLIPSIS)

    assert len(PdfReader(io.BytesIO(pdf)).pages) == chunk.pages  # the opener, then one page per scenario
    page = 2 + [s.entry_id for s in chunk.payload.chapter.scenarios].index(entry.id)  # after the opener
    printed = _text(pdf, page, mode="-raw")
    lines = printed.split("解决方案\n", 1)[1].split("\n")
    lines = lines[: next(index for index, line in enumerate(lines) if line.endswith(ELLIPSIS)) + 1]
    assert len(lines) >= 4 and _squash("".join(lines)) == _squash(solution)
    # Its last line ends above the footer rule (15 mm page margin + 236 mm), not clipped.
    layout = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", "-", "-"], input=pdf,
                            capture_output=True, check=True).stdout.decode()
    lines_at = re.findall(r'<line xMin="[^"]+" yMin="[^"]+" xMax="[^"]+" yMax="([^"]+)">(.*?)</line>', layout, flags=re.S)
    bottoms = [float(bottom) for bottom, words in lines_at if "".join(re.findall(r">([^<]*)</word>", words)) == lines[-1]]
    assert bottoms and bottoms[0] < (15 + 236) / 25.4 * 72


# --- pages --------------------------------------------------------------------------------


@dataclass
class Built:
    content: object
    plan: list
    positions: dict
    toc: list
    html: dict
    pdfs: dict
    ids: list
    cache: str


@pytest.fixture(scope="module")
def built(app, tmp_path_factory) -> Built:
    """The whole brochure of a small published call, rendered chunk by chunk once for the module."""
    state = app.extensions["db"]
    connection = state.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    folder = app.config["BROCHURE_CACHE_FOLDER"]
    cache = tmp_path_factory.mktemp("brochure-cache")
    app.config["BROCHURE_CACHE_FOLDER"] = str(cache)
    try:
        scored, _run = _published(app, factories.Factories(session, app), session, public_scores=True)
        with app.app_context():
            content = brochure_content(session, BuildOptions(call_id=scored.call.id, foreword="前言。" * 40,
                                                             back_text="主办单位：广东省某某厅"))
            plan = pages.chunks(content)
            positions = pages.start_pages(plan)
            toc = pages.table_of_contents(plan, positions)
            html, pdfs = {}, {}
            for chunk in plan:
                options = {"start_page": positions[chunk.key], "toc": toc if chunk.needs_toc else None}
                html[chunk.key] = pages.chunk_html(chunk, **options)
                pdfs[chunk.key] = pages.render_chunk(chunk, **options)
        return Built(content, plan, positions, toc, html, pdfs, [entry.id for entry in scored.entries],
                     (cache / "images").as_uri())
    finally:
        app.config["BROCHURE_CACHE_FOLDER"] = folder
        session.close()
        transaction.rollback()
        connection.close()


def test_the_plan(app, built):
    with app.app_context(), document_language():
        manufacturing = str(Domain.MANUFACTURING.label)
    assert [(chunk.kind, chunk.key, chunk.pages) for chunk in built.plan] == [
        ("front", "front", 3),  # cover, foreword, one page of contents
        ("chapter", "chapter-manufacturing", 3),  # opener and two scenarios
        ("chapter", "chapter-healthcare", 3),
        ("city_index", "city-index", 1),
        ("rankings", "rankings", 1),
        ("back", "back", 1),
    ]
    assert built.positions == {"front": 1, "chapter-manufacturing": 4, "chapter-healthcare": 7, "city-index": 10,
                               "rankings": 11, "back": 12}
    chapter = built.plan[1]
    assert [(b.title, b.page_offset, b.level) for b in chapter.bookmarks] == [
        (manufacturing, 0, 0), (TITLES[1], 1, 1), (TITLES[3], 2, 1)]
    assert [(line.key, line.page, line.level) for line in built.toc] == [
        ("chapter-manufacturing", 4, 0), (f"scenario-{built.ids[1]}", 5, 1), (f"scenario-{built.ids[3]}", 6, 1),
        ("chapter-healthcare", 7, 0), (f"scenario-{built.ids[0]}", 8, 1), (f"scenario-{built.ids[2]}", 9, 1),
        ("city-index", 10, 0), ("rankings", 11, 0),
    ]


def test_each_chunk_renders_to_exactly_its_planned_pages(built):
    for chunk in built.plan:
        assert len(PdfReader(io.BytesIO(built.pdfs[chunk.key])).pages) == chunk.pages, chunk.key


def test_pages_are_numbered_from_the_chunks_start_page(app, built):
    chapter = built.plan[2]  # healthcare, starting on page 7: the opener has no number, its scenarios 8 and 9
    assert _text(built.pdfs[chapter.key], 2).split()[-1] == "8"
    assert _text(built.pdfs[chapter.key], 3).split()[-1] == "9"
    assert _text(built.pdfs["city-index"], 1).split()[-1] == "10"
    assert _text(built.pdfs["front"], 2).split()[-1] == "2"  # the foreword
    # Any start page: the same chapter rendered as if it began on page 41.
    with app.app_context():
        moved = pages.render_chunk(chapter, start_page=41)
    assert [_text(moved, page).split()[-1] for page in (2, 3)] == ["42", "43"]
    # The contents, the opener's list, the city index and the tables give the scenarios' pages.
    contents = _text(built.pdfs["front"], 3)
    assert re.search(r"<b>x</b>注塑机预测性维护平台 +5\n", contents)
    assert re.search(r"综合医院智慧运营管理决策平台 +6\n", contents)
    assert re.search(r"眼底影像智能筛查应用 +8\n", contents)
    assert re.search(r"眼底影像智能筛查应用\s+8\n", _text(built.pdfs[chapter.key], 1))
    assert re.search(r"眼底影像智能筛查应用.*\s8\n", _text(built.pdfs["city-index"]))
    assert re.search(r"眼底影像智能筛查应用.*\s8\n", _text(built.pdfs["rankings"]))


def test_chinese_titles_are_extractable(built):
    text = _squash(_text(built.pdfs["chapter-healthcare"], mode="-raw")
                   + _text(built.pdfs["chapter-manufacturing"], mode="-raw"))
    for title in TITLES[:4]:
        assert _squash(title) in text
    assert "深圳" in text and "缺陷检出率" in text and "99.5" in text
    assert _squash(built.content.title) in _squash(_text(built.pdfs["front"], 1))


def test_applicant_text_stays_text(built):
    html = built.html["chapter-manufacturing"]
    assert "&lt;b&gt;x&lt;/b&gt;注塑机" in html and "<b>x</b>" not in html
    assert "<b>x</b>注塑机预测性维护平台" in _text(built.pdfs["chapter-manufacturing"], 2)
    for key in ("front", "city-index", "rankings"):
        assert "<b>x</b>" not in built.html[key]


def test_missing_photos_and_many_photos_lay_out(built):
    html = built.html["chapter-healthcare"]
    # Six photos: three printed, the lost one as a placeholder; all from the image cache.
    page = html.split('class="page scenario')[2]
    assert 'photos-3' in page.split(">")[0] and page.count('class="photo-missing"') == 1
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 2 and all(source.startswith(built.cache + "/") for source in sources)
    # No photo: the summary panel.
    assert 'class="panel"' in built.html["chapter-manufacturing"].split('class="page scenario')[1]
    # A QR code per scenario page.
    qr_codes = re.findall(r'<img class="qr" src="([^"]+)"', html)
    assert len(qr_codes) == html.count('class="page scenario') and all(
        source.startswith(built.cache + "/qr-") and source.endswith(".png") for source in qr_codes)

