"""The city tile map of the case library: parsed back with ElementTree, not just looked at."""
import itertools
import xml.etree.ElementTree as ET

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from app.library.citymap import (
    PALETTE,
    TILES,
    TITLE_ID,
    city_tile_map,
    step,
    step_ranges,
)
from app.reference import CITIES

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>x</script>\"&'"
SHENZHEN, GUANGZHOU, ZHUHAI, CHAOZHOU = "440300", "440100", "440400", "445100"

# City seats (longitude, latitude), to check that the grid keeps the geography.
SEATS = {
    "440800": (110.4, 21.2), "440900": (110.9, 21.7), "441700": (112.0, 21.9), "445300": (112.0, 22.9),
    "441200": (112.5, 23.1), "440700": (113.1, 22.6), "440600": (113.1, 23.0), "440100": (113.3, 23.1),
    "441800": (113.0, 23.7), "440200": (113.6, 24.8), "442000": (113.4, 22.5), "440400": (113.6, 22.3),
    "441900": (113.75, 23.0), "440300": (114.1, 22.5), "441300": (114.4, 23.1), "441600": (114.7, 23.7),
    "441500": (115.4, 22.8), "441400": (116.1, 24.3), "445200": (116.4, 23.5), "440500": (116.7, 23.4),
    "445100": (116.6, 23.7),
}


def library_link(code):
    return f"/library/cases?city={code}"


def draw(app, counts, *, locale="en", link=library_link, title="Published scenarios by city"):
    with app.test_request_context(), force_locale(locale):
        return city_tile_map(counts, link=link, title=title)


def parse(markup):
    return ET.fromstring(str(markup))


def links(root):
    return root.findall(f"{SVG}a")


def by_city(root):
    return {a.get("data-city"): a for a in links(root)}


def part(element, name):
    (found,) = element.findall(f".//*[@data-part='{name}']")
    return found


def fill_of(link):
    return part(link, "tile").get("fill")


def contrast(a, b):
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- The grid ---------------------------------------------------------------


def test_the_grid_has_one_distinct_place_for_every_city():
    assert set(TILES) == set(CITIES)
    assert len(set(TILES.values())) == len(CITIES) == 21
    assert all(column >= 0 and row >= 0 for column, row in TILES.values())


def test_the_grid_keeps_west_east_and_north_south_order_of_cities_apart():
    for a, b in itertools.permutations(TILES, 2):
        (lon_a, lat_a), (lon_b, lat_b) = SEATS[a], SEATS[b]
        if lon_b - lon_a >= 0.6:
            assert TILES[a][0] <= TILES[b][0], f"{CITIES[a][0]} should not be east of {CITIES[b][0]}"
        if lat_a - lat_b >= 0.6:
            assert TILES[a][1] <= TILES[b][1], f"{CITIES[a][0]} should not be south of {CITIES[b][0]}"


def test_the_pearl_river_delta_cities_sit_on_adjacent_tiles():
    delta = ["441200", "440600", "440100", "441900", "441300", "440700", "442000", "440400", "440300"]
    for code in delta:
        column, row = TILES[code]
        neighbours = {(column + dc, row + dr) for dc in (-1, 0, 1) for dr in (-1, 0, 1)} - {(column, row)}
        assert any(TILES[other] in neighbours for other in delta if other != code), CITIES[code][0]


# --- Bins -------------------------------------------------------------------


