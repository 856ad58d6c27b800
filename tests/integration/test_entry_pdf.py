"""The application form PDF of one entry: content, fonts, glyphs, metadata, escaping, language."""
import dataclasses
import io
import logging
import re
from datetime import datetime, timezone
from time import perf_counter

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from sqlmodel import Session

from app.enums import EntryStatus
from app.models import EntryAttachment, EntryOutcome
from app.pdf import entry as entry_module
from app.pdf.entry import EntrySheet, entry_pdf, entry_pdf_filename, entry_sheet
from app.pdf.fetcher import LockedFetcher, storage_url
from app.pdf.render import CSS_FOLDER
from tests import factories

# Applicant text with what Chinese entries really contain: full-width
# punctuation, rare characters in company names, symbols, Latin and digits.
SAMPLE = {
    "title": "基于视觉大模型的「精密电子」全流程智能质检场景（二期）",
    "summary": "检出率≥99.5%，误报率≤0.3‰；年节约成本约1,200万元。",
    "problem": "人工目检效率低、漏检率高！夜班质量波动大？缺陷标准依赖老师傅经验……\n客户投诉逐年增加：2023年退货损失超过800万元。",
    "solution": (
        "在3个工厂、12条产线部署工业相机与边缘推理设备，基于自研的缺陷检测大模型，实时识别划痕、凹坑、污渍等32类缺陷，"
        "并联动机械臂自动分拣不良品；系统与MES、ERP对接，质检数据实时回传，支撑工艺参数闭环优化。" * 4
        + "\n详见：https://example.com/a/very/long/path/without/any/spaces/that/must/wrap/somewhere/index.html"
    ),
    "deployment_scale": "3个工厂、12条产线，日检测量约120万件",
    "replicability": "可推广至①电子；②汽车零部件；③家电等行业。温控精度±0.5℃，车间面积2,000㎡。",
    "data_security": "遵循《数据安全法》“最小必要”原则——数据本地化存储·访问分级授权·审计留痕。",
    "investment_note": "含硬件420万元、软件380万元（不含税）",
    "partners": [{"name": "华南理工大学", "credit_code": ""}, {"name": "彧视科技（深圳）有限公司", "credit_code": factories.credit_code(77)}],
    "contact_name": "欧阳婧",
    "contact_position": "数字化部部长",
}
ORGANISATION = "广东鑫犇堃智能装备股份有限公司"
CALL = "2026年广东省人工智能应用场景征集"
CLOSING_PUNCTUATION = tuple("，。、；：？！）》」』”’…")


@dataclasses.dataclass
class Rendered:
    pdf: bytes
    reader: PdfReader
    text: str  # all pages, whitespace removed (extraction breaks lines)
    lines: list[str]
    sheet: EntrySheet
    fetched: list[str]
    logged: list[logging.LogRecord]
    seconds: float
    photo_url: str


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _render(app, entry, *, request_headers=None, **kwargs):
    """Render ``entry`` as a job would (no request) or in a request, recording fetches and warnings."""
    fetched = []
    original = LockedFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    handler = _Records()
    for name in ("weasyprint", "app.pdf"):
        logging.getLogger(name).addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(LockedFetcher, "fetch", spy)
            context = app.test_request_context(headers=request_headers) if request_headers else app.app_context()
            with context:
                start = perf_counter()
                pdf = entry_pdf(entry, **kwargs)
                seconds = perf_counter() - start
                sheet = entry_sheet(entry, now=datetime.now(timezone.utc), locale=kwargs.get("locale"))
                photo_url = storage_url(entry.photos[0].display_key)
    finally:
        for name in ("weasyprint", "app.pdf"):
            logging.getLogger(name).removeHandler(handler)
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    return Rendered(
        pdf=pdf,
        reader=reader,
        text=_squash("".join(pages)),
        lines=[line.strip() for page in pages for line in page.splitlines() if line.strip()],
        sheet=sheet,
        fetched=fetched,
        logged=handler.records,
        seconds=seconds,
        photo_url=photo_url,
    )


@pytest.fixture(scope="module")
def rendered(app) -> Rendered:
    """One complete, submitted entry rendered once for the module, as a background job would (no request)."""
    state = app.extensions["db"]
    connection = state.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        make = factories.Factories(session, app)
        call = make.call(name=CALL)
        organisation = make.organisation(name=ORGANISATION)
        entry = make.entry(call=call, organisation=organisation, status=EntryStatus.SUBMITTED, **SAMPLE)
        entry.outcomes = [
            EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%"),
            EntryOutcome(position=1, metric="单线质检人员", before=6, after=1, unit="人"),
            EntryOutcome(position=2, metric="质量数据追溯覆盖率", before=None, after=100, unit="%"),
        ]
        entry.attachments = [EntryAttachment(filename="第三方检测报告（CNAS）.pdf", blob_key="aa/bb/x.pdf", size=1, pages=12)]
        session.commit()
        result = _render(app, entry)
    finally:
        # Roll back before the tests run: an open write transaction would
        # lock SQLite for the tests' own connections.
        session.close()
        transaction.rollback()
        connection.close()
    return result


