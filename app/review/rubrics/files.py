"""Rubric files: loading, and validation with file and line.

A rubric lives in ``rubrics/<key>.yaml``. When a call's review needs it, its
validated content is frozen into ``rubric_versions`` with the SHA-256 of the
canonical JSON (:func:`content_hash`; the freezing itself is in
:mod:`app.review.rubrics.services`), and every score sheet points at that
row, so editing or deleting the file later changes no sheet.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import current_app

from app.errors import DomainError

AGGREGATIONS = ("mean", "trimmed_mean", "zscore", "calibrated")
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


@dataclass(frozen=True)
class RubricProblem:
    file: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.problem}"


class RubricError(DomainError):
    """A rubric file that cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[RubricProblem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class _Checker:
    """Walks the YAML node tree so every problem can name its line."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[RubricProblem] = []

    def fail(self, node, problem: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(RubricProblem(self.source, line, problem))

    @staticmethod
    def mapping(node) -> dict[str, Any]:
        return {key.value: (key, value) for key, value in node.value} if isinstance(node, yaml.MappingNode) else {}

    def duplicates(self, node) -> None:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                if key.value in seen:
                    self.fail(key, f"duplicate key '{key.value}'")
                seen.add(key.value)
                self.duplicates(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.duplicates(item)

    def require(self, parent, fields: dict, name: str):
        if name not in fields:
            self.fail(parent, f"'{name}' is missing")
            return None
        return fields[name][1]

    def text(self, node, what: str) -> None:
        fields = self.mapping(node)
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must have 'zh' and 'en' texts")
            return
        for language in ("zh", "en"):
            value = fields.get(language)
            if value is None or not isinstance(value[1], yaml.ScalarNode) or not str(value[1].value).strip():
                self.fail(node, f"{what} has no '{language}' text")

    def number(self, node, what: str, *, positive: bool = True) -> float | None:
        try:
            value = float(node.value) if isinstance(node, yaml.ScalarNode) and node.tag.endswith((":int", ":float")) else None
        except ValueError:
            value = None
        if value is None:
            self.fail(node, f"{what} must be a number")
            return None
        if positive and value <= 0:
            self.fail(node, f"{what} must be greater than 0")
            return None
        return value


def _check(text: str, *, source: str) -> dict[str, Any]:
    checker = _Checker(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise RubricError([RubricProblem(source, mark.line + 1 if mark else None, f"not valid YAML: {problem}")]) from None
    if not isinstance(root, yaml.MappingNode):
        raise RubricError([RubricProblem(source, 1, "a rubric must be a mapping with key, name, aggregation and criteria")])
    checker.duplicates(root)
    top = checker.mapping(root)

    key = checker.require(root, top, "key")
    if key is not None and not _KEY.match(str(key.value)):
        checker.fail(key, "key must be lower-case letters, digits, '-' or '_'")
    name = checker.require(root, top, "name")
    if name is not None:
        checker.text(name, "name")
    aggregation = checker.require(root, top, "aggregation")
    if aggregation is not None and aggregation.value not in AGGREGATIONS:
        checker.fail(aggregation, f"unknown aggregation method '{aggregation.value}' (use one of: {', '.join(AGGREGATIONS)})")

    criteria = checker.require(root, top, "criteria")
    total_weight, criterion_keys = 0.0, set()
    if criteria is not None:
        if not isinstance(criteria, yaml.SequenceNode) or not criteria.value:
            checker.fail(criteria, "criteria must be a non-empty list")
        else:
            for criterion in criteria.value:
                fields = checker.mapping(criterion)
                ckey = checker.require(criterion, fields, "key")
                if ckey is not None:
                    if not _KEY.match(str(ckey.value)):
                        checker.fail(ckey, "criterion key must be lower-case letters, digits, '-' or '_'")
                    if ckey.value in criterion_keys:
                        checker.fail(ckey, f"duplicate criterion key '{ckey.value}'")
                    criterion_keys.add(ckey.value)
                cname = checker.require(criterion, fields, "name")
                if cname is not None:
                    checker.text(cname, f"criterion '{getattr(ckey, 'value', '?')}' name")
                if "description" in fields:
                    checker.text(fields["description"][1], f"criterion '{getattr(ckey, 'value', '?')}' description")
                weight = checker.require(criterion, fields, "weight")
                weight = checker.number(weight, "weight") if weight is not None else None
                total_weight += weight or 0
                maximum = checker.require(criterion, fields, "max_score")
                maximum = checker.number(maximum, "max_score") if maximum is not None else None
                if "comment_required" in fields and fields["comment_required"][1].tag != "tag:yaml.org,2002:bool":
                    checker.fail(fields["comment_required"][1], "comment_required must be true or false")
                levels = fields.get("levels", (None, None))[1]
                if levels is None or not isinstance(levels, yaml.SequenceNode) or not levels.value:
                    checker.fail(levels or criterion, f"criterion '{getattr(ckey, 'value', '?')}' has no level descriptors")
                    continue
                for level in levels.value:
                    level_fields = checker.mapping(level)
                    low = checker.require(level, level_fields, "min")
                    high = checker.require(level, level_fields, "max")
                    low = checker.number(low, "min", positive=False) if low is not None else None
                    high = checker.number(high, "max", positive=False) if high is not None else None
                    if low is not None and high is not None and (low > high or low < 0 or (maximum and high > maximum)):
                        checker.fail(level, f"level {low:g}–{high:g} must lie within 0–{maximum or 0:g} with min ≤ max")
                    for language in ("zh", "en"):
                        if language not in level_fields or not str(level_fields[language][1].value).strip():
                            checker.fail(level, f"level descriptor has no '{language}' text")
            if abs(total_weight - 100) > 1e-6:
                checker.fail(criteria, f"criterion weights add up to {total_weight:g}, not 100")

    if "vetoes" in top:
        vetoes = top["vetoes"][1]
        if not isinstance(vetoes, yaml.SequenceNode):
            checker.fail(vetoes, "vetoes must be a list")
        else:
            veto_keys = set()
            for veto in vetoes.value:
                fields = checker.mapping(veto)
                vkey = checker.require(veto, fields, "key")
                if vkey is not None:
                    if vkey.value in veto_keys or vkey.value in criterion_keys:
                        checker.fail(vkey, f"duplicate key '{vkey.value}'")
                    veto_keys.add(vkey.value)
                question = checker.require(veto, fields, "question")
                if question is not None:
                    checker.text(question, f"veto '{getattr(vkey, 'value', '?')}' question")

    if checker.problems:
        raise RubricError(checker.problems)
    content = yaml.safe_load(text)
    content.setdefault("vetoes", [])
    for criterion in content["criteria"]:
        criterion.setdefault("comment_required", False)
        criterion.setdefault("description", {"zh": "", "en": ""})
    return content


def rubrics_folder() -> Path:
    return Path(current_app.config["RUBRICS_FOLDER"])


def check_file(path: Path) -> dict[str, Any]:
    """The validated content of a rubric file; RubricError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError([RubricProblem(str(path), None, f"cannot be read: {error}")]) from None
    content = _check(text, source=str(path))
    if content["key"] != path.stem:
        raise RubricError([RubricProblem(str(path), 1, f"key '{content['key']}' must match the file name '{path.stem}'")])
    return content


def available_rubrics() -> dict[str, dict[str, Any] | RubricError]:
    """Every rubric file by key: its content, or why it cannot be used."""
    result: dict[str, dict[str, Any] | RubricError] = {}
    for path in sorted(rubrics_folder().glob("*.yaml")):
        try:
            result[path.stem] = check_file(path)
        except RubricError as error:
            result[path.stem] = error
    return result


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