def test_steps_are_fifths_of_the_maximum():
    assert step(0, 10) == 0
    assert step(0, 0) == 0
    assert [step(count, 10) for count in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert step(1, 100) == 1
    assert step(20, 100) == 1
    assert step(21, 100) == 2
    assert step(100, 100) == 5
    assert step(1, 1) == 5


def test_step_ranges_cover_every_count_once_and_agree_with_step():
    assert step_ranges(0) == [(0, 0, 0)]
    assert step_ranges(10) == [(0, 0, 0), (1, 1, 2), (2, 3, 4), (3, 5, 6), (4, 7, 8), (5, 9, 10)]
    assert step_ranges(2) == [(0, 0, 0), (3, 1, 1), (5, 2, 2)]
    for maximum in range(1, 80):
        ranges = step_ranges(maximum)
        if maximum >= 5:
            assert [k for k, _lo, _hi in ranges] == [0, 1, 2, 3, 4, 5]
        covered = [count for _k, lo, hi in ranges for count in range(lo, hi + 1)]
        assert covered == list(range(0, maximum + 1))
        for k, lo, hi in ranges:
            assert {step(count, maximum) for count in range(lo, hi + 1)} == {k}


# --- The map ----------------------------------------------------------------


def test_the_map_is_a_labelled_scalable_svg_group(app):
    markup = draw(app, {SHENZHEN: 12})

    assert isinstance(markup, Markup)
    root = parse(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == TITLE_ID
    title = root.find(f"{SVG}title")
    assert title.get("id") == TITLE_ID
    assert title.text == "Published scenarios by city"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert len(root.get("viewBox").split()) == 4
    assert "<script" not in str(markup) and "style=" not in str(markup)


def test_every_city_gets_exactly_one_tile_linking_to_its_library_page(app):
    root = parse(draw(app, {SHENZHEN: 12, GUANGZHOU: 3}))

    assert len(links(root)) == 21
    assert len(root.findall(".//*[@data-part='tile']")) == 21
    assert sorted(a.get("data-city") for a in links(root)) == sorted(CITIES)
    for a in links(root):
        assert a.get("href") == library_link(a.get("data-city"))


def test_tiles_sit_on_their_grid_places(app):
    tiles = {code: part(a, "tile") for code, a in by_city(parse(draw(app, {}))).items()}

    def place(code):
        return float(tiles[code].get("x")), float(tiles[code].get("y"))

    assert place("440800")[0] < place(GUANGZHOU)[0] < place(CHAOZHOU)[0]  # Zhanjiang, Guangzhou, Chaozhou
    assert place("440200")[1] < place(GUANGZHOU)[1] < place(ZHUHAI)[1]  # Shaoguan, Guangzhou, Zhuhai
    assert len({place(code) for code in CITIES}) == 21


def test_counts_are_printed_and_missing_cities_count_zero(app):
    cities = by_city(parse(draw(app, {SHENZHEN: 12, GUANGZHOU: 3})))

    assert part(cities[SHENZHEN], "count").text == "12"
    assert part(cities[GUANGZHOU], "count").text == "3"
    assert part(cities[ZHUHAI], "count").text == "0"


def test_the_highest_count_is_deepest_and_zero_is_grey(app):
    cities = by_city(parse(draw(app, {SHENZHEN: 12, GUANGZHOU: 12, ZHUHAI: 1, CHAOZHOU: 7})))

    assert fill_of(cities[SHENZHEN]) == fill_of(cities[GUANGZHOU]) == PALETTE[5].fill == "#0c2a4d"
    assert fill_of(cities[ZHUHAI]) == PALETTE[1].fill
    assert fill_of(cities[CHAOZHOU]) == PALETTE[3].fill  # 7 of 12 lies in (4.8, 7.2], the third fifth
    assert fill_of(cities["440800"]) == PALETTE[0].fill  # Zhanjiang: none
    assert PALETTE[0].fill == "#f2f2f2"


def test_no_published_scenario_anywhere_gives_an_all_grey_map(app):
    root = parse(draw(app, {}))

    assert {fill_of(a) for a in links(root)} == {PALETTE[0].fill}
    assert [text.text for text in root.findall(".//*[@data-part='range']")] == ["0"]


def test_unknown_codes_are_ignored(app):
    root = parse(draw(app, {"999999": 4321, "110100": 40, SHENZHEN: 2}))

    assert sorted(by_city(root)) == sorted(CITIES)
    assert fill_of(by_city(root)[SHENZHEN]) == PALETTE[5].fill  # the highest known count
    assert "4321" not in str(draw(app, {"999999": 4321}))


def test_a_negative_count_is_refused(app):
    with pytest.raises(ValueError):
        draw(app, {SHENZHEN: -1})


def test_text_has_at_least_aa_contrast_on_every_step(app):
    counts = {code: index for index, code in enumerate(CITIES)}  # 0 … 20: every step occurs
    cities = by_city(parse(draw(app, counts)))

    assert {fill_of(a) for a in cities.values()} == {swatch.fill for swatch in PALETTE}
    for a in cities.values():
        for name in ("name", "count"):
            assert contrast(part(a, name).get("fill"), fill_of(a)) >= 4.5
    assert part(cities[CHAOZHOU], "count").get("fill") == "#ffffff"  # 20 of 20: deepest, white text


def test_the_legend_shows_grey_and_the_five_steps_with_their_ranges(app):
    root = parse(draw(app, {SHENZHEN: 10, GUANGZHOU: 4}))
    legend = part(root, "legend")

    swatches = legend.findall(".//*[@data-part='swatch']")
    assert [swatch.get("fill") for swatch in swatches] == [swatch.fill for swatch in PALETTE]
    ranges = [text.text for text in legend.findall(".//*[@data-part='range']")]
    assert ranges == ["0", "1–2", "3–4", "5–6", "7–8", "9–10"]
    tiles_bottom = max(float(tile.get("y")) + float(tile.get("height"))
                       for tile in root.findall(".//*[@data-part='tile']"))
    assert all(float(swatch.get("y")) > tiles_bottom for swatch in swatches)


def test_links_carry_an_accessible_label_with_city_and_count(app):
    cities = by_city(parse(draw(app, {SHENZHEN: 12, ZHUHAI: 1})))

    assert cities[SHENZHEN].get("aria-label") == "Shenzhen: 12 published scenarios"
    assert cities[ZHUHAI].get("aria-label") == "Zhuhai: 1 published scenario"
    assert cities[GUANGZHOU].get("aria-label") == "Guangzhou: 0 published scenarios"


def test_names_follow_the_locale(app):
    english = by_city(parse(draw(app, {SHENZHEN: 12}, locale="en")))
    chinese = by_city(parse(draw(app, {SHENZHEN: 12}, locale="zh")))

    assert part(english[SHENZHEN], "name").text == "Shenzhen"
    assert part(chinese[SHENZHEN], "name").text == "深圳"
    assert "深圳" in chinese[SHENZHEN].get("aria-label")
    assert "12" in chinese[SHENZHEN].get("aria-label")
    for code, (chinese_name, _label) in CITIES.items():
        assert part(chinese[code], "name").text == chinese_name


def test_english_names_fit_their_tiles_unshortened(app):
    for a in links(parse(draw(app, {}))):
        assert not part(a, "name").text.endswith("…")


def test_text_and_attributes_are_escaped(app):
    def hostile_link(code):
        return f'/library?city={code}&x="><script>alert(1)</script>'

    markup = draw(app, {SHENZHEN: 1}, link=hostile_link, title=HOSTILE)
    root = parse(markup)

    assert root.find(f"{SVG}title").text == HOSTILE
    for a in links(root):
        assert a.get("href") == hostile_link(a.get("data-city"))
    assert root.findall(f".//{SVG}script") == []
    assert "<script>" not in str(markup)


def test_the_same_input_gives_the_same_markup(app):
    counts = {SHENZHEN: 12, GUANGZHOU: 3, ZHUHAI: 1}

    assert draw(app, counts) == draw(app, dict(reversed(list(counts.items()))))


def test_names_share_one_font_size_per_map(app):
    for locale in ("en", "zh"):
        root = parse(draw(app, {}, locale=locale))
        assert len({name.get("font-size") for name in root.findall(".//*[@data-part='name']")}) == 1
