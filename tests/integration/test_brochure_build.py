"""The brochure PDF itself: pages, bookmarks, text, fonts, glyphs, QR codes,
size, and the caches that make rebuilds fast."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection
from pypdf import PdfReader

from app.brochure import pages
from app.brochure.builder import build_brochure
from app.brochure.content import brochure_content, scenario_url
from app.brochure.options import BuildOptions
from app.db import db
from app.enums import Domain, EntryStatus, Phase
from app.models import Entry, EntryOutcome

NEEDS = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="poppler-utils missing")
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


@pytest.fixture
def published(make, session):
    """A published snapshot: 6 scenarios in 2 domains and 3 cities, with texts and outcomes."""
    scored = make.scored_call(
        totals=[[90, 92, 91], [85, 84, 86], [80, 82, 81], [75, 77, 76], [70, 72, 71], [65, 66, 64]],
        domains=[Domain.MANUFACTURING, Domain.HEALTHCARE], cities=["440300", "440100", "440600"],
        open_phase=Phase.RESULTS, target_count=4,
    )
    for index, entry in enumerate(scored.entries):
        entry.title = ["智能质检缺陷检测平台", "基层医疗影像辅助诊断", "港口无人集卡智能调度", "慢病管理随访机器人",
                       "钢铁高炉智能配料", "医院智能导诊服务"][index]
        # Emoji the fonts cannot draw print the fallback glyph 〓 (app.pdf.text.printable), never a box.
        entry.summary = "通过人工智能视觉模型实现生产线全流程质量检测👍🏽，缺陷检出率提升至99.5%，每年节约人工成本约600万元。"
        entry.solution = "部署边缘计算节点与视觉大模型。" * 20
        entry.tech_tags = ["computer_vision", "large_models"]
        entry.outcomes = [EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%"),
                          EntryOutcome(position=1, metric="检测耗时⏱️", before=30.0, after=2.0, unit="秒")]
        session.add(entry)
    session.commit()
    scored.publish(public_scores=True)
    return scored


def _build(app, scored, tmp_path, name="brochure.pdf", **fields):
    options = BuildOptions(call_id=scored.call.id, title="人工智能应用示范场景案例集", **fields)
    with app.app_context():
        result = build_brochure(options, out_path=tmp_path / name)
        db.session.close()
    return result


def _text(path: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


@NEEDS
def test_the_brochure_has_its_pages_bookmarks_text_and_metadata(app, published, tmp_path):
    result = _build(app, published, tmp_path)
    reader = PdfReader(result.path)
    with app.app_context():
        plan = pages.chunks(brochure_content(db.session, BuildOptions(call_id=published.call.id, title="人工智能应用示范场景案例集")))
        db.session.close()
    assert len(reader.pages) == result.pages == sum(chunk.pages for chunk in plan)
    selected = [e.title for e in published.entries[:4]]
    # Bookmarks: a chapter per domain, the selected scenarios under them.
    outline = reader.outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    nested = [item.title for group in outline if isinstance(group, list) for item in group]
    assert any("智能制造" in title for title in titles) and any("智慧医疗" in title for title in titles)
    for title in selected:
        assert title in nested
    assert "钢铁高炉智能配料" not in nested  # not selected
    text = _text(result.path)
    for title in selected:
        assert title in text
    assert reader.metadata.title == "人工智能应用示范场景案例集"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert result.size < 5_000_000


@NEEDS
def test_fonts_are_embedded_subsets_and_no_glyph_is_missing(app, published, tmp_path):
    result = _build(app, published, tmp_path)
    fonts = subprocess.run(["pdffonts", str(result.path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        name = row[0]
        # The build's cuts of Noto (app/brochure/fonts.py): every character is in them, nothing fell back.
        assert re.fullmatch(r"[A-Z]{6}\+Noto-(Sans|Serif)-CJK-SC-Subset(-Bold)?", name), f"unexpected font: {name}"
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row
    # Every character printed is in the Noto CJK fonts: nothing fell back to a missing-glyph box.
    covered = set()
    for path in FONT_FILES:
        if Path(path).exists():
            for font in TTCollection(path).fonts[:1]:
                covered |= set(font.getBestCmap())
    if not covered:
        pytest.skip("Noto CJK fonts not found")
    text = _text(result.path)
    printed = {ord(char) for char in text if not char.isspace()}
    assert printed, "no text extracted"
    missing = sorted(chr(code) for code in printed - covered)
    assert missing == []
    assert "质量检测〓" in text and "检测耗时〓" in text


@pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="zbarimg or pdftoppm missing")
def test_each_scenario_page_carries_a_qr_code_to_its_public_page(app, published, tmp_path):
    result = _build(app, published, tmp_path)
    reader = PdfReader(result.path)
    top = published.entries[0]
    # The scenario's page: the bookmark with its title.
    page_number = next(
        reader.get_destination_page_number(item) + 1
        for group in reader.outline if isinstance(group, list) for item in group if item.title == top.title
    )
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", str(page_number), "-l", str(page_number), str(result.path),
                    str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True).stdout.split()
    with app.app_context():
        expected = scenario_url(published.call.year, top.id)
    assert expected in decoded


def test_an_unchanged_rebuild_is_instant_and_one_changed_scenario_renders_one_part(app, published, session, tmp_path):
    first = _build(app, published, tmp_path, "a.pdf")
    assert not first.cached and first.rendered >= 4
    again = _build(app, published, tmp_path, "b.pdf")
    assert again.cached and again.rendered == 0 and again.input_hash == first.input_hash
    assert (tmp_path / "b.pdf").read_bytes() == (tmp_path / "a.pdf").read_bytes()

    entry = session.get(Entry, published.entries[1].id)
    entry.summary = "改写后的简介：系统上线后基层医院影像诊断效率提升三倍。"
    session.add(entry)
    session.commit()
    changed = _build(app, published, tmp_path, "c.pdf")
    assert not changed.cached and changed.rendered == 1  # only that scenario's chapter
    assert "改写后的简介" in _text(tmp_path / "c.pdf")
    assert changed.pages == first.pages


def test_no_published_snapshot_is_a_clear_error(app, make, session, tmp_path):
    from app.errors import DomainError

    call = make.call(open_phase=Phase.RESULTS)
    with app.test_request_context(), pytest.raises(DomainError):
        build_brochure(BuildOptions(call_id=call.id), out_path=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_cached_parts_unused_for_a_month_are_swept(app, published, tmp_path):
    import os
    import time

    first = _build(app, published, tmp_path, "a.pdf")
    cache = Path(app.config["BROCHURE_CACHE_FOLDER"])
    stale = cache / "chunks" / ("0" * 64 + ".pdf")
    stale.write_bytes(b"%PDF-1.7 old")
    old = time.time() - 40 * 86400
    os.utime(stale, (old, old))
    for path in (cache / "builds").glob("*.pdf"):
        path.unlink()  # force a merge, which sweeps
    second = _build(app, published, tmp_path, "b.pdf")
    assert not second.cached and second.rendered == 0 and second.pages == first.pages
    assert not stale.exists()
    assert len(list((cache / "chunks").glob("*.pdf"))) >= 4  # the parts in use stay


def test_a_chapter_is_rendered_in_parts_that_nest_under_its_bookmark(app, published, session, tmp_path, monkeypatch):
    whole = _build(app, published, tmp_path, "whole.pdf")
    monkeypatch.setattr(pages, "PART_SCENARIOS", 1)  # 2 scenarios a chapter: an opener part and a second part
    split = _build(app, published, tmp_path, "split.pdf")

    assert split.pages == whole.pages
    assert _text(tmp_path / "split.pdf") == _text(tmp_path / "whole.pdf")  # same pages, same numbers
    outline = PdfReader(split.path).outline
    chapters = [(item, outline[index + 1]) for index, item in enumerate(outline[:-1])
                if not isinstance(item, list) and isinstance(outline[index + 1], list)]
    assert len(chapters) == 2 and all(len(children) == 2 for _chapter, children in chapters)

    # A scenario of a second part changes: only that part is rendered again.
    with app.app_context():
        options = BuildOptions(call_id=published.call.id, title="人工智能应用示范场景案例集")
        plan = pages.chunks(brochure_content(db.session, options))
        later = next(chunk for chunk in plan if chunk.kind == "chapter" and not chunk.payload.opener)
        entry_id = later.payload.chapter.scenarios[0].entry_id
        db.session.close()
    entry = session.get(Entry, entry_id)
    entry.summary = "第二部分的案例改写了简介。"
    session.add(entry)
    session.commit()
    changed = _build(app, published, tmp_path, "changed.pdf")
    assert changed.rendered == 1 and "第二部分的案例改写了简介" in _text(tmp_path / "changed.pdf")


def test_hand_picked_entries_of_a_call_without_a_snapshot_are_printed_without_ranks(app, make, session, tmp_path):
    call = make.call(open_phase=Phase.RESULTS)
    entry = make.entry(call=call, status=EntryStatus.SCORED, photos=0)
    entry.title = "未公布结果前手选的案例"
    session.add(entry)
    session.commit()
    with app.app_context():
        result = build_brochure(BuildOptions(call_id=call.id, title="手选案例集", entry_ids=(entry.id,)),
                                out_path=tmp_path / "picked.pdf")
        db.session.close()

    text = _text(result.path)
    assert "未公布结果前手选的案例" in text and result.pages >= 4
