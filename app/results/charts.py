"""Charts as SVG, the same markup for web pages and WeasyPrint PDFs.

Three pure functions of plain data, each returning ``markupsafe.Markup``:

- ``distribution_svg``: the entry scores of each domain, one horizontal box
  plot per row.
- ``radar_svg``: an entry's criterion means against its domain's means.
- ``leniency_svg``: each expert's mean deviation from consensus.

The markup keeps to what browsers and WeasyPrint both draw: svg, g, rect,
line, polygon, circle, path, text and title, styled by presentation
attributes only (no CSS, scripts, external references or filters). Every
chart has ``role="img"``, an ``aria-label`` and a ``<title>`` equal to the
caller's title, a ``viewBox``, ``width="100%"`` and no height, so that the
viewBox fixes the aspect ratio.

The charts hold no words of their own: all text is given by the caller
(already translated) or is a number. Text is XML-escaped; characters XML 1.0
forbids (control characters, lone surrogates) are dropped. A label too long
for its place is shortened with "…" and the full text kept in a ``<title>``
(a tooltip). Coordinates are rounded to two decimals, so the same input
gives byte-identical output. The element, escaping and text-fitting
primitives are ``app.svg``'s, shared with the case library's city map.

The parts a reader or a test looks for carry a ``data-part`` attribute
(``row``, ``box``, ``median``, ``dot``, ``entry``, ``reference``, ``marker``,
…); SVG 2 allows ``data-*`` attributes and renderers ignore them.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from markupsafe import Markup

from app.svg import FONT_FAMILY, SVG_NS, clean_text, fit_text, join_lines, number, svg_element, text_width

# A calm palette that prints well and stays apart in greyscale.
PRIMARY = "#1f4e79"  # dark blue: the data
PRIMARY_LIGHT = "#dce6f1"  # box fill
REFERENCE = "#7f7f7f"  # grey: reference series
FLAGGED = "#c0504d"  # red-orange: flagged points (also a different shape)
INK = "#262626"  # labels
MUTED = "#595959"  # tick labels, counts
GRID = "#d9d9d9"  # grid lines, radar rings
BAND = "#f3f6f9"  # alternate row background
WHITE = "#ffffff"


class DomainScores(NamedTuple):
    """One row of ``distribution_svg``: a domain's label and its entries' scores."""

    label: str
    values: Sequence[float]


class RadarAxis(NamedTuple):
    """One axis of ``radar_svg``: a criterion, the entry's mean and the domain's mean (None: missing)."""

    label: str
    value: float | None
    reference: float | None


class ExpertDeviation(NamedTuple):
    """One row of ``leniency_svg``: an expert's mean deviation from consensus, in points.

    Negative is severe (below consensus), positive lenient. ``stderr`` is its
    standard error or None.
    """

    label: str
    deviation: float
    stderr: float | None
    flagged: bool


# --- Markup helpers ---------------------------------------------------------


def _svg(*, width: float, height: float, title: str, body: Iterable[Markup]) -> Markup:
    return svg_element(
        "svg",
        join_lines([Markup(""), svg_element("title", title), *body, Markup("")]),
        xmlns=SVG_NS,
        viewBox=f"0 0 {number(width)} {number(height)}",
        width="100%",
        role="img",
        aria_label=title,
        font_family=FONT_FAMILY,
        font_size=12,
    )


def _label(text: str, *, x: float, y: float, anchor: str, max_width: float, font_size: float = 12,
           fill: str = INK) -> Markup:
    """A text, shortened to ``max_width`` if need be, with the full text then as its tooltip."""
    full = clean_text(text)
    shown = fit_text(full, max_width, font_size)
    element = svg_element("text", shown, x=x, y=y, text_anchor=anchor, font_size=font_size, fill=fill)
    if shown == full:
        return element
    return svg_element("g", join_lines([svg_element("title", full), element]))


def _label_column(labels: Iterable[str], font_size: float, *, least: float, most: float) -> float:
    """The width of a label column: the widest label's, between ``least`` and ``most``."""
    widest = max((text_width(clean_text(label), font_size) for label in labels), default=0.0)
    return min(max(widest, least), most)


