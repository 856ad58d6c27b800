"""Every audit action the app records has a translated label (issue 16, item 2):
the actions are found in the source, so a new ``record(...)`` without a label
fails here instead of showing its raw key in a Chinese history."""
import ast
from pathlib import Path

from babel.messages.pofile import read_po

from app.audit.labels import ACTION_LABELS
from app.entries.states import RULES
from app.enums import ConflictSource

APP = Path(__file__).resolve().parents[2] / "app"
CATALOG = APP / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
# The functions that write an audit row and take the action as ``action=``.
RECORDERS = {"record", "_audit"}


def _dynamic_actions(path: Path, expression: ast.expr, tree: ast.Module) -> set[str]:
    """The actions an ``action=`` that is not a literal can take, by where it is.
    A new kind of dynamic action must be added here, or the test fails."""
    source = ast.unparse(expression)
    where = path.relative_to(APP).as_posix()
    if where == "entries/states.py" and source == "rule.action":
        return {rule.action for rules in RULES.values() for rule in rules}
    if where == "review/conflicts.py" and source == "f'conflict.{source.value}'":
        return {f"conflict.{member.value}" for member in ConflictSource}
    if where == "accounts/memberships.py" and source == "action":
        return _dict_values(tree, "_MEMBERSHIP_ACTIONS")
    if where == "library/services.py" and source == "action":
        return set()  # _audit forwards its own action=, whose callers are scanned too
    raise AssertionError(f"app/{where}: action={source} is not a literal; teach this test its values")


def _dict_values(tree: ast.Module, name: str) -> set[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == name for target in node.targets):
            return {value.value for value in node.value.values}
    raise AssertionError(f"{name} not found")


def recorded_actions() -> set[str]:
    """Every action string passed to an audit recorder, or put in a bulk-inserted audit row, in app/."""
    actions: set[str] = set()
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in RECORDERS:
                for keyword in node.keywords:
                    if keyword.arg != "action":
                        continue
                    literals = {sub.value for sub in ast.walk(keyword.value)
                                if isinstance(sub, ast.Constant) and isinstance(sub.value, str)}
                    if isinstance(keyword.value, (ast.Constant, ast.IfExp)):
                        actions |= literals
                    else:
                        actions |= _dynamic_actions(path, keyword.value, tree)
    return actions


def test_the_scan_finds_the_actions_of_every_kind_of_recorder():
    actions = recorded_actions()
    # A literal, both sides of a conditional, the transition table, the
    # conflict sources, the membership table, the library's own helper.
    assert {"call.created", "sheet.saved", "sheet.autosaved", "entry.submitted", "conflict.chair",
            "organisation.join_approved", "library.unfeatured"} <= actions
    assert len(actions) > 80


def test_every_recorded_action_has_a_label():
    missing = sorted(recorded_actions() - set(ACTION_LABELS))
    assert missing == []


def test_every_action_label_is_translated_into_chinese():
    with CATALOG.open("rb") as po_file:
        catalog = read_po(po_file)
    untranslated = sorted(
        key for key, label in ACTION_LABELS.items()
        if not (message := catalog.get(label._args[0])) or not message.string or message.fuzzy
    )
    assert untranslated == []
