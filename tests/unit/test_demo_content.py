"""The demo entries' vocabulary and specifications, the experts and their
panels, and the planned score sheets, without a database."""
import io
import random
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from PIL import Image

from app.accounts.credit_code import normalise_credit_code
from app.demo.entries import PARTNERS, demo_entry_specs, partner_credit_code
from app.demo.experts import EXPERTS, PANELS, affiliation_code, expert_name, panels_of
from app.demo.pictures import PICTURES, render
from app.demo.results import (
    PEARL_RIVER_DELTA,
    VETO_REASONS,
    entry_to_bring_in,
    entry_to_take_out,
)
from app.demo.scenarios import DOMAIN_TEXT, SCENARIOS
from app.demo.services import (
    ENTRY_SEED,
    PAST_QUOTA,
    PAST_TARGET,
    demo_organisations,
    open_call_schedule,
    past_call_schedule,
    review_call_schedule,
)
from app.demo.sheets import (
    Merit,
    Traits,
    camps,
    entry_merits,
    expert_traits,
    plan_sheet,
    sheet_status,
)
from app.enums import Domain, Phase, SheetStatus
from app.models import Organisation, ResultEntry
from app.models.entries import LIMITS
from app.reference import CITIES
from app.review.rubrics.files import check_file
from app.review.sheets.scoring import weighted_total

NAMES = ["{city}云智科技有限公司", "{city}南粤医疗科技有限公司", "{city}启明教育科技有限公司", "{city}天枢智能装备有限公司",
         "{city}星河软件有限公司", "{city}市人民医院", "{city}鹏城机器人有限公司", "{city}市政务服务数据管理局"]


def organisations(count: int = 30) -> list[Organisation]:
    cities = list(CITIES)
    result = []
    for index in range(count):
        city = cities[index % len(cities)]
        result.append(Organisation(name=NAMES[index % len(NAMES)].format(city=CITIES[city][0]), credit_code="", city_code=city))
    return result


def test_every_scenario_has_consistent_outcomes_and_known_pictures():
    used = set()
    for domain, scenarios in SCENARIOS.items():
        assert len(scenarios) == 6, domain
        for scenario in scenarios:
            assert len(scenario.outcomes) >= 4 and len(scenario.techs) >= 3 and 1 <= len(scenario.photos) <= 3
            for outcome in scenario.outcomes:
                low, high = outcome.after
                if outcome.relative:  # a factor that never leaves the value unchanged
                    assert high < 1 or low > 1, outcome
                elif outcome.before:  # the ranges do not overlap, so the direction is fixed
                    assert high < outcome.before[0] or low > outcome.before[1], outcome
                assert len(outcome.metric) <= LIMITS["metric"] and len(outcome.unit) <= LIMITS["unit"]
            assert all(len(tag) <= LIMITS["free_tag"] for tag in scenario.free_tags)
            used |= {name for name, _captions in scenario.photos}
    assert used == set(PICTURES)
    assert all(name in PARTNERS for text in DOMAIN_TEXT.values() for name in text.partners)


def test_partner_codes_are_valid_and_stable():
    for name in PARTNERS:
        code = partner_credit_code(name)
        assert normalise_credit_code(code) == code and code == partner_credit_code(name)
        assert code[2:8] == PARTNERS[name]


def test_specs_are_deterministic_complete_and_within_limits():
    orgs = organisations()
    specs = demo_entry_specs(orgs, random.Random(7))
    again = demo_entry_specs(orgs, random.Random(7))
    assert specs == again
    assert len(specs) == 300 and len({s.title for s in specs}) == 300
    assert {s.domain for s in specs} == set(Domain) and {s.city_code for s in specs} == set(CITIES)
    assert {s.organisation_index for s in specs} == set(range(len(orgs)))
    for spec in specs:
        for field in ("title", "summary", "problem", "solution", "deployment_scale", "investment_note", "replicability", "data_security"):
            text = getattr(spec, field)
            assert len(text) <= LIMITS[field] and "{" not in text and "}" not in text, (field, text)
        assert spec.problem and spec.solution and spec.replicability and spec.data_security
        assert 1 <= len(spec.outcomes) <= 4 and 1 <= len(spec.photos) <= 3 and len(spec.partners) <= 2
        assert all(len(caption) <= LIMITS["caption"] and "{" not in caption for _, caption in spec.photos)
        assert spec.deployment_length is None or spec.deployment_length < spec.deployment_months
        assert re.fullmatch(r"1[3-9]\d{9}", spec.contact.phone) and re.fullmatch(r"[a-z]+@org\d\d\.demo\.local", spec.contact.email)
        assert spec.investment > 0


