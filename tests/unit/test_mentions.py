"""Finding an organisation's names in a text (app/entries/mentions.py): the
short-name rule and the matching."""
import pytest

from app.entries.mentions import (
    CREDIT_CODE,
    GUANGDONG_CITIES,
    NAME,
    SHORT_NAME,
    Term,
    distinctive,
    find_mentions,
    organisation_terms,
    short_names,
)
from app.reference import CITIES

CODE = "91440300MA5D12345X"


@pytest.mark.parametrize(
    ("name", "shortest", "also"),
    [
        ("广州市明珠智能科技股份有限公司", "明珠", {"明珠智能", "明珠智能科技", "广州市明珠智能科技"}),
        ("深圳市腾讯计算机系统有限公司", "腾讯", {"腾讯计算机系统"}),
        ("珠海格力电器股份有限公司", "格力", {"格力电器"}),
        ("华为技术有限公司", "华为", {"华为技术"}),
        ("美的集团股份有限公司", "美的", set()),
        ("深圳市大疆创新科技有限公司", "大疆", {"大疆创新"}),
        ("广州市番禺区明珠智能科技有限公司", "明珠", {"明珠智能科技"}),  # a district after the city
        ("明珠智能科技（广州）有限公司", "明珠", {"明珠智能科技有限公司"}),  # the region in brackets
        ("广州明珠科技有限公司佛山分公司", "明珠", {"明珠科技"}),  # a branch
        ("广东粤海控股集团有限公司", "粤海", {"粤海控股"}),
        ("华南理工大学", "华南理工", set()),
        ("广州ABC科技有限公司", "ABC", {"ABC科技"}),
        # The core is an ordinary word: the name without its form stands in.
        ("广东电网有限责任公司", "广东电网", set()),
    ],
)
def test_short_names_reach_the_trade_name(name, shortest, also):
    names = short_names(name)
    assert names[-1] == shortest
    assert also <= set(names)
    assert name not in names
    assert all(len(short) >= 2 for short in names)


@pytest.mark.parametrize(
    "name",
    [
        "中山大学",  # 中山 is a city
        "广东省人民医院",  # 人民 is an ordinary word
        "广州市第一人民医院",
        "测试科技有限公司12",
    ],
)
def test_names_without_a_distinctive_short_name_match_only_in_full(name):
    assert short_names(name) == ()
    assert [term.kind for term in organisation_terms(name)] == [NAME]


@pytest.mark.parametrize("fragment", ["明", "深圳", "广州市", "广东省", "科技", "智能", "有限公司", "集团", "中国", "人民", "2024", "AI", "ab"])
def test_fragments_that_identify_nobody_are_not_distinctive(fragment):
    assert not distinctive(fragment)


@pytest.mark.parametrize("term", ["明珠", "华南理工", "ABC", "Pearl"])
def test_trade_names_are_distinctive(term):
    assert distinctive(term)


def test_the_terms_are_the_full_name_the_short_names_and_the_credit_code():
    terms = organisation_terms("广州市明珠智能科技股份有限公司", CODE.lower())
    assert terms[0] == Term("广州市明珠智能科技股份有限公司", NAME)
    assert Term("明珠", SHORT_NAME) in terms
    assert terms[-1] == Term(CODE, CREDIT_CODE)
    assert organisation_terms("广州市明珠智能科技股份有限公司", "")[-1].kind == SHORT_NAME


def test_the_longest_term_wins_and_each_place_is_found_once():
    terms = organisation_terms("广州市明珠智能科技股份有限公司", CODE)
    text = "本项目由广州市明珠智能科技股份有限公司承担，明珠团队负责实施。"
    mentions = find_mentions(text, terms)
    assert [(m.kind, m.text) for m in mentions] == [(NAME, "广州市明珠智能科技股份有限公司"), (SHORT_NAME, "明珠")]
    assert mentions[0].before == "本项目由" and mentions[0].after.startswith("承担，明珠团队")
    assert mentions[1].before.startswith("…") and mentions[1].after == "团队负责实施。"


def test_matching_ignores_width_case_and_whitespace_inside_a_name():
    terms = organisation_terms("广州ABC科技有限公司", CODE)
    text = "合作方ａｂｃ团队；明\n珠无关；代码 ９１４４０３００ma5d12345x 。广州 ABC\n科技有限公司"
    found = [(m.kind, m.text) for m in find_mentions(text, terms)]
    # Quoted as written (whitespace runs shown as one space).
    assert found == [(SHORT_NAME, "ａｂｃ"), (CREDIT_CODE, "９１４４０３００ma5d12345x"), (NAME, "广州 ABC 科技有限公司")]


def test_latin_terms_and_the_credit_code_do_not_match_inside_longer_words():
    terms = organisation_terms("广州ABC科技有限公司", CODE)
    assert find_mentions("ABCD 与 XABC 与 ＡＢＣＤ 以及 91440300MA5D12345XY", terms) == []


def test_excerpts_are_bounded():
    terms = organisation_terms("广州市明珠智能科技股份有限公司")
    mention = find_mentions("前" * 100 + "明珠" + "后" * 100, terms)[0]
    assert mention.before == "…" + "前" * 16 and mention.after == "后" * 16 + "…"


def test_no_terms_or_no_text_find_nothing():
    assert find_mentions("明珠", ()) == []
    assert find_mentions("", organisation_terms("广州市明珠智能科技股份有限公司")) == []


def test_guangdong_cities_are_the_reference_cities():
    assert sorted(GUANGDONG_CITIES) == sorted(name for name, _label in CITIES.values())