def _finite(value: float, what: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _nice_step(span: float, max_intervals: int) -> float:
    """The smallest of 1, 2, 5 × 10^k that cuts ``span`` into at most ``max_intervals``."""
    power = 10.0 ** math.floor(math.log10(span / max_intervals))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step * max_intervals >= span * (1 - 1e-9):
            return step
    return 10 * power  # unreachable: factor 10 always fits


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def _x_axis(*, ticks: Sequence[float], x_of: Callable[[float], float], left: float, right: float, top: float, y: float,
            label: str) -> list[Markup]:
    """Vertical grid lines from ``top``, an axis line at ``y``, tick marks and labels, the axis label."""
    parts = [svg_element("line", x1=x_of(t), y1=top, x2=x_of(t), y2=y, stroke=GRID, stroke_width=1) for t in ticks]
    parts.append(svg_element("line", data_part="axis", x1=left, y1=y, x2=right, y2=y, stroke=MUTED, stroke_width=1))
    for t in ticks:
        parts.append(svg_element("line", x1=x_of(t), y1=y, x2=x_of(t), y2=y + 4, stroke=MUTED, stroke_width=1))
        parts.append(svg_element("text", number(t), data_part="tick", x=x_of(t), y=y + 16, text_anchor="middle",
                         font_size=10, fill=MUTED))
    parts.append(_label(label, x=(left + right) / 2, y=y + 34, anchor="middle", max_width=right - left,
                        font_size=11, fill=INK))
    return parts


def _whisker(x1: float, x2: float, y: float, cap: float, **attrs: object) -> Markup:
    """A horizontal line from ``x1`` to ``x2`` with a vertical cap of half-height ``cap`` at each end."""
    d = (f"M{number(x1)} {number(y - cap)}V{number(y + cap)}M{number(x1)} {number(y)}H{number(x2)}"
         f"M{number(x2)} {number(y - cap)}V{number(y + cap)}")
    return svg_element("path", d=d, fill="none", **attrs)


# --- Distribution -----------------------------------------------------------

_DIST_WIDTH = 640
_DIST_ROW = 40
_DIST_TOP = 10
_DIST_COUNT_COLUMN = 60


def distribution_svg(groups: Sequence[DomainScores | tuple[str, Sequence[float]]], *, title: str,
                     axis_label: str, lo: float = 0, hi: float = 100) -> Markup:
    """The entry scores of each domain: one horizontal row per group, in the order given.

    ``groups`` holds ``(label, values)`` pairs (``DomainScores`` or plain
    tuples). Each row shows the label on the left; a box plot (box from the
    first to the third quartile, a line at the median, whiskers to the
    minimum and maximum); below it every score as a translucent dot on one
    line (overlapping dots darken); and "n = count" on the right. Quartiles
    are ``statistics.quantiles(values, n=4, method="inclusive")``: linear
    interpolation between order statistics, the median being the middle one.
    A group of one score is a single dot without a box; an empty group shows
    "—" in place of its box. No groups: just the axis.

    The axis runs from ``lo`` to ``hi`` with ticks at a nice step (10 for
    0–100); scores outside are drawn at the nearest end but counted in the
    quartiles as they are. Raises ValueError when ``hi <= lo`` or a score is
    not a finite number.
    """
    lo, hi = _finite(lo, "lo"), _finite(hi, "hi")
    if hi <= lo:
        raise ValueError(f"hi ({hi}) must be greater than lo ({lo})")
    rows = [(str(label), [_finite(v, "a score") for v in values]) for label, values in groups]

    left = 16 + _label_column((label for label, _ in rows), 12, least=40, most=200)
    right = _DIST_WIDTH - _DIST_COUNT_COLUMN
    axis_y = _DIST_TOP + len(rows) * _DIST_ROW + 6
    height = axis_y + 46

    def x_of(value: float) -> float:
        return left + (min(max(value, lo), hi) - lo) / (hi - lo) * (right - left)

    body = []
    for index in range(1, len(rows), 2):
        y = _DIST_TOP + index * _DIST_ROW
        body.append(svg_element("rect", x=0, y=y, width=_DIST_WIDTH, height=_DIST_ROW, fill=BAND))
    body.extend(_x_axis(ticks=_ticks(lo, hi, _nice_step(hi - lo, 10)), x_of=x_of, left=left, right=right,
                        top=_DIST_TOP, y=axis_y, label=axis_label))
    for index, (label, values) in enumerate(rows):
        row_top = _DIST_TOP + index * _DIST_ROW
        body.append(_distribution_row(label, values, x_of=x_of, left=left, right=right, box_y=row_top + 15,
                                      dot_y=row_top + 31))
    return _svg(width=_DIST_WIDTH, height=height, title=title, body=body)


def _distribution_row(label: str, values: list[float], *, x_of: Callable[[float], float], left: float, right: float, box_y: float,
                      dot_y: float) -> Markup:
    parts = [_label(label, x=left - 8, y=box_y + 4, anchor="end", max_width=left - 16)]
    if not values:
        parts.append(svg_element("text", "—", data_part="empty", x=(left + right) / 2, y=box_y + 4, text_anchor="middle",
                         fill=MUTED))
    if len(values) >= 2:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
        parts.append(_whisker(x_of(min(values)), x_of(q1), box_y, 5, data_part="whisker", stroke=PRIMARY,
                              stroke_width=1))
        parts.append(_whisker(x_of(q3), x_of(max(values)), box_y, 5, data_part="whisker", stroke=PRIMARY,
                              stroke_width=1))
        parts.append(svg_element("rect", data_part="box", x=x_of(q1), y=box_y - 7, width=x_of(q3) - x_of(q1), height=14,
                         fill=PRIMARY_LIGHT, stroke=PRIMARY, stroke_width=1))
        parts.append(svg_element("line", data_part="median", x1=x_of(median), y1=box_y - 7, x2=x_of(median), y2=box_y + 7,
                         stroke=PRIMARY, stroke_width=2.5))
    parts.extend(svg_element("circle", data_part="dot", cx=x_of(v), cy=dot_y, r=2.5, fill=PRIMARY, fill_opacity=0.45)
                 for v in values)
    parts.append(svg_element("text", f"n = {len(values)}", data_part="count", x=right + 10, y=box_y + 4, font_size=11,
                     fill=MUTED))
    return svg_element("g", join_lines(parts), data_part="row")


# --- Radar ------------------------------------------------------------------

_RADAR_WIDTH = 560
_RADAR_HEIGHT = 410
_RADAR_CX = 280
_RADAR_CY = 185
_RADAR_R = 140
_RADAR_RINGS = 5  # at 20, 40, 60, 80 and 100 %


def radar_svg(axes: Sequence[RadarAxis | tuple[str, float | None, float | None]], *, title: str,
              series_labels: tuple[str, str] = ("This entry", "Domain mean"), hi: float = 100) -> Markup:
    """An entry's criterion means (``value``) against its domain's (``reference``), on a radar.

    ``axes`` holds ``(label, value, reference)`` triples (``RadarAxis`` or
    plain tuples), drawn clockwise from the top. The scale runs from 0 at the
    centre to ``hi`` at the outer ring; grid rings at 20, 40, 60, 80 and
    100 % of ``hi`` carry their values along the top axis. The entry is a
    filled translucent blue polygon with a dot on each vertex, the reference
    a dashed grey outline. A missing value (None) is drawn at 0 and marked by
    a hollow circle; values outside 0…hi are drawn at the nearest end. Axis
    labels sit outside the outer ring, anchored away from the chart. A legend
    below names the two series with ``series_labels`` (already translated).

    Raises ValueError for fewer than 3 axes (the caller shows something else),
    for ``hi <= 0`` and for a value that is neither None nor finite.
    """
    if len(axes) < 3:
        raise ValueError(f"a radar needs at least 3 axes, got {len(axes)}")
    hi = _finite(hi, "hi")
    if hi <= 0:
        raise ValueError(f"hi must be positive, got {hi}")
    rows = [(str(label), _optional(value), _optional(reference)) for label, value, reference in axes]
    angles = [-math.pi / 2 + 2 * math.pi * index / len(rows) for index in range(len(rows))]

    def point(angle: float, value: float | None) -> tuple[float, float]:
        radius = _RADAR_R * min(max(value or 0.0, 0.0), hi) / hi
        return (round(_RADAR_CX + radius * math.cos(angle), 2), round(_RADAR_CY + radius * math.sin(angle), 2))

    def points(values: Sequence[float | None]) -> str:
        return " ".join(f"{number(x)},{number(y)}" for x, y in (point(a, v) for a, v in zip(angles, values)))

    body = []
    for ring in range(1, _RADAR_RINGS + 1):
        body.append(svg_element("polygon", data_part="ring", points=points([hi * ring / _RADAR_RINGS] * len(rows)),
                        fill="none", stroke=GRID, stroke_width=1))
    for angle in angles:
        x, y = point(angle, hi)
        body.append(svg_element("line", data_part="spoke", x1=_RADAR_CX, y1=_RADAR_CY, x2=x, y2=y, stroke=GRID,
                        stroke_width=1))
    for ring in range(1, _RADAR_RINGS + 1):
        body.append(svg_element("text", number(hi * ring / _RADAR_RINGS), x=_RADAR_CX + 4,
                        y=_RADAR_CY - _RADAR_R * ring / _RADAR_RINGS + 10, font_size=9, fill=MUTED))

    values = [value for _, value, _ in rows]
    references = [reference for _, _, reference in rows]
    body.append(svg_element("polygon", data_part="entry", points=points(values), fill=PRIMARY, fill_opacity=0.25,
                    stroke=PRIMARY, stroke_width=2, stroke_linejoin="round"))
    body.append(svg_element("polygon", data_part="reference", points=points(references), fill="none", stroke=REFERENCE,
                    stroke_width=1.5, stroke_dasharray="5 4", stroke_linejoin="round"))
    for angle, value, reference in zip(angles, values, references):
        if reference is None:
            x, y = point(angle, None)
            body.append(svg_element("circle", data_part="reference-missing", cx=x, cy=y, r=4, fill=WHITE, stroke=REFERENCE,
                            stroke_width=1.5))
        x, y = point(angle, value)
        if value is None:
            body.append(svg_element("circle", data_part="entry-missing", cx=x, cy=y, r=3.5, fill=WHITE, stroke=PRIMARY,
                            stroke_width=1.5))
        else:
            body.append(svg_element("circle", data_part="entry-point", cx=x, cy=y, r=3, fill=PRIMARY))

    body.extend(_radar_label(label, angle) for (label, _, _), angle in zip(rows, angles))
    body.extend(_radar_legend(series_labels))
    return _svg(width=_RADAR_WIDTH, height=_RADAR_HEIGHT, title=title, body=body)


def _optional(value: float | None) -> float | None:
    return None if value is None else _finite(value, "a radar value")


def _radar_label(label: str, angle: float) -> Markup:
    """An axis label just outside the outer ring: left of the chart ends there, right of it starts there."""
    font_size = 12
    cos, sin = math.cos(angle), math.sin(angle)
    x = _RADAR_CX + (_RADAR_R + 12) * cos
    # The baseline moves from just above the point (top) to a line below it (bottom).
    y = _RADAR_CY + (_RADAR_R + 12) * sin + font_size * (0.35 + 0.45 * sin)
    margin = 8
    if cos > 0.2:
        anchor, room = "start", _RADAR_WIDTH - margin - x
    elif cos < -0.2:
        anchor, room = "end", x - margin
    else:
        anchor, room = "middle", 2 * min(x - margin, _RADAR_WIDTH - margin - x)
    return _label(label, x=x, y=y, anchor=anchor, max_width=room, font_size=font_size)


def _radar_legend(series_labels: tuple[str, str]) -> list[Markup]:
    entry_label, reference_label = series_labels
    top = _RADAR_HEIGHT - 44
    room = _RADAR_WIDTH - 56
    return [
        svg_element("rect", x=16, y=top, width=16, height=10, fill=PRIMARY, fill_opacity=0.25, stroke=PRIMARY,
            stroke_width=1.5),
        _label(entry_label, x=40, y=top + 9, anchor="start", max_width=room),
        svg_element("line", x1=16, y1=top + 25, x2=32, y2=top + 25, stroke=REFERENCE, stroke_width=1.5,
            stroke_dasharray="5 4"),
        _label(reference_label, x=40, y=top + 29, anchor="start", max_width=room),
    ]


# --- Leniency ---------------------------------------------------------------

_LENIENCY_WIDTH = 640
_LENIENCY_ROW = 18
_LENIENCY_TOP = 8
_LENIENCY_MIN_EXTENT = 5.0  # points either side of 0, at least


def leniency_svg(experts: Sequence[ExpertDeviation | tuple[str, float, float | None, bool]], *, title: str,
                 axis_label: str) -> Markup:
    """Each expert's mean deviation from consensus, one row each, most severe at the top.

    ``experts`` holds ``(label, deviation, stderr, flagged)`` (``ExpertDeviation``
    or plain tuples). Rows are sorted by deviation, ascending (stable: equal
    deviations keep the order given), 18 px each, so the chart grows with the
    panel. A row shows its label on the left and a dot at the deviation with a
    horizontal whisker of ± one standard error (none when ``stderr`` is None);
    a flagged expert is a red diamond with a red label instead. A vertical line
    marks 0.

    The x-range is symmetric around 0, covers every point and whisker and
    spans at least ±5 points, with ticks at a step of 1, 2 or 5 × 10^k.
    No experts: just the axis from −5 to 5. Raises ValueError for a deviation
    that is not finite or a standard error that is negative or not finite.
    """
    rows = []
    for label, deviation, stderr, flagged in experts:
        deviation = _finite(deviation, "a deviation")
        if stderr is not None:
            stderr = _finite(stderr, "a standard error")
            if stderr < 0:
                raise ValueError(f"a standard error must not be negative, got {stderr}")
        rows.append(ExpertDeviation(str(label), deviation, stderr, bool(flagged)))
    rows.sort(key=lambda row: row.deviation)

    extent = max([_LENIENCY_MIN_EXTENT] + [abs(row.deviation) + (row.stderr or 0.0) for row in rows])
    step = _nice_step(extent, 5)
    limit = math.ceil(extent / step - 1e-9) * step

    left = 16 + _label_column((row.label for row in rows), 11, least=40, most=200)
    right = _LENIENCY_WIDTH - 16
    axis_y = _LENIENCY_TOP + len(rows) * _LENIENCY_ROW + 6
    height = axis_y + 46

    def x_of(value: float) -> float:
        return left + (value + limit) / (2 * limit) * (right - left)

    body = []
    for index in range(1, len(rows), 2):
        y = _LENIENCY_TOP + index * _LENIENCY_ROW
        body.append(svg_element("rect", x=0, y=y, width=_LENIENCY_WIDTH, height=_LENIENCY_ROW, fill=BAND))
    body.extend(_x_axis(ticks=_ticks(-limit, limit, step), x_of=x_of, left=left, right=right, top=_LENIENCY_TOP,
                        y=axis_y, label=axis_label))
    body.append(svg_element("line", data_part="zero", x1=x_of(0), y1=_LENIENCY_TOP, x2=x_of(0), y2=axis_y, stroke=INK,
                    stroke_width=1.2))
    for index, row in enumerate(rows):
        y = _LENIENCY_TOP + index * _LENIENCY_ROW + _LENIENCY_ROW / 2
        body.append(_leniency_row(row, x_of=x_of, left=left, y=y))
    return _svg(width=_LENIENCY_WIDTH, height=height, title=title, body=body)


def _leniency_row(row: ExpertDeviation, *, x_of: Callable[[float], float], left: float, y: float) -> Markup:
    colour = FLAGGED if row.flagged else PRIMARY
    parts = [_label(row.label, x=left - 8, y=y + 4, anchor="end", max_width=left - 16, font_size=11,
                    fill=FLAGGED if row.flagged else INK)]
    if row.stderr is not None:
        parts.append(_whisker(x_of(row.deviation - row.stderr), x_of(row.deviation + row.stderr), y, 3,
                              data_part="whisker", stroke=colour, stroke_width=1))
    x = x_of(row.deviation)
    if row.flagged:
        diamond = f"{number(x)},{number(y - 5)} {number(x + 5)},{number(y)} {number(x)},{number(y + 5)} {number(x - 5)},{number(y)}"
        parts.append(svg_element("polygon", data_part="marker", points=diamond, fill=FLAGGED))
    else:
        parts.append(svg_element("circle", data_part="marker", cx=x, cy=y, r=4, fill=PRIMARY))
    return svg_element("g", join_lines(parts), data_part="row")
