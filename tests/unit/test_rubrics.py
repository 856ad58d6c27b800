"""Rubric files: every kind of broken file is refused with its file and line."""
from pathlib import Path

import pytest
import yaml

from app.review.rubrics.files import RubricError, _check, check_file, content_hash
from app.review.sheets.scoring import level_for, weighted_total

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "rubrics" / "default.yaml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as refused:
        _check(text, source="broken.yaml")
    return [str(problem) for problem in refused.value.problems]


@pytest.mark.parametrize("name", ["default", "healthcare"])
def test_shipped_rubrics_are_valid_and_weigh_100(name):
    content = check_file(ROOT / "rubrics" / f"{name}.yaml")
    assert sum(c["weight"] for c in content["criteria"]) == 100
    assert content["aggregation"] == "trimmed_mean"
    assert all(c["levels"] for c in content["criteria"])


def test_healthcare_adds_clinical_safety():
    content = check_file(ROOT / "rubrics" / "healthcare.yaml")
    assert "clinical_safety" in [c["key"] for c in content["criteria"]]


def test_bad_yaml_names_the_line():
    assert problems("key: x\n  bad: [\n") == ["broken.yaml:2: not valid YAML: mapping values are not allowed here"]


def test_weights_must_add_up_to_100():
    text = GOOD.replace("    weight: 25\n", "    weight: 30\n", 1)
    assert any("criterion weights add up to 105, not 100" in p for p in problems(text))


def test_unknown_aggregation_method():
    text = GOOD.replace("aggregation: trimmed_mean", "aggregation: median")
    [problem] = problems(text)
    assert problem.startswith("broken.yaml:7: unknown aggregation method 'median'")


def test_duplicate_yaml_keys_and_duplicate_criterion_keys():
    duplicate_mapping = GOOD.replace("aggregation: trimmed_mean", "aggregation: trimmed_mean\naggregation: mean")
    assert any("duplicate key 'aggregation'" in p for p in problems(duplicate_mapping))
    duplicate_criterion = GOOD.replace("- key: innovation", "- key: replicability")
    assert any("duplicate criterion key 'replicability'" in p for p in problems(duplicate_criterion))


def test_missing_descriptors_and_texts():
    content = yaml.safe_load(GOOD)
    content["criteria"][0]["levels"] = []
    del content["criteria"][1]["name"]["en"]
    found = problems(yaml.safe_dump(content, allow_unicode=True))
    assert any("criterion 'technical_advancement' has no level descriptors" in p for p in found)
    assert any("criterion 'integration_depth' name has no 'en' text" in p for p in found)


def test_level_outside_the_maximum():
    text = GOOD.replace("{min: 90, max: 100, zh: 国际领先", "{min: 90, max: 120, zh: 国际领先")
    assert any("must lie within 0–100" in p for p in problems(text))


def test_the_key_must_match_the_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RubricError, match="must match the file name 'other'"):
        check_file(path)


def test_content_hash_ignores_formatting_but_not_content():
    content = _check(GOOD, source="a")
    reformatted = _check(yaml.safe_dump(yaml.safe_load(GOOD), allow_unicode=True), source="b")
    assert content_hash(content) == content_hash(reformatted)
    changed = _check(GOOD.replace("weight: 25", "weight: 24").replace("weight: 15", "weight: 16"), source="c")
    assert content_hash(changed) != content_hash(content)


def test_weighted_total_and_levels():
    content = _check(GOOD, source="a")
    scores = {c["key"]: 80 for c in content["criteria"]}
    assert weighted_total(content, scores) == 80
    scores["measured_outcomes"] = 100  # weight 25: +5
    assert weighted_total(content, scores) == 85
    scores["innovation"] = None
    assert weighted_total(content, scores) is None
    criterion = content["criteria"][0]
    assert level_for(criterion, 92)["min"] == 90 and level_for(criterion, 75)["min"] == 75


def test_cli_check_lists_every_problem(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("key: default", "key: bad").replace("aggregation: trimmed_mean", "aggregation: median"), encoding="utf-8")
    result = runner.invoke(args=["rubrics", "check", str(ROOT / "rubrics" / "default.yaml"), str(bad)])
    assert result.exit_code == 1
    assert "ok    " in result.output and f"ERROR {bad}:7: unknown aggregation method 'median'" in result.output
