"""What the PDFs print for characters their fonts cannot draw (``app.pdf.text``)."""
import pytest

from app.pdf.fonts import drawable
from app.pdf.text import MISSING_GLYPH, printable, with_fallback_glyphs

pytestmark = pytest.mark.skipif(drawable() is None, reason="Noto CJK fonts not installed")


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("智能质检 AI-2025 ①②③ ±0.5℃ 2,000㎡ “引号” ©®™ € ½ ∞", "智能质检 AI-2025 ①②③ ±0.5℃ 2,000㎡ “引号” ©®™ € ½ ∞"),
        ("好👍", "好〓"),
        ("👍🏽", "〓"),  # with its skin tone: one emoji
        ("🏽", "〓"),  # a skin tone alone is a character of its own
        ("👨\u200d👩\u200d👧\u200d👦家", "〓家"),  # a family: one emoji
        ("❤\ufe0f❤", "〓〓"),
        ("🇨🇳🇭🇰🇲", "〓〓〓"),  # two flags, then a lone regional indicator
        ("1\ufe0f\u20e3号", "1号"),  # a keycap: the digit prints, its marks are dropped
        ("零\u200b宽\ufeff字\u2060符", "零宽字符"),  # invisible format characters
        ("🏳\ufe0f\u200d🌈 旗", "〓 旗"),
        ("\u200d👍", "〓"),  # a joiner with nothing before it
        ("👍\n🚀", "〓\n〓"),  # line breaks stay
        ("مرحبا", MISSING_GLYPH * 5),  # a script the CJK fonts lack
    ],
)
def test_characters_without_a_glyph_print_the_fallback(text, printed):
    assert with_fallback_glyphs(text) == printed


def test_printable_removes_control_characters_then_falls_back():
    assert printable("  标题\x00👍\x7f  ") == "标题〓"
    assert printable(None) == ""
    assert ord(MISSING_GLYPH) in drawable()
