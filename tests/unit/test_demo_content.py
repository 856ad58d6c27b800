"""The demo entries' vocabulary and specifications, without a database."""
import io
import random
import re

from PIL import Image

from app.accounts.credit_code import normalise_credit_code
from app.demo.entries import PARTNERS, demo_entry_specs, partner_credit_code
from app.demo.pictures import PICTURES, render
from app.demo.scenarios import DOMAIN_TEXT, SCENARIOS
from app.models import Organisation
from app.models.entries import LIMITS
from app.reference import CITIES, Domain

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
