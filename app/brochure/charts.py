"""The chapter opener's chart: the largest groups of a chapter's scenarios
as horizontal bars, in inline SVG (labels cut to fit and escaped)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from markupsafe import Markup, escape

from app.brochure.fitting import PT, fit

CHART_ROWS = 9  # the opener's chart: the largest groups, the rest summed up as "Other"
#: The chart's text: the build's cut of Noto Sans CJK SC first (app/brochure/fonts.py).
CHART_FONTS = "&#39;Noto Sans CJK SC Subset&#39;, &#39;Noto Sans CJK SC&#39;, sans-serif"


def chart_rows(counts: Counter, *, other: str) -> list[tuple[str, int]]:
    """The largest groups by count (then name); past CHART_ROWS the rest are summed up as ``other``."""
    rows = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    if len(rows) > CHART_ROWS:
        rest = sum(count for _label, count in rows[CHART_ROWS - 1:])
        rows = rows[: CHART_ROWS - 1] + [(other, rest)]
    return rows


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars of counts, labels left, counts right: inline SVG (text escaped)."""
    label_width, bar_width, count_width, row_height, font = 64.0, 170.0, 24.0, 22.0, 11.0
    width = label_width + bar_width + count_width
    height = max(1, len(rows)) * row_height
    most = max((count for _label, count in rows), default=1) or 1
    parts = [f"<title>{escape(title)}</title>"]
    for index, (label, count) in enumerate(rows):
        y = index * row_height
        length = max(2.0, bar_width * count / most)
        shown = fit(label, width_mm=label_width - 6, size_pt=font / PT)  # SVG units in place of mm
        parts.append(
            f'<text x="{label_width - 6:.0f}" y="{y + 15:.0f}" text-anchor="end" fill="#33465e">{escape(shown)}</text>'
            f'<rect x="{label_width:.0f}" y="{y + 4:.0f}" width="{length:.1f}" height="14" fill="#1d4e89"/>'
            f'<text x="{label_width + length + 5:.1f}" y="{y + 15:.0f}" fill="#1d4e89" font-weight="bold">{count}</text>'
        )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="{CHART_FONTS}" font-size="{font:.0f}">'
        + "".join(parts) + "</svg>"
    )
