"""The shape of the code base: no import cycle anywhere in app/ (imports
inside functions included), and no module too long to read.

The layers themselves are import-linter contracts in pyproject.toml, which
``make test`` checks with ``lint-imports``.
"""
from pathlib import Path

import grimp
import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 600
# Long by nature: the demo's scenario texts.
LONG_ALLOWED = {"app/demo/scenarios/economy.py", "app/demo/scenarios/public.py", "app/demo/scenarios/social.py"}


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of modules (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("app", cache_dir=None)


def test_no_import_cycle_anywhere_in_app(graph):
    cycles = import_cycles(graph)
    described = []
    for group in cycles:
        members = set(group)
        chain = graph.find_shortest_chain(importer=group[0], imported=next(
            module for module in sorted(graph.find_modules_directly_imported_by(group[0])) if module in members))
        back = graph.find_shortest_chain(importer=chain[-1], imported=group[0])
        described.append(" → ".join([*chain, *back[1:]]))
    assert described == [], "import cycles:\n" + "\n".join(described)


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_no_module_over_600_lines():
    long = {
        str(path.relative_to(APP.parent)): count
        for path in APP.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {name: count for name, count in long.items() if name not in LONG_ALLOWED} == {}
