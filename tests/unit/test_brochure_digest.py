"""The builder's cache keys: a hash of the inputs made plain, whether they come plain or not."""
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from app.brochure.builder import _digest, _plain


@dataclass(frozen=True)
class Line:
    title: str
    page: int


@dataclass(frozen=True)
class Part:
    lines: tuple[Line, ...]
    pages_of: dict
    printed: date
    folder: Path


PART = Part(lines=(Line("智能质检", 3), Line("港口调度", 4)), pages_of={"a": 3, "b": 4}, printed=date(2026, 12, 7),
            folder=Path("/srv/brochure"))


def test_a_part_and_its_plain_form_hash_the_same():
    # The builder hashes the payloads made plain, the options and the table of contents as they come.
    assert _digest(PART, "zh", [PART.lines[0]]) == _digest(_plain(PART), "zh", [_plain(PART.lines[0])])
    assert _plain(PART)["printed"] == "2026-12-07" and _plain(PART)["folder"] == "/srv/brochure"


def test_a_change_anywhere_in_a_part_changes_its_hash():
    changed = [replace(PART, lines=(Line("智能质检", 3), Line("港口调度", 5))),
               replace(PART, pages_of={"a": 3, "b": 5}),
               replace(PART, printed=date(2026, 12, 8)),
               replace(PART, folder=Path("/srv/other"))]
    digests = {_digest(part) for part in [PART, *changed]}
    assert len(digests) == 1 + len(changed)
    assert _digest(PART, "zh") != _digest(PART, "en") != _digest("zh", PART)
