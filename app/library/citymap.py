"""A tile map of Guangdong's 21 cities for the case library home page.

``city_tile_map`` draws one equal-size rounded square per prefecture-level
city, placed on a hand-made grid that keeps the real neighbourhoods (west to
east, north to south), coloured by the number of published scenarios and
linking to that city's filtered library page. It is inline SVG built here,
not a map: the intranet has no map service or tile server to call, and on a
true-area map the dense Pearl River Delta cities (Zhongshan, Zhuhai,
Dongguan, Shenzhen) would be too small to read or tap, while equal tiles give
every city the same room for its name and count.

The markup follows the charts of ``app.results.charts``, drawn with the same
primitives (``app.svg``): presentation attributes only (the
Content-Security-Policy forbids inline styles), no scripts or external
references, ``viewBox`` with ``width="100%"`` and no height, every text and
attribute XML-escaped, numbers as plain integers, so the same input gives
byte-identical output. The map is
``role="group"`` labelled by its ``<title>``; each tile is an ``<a>`` (SVG
links are keyboard-focusable) with an ``aria-label`` naming the city and its
count. ``data-part`` and ``data-city`` attributes mark the parts for tests and
stylesheets; renderers ignore them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.reference import CITIES, city_label
from app.svg import FONT_FAMILY, SVG_NS, clean_text, fit_text, join_lines, svg_element, text_width

TITLE_ID = "citymap-title"  # fixed: the map appears at most once per page

# code → (column, row): column 0 is the west (Zhanjiang), row 0 the north
# (Shaoguan). Hand-placed from the cities' seats so that a city at least 0.6°
# east (or north) of another is never drawn west (or south) of it, and the
# Pearl River Delta cities touch: the west coast on the left, with Maoming and
# Zhanjiang a row down because they lie further south than Zhuhai; the delta
# in the middle with the estuary left open (column 5, rows 3–4: Zhongshan and
# Zhuhai west of it, Dongguan and Shenzhen east); Meizhou and Chaoshan on the
# right.
#
#        0     1     2     3     4     5     6     7     8     9    10
#   0                                  韶关
#   1                            清远              河源  梅州  潮州
#   2                云浮  肇庆  佛山  广州  东莞  惠州  汕尾  揭阳  汕头
#   3                阳江  江门  中山        深圳
#   4    湛江  茂名              珠海
TILES: dict[str, tuple[int, int]] = {
    "440200": (5, 0),  # 韶关 Shaoguan
    "441800": (4, 1),  # 清远 Qingyuan
    "441600": (7, 1),  # 河源 Heyuan
    "441400": (8, 1),  # 梅州 Meizhou
    "445100": (9, 1),  # 潮州 Chaozhou
    "445300": (2, 2),  # 云浮 Yunfu
    "441200": (3, 2),  # 肇庆 Zhaoqing
    "440600": (4, 2),  # 佛山 Foshan
    "440100": (5, 2),  # 广州 Guangzhou
    "441900": (6, 2),  # 东莞 Dongguan
    "441300": (7, 2),  # 惠州 Huizhou
    "441500": (8, 2),  # 汕尾 Shanwei
    "445200": (9, 2),  # 揭阳 Jieyang
    "440500": (10, 2),  # 汕头 Shantou
    "441700": (2, 3),  # 阳江 Yangjiang
    "440700": (3, 3),  # 江门 Jiangmen
    "442000": (4, 3),  # 中山 Zhongshan
    "440300": (6, 3),  # 深圳 Shenzhen
    "440800": (0, 4),  # 湛江 Zhanjiang
    "440900": (1, 4),  # 茂名 Maoming
    "440400": (4, 4),  # 珠海 Zhuhai
}

STEPS = 5


class Swatch(NamedTuple):
    """The colours of one step: tile fill, tile outline and text (contrast ≥ 4.5:1 with the fill)."""

    fill: str
    stroke: str
    text: str


INK = "#262626"
MUTED = "#595959"
WHITE = "#ffffff"

# Index 0 is "no published scenario" (neutral grey), 1–5 the sequential blue
# scale. Contrast of text on fill (WCAG): 6.3, 11.7, 8.4, 5.1, 6.1, 14.4.
PALETTE: tuple[Swatch, ...] = (
    Swatch("#f2f2f2", "#8c8c8c", MUTED),
    Swatch("#d6e4f3", "#6f98c9", INK),
    Swatch("#a9c4e4", "#4a7fbf", INK),
    Swatch("#6f98c9", "#2f64a3", INK),
    Swatch("#2f64a3", "#1f4e79", WHITE),
    Swatch("#0c2a4d", "#0c2a4d", WHITE),
)

_TILE = 84  # side of a tile
_GAP = 6  # between tiles
_MARGIN = 8
_RADIUS = 8
_NAME_FONTS = (16, 15, 14, 13)  # the largest at which every name fits is used
_NAME_ROOM = _TILE - 8
_COUNT_FONT = 24
_LEGEND_FONT = 14
_SWATCH = 18



def step(count: int, maximum: int) -> int:
    """The colour step of ``count``: 0 for none, else 1–5 by equal fifths of ``maximum``.

    Step ``k`` holds the counts in ``(maximum·(k−1)/5, maximum·k/5]``, i.e.
    ``ceil(5·count / maximum)``, computed in integers, so the highest count
    is always step 5. With ``maximum`` of 5 or more every step holds at least
    one possible count; below 5 some steps stay empty.
    """
    if count <= 0 or maximum <= 0:
        return 0
    return min(STEPS, -(-STEPS * count // maximum))


def step_ranges(maximum: int) -> list[tuple[int, int, int]]:
    """``(step, lowest, highest)`` count of each step that can occur for ``maximum``, step 0 first."""
    ranges = [(0, 0, 0)]
    for k in range(1, STEPS + 1):
        lowest = maximum * (k - 1) // STEPS + 1
        highest = maximum * k // STEPS
        if lowest <= highest:
            ranges.append((k, lowest, highest))
    return ranges


def city_tile_map(counts: Mapping[str, int], *, link: Callable[[str], str], title: str) -> Markup:
    """A tile map of the 21 cities, each coloured by its number of published scenarios.

    ``counts`` maps a city code (GB/T 2260, as in ``app.reference.CITIES``) to
    its number of published scenarios; missing cities count 0 and codes that
    are not Guangdong cities are ignored. Every city in ``CITIES`` gets one
    tile at its ``TILES`` place, showing its translated name and its count,
    wrapped in ``<a href="link(code)">`` with an ``aria-label`` such as
    "Shenzhen: 12 published scenarios". ``title`` (already translated) is
    the accessible name of the whole map.

    Colours: a city with no published scenario is light grey; the others
    take one of five blues, light to deep, by equal fifths of the highest
    count (see ``step``), so the city with the most scenarios is always the
    deepest blue. A legend below the grid shows the grey and each step that
    can occur with its range of counts. Text is dark on the light steps and
    white on the two deep ones. City names share one font size, the largest
    of 16 to 13 at which every name of the locale fits its tile (16 in
    Chinese, 14 in English); a name still too long is shortened with "…",
    its link label keeping it whole.

    Call it inside a request or app context: names and labels are
    translated into the current locale. Raises ValueError for a negative
    count.
    """
    shown: dict[str, int] = {}
    for code in CITIES:
        count = int(counts.get(code, 0))
        if count < 0:
            raise ValueError(f"a count must not be negative, got {count} for {code}")
        shown[code] = count
    maximum = max(shown.values(), default=0)

    columns = max(column for column, _row in TILES.values()) + 1
    rows = max(row for _column, row in TILES.values()) + 1
    width = 2 * _MARGIN + columns * (_TILE + _GAP) - _GAP
    grid_bottom = _MARGIN + rows * (_TILE + _GAP) - _GAP

    names = {code: clean_text(city_label(code)) for code in CITIES}
    name_font = next((size for size in _NAME_FONTS
                      if all(text_width(name, size) <= _NAME_ROOM for name in names.values())), _NAME_FONTS[-1])
    body = [svg_element("title", title, id=TITLE_ID)]
    body.extend(_tile(code, names[code], shown[code], maximum, link=link, name_font=name_font) for code in CITIES)
    legend, legend_height = _legend(maximum, top=grid_bottom + 16)
    body.append(legend)
    height = grid_bottom + 16 + legend_height + _MARGIN
    return svg_element(
        "svg",
        join_lines([Markup(""), *body, Markup("")]),
        xmlns=SVG_NS,
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="group",
        aria_labelledby=TITLE_ID,
        font_family=FONT_FAMILY,
        data_part="citymap",
    )


def _tile(code: str, name: str, count: int, maximum: int, *, link: Callable[[str], str], name_font: int) -> Markup:
    """One city: a rounded square with its name and count, inside a link to its library page."""
    column, row = TILES[code]
    x = _MARGIN + column * (_TILE + _GAP)
    y = _MARGIN + row * (_TILE + _GAP)
    swatch = PALETTE[step(count, maximum)]
    label = ngettext(
        "%(city)s: %(num)s published scenario", "%(city)s: %(num)s published scenarios", count, city=name
    )
    centre = x + _TILE / 2
    parts = [
        svg_element("rect", x=x, y=y, width=_TILE, height=_TILE, rx=_RADIUS, fill=swatch.fill, stroke=swatch.stroke,
            stroke_width=1, data_part="tile"),
        svg_element("text", fit_text(name, _NAME_ROOM, name_font), x=centre, y=y + 33, text_anchor="middle",
            font_size=name_font, fill=swatch.text, data_part="name"),
        svg_element("text", str(count), x=centre, y=y + 66, text_anchor="middle", font_size=_COUNT_FONT,
            font_weight="bold", fill=swatch.text, data_part="count"),
    ]
    return svg_element("a", join_lines(parts), href=link(code), aria_label=label, data_part="city", data_city=code)


def _legend(maximum: int, *, top: int) -> tuple[Markup, int]:
    """The grey and the colour steps in use, each with its range of counts, in one row; and its height."""
    parts = [svg_element("text", _("Published scenarios"), x=_MARGIN, y=top + _LEGEND_FONT, font_size=_LEGEND_FONT,
                 fill=INK)]
    x = _MARGIN
    y = top + _LEGEND_FONT + 8
    for k, lowest, highest in step_ranges(maximum):
        swatch = PALETTE[k]
        text = str(lowest) if lowest == highest else f"{lowest}–{highest}"
        parts.append(svg_element("rect", x=x, y=y, width=_SWATCH, height=_SWATCH, rx=3, fill=swatch.fill,
                         stroke=swatch.stroke, stroke_width=1, data_part="swatch", data_step=k))
        parts.append(svg_element("text", text, x=x + _SWATCH + 6, y=y + _SWATCH - 3, font_size=_LEGEND_FONT, fill=INK,
                         data_part="range"))
        x += _SWATCH + 6 + round(text_width(text, _LEGEND_FONT)) + 18
    return svg_element("g", join_lines(parts), data_part="legend"), y + _SWATCH - top