def test_another_call_gets_other_titles_and_still_every_domain_and_city():
    orgs = organisations()
    taken = {s.title for s in demo_entry_specs(orgs, random.Random(7))}
    specs = demo_entry_specs(orgs, random.Random(8), count=280, taken=taken)
    assert specs == demo_entry_specs(orgs, random.Random(8), count=280, taken=taken)
    assert len(specs) == 280 and len({s.title for s in specs}) == 280 and not {s.title for s in specs} & taken
    assert all("（" not in s.title for s in specs)  # the vocabulary suffices: no numbered fallback titles
    # Every domain has more entries than last year's quota, so quotas can fill.
    assert min(Counter(s.domain for s in specs).values()) > PAST_QUOTA and {s.city_code for s in specs} == set(CITIES)


CITY_NAMES = {code: names[0] for code, names in CITIES.items()}
# Named after a person (Sun Yat-sen), not after the city of 中山.
NOT_A_CITY = ("中山大学",)


def _cities_named(name: str) -> set[str]:
    for exception in NOT_A_CITY:
        name = name.replace(exception, "")
    return {code for code, city in CITY_NAMES.items() if city in name}


def _calls_a_city_a_district(text: str) -> list[str]:
    """"梅州区", "梅州县", "梅州新区": a prefecture-level city called a district
    or county ("梅州区域", "梅州县域" are the city's region, not a district)."""
    pattern = re.compile(f"({'|'.join(CITY_NAMES.values())})(新区|区(?!域)|县(?!域))")
    return [match[0] for match in pattern.finditer(text)]


def test_a_city_named_in_an_organisations_name_is_its_city():
    for seed in range(5):
        for name, _code, city in demo_organisations(random.Random(seed)):
            assert _cities_named(name) == {city}, (name, CITY_NAMES[city])
    others = {name: city for name, city in PARTNERS.items()}
    others.update({name: affiliation_code(name)[2:8] for name in {expert.affiliation for expert in EXPERTS}})
    for name, city in others.items():
        assert _cities_named(name) <= {city}, (name, CITY_NAMES[city])


def test_demo_entries_are_where_their_organisation_is_and_no_city_is_called_a_district():
    orgs = [Organisation(name=name, credit_code=code, city_code=city)
            for name, code, city in demo_organisations(random.Random(ENTRY_SEED))]
    specs = demo_entry_specs(orgs, random.Random(ENTRY_SEED))
    for spec in specs:
        assert spec.city_code == orgs[spec.organisation_index].city_code, (spec.title, orgs[spec.organisation_index].name)
        texts = [spec.title, spec.summary, spec.problem, spec.solution, spec.deployment_scale, spec.replicability]
        texts += [caption for _, caption in spec.photos]
        assert not [found for text in texts for found in _calls_a_city_a_district(text)], spec.title
    assert not [found for org in orgs for found in _calls_a_city_a_district(org.name)]


def test_no_vocabulary_template_puts_a_district_after_a_city():
    """Drawn texts may miss a combination: every object a template can put
    right after ``{city}`` must not turn the city into a district."""
    for scenarios in SCENARIOS.values():
        for scenario in scenarios:
            templates = [*scenario.titles, *scenario.problems, *scenario.solutions, *scenario.scales, scenario.lead,
                         scenario.core, *(caption for _, captions in scenario.photos for caption in captions)]
            for template in templates:
                filled = [template.replace("{obj}", obj).replace("{city}", "梅州") for obj in scenario.objects]
                assert not [found for text in filled for found in _calls_a_city_a_district(text)], template


def test_a_hospital_enters_healthcare_and_a_data_bureau_government_scenarios():
    orgs = organisations()
    specs = demo_entry_specs(orgs, random.Random(7))
    assert {s.domain for s in specs if orgs[s.organisation_index].name.endswith("人民医院")} == {Domain.HEALTHCARE}
    bureau = [s for s in specs if orgs[s.organisation_index].name.endswith("管理局")]
    assert sum(s.domain == Domain.GOVERNMENT for s in bureau) > len(bureau) / 2


def test_pictures_are_deterministic_scenes():
    data = render("production_line", seed=1)
    assert data == render("production_line", seed=1)
    image = Image.open(io.BytesIO(data))
    assert image.size == (1200, 800) and image.format == "JPEG"
    # An illustration: a few hundred distinct colours at thumbnail size, neither flat nor noise.
    colours = image.convert("RGB").resize((120, 80)).getcolors(maxcolors=120 * 80)
    assert 50 < len(colours) < 5000


# --- the review under way ------------------------------------------------------------

