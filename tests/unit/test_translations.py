"""Every user-facing string has a Simplified Chinese translation."""
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog():
    with (ROOT / "app/translations/zh/LC_MESSAGES/messages.po").open("rb") as po_file:
        return read_po(po_file)


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_source_string_is_in_the_chinese_catalog():
    catalog = _catalog()
    missing = sorted(message for message in _source_messages() if catalog.get(message) is None)
    assert missing == [], "run `make extract-messages` and translate: %s" % missing


def test_every_catalog_entry_is_translated_with_the_same_placeholders():
    problems = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        expected = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == []
