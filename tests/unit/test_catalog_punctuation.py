"""Chinese translations use full-width punctuation (issue 16, item 9: "统一社会
信用代码:", "860万元 (含…)", "已注册?"): no half-width colon, question mark or
bracket beside Chinese text in any msgstr. Placeholders, URLs and technical
notation written in ASCII (``ICC(1,k)``) are left alone."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
# Ideographs, CJK punctuation and the full-width forms.
CJK = "[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]"
HALF_WIDTH = re.compile(rf"{CJK}[:?()]|[:?(]{CJK}")
NOT_TEXT = re.compile(r"%\(\w+\)[sdfr]|%%|%[sd]|\{\w*\}|https?://\S+")


def half_width_beside_chinese(text: str) -> list[str]:
    """The places in ``text`` where a half-width ':', '?', '(' or ')' touches Chinese."""
    return [match.group(0) for match in HALF_WIDTH.finditer(NOT_TEXT.sub("", text))]


def test_the_check_finds_the_reported_cases_and_spares_placeholders_and_notation():
    assert half_width_beside_chinese("统一社会信用代码:") == ["码:"]
    assert half_width_beside_chinese("860万元 (含配套)") == ["(含", "套)"]
    assert half_width_beside_chinese("已注册?") == ["册?"]
    assert half_width_beside_chinese("部署规模(台)") == ["模(", "台)"]
    assert half_width_beside_chinese("部署规模：%(scale)s") == []
    assert half_width_beside_chinese("ICC(1,k)：单份评分表") == []
    assert half_width_beside_chinese("详见https://example.gov.cn/a?b=1") == []
    assert half_width_beside_chinese("%(label)s：") == []


def test_no_chinese_msgstr_has_half_width_punctuation_beside_chinese_text():
    with CATALOG.open("rb") as po_file:
        catalog = read_po(po_file)
    found = {}
    for message in catalog:
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if places := half_width_beside_chinese(text or ""):
                found[message.id if isinstance(message.id, str) else message.id[0]] = places
    assert found == {}