EMAILS = [f"expert{number:02d}@demo.local" for number in range(1, 41)]
RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def test_every_expert_sits_on_one_or_two_panels_of_seven_to_nine():
    assert [spec.number for spec in EXPERTS] == list(range(1, 41))
    assert set(PANELS) == set(Domain)
    assert all(7 <= len(members) <= 9 and len(set(members)) == len(members) for members in PANELS.values())
    seats = Counter(number for members in PANELS.values() for number in members)
    assert set(seats) == set(range(1, 41)) and set(seats.values()) == {1, 2}
    assert sum(count == 2 for count in seats.values()) == 20
    assert all(spec.number in PANELS[spec.domain] and spec.domain in panels_of(spec.number) for spec in EXPERTS)
    assert all(PANELS[spec.domain][0] == spec.number for spec in EXPERTS[::5])  # the first specialist leads


def test_affiliations_have_valid_codes_the_partners_their_own():
    for spec in EXPERTS:
        code = affiliation_code(spec.affiliation)
        assert normalise_credit_code(code) == code
        if spec.affiliation in PARTNERS:
            assert code == partner_credit_code(spec.affiliation)
    assert expert_name("张伟", 27) == "张伟（深圳前海数金科技）"


def test_each_panel_keeps_five_experts_free_of_conflicts_for_any_entry():
    """An entry lists at most two partners and has one organisation: however
    they fall, five of its panel's experts can still score it."""
    for domain, members in PANELS.items():
        partners = set(DOMAIN_TEXT[domain].partners)
        specs = [EXPERTS[number - 1] for number in members]
        at_partner = Counter(spec.affiliation for spec in specs if spec.affiliation in partners)
        at_partner.update(job.name for spec in specs for job in spec.former if job.name in partners and job.left <= 3)
        applicant = any(job.applicant_domain and job.left <= 3 for spec in specs for job in spec.former)
        worst = sum(count for _name, count in at_partner.most_common(2)) + applicant
        assert len(members) - worst >= 5, domain
    # Conflicts do occur, and former employers are both recent and long ago.
    assert {job.left <= 3 for spec in EXPERTS for job in spec.former} == {True, False}


def test_expert_traits_have_a_few_lenient_a_few_harsh_and_a_few_late_experts():
    traits = expert_traits(EMAILS)
    assert traits == expert_traits(reversed(EMAILS))
    leniencies = sorted(t.leniency for t in traits.values())
    assert all(value < -6 for value in leniencies[:3]) and all(value > 6 for value in leniencies[-3:])
    assert all(-3 <= value <= 3 for value in leniencies[3:-3])
    diligence = sorted(t.diligence for t in traits.values())
    assert diligence[-3:] == [1.0] * 3 and all(value < 0.5 for value in diligence[:2]) and diligence[2] >= 0.7


def test_sheet_statuses_split_about_80_10_10():
    traits = Traits(leniency=0, diligence=0.8)
    counts = Counter(sheet_status(title=f"场景{n}", email="e@demo.local", traits=traits) for n in range(2000))
    assert 0.76 <= counts[SheetStatus.SUBMITTED] / 2000 <= 0.84
    assert 0.07 <= counts[SheetStatus.DRAFT] / 2000 <= 0.13 and 0.07 <= counts[None] / 2000 <= 0.13


@pytest.mark.parametrize("key", ["default", "healthcare"])
def test_planned_sheets_are_complete_valid_and_deterministic(key):
    rubric = check_file(RUBRICS / f"{key}.yaml")
    merit, traits = Merit(title="测试场景", quality=75, disputed=False), Traits(leniency=0, diligence=1)
    plan = plan_sheet(rubric, merit=merit, traits=traits, email="a@demo.local", status=SheetStatus.SUBMITTED, metric="良品率")
    assert plan == plan_sheet(rubric, merit=merit, traits=traits, email="a@demo.local", status=SheetStatus.SUBMITTED, metric="良品率")
    for criterion in rubric["criteria"]:
        score = plan.scores[criterion["key"]]
        assert 0 <= score <= criterion["max_score"] and score * 2 == int(score * 2)
        assert plan.comments[criterion["key"]] or not criterion["comment_required"]
    assert plan.total == weighted_total(rubric, plan.scores) and 60 < plan.total < 90
    assert plan.vetoes == {veto["key"]: False for veto in rubric["vetoes"]}

    draft = plan_sheet(rubric, merit=merit, traits=traits, email="a@demo.local", status=SheetStatus.DRAFT)
    assert draft.total is None and draft.vetoes == {} and draft.comment == ""
    assert None in draft.scores.values() and any(value is not None for value in draft.scores.values())

    vetoed = plan_sheet(rubric, merit=merit, traits=traits, email="a@demo.local", status=SheetStatus.SUBMITTED,
                        veto="false_information")
    assert vetoed.vetoes["false_information"] is True and vetoed.comment and vetoed.total < plan.total - 10