def test_is_an_a4_pdf_with_title_author_and_language(rendered):
    reader = rendered.reader
    assert len(reader.pages) >= 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    metadata = reader.metadata
    assert metadata.title.endswith(SAMPLE["title"]) and metadata.title != SAMPLE["title"]
    assert metadata.author == ORGANISATION
    assert metadata["/Subject"] == CALL
    assert metadata.creator and metadata.creation_date is not None
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_contains_the_entry_text(rendered):
    text = rendered.text
    for expected in (
        SAMPLE["title"], ORGANISATION, "缺陷检出率", "92", "99.5", "单线质检人员", "质量数据追溯覆盖率",
        "华南理工大学", "彧视科技（深圳）有限公司", "欧阳婧", "wangfang@example.com", "现场照片1",
        "第三方检测报告（CNAS）.pdf", _squash(SAMPLE["data_security"]), "智能制造", "深圳",
    ):
        assert _squash(expected) in text, expected


def test_has_numbered_chinese_sections_and_a_footer_on_every_page(rendered):
    pages = len(rendered.reader.pages)
    assert "一、" in rendered.text and "二、" in rendered.text
    for number in range(1, pages + 1):
        page = _squash(rendered.reader.pages[number - 1].extract_text())
        assert f"第{number}页，共{pages}页" in page
        assert CALL in page


def test_embeds_noto_cjk_fonts_and_no_fallback_font(rendered):
    names = {font["/BaseFont"].split("+", 1)[-1].replace("-", "") for font in _fonts(rendered.reader)}
    assert {"NotoSerifCJKSC", "NotoSansCJKSC"} <= names
    assert all(name.startswith(("NotoSerifCJK", "NotoSansCJK")) for name in names), names


def _without_glyph(result) -> list[str]:
    """The characters the sheet prints that no embedded font has a glyph for."""
    printed = set("".join(_printed_strings(result.sheet))) - set(" \n\t")
    covered = set()
    for font in _fonts(result.reader):
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = (descriptor.get("/FontFile3") or descriptor.get("/FontFile2")).get_object()
        covered |= {chr(code) for code in TTFont(io.BytesIO(stream.get_data())).getBestCmap()}
        # A glyph reached through an OpenType feature (tabular figures) has
        # no cmap entry of its own; the font's ToUnicode map names its character.
        covered |= _to_unicode_characters(font)
    return sorted(printed - covered)


def test_every_character_of_the_entry_has_a_glyph(rendered):
    assert _without_glyph(rendered) == []
    # WeasyPrint warns about neither a missing resource nor a font problem.
    assert [record.getMessage() for record in rendered.logged] == []


def test_characters_the_fonts_lack_print_the_fallback_glyph_not_a_box(app, make):
    entry = make.entry(
        status=EntryStatus.SUBMITTED, title="智能质检👍🏽平台",
        summary="家庭👨\u200d👩\u200d👧用户❤\ufe0f增长，覆盖🇨🇳🇭🇰；© ½ € ∞ №；مرحبا",
        contact_position="部长1\ufe0f\u20e3", problem="零宽\u200b空格\n第二段🚀🚀",
    )
    entry.outcomes = [EntryOutcome(position=0, metric="满意度😀", before=None, after=98, unit="%")]
    make.session.commit()

    result = _render(app, entry)

    sheet = result.sheet
    assert sheet.title == "智能质检〓平台"
    assert sheet.summary == ("家庭〓用户〓增长，覆盖〓〓；© ½ € ∞ №；〓〓〓〓〓",)
    assert (sheet.contact_position, sheet.problem) == ("部长1", ("零宽空格", "第二段〓〓"))
    assert sheet.outcomes[0].metric == "满意度〓"
    assert "智能质检〓平台" in result.text and "满意度〓" in result.text
    # Every printed character has a glyph in the embedded Noto CJK fonts: no box, no other font.
    assert _without_glyph(result) == []
    names = {font["/BaseFont"].split("+", 1)[-1].replace("-", "") for font in _fonts(result.reader)}
    assert all(name.startswith(("NotoSerifCJK", "NotoSansCJK")) for name in names), names
    assert result.logged == []


def test_long_lines_break_the_chinese_way(rendered):
    starts = [line for line in rendered.lines if line.startswith(CLOSING_PUNCTUATION)]
    assert starts == []
    # The long URL wraps instead of running off the page.
    assert "https://example.com/a/very/long/path" in rendered.text


