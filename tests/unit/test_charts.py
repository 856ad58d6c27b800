"""SVG charts: parsed back with ElementTree and measured, not just looked at."""
import io
import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup
from pypdf import PdfReader

from app.pdf.render import render_pdf
from app.results.charts import (
    FLAGGED,
    DomainScores,
    ExpertDeviation,
    RadarAxis,
    distribution_svg,
    leniency_svg,
    radar_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>x</script>\"&'"
BASIC_ELEMENTS = {"svg", "g", "rect", "line", "polyline", "polygon", "circle", "path", "text", "title"}


def parse(markup):
    return ET.fromstring(str(markup))


def parts(root, name):
    return root.findall(f".//*[@data-part='{name}']")


def local(element):
    return element.tag.removeprefix(SVG)


def texts(root):
    return [element.text for element in root.iter(f"{SVG}text")]


def num(element, name):
    return float(element.get(name))


def points(polygon):
    return [tuple(float(c) for c in pair.split(",")) for pair in polygon.get("points").split()]


def axis_scale(root, lo, hi):
    """value -> x, read from the axis line (drawn from lo to hi)."""
    (axis,) = parts(root, "axis")
    x1, x2 = num(axis, "x1"), num(axis, "x2")
    return lambda value: x1 + (value - lo) / (hi - lo) * (x2 - x1)


def tick_values(root):
    return [float(tick.text) for tick in parts(root, "tick")]


def some_distribution(**overrides):
    arguments = {
        "groups": [("智能制造", [10, 20, 30, 40, 90]), ("医疗健康", [55.5, 70])],
        "title": "各领域得分分布",
        "axis_label": "得分",
    }
    return distribution_svg(**(arguments | overrides))


def some_radar(**overrides):
    arguments = {
        "axes": [("创新性", 100, 50), ("应用成效", 0, 50), ("可推广性", 50, 50), ("安全可控", None, 80)],
        "title": "评分雷达图",
        "series_labels": ("本案例", "领域均值"),
    }
    return radar_svg(**(arguments | overrides))


def some_leniency(**overrides):
    arguments = {
        "experts": [("E1", 2.5, 0.5, False), ("E2", -3.0, None, True), ("E3", 0.4, 1.0, False)],
        "title": "专家宽严度",
        "axis_label": "与共识的偏差（分）",
    }
    return leniency_svg(**(arguments | overrides))


CHARTS = {"distribution": some_distribution, "radar": some_radar, "leniency": some_leniency}


# --- Common to every chart --------------------------------------------------


@pytest.mark.parametrize("make", CHARTS.values(), ids=CHARTS.keys())
def test_chart_is_an_accessible_svg_titled_as_given(make):
    title = "得分 <b>\"&'"

    markup = make(title=title)
    root = parse(markup)

    assert isinstance(markup, Markup)
    assert local(root) == "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert local(root[0]) == "title" and root[0].text == title
    assert root.get("width") == "100%"
    assert root.get("height") is None
    min_x, min_y, width, height = (float(v) for v in root.get("viewBox").split())
    assert (min_x, min_y) == (0, 0) and width > 0 and height > 0
    assert root.get("font-family") == "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"


@pytest.mark.parametrize("make", CHARTS.values(), ids=CHARTS.keys())
def test_chart_uses_only_basic_elements_and_presentation_attributes(make):
    root = parse(make())

    assert {local(element) for element in root.iter()} <= BASIC_ELEMENTS
    for element in root.iter():
        names = set(element.keys())
        assert not names & {"style", "class", "href", "{http://www.w3.org/1999/xlink}href"}
        assert not [name for name in names if name.startswith("on")]


@pytest.mark.parametrize("make", CHARTS.values(), ids=CHARTS.keys())
def test_chart_is_deterministic(make):
    assert str(make()) == str(make())


def test_hostile_text_is_escaped_and_parses_back_exactly():
    charts = [
        distribution_svg([(HOSTILE, [50])], title="t", axis_label=HOSTILE),
        radar_svg([(HOSTILE, 10, 20), ("b", 30, 40), ("c", 50, 60)], title="t", series_labels=(HOSTILE, "&amp;")),
        leniency_svg([(HOSTILE, 1.0, None, True)], title="t", axis_label="&lt;"),
    ]

    for chart in charts:
        assert "<script>" not in str(chart)
    assert texts(parse(charts[0])).count(HOSTILE) == 2
    assert texts(parse(charts[1])).count(HOSTILE) == 2
    assert "&amp;" in texts(parse(charts[1]))
    assert {HOSTILE, "&lt;"} <= set(texts(parse(charts[2])))


def test_characters_xml_forbids_are_dropped():
    root = parse(leniency_svg([("A\x00B\x1f", 1.0, None, False)], title="T\x0b", axis_label="x"))

    assert root.get("aria-label") == "T"
    assert "AB" in texts(root)


def test_a_label_too_long_is_shortened_with_the_full_text_as_tooltip():
    label = "人工智能赋能医疗健康与公共卫生服务场景应用示范领域" * 2

    root = parse(distribution_svg([(label, [50])], title="t", axis_label="x"))

    (row,) = parts(root, "row")
    (group,) = [g for g in row.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert group.find(f"{SVG}title").text == label
    shown = group.find(f"{SVG}text").text
    assert shown.endswith("…") and label.startswith(shown[:-1]) and len(shown) < len(label)


def test_plain_tuples_and_named_records_draw_the_same():
    assert distribution_svg([DomainScores("a", [1, 2])], title="t", axis_label="x") == distribution_svg(
        [("a", (1, 2))], title="t", axis_label="x")
    assert radar_svg([RadarAxis("a", 1, 2), RadarAxis("b", 3, 4), RadarAxis("c", 5, None)], title="t") == radar_svg(
        [("a", 1, 2), ("b", 3, 4), ("c", 5, None)], title="t")
    assert leniency_svg([ExpertDeviation("a", 1, None, True)], title="t", axis_label="x") == leniency_svg(
        [("a", 1.0, None, 1)], title="t", axis_label="x")


def test_charts_render_in_a_pdf_with_their_labels_as_text(tmp_path):
    html = (
        "<html><body>"
        f"<div style='width: 15cm'>{some_distribution()}</div>"
        f"<div style='width: 12cm'>{some_radar()}</div>"
        f"<div style='width: 15cm'>{some_leniency()}</div>"
        "</body></html>"
    )

    pdf = render_pdf(html, base_url=tmp_path.as_uri() + "/", stylesheets=[], allowed_roots=[tmp_path])

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for label in ["智能制造", "n = 5", "创新性", "领域均值", "E2", "与共识的偏差（分）"]:
        assert label in text
    assert "各领域得分分布" not in text  # the <title> is for assistive technology, not drawn


# --- Distribution -----------------------------------------------------------


def test_distribution_box_spans_the_quartiles_with_the_median_line_and_whiskers_to_the_extremes():
    # Inclusive quartiles of 10, 20, 30, 40: 17.5, 25, 32.5.
    root = parse(distribution_svg([("a", [40, 10, 30, 20])], title="t", axis_label="x"))
    x = axis_scale(root, 0, 100)

    (box,) = parts(root, "box")
    (median,) = parts(root, "median")
    assert num(box, "x") == pytest.approx(x(17.5), abs=0.01)
    assert num(box, "x") + num(box, "width") == pytest.approx(x(32.5), abs=0.01)
    assert num(median, "x1") == num(median, "x2") == pytest.approx(x(25), abs=0.01)
    assert num(median, "y1") == num(box, "y")
    assert num(median, "y2") == num(box, "y") + num(box, "height")
    whisker_ends = sorted(float(v.split(" ")[0]) for w in parts(root, "whisker") for v in w.get("d")[1:].split("M"))
    assert whisker_ends[0] == pytest.approx(x(10), abs=0.01)
    assert whisker_ends[-1] == pytest.approx(x(40), abs=0.01)


def test_distribution_draws_a_dot_per_score_and_the_count_per_row():
    root = parse(some_distribution())
    x = axis_scale(root, 0, 100)

    rows = parts(root, "row")
    assert len(rows) == 2
    for row, values in zip(rows, [[10, 20, 30, 40, 90], [55.5, 70]]):
        dots = parts(row, "dot")
        assert [num(dot, "cx") for dot in dots] == pytest.approx([x(v) for v in values], abs=0.01)
        assert [local(dot) for dot in dots] == ["circle"] * len(values)
        assert parts(row, "count")[0].text == f"n = {len(values)}"


def test_distribution_single_score_is_a_dot_without_box_and_empty_group_a_dash():
    root = parse(distribution_svg([("one", [42]), ("none", [])], title="t", axis_label="x"))

    one, none = parts(root, "row")
    assert len(parts(one, "dot")) == 1
    assert parts(one, "box") == parts(one, "median") == parts(one, "whisker") == []
    assert parts(none, "empty")[0].text == "—"
    assert parts(none, "box") == parts(none, "dot") == []
    assert parts(none, "count")[0].text == "n = 0"


def test_distribution_without_groups_is_an_axis_alone():
    root = parse(distribution_svg([], title="t", axis_label="得分"))

    assert parts(root, "row") == []
    assert tick_values(root) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert "得分" in texts(root)


def test_distribution_ticks_follow_the_range_and_scores_outside_sit_at_the_ends():
    root = parse(distribution_svg([("a", [-3, 12])], title="t", axis_label="x", lo=0, hi=10))
    x = axis_scale(root, 0, 10)

    assert tick_values(root) == list(range(11))
    assert [num(dot, "cx") for dot in parts(root, "dot")] == pytest.approx([x(0), x(10)])


def test_distribution_rows_stack_down_in_the_order_given():
    root = parse(distribution_svg([("b", [1]), ("a", [2]), ("c", [3])], title="t", axis_label="x"))

    rows = parts(root, "row")
    labels = [row.find(f"{SVG}text").text for row in rows]
    ys = [num(parts(row, "dot")[0], "cy") for row in rows]
    assert labels == ["b", "a", "c"]
    assert ys == sorted(ys) and len(set(ys)) == 3


@pytest.mark.parametrize("arguments", [{"lo": 50, "hi": 50}, {"groups": [("a", [float("nan")])]},
                                       {"groups": [("a", [math.inf])]}])
def test_distribution_refuses_an_empty_range_and_scores_that_are_not_finite(arguments):
    with pytest.raises(ValueError):
        some_distribution(**arguments)


# --- Radar ------------------------------------------------------------------


def radar_geometry(root):
    """The centre and outer radius, read from the spokes (centre to the 100 % ring)."""
    spokes = parts(root, "spoke")
    centre = (num(spokes[0], "x1"), num(spokes[0], "y1"))
    radius = math.dist(centre, (num(spokes[0], "x2"), num(spokes[0], "y2")))
    return centre, radius, spokes


def test_radar_entry_vertices_lie_on_their_spokes_at_the_value_s_fraction_of_the_radius():
    root = parse(some_radar())
    centre, radius, spokes = radar_geometry(root)

    (entry,) = parts(root, "entry")
    vertices = points(entry)
    assert len(vertices) == len(spokes) == 4
    assert [math.dist(centre, v) for v in vertices] == pytest.approx([radius, 0, radius / 2, 0], abs=0.02)
    # The 100 vertex is the end of the first spoke, at the top.
    assert vertices[0] == pytest.approx((num(spokes[0], "x2"), num(spokes[0], "y2")), abs=0.02)
    assert vertices[0][1] < centre[1]
    # The 50 vertex points along the third spoke.
    half_way = ((centre[0] + num(spokes[2], "x2")) / 2, (centre[1] + num(spokes[2], "y2")) / 2)
    assert vertices[2] == pytest.approx(half_way, abs=0.02)


def test_radar_reference_is_a_dashed_outline_and_the_entry_a_translucent_fill():
    root = parse(some_radar())
    centre, radius, _ = radar_geometry(root)

    (entry,) = parts(root, "entry")
    (reference,) = parts(root, "reference")
    assert reference.get("fill") == "none" and reference.get("stroke-dasharray")
    assert 0 < float(entry.get("fill-opacity")) < 1
    assert [math.dist(centre, v) for v in points(reference)] == pytest.approx(
        [radius / 2, radius / 2, radius / 2, radius * 0.8], abs=0.02)


def test_radar_missing_values_are_drawn_at_the_centre_as_hollow_points():
    root = parse(some_radar(axes=[("a", None, 10), ("b", 20, None), ("c", 30, 40)]))
    centre, _, _ = radar_geometry(root)

    (entry_missing,) = parts(root, "entry-missing")
    (reference_missing,) = parts(root, "reference-missing")
    for marker in (entry_missing, reference_missing):
        assert (num(marker, "cx"), num(marker, "cy")) == pytest.approx(centre)
        assert marker.get("fill") == "#ffffff"
    assert len(parts(root, "entry-point")) == 2
    assert math.dist(centre, points(parts(root, "entry")[0])[0]) == pytest.approx(0)


def test_radar_values_beyond_the_scale_stay_on_the_outer_ring_and_hi_sets_the_scale():
    root = parse(radar_svg([("a", 7, 5), ("b", 5, 5), ("c", 12, -1)], title="t", hi=10))
    centre, radius, _ = radar_geometry(root)

    distances = [math.dist(centre, v) for v in points(parts(root, "entry")[0])]
    assert distances == pytest.approx([0.7 * radius, 0.5 * radius, radius], abs=0.02)
    assert math.dist(centre, points(parts(root, "reference")[0])[2]) == pytest.approx(0)


def test_radar_has_five_grid_rings_at_twenty_percent_steps():
    root = parse(some_radar())
    centre, radius, _ = radar_geometry(root)

    rings = parts(root, "ring")
    assert [math.dist(centre, points(ring)[0]) for ring in rings] == pytest.approx(
        [radius * k / 5 for k in range(1, 6)], abs=0.02)
    for label in ["20", "40", "60", "80", "100"]:
        assert label in texts(root)


def test_radar_labels_are_anchored_away_from_the_chart_and_the_legend_names_the_series():
    root = parse(some_radar())

    anchors = {element.text: element.get("text-anchor") for element in root.iter(f"{SVG}text")}
    assert anchors["创新性"] == "middle"  # top
    assert anchors["应用成效"] == "start"  # right
    assert anchors["可推广性"] == "middle"  # bottom
    assert anchors["安全可控"] == "end"  # left
    assert {"本案例", "领域均值"} <= set(texts(root))


@pytest.mark.parametrize("axes", [[], [("a", 1, 1)], [("a", 1, 1), ("b", 2, 2)]])
def test_radar_needs_three_axes(axes):
    with pytest.raises(ValueError, match="at least 3 axes"):
        radar_svg(axes, title="t")


@pytest.mark.parametrize("arguments", [{"hi": 0}, {"axes": [("a", float("nan"), 1), ("b", 1, 1), ("c", 1, 1)]}])
def test_radar_refuses_a_scale_that_is_not_positive_and_values_that_are_not_finite(arguments):
    with pytest.raises(ValueError):
        some_radar(**arguments)


# --- Leniency ---------------------------------------------------------------


def marker_centre(marker):
    if local(marker) == "circle":
        return num(marker, "cx"), num(marker, "cy")
    vertices = points(marker)
    return sum(x for x, _ in vertices) / len(vertices), sum(y for _, y in vertices) / len(vertices)


def test_leniency_rows_run_from_most_severe_to_most_lenient():
    experts = [("mild", 0.5, None, False), ("harsh", -4.0, 1.0, True), ("kind", 3.0, 0.5, False),
               ("tie-first", 0.5, None, False)]

    root = parse(leniency_svg(experts, title="t", axis_label="x"))
    x = axis_scale(root, -5, 5)

    rows = parts(root, "row")
    assert [row.find(f".//{SVG}text").text for row in rows] == ["harsh", "mild", "tie-first", "kind"]
    centres = [marker_centre(parts(row, "marker")[0]) for row in rows]
    assert [cx for cx, _ in centres] == pytest.approx([x(-4), x(0.5), x(0.5), x(3)], abs=0.01)
    assert [cy for _, cy in centres] == sorted(cy for _, cy in centres)
    assert len({cy for _, cy in centres}) == 4


def test_leniency_flagged_experts_are_diamonds_in_the_flag_colour():
    root = parse(some_leniency())

    markers = {row.find(f".//{SVG}text").text: parts(row, "marker")[0] for row in parts(root, "row")}
    assert local(markers["E2"]) == "polygon" and len(points(markers["E2"])) == 4
    assert markers["E2"].get("fill") == FLAGGED
    assert {local(markers["E1"]), local(markers["E3"])} == {"circle"}
    assert FLAGGED not in (markers["E1"].get("fill"), markers["E3"].get("fill"))


def test_leniency_whiskers_span_one_standard_error_and_only_when_given():
    root = parse(some_leniency())
    x = axis_scale(root, -5, 5)

    rows = {row.find(f".//{SVG}text").text: row for row in parts(root, "row")}
    assert parts(rows["E2"], "whisker") == []
    (whisker,) = parts(rows["E1"], "whisker")
    ends = sorted({float(segment.split(" ")[0]) for segment in whisker.get("d")[1:].split("M")})
    assert ends == pytest.approx([x(2.0), x(3.0)], abs=0.01)


def test_leniency_range_is_symmetric_and_at_least_five_points_either_side():
    root = parse(some_leniency())

    (axis,) = parts(root, "axis")
    (zero,) = parts(root, "zero")
    assert tick_values(root) == [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]
    assert num(zero, "x1") == pytest.approx((num(axis, "x1") + num(axis, "x2")) / 2, abs=0.01)


def test_leniency_range_grows_to_cover_every_point_and_whisker():
    root = parse(leniency_svg([("a", 23.0, 4.0, False), ("b", -2.0, None, False)], title="t", axis_label="x"))

    ticks = tick_values(root)
    assert ticks == [-30, -20, -10, 0, 10, 20, 30]
    x = axis_scale(root, ticks[0], ticks[-1])
    (whisker,) = parts(root, "whisker")
    ends = [float(segment.split(" ")[0]) for segment in whisker.get("d")[1:].split("M")]
    assert x(-30) <= min(ends) and max(ends) == pytest.approx(x(27), abs=0.01) and max(ends) <= x(30)


def test_leniency_grows_eighteen_pixels_an_expert_and_draws_all_of_three_hundred():
    def height(count):
        experts = [(f"专家{i:03d}", (i % 21) - 10.0, 0.5, i % 17 == 0) for i in range(count)]
        root = parse(leniency_svg(experts, title="t", axis_label="x"))
        return float(root.get("viewBox").split()[3]), len(parts(root, "row"))

    (small, small_rows), (large, large_rows) = height(10), height(300)
    assert (small_rows, large_rows) == (10, 300)
    assert large - small == pytest.approx(290 * 18)


def test_leniency_without_experts_is_an_axis_alone():
    root = parse(leniency_svg([], title="t", axis_label="偏差"))

    assert parts(root, "row") == []
    assert tick_values(root) == [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]
    assert "偏差" in texts(root)


@pytest.mark.parametrize("expert", [("a", float("nan"), None, False), ("a", 1.0, -0.5, False),
                                    ("a", 1.0, math.inf, False)])
def test_leniency_refuses_deviations_and_errors_that_make_no_sense(expert):
    with pytest.raises(ValueError):
        leniency_svg([expert], title="t", axis_label="x")