def test_lenient_experts_and_disputed_entries_score_far_apart():
    rubric = check_file(RUBRICS / "default.yaml")
    merit = Merit(title="测试场景", quality=75, disputed=False)
    lenient, harsh = Traits(leniency=8, diligence=1), Traits(leniency=-8, diligence=1)

    def total(merit, traits, camp=1):
        return plan_sheet(rubric, merit=merit, traits=traits, email="a@demo.local", status=SheetStatus.SUBMITTED, camp=camp).total

    assert total(merit, lenient) - total(merit, harsh) == pytest.approx(16, abs=0.6)
    disputed = Merit(title="测试场景", quality=75, disputed=True)
    assert total(disputed, Traits(0, 1), camp=1) - total(disputed, Traits(0, 1), camp=-1) == pytest.approx(28, abs=0.6)
    merits = entry_merits([f"场景{n}" for n in range(300)])
    assert sum(m.disputed for m in merits.values()) == 8
    assert 72 < sum(m.quality for m in merits.values()) / 300 < 78


def test_camps_split_the_submitted_sheets_of_an_entry():
    statuses = {("甲", "a"): None, ("甲", "b"): SheetStatus.SUBMITTED, ("甲", "c"): SheetStatus.DRAFT,
                ("甲", "d"): SheetStatus.SUBMITTED, ("乙", "a"): SheetStatus.SUBMITTED}
    assert camps(statuses) == {("甲", "b"): 1, ("甲", "d"): -1, ("甲", "a"): 1, ("甲", "c"): -1, ("乙", "a"): 1}


def test_the_demo_call_is_in_review_and_the_next_takes_entries(app):
    now = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)
    with app.app_context():
        review, following = review_call_schedule(now), open_call_schedule(now)
    phases = list(Phase)
    for schedule in (review, following):
        assert all(schedule[a][1] < schedule[b][0] for a, b in pairwise(phases))
    assert review[Phase.REVIEW][0] <= now < review[Phase.REVIEW][1]
    assert review[Phase.SUBMISSION][1] < review[Phase.FORMAL_CHECK][1] < now - timedelta(days=9)
    assert now - timedelta(days=61) < review[Phase.SUBMISSION][0] < now - timedelta(days=59)
    assert following[Phase.SUBMISSION][0] <= now < following[Phase.SUBMISSION][1]


def test_last_years_call_ran_52_weeks_before_and_has_ended(app):
    now = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)
    with app.app_context():
        past, review = past_call_schedule(now), review_call_schedule(now)
    assert all(past[a][1] < past[b][0] for a, b in pairwise(list(Phase)))
    assert past[Phase.PUBLICATION][1] < now - timedelta(days=270)
    for phase in Phase:
        assert [review[phase][i] - past[phase][i] for i in (0, 1)] == [timedelta(weeks=52)] * 2
    # Its selection means something: the quotas cap domains above the target.
    assert PAST_TARGET < 8 * PAST_QUOTA < 280


# --- results --------------------------------------------------------------------------


def test_every_veto_question_has_a_reason_to_confirm_and_to_dismiss_it():
    keys = {veto["key"] for key in ("default", "healthcare") for veto in check_file(RUBRICS / f"{key}.yaml")["vetoes"]}
    assert set(VETO_REASONS) == {(key, confirmed) for key in keys for confirmed in (True, False)}
    assert all(reason.endswith("。") for reason in VETO_REASONS.values())


def _row(entry_id: int, decision: str, *, city: str = "440100", flags=(), veto: str = "none") -> ResultEntry:
    return ResultEntry(entry_id=entry_id, rank=entry_id, decision=decision, city_code=city, domain=Domain.CITY,
                       disagreement_flags=list(flags), veto_status=veto, raw_max=88.425, raw_min=59.875)


def test_the_chair_brings_in_the_best_entry_from_outside_the_delta_and_takes_out_the_lowest_disputed_one():
    rows = [
        _row(1, "selected", flags=["sd"]), _row(2, "selected"), _row(3, "selected", flags=["range"]), _row(4, "selected"),
        _row(5, "quota_full", city="440800"), _row(6, "target_reached", city="441300"),
        _row(7, "target_reached", city="440900", veto="confirmed"), _row(8, "target_reached", city="445100"),
        _row(9, "target_reached", city="440800"),
    ]
    assert "441300" in PEARL_RIVER_DELTA and "445100" not in PEARL_RIVER_DELTA
    row, reason = entry_to_bring_in(rows)
    assert row.entry_id == 8 and reason.startswith("该场景位于潮州市，是粤东西北地区智慧城市领域")
    row, reason = entry_to_take_out(rows)
    assert row.entry_id == 3 and "最高88.4分、最低59.9分" in reason
    assert entry_to_bring_in(rows[:6]) is None and entry_to_take_out([_row(1, "selected")]) is None