def test_embeds_the_photo_from_blob_storage(rendered):
    # Named by its key and read through the blob storage's interface, not by a path.
    assert rendered.photo_url.startswith("storage:")
    assert rendered.photo_url in rendered.fetched
    images = {
        xobject.idnum: xobject.get_object()
        for page in rendered.reader.pages
        for xobject in page["/Resources"].get("/XObject", {}).values()
        if xobject.get_object()["/Subtype"] == "/Image"
    }
    # The factory's 800 × 600 photo, its JPEG passed through as is.
    assert [(image["/Width"], image["/Height"], image["/Filter"]) for image in images.values()] == [(800, 600, "/DCTDecode")]


def test_fetches_only_its_stylesheet_and_photos(rendered):
    assert sorted(rendered.fetched) == sorted([(CSS_FOLDER / "entry.css").as_uri(), rendered.photo_url])


def test_the_template_gets_plain_data_only(rendered):
    def check(value, path):
        if dataclasses.is_dataclass(value):
            assert type(value).__module__ == entry_module.__name__, path
            for field in dataclasses.fields(value):
                check(getattr(value, field.name), f"{path}.{field.name}")
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                check(item, f"{path}[{index}]")
        else:
            assert type(value) in (str, int, bool), f"{path} is {type(value).__name__}"

    check(rendered.sheet, "sheet")
    assert rendered.sheet.problem == tuple(SAMPLE["problem"].splitlines())


def test_renders_fast(rendered):
    # About 0.3 s on a quiet 2-core machine; the bound only catches a layout
    # that has gone pathological (floats around CJK text: tens of seconds).
    assert rendered.seconds < 5


def test_applicant_markup_is_printed_as_text_and_fetches_nothing(app, make):
    payloads = {
        "title": '<img src="file:///etc/passwd">',
        "summary": '<link rel="attachment" href="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
        "problem": "<style>@import url(http://127.0.0.1:9/y.css);</style><script>alert(1)</script>",
        "solution": "</p></section><object data=\"file:///etc/shadow\"></object>{{ 7*7 }}",
    }
    entry = make.entry(status=EntryStatus.SUBMITTED, contact_position='<svg><image href="file:///etc/hostname"/></svg>',
                       **payloads)

    result = _render(app, entry)

    for value in [*payloads.values(), entry.contact_position]:
        assert _squash(value) in result.text
    assert result.reader.metadata.title.endswith(payloads["title"])
    assert sorted(result.fetched) == sorted([(CSS_FOLDER / "entry.css").as_uri(), result.photo_url])
    assert "/Names" not in result.reader.trailer["/Root"]  # no embedded files
    assert result.logged == []


def test_labels_follow_the_ui_language_and_a_draft_says_so(app, make):
    entry = make.entry(status=EntryStatus.DRAFT)

    result = _render(app, entry, request_headers={"Cookie": "lang=en"})

    assert result.reader.trailer["/Root"]["/Lang"] == "en"
    assert "1.Basicinformation" in result.text and "2.Summary" in result.text
    assert "Draft:thisentryhasnotbeensubmitted" in result.text
    assert "Notsubmitted" in result.text and "Page1of" in result.text
    assert result.sheet.status == "Draft" and result.sheet.submitted_at == ""


def test_an_explicit_locale_wins_over_the_ui_language(app, make):
    entry = make.entry(status=EntryStatus.SUBMITTED)

    result = _render(app, entry, request_headers={"Cookie": "lang=en"}, locale="zh")

    assert result.reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert "一、" in result.text and "第1页" in result.text and "1.Basicinformation" not in result.text


def test_the_download_name_is_ascii(make):
    entry = make.entry(complete=False)
    assert entry_pdf_filename(entry) == f"entry-{entry.id}.pdf"


def _fonts(reader):
    seen = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            seen[font["/BaseFont"]] = font
    return list(seen.values())


def _to_unicode_characters(font) -> set[str]:
    """The characters a font's ToUnicode CMap maps its drawn glyphs to
    (``bfchar`` pairs and ``bfrange`` runs, as WeasyPrint writes them)."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    characters = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for target in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block):
            characters.add(bytes.fromhex(target).decode("utf-16-be"))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = ord(bytes.fromhex(start).decode("utf-16-be"))
            characters |= {chr(first + offset) for offset in range(int(high, 16) - int(low, 16) + 1)}
    return characters


def _printed_strings(value):
    """Every string of the sheet that is printed (not its language tag, ISO date or photo URLs)."""
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            if field.name not in ("lang", "generated_iso", "url"):
                yield from _printed_strings(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _printed_strings(item)
    elif isinstance(value, str):
        yield value
