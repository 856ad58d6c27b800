"""The brochure's parts: cut small and scheduled by cost, counted from the
rendered document, parsed and styled by app.pdf.markup as WeasyPrint would,
their font subsets joined at the merge, and the tables' columns lining up in
the PDF."""
import gc
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import tinyhtml5
from weasyprint import HTML

from app.brochure import builder, pages
from app.brochure.builder import build_brochure, schedule, simulate
from app.brochure.content import brochure_content
from app.brochure.options import BuildOptions
from app.db import db
from app.enums import Domain, Phase
from app.models import EntryOutcome
from app.pdf import markup
from app.pdf.text import document_language
from tests.trees import tree

NEEDS = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="poppler-utils missing")
TITLES = ["智能质检缺陷检测平台", "Smart AGV dispatch 调度平台", "港口无人集卡智能调度", "慢病管理随访机器人",
          "面向装备制造的行业大模型与数字孪生融合的全生命周期智能运维平台", "医院智能导诊服务", "钢铁高炉智能配料系统", "电网巡检无人机"]


@pytest.fixture
def published(make, session):
    """A published snapshot: 8 scenarios in 2 domains and 3 cities."""
    scored = make.scored_call(
        totals=[[90 - 3 * i, 91 - 3 * i, 92 - 3 * i] for i in range(8)],
        domains=[Domain.MANUFACTURING, Domain.HEALTHCARE], cities=["440300", "440100", "440600"],
        open_phase=Phase.RESULTS, target_count=8,
    )
    for index, entry in enumerate(scored.entries):
        entry.title = TITLES[index]
        entry.summary = "通过人工智能视觉模型实现生产线全流程质量检测，缺陷检出率提升至99.5%。"
        entry.solution = "部署边缘计算节点与视觉大模型。" * 10
        entry.tech_tags = ["computer_vision"]
        entry.outcomes = [EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%")]
        session.add(entry)
    session.commit()
    scored.publish(public_scores=True)
    return scored


def _options(scored) -> BuildOptions:
    return BuildOptions(call_id=scored.call.id, title="人工智能应用示范场景案例集", foreword="前言。" * 30)


def _build(app, scored, path: Path):
    with app.app_context():
        result = build_brochure(_options(scored), out_path=path)
        db.session.close()
    return result


def test_parts_are_cut_small_and_handed_out_costliest_first(app, published, monkeypatch):
    monkeypatch.setattr(pages, "PART_SCENARIOS", 2)
    monkeypatch.setattr(pages, "TABLE_PART_PAGES", 1)
    with app.app_context():
        plan = pages.chunks(brochure_content(db.session, _options(published)))
        db.session.close()
    chapters = [chunk for chunk in plan if chunk.kind == "chapter"]
    assert len(chapters) == 4 and all(len(chunk.payload.chapter.scenarios) <= 2 for chunk in chapters)
    # The cover and foreword make a part of their own with the first page of contents.
    assert [chunk.key for chunk in plan if chunk.kind == "front"][0] == "front"
    # The cost follows the page types, not the page count: an opener costs more than a scenario page.
    opener = next(chunk for chunk in chapters if chunk.payload.opener)
    later = next(chunk for chunk in chapters if not chunk.payload.opener and chunk.pages == opener.pages - 1)
    assert opener.cost - later.cost == pytest.approx(pages.PAGE_MS["opener"])
    ordered = schedule(plan)
    assert [chunk.cost for chunk in ordered] == sorted((chunk.cost for chunk in plan), reverse=True)
    # Longest first: the workers finish within one part of each other.
    costs = [chunk.cost for chunk in ordered]
    for workers in (2, 3, 4):
        finish = simulate(costs, workers)
        assert max(finish) - min(finish) <= max(costs)
        assert max(finish) <= sum(costs) / workers + max(costs)


def test_a_process_that_never_rendered_renders_the_cheapest_part_itself_then_forks_the_rest(
        app, published, tmp_path, monkeypatch):
    # Its forked workers, in this build and the next, start from its warm caches.
    monkeypatch.setitem(app.config, "BROCHURE_WORKERS", 2)
    monkeypatch.setattr(builder, "_RENDERED_HERE", False)
    here = []
    render_part = builder._render_part
    monkeypatch.setattr(builder, "_render_part",
                        lambda chunk, *args: here.append((os.getpid(), chunk.key)) or render_part(chunk, *args))
    first = _build(app, published, tmp_path / "a.pdf")
    assert first.rendered == len(first.schedule) >= 6
    assert [key for pid, key in here if pid == os.getpid()] == [min(first.schedule, key=first.schedule.get)]
    here.clear()
    shutil.rmtree(Path(app.config["BROCHURE_CACHE_FOLDER"]) / "chunks")
    shutil.rmtree(Path(app.config["BROCHURE_CACHE_FOLDER"]) / "builds")
    again = _build(app, published, tmp_path / "b.pdf")
    assert again.rendered == first.rendered and not [key for pid, key in here if pid == os.getpid()]


def test_page_counts_come_from_the_rendered_document_not_from_reading_the_parts(app, published, tmp_path, monkeypatch):
    def no_reading(path):
        raise AssertionError(f"read {path} again to count its pages")

    monkeypatch.setattr(builder, "part_pages", no_reading)
    first = _build(app, published, tmp_path / "a.pdf")
    assert not first.cached and first.rendered == len(first.part_seconds) >= 6
    assert all(seconds > 0 for seconds in first.part_seconds.values())
    assert set(first.schedule) == set(first.part_seconds)
    with pikepdf.open(first.path) as pdf:
        assert len(pdf.pages) == first.pages
    # A cached part: its page count (and cut) was recorded beside it when it was rendered.
    for path in (Path(app.config["BROCHURE_CACHE_FOLDER"]) / "builds").glob("*.pdf"):
        path.unlink()
    again = _build(app, published, tmp_path / "b.pdf")
    assert not again.cached and again.rendered == 0 and again.pages == first.pages



def test_a_build_freezes_the_heap_from_the_content_to_the_merge_and_leaves_a_frozen_one_frozen(
        app, published, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BROCHURE_WORKERS", 1)
    seen = {}

    def watched(name):
        step = getattr(builder, name)
        monkeypatch.setattr(builder, name,
                            lambda *args, **kwargs: seen.setdefault(name, []).append(gc.get_freeze_count())
                            or step(*args, **kwargs))

    for name in ("brochure_content", "_render_part", "_merge"):
        watched(name)
    assert gc.get_freeze_count() == 0
    _build(app, published, tmp_path / "a.pdf")
    # Frozen while it reads the content, renders each part and merges them.
    assert set(seen) == {"brochure_content", "_render_part", "_merge"}
    assert all(count > 0 for counts in seen.values() for count in counts), seen
    assert gc.get_freeze_count() == 0  # and handed back to the collector after
    # A process that froze its own heap (a gunicorn worker) keeps it frozen.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        for path in Path(app.config["BROCHURE_CACHE_FOLDER"]).rglob("*.pdf"):
            path.unlink()
        _build(app, published, tmp_path / "b.pdf")
        assert gc.get_freeze_count() > frozen * 0.9  # (less what it held that has since been freed)
    finally:
        gc.unfreeze()

@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_part_s_markup_makes_the_tree_weasyprint_s_own_parser_makes(app, published, locale):
    # The parts are parsed by app.pdf.markup, not by WeasyPrint's HTML5 parser: the trees must be the same,
    # for every kind of page (the opener's inline SVG chart, the contents, the city index, the rankings).
    with app.app_context(), document_language(locale):
        plan = pages.chunks(brochure_content(db.session, _options(published)))
        positions = pages.start_pages(plan)
        toc = pages.table_of_contents(plan, positions)
        fonts = builder.plan_fonts(plan)
        markups = [pages.chunk_html(chunk, start_page=positions[chunk.key], toc=toc if chunk.needs_toc else None,
                                    fonts=fonts, font_faces=False) for chunk in plan]
        db.session.close()
    assert {chunk.kind for chunk in plan} == {"front", "chapter", "city_index", "rankings", "back"}
    assert any("<svg" in html for html in markups)
    for html in markups:
        assert tree(markup.parse(html)) == tree(tinyhtml5.parse(html, namespace_html_elements=False))


def test_a_part_is_rendered_without_weasyprint_s_html5_parser(app, published, monkeypatch):
    def html5(*args, **kwargs):
        raise AssertionError("a brochure part was parsed by tinyhtml5")

    with app.app_context(), document_language("zh"):
        plan = pages.chunks(brochure_content(db.session, _options(published)))
        chapter = next(chunk for chunk in plan if chunk.kind == "chapter")
        monkeypatch.setattr(tinyhtml5, "parse", html5)
        data, count = pages.render_chunk_pages(chapter, start_page=5)
        db.session.close()
    assert data.startswith(b"%PDF") and count == chapter.pages


def _page_streams(pdf_bytes: bytes) -> list[bytes]:
    """What each page draws: its content streams, uncompressed."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return [b"".join(stream.read_bytes() for stream in
                         ([page.obj.Contents] if isinstance(page.obj.Contents, pikepdf.Stream) else page.obj.Contents))
                for page in pdf.pages]


def test_every_part_prints_the_same_with_the_markup_s_user_agent_stylesheet_as_with_weasyprint_s(
        app, published, monkeypatch):
    # markup-ua.css is WeasyPrint's html5_ua.css cut to the elements app.pdf.markup parses: no page may differ.
    with app.app_context(), document_language("zh"):
        plan = pages.chunks(brochure_content(db.session, _options(published)))
        positions = pages.start_pages(plan)
        toc = pages.table_of_contents(plan, positions)
        fonts = builder.plan_fonts(plan)
        printed = {}
        for sheets in ("ours", "weasyprint"):
            if sheets == "weasyprint":
                monkeypatch.setattr(markup.ParsedHTML, "_ua_stylesheets", HTML._ua_stylesheets)
            printed[sheets] = [_page_streams(pages.render_chunk(chunk, start_page=positions[chunk.key], fonts=fonts,
                                                                toc=toc if chunk.needs_toc else None))
                               for chunk in plan]
        db.session.close()
    assert {chunk.kind for chunk in plan} == {"front", "chapter", "city_index", "rankings", "back"}
    assert [len(streams) for streams in printed["ours"]] == [chunk.pages for chunk in plan]
    assert printed["ours"] == printed["weasyprint"]


def test_the_markup_s_user_agent_stylesheet_gives_a_plain_element_no_pseudo_element():
    # WeasyPrint's "::marker", "::footnote-call"… match every element, and each match costs a computed style.
    html = "<html><head></head><body><div><p>文字<span>字</span></p></div><ul><li>一</li></ul></body></html>"
    document = markup.ParsedHTML(html, base_url="file:///")

    def pseudo_elements(sheet, tag):
        element = next(document.wrapper_element.query_all(tag))
        return {pseudo for _specificity, _order, pseudo, _rule in sheet.matcher.match(element) if pseudo}

    ours, weasyprints = document._ua_stylesheets()[0], HTML._ua_stylesheets(document)[0]
    for tag in ("html", "body", "div", "p", "span"):
        assert pseudo_elements(ours, tag) == set()
        assert "marker" in pseudo_elements(weasyprints, tag)
    assert pseudo_elements(ours, "li") == {"marker"}


@NEEDS
def test_each_cut_face_is_embedded_once(app, published, tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "PART_SCENARIOS", 1)
    result = _build(app, published, tmp_path / "brochure.pdf")
    assert result.rendered >= 10
    files = set()
    with pikepdf.open(result.path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                files.add(descriptor.FontFile3.objgen)
    assert 2 <= len(files) <= 4  # sans, sans bold, serif (and serif bold): once each, not once a part
    # Every part's text still prints and extracts with the shared subsets.
    text = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True, text=True, check=True).stdout
    for title in TITLES[:4]:
        assert title in text


def _words(path: Path, page: int) -> list[tuple[float, float, str]]:
    """(x min, x max, word) of a page, as poppler finds them."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(float(x0), float(x1), word) for x0, x1, word in
            re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]


@NEEDS
def test_the_columns_of_the_ranking_table_and_the_city_index_line_up(app, published, tmp_path):
    result = _build(app, published, tmp_path / "brochure.pdf")
    with app.app_context():
        plan = pages.chunks(brochure_content(db.session, _options(published)))
        db.session.close()
    positions = pages.start_pages(plan)
    mm = 72 / 25.4
    left = 16 * mm  # the page's left margin
    words = _words(result.path, positions["rankings"])
    # Each city and domain name starts at its column; each score and page number ends at its column's edge.
    cities = [x0 for x0, _x1, word in words if word in ("深圳", "广州", "佛山")]
    domains = [x0 for x0, _x1, word in words if word in ("智能制造", "智慧医疗")]
    scores = [x1 for _x0, x1, word in words if re.fullmatch(r"\d+\.\d\d", word)]
    assert len(cities) == len(domains) == len(scores) == 8
    for found, expected in ((cities, 114.0), (domains, 130.0)):
        assert max(found) - min(found) < 0.5 and min(found) == pytest.approx(left + expected * mm, abs=1.0)
    assert max(scores) - min(scores) < 0.5 and max(scores) == pytest.approx(left + 163.0 * mm, abs=1.0)
    index = _words(result.path, positions["city-index"])
    titles = [x0 for x0, _x1, word in index if any(word and title.startswith(word) for title in TITLES)]
    assert len(titles) >= 6 and max(titles) - min(titles) < 0.5
    assert min(titles) == pytest.approx(left + 3.0 * mm, abs=1.0)
