"""The tables' rows as one line of text: cells padded to their columns with
spaces of measured width (app/brochure/fonts.py), and the scheduler that
hands the brochure's parts to the workers (app/brochure/builder.py)."""
import pytest

from app.brochure.builder import simulate
from app.brochure.fitting import ELLIPSIS
from app.brochure.fonts import (
    FACES,
    PAD_SPACES,
    Cell,
    TextStyle,
    advance_mm,
    cut_to,
    installed_face,
    padded_row,
    padding,
)

needs_noto = pytest.mark.skipif(
    any(installed_face(face.installed, face.weight) is None for face in FACES), reason="Noto CJK fonts not installed")

SANS = TextStyle("Noto Sans CJK SC", 400, 8.0)
BOLD = TextStyle("Noto Sans CJK SC", 700, 8.0)
SERIF = TextStyle("Noto Serif CJK SC", 400, 9.0)


@needs_noto
def test_advances_are_the_fonts_own():
    # Noto CJK: an ideograph is one em, a digit 0.555 em (sans), the no-break space 0.224 em.
    em = 8.0 * 25.4 / 72
    assert advance_mm("智能质检", SANS) == pytest.approx(4 * em)
    assert advance_mm("12", SANS) == pytest.approx(2 * 0.555 * em)
    assert advance_mm("\u00a0", SANS) == pytest.approx(0.224 * em)
    assert advance_mm("", SANS) == 0.0


@needs_noto
@pytest.mark.parametrize("style", [SANS, BOLD])
def test_padding_comes_within_a_fraction_of_a_millimetre(style):
    for hundredths in range(30, 6000, 7):
        width = hundredths / 100
        pad = padding(width, style)
        assert set(pad) <= set(PAD_SPACES)
        error = abs(advance_mm(pad, style) - width)
        # Below 3 mm only a few spaces fit; beyond, en, em and no-break spaces combine finely.
        assert error <= (0.08 if width >= 8 else 0.2 if width >= 3 else 0.33), (width, error)
    assert padding(0, SANS) == padding(-2, SANS) == ""


@needs_noto
def test_long_texts_are_cut_by_measured_width():
    title = "面向装备制造的行业大模型与数字孪生融合的全生命周期智能运维平台"
    cut = cut_to(title, 40.0, SERIF)
    assert cut.endswith(ELLIPSIS) and title.startswith(cut[:-1])
    assert advance_mm(cut, SERIF) <= 40.0
    assert advance_mm(cut[:-1] + title[len(cut) - 1] + ELLIPSIS, SERIF) > 40.0  # the longest that fits
    assert cut_to("短标题", 40.0, SERIF) == "短标题"


@needs_noto
def test_the_cells_of_every_row_start_at_their_columns():
    rows = [("1", "智能质检缺陷检测平台", "广东某某科技有限公司", "深圳", "98.50", "12"),
            ("12", "Smart AGV dispatch 调度平台 v2", "Guangzhou Metro Co., Ltd.", "广州", "7.25", "105"),
            ("200", "面向装备制造的行业大模型与数字孪生融合的全生命周期智能运维与质量追溯平台", "中山", "珠海", "100.00", "3")]
    columns = [(0.0, 10.0, True, BOLD), (14.0, 56.0, False, SERIF), (72.0, 40.0, False, SANS),
               (114.0, 14.0, False, SANS), (152.0, 11.0, True, SANS), (165.0, 11.5, True, SANS)]
    for values in rows:
        cells = [Cell(text, left, width, style, right) for text, (left, width, right, style) in zip(values, columns,
                                                                                                  strict=True)]
        x = 0.0
        for cell, (pad, text) in zip(cells, padded_row(cells, SANS), strict=True):
            assert set(pad) <= set(PAD_SPACES)
            start = x + advance_mm(pad, SANS)  # padded in the row's sans, whatever the cell's style
            if cell.right:  # its right edge on the column's
                assert start + advance_mm(text, cell.style) == pytest.approx(cell.left_mm + cell.width_mm, abs=0.33)
            else:
                assert start == pytest.approx(cell.left_mm, abs=0.33)
            assert advance_mm(text, cell.style) <= cell.width_mm + 1e-6  # cut to its column
            x = start + advance_mm(text, cell.style)
    # The long title was cut, and the row stays inside the table's width.
    assert padded_row([Cell(rows[2][1], 14.0, 56.0, SERIF)])[0][1].endswith(ELLIPSIS)


def test_simulated_workers_take_parts_in_order_each_to_the_first_free():
    assert simulate([5, 4, 3, 3, 1], 2) == [5 + 3, 4 + 3 + 1]
    assert simulate([2, 2, 2], 8) == [2, 2, 2, 0, 0, 0, 0, 0]
    assert simulate([], 4) == [0.0] * 4
    assert simulate([1.5], 0) == [1.5]  # at least one worker


@needs_noto
@pytest.mark.parametrize("text", ["AI视觉引导的家电部件机器人上下…", "Smart AGV dispatch 调度平台 v2…", "（AI）视觉…",
                                  "5G+工业互联网…", "消费金融实时反欺诈AI应用", "智能质检"])
def test_measured_advances_are_what_weasyprint_prints(text):
    """Pango shapes each script run on its own: a title opening with Latin
    letters must not get the Latin "…" (narrower) in the measurement, or
    every column after it shifts."""
    from weasyprint import HTML

    html = (f"<style>p {{ font-family: '{SERIF.family}'; font-size: {SERIF.size_pt}pt; margin: 0 }}"
            f" span {{ white-space: pre }}</style><p><span>{text}</span></p>")
    page_box = HTML(string=html).render().pages[0]._page_box  # the laid-out boxes (no public API)

    def spans(box):
        if type(box).__name__ == "InlineBox":
            yield box
        for child in getattr(box, "children", None) or ():
            yield from spans(child)

    (span,) = spans(page_box)
    assert advance_mm(text, SERIF) == pytest.approx(span.width * 25.4 / 96, abs=0.01)
