"""The shape of pwa/ that import-linter cannot check (issue 14; the contracts themselves are in
pyproject.toml and run by `make test` as lint-imports).

- No import cycle: no module of pwa/ reaches itself through its imports. Every import
  statement counts, also one inside a function or under `if TYPE_CHECKING:`, since those are
  the usual ways a cycle is hidden.
- Every Python file of pwa/ is in the graph: grimp (and so import-linter) silently skips a
  folder without an __init__.py, so a domain package without one would escape every contract.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PWA = Path(__file__).resolve().parent.parent / "pwa"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("pwa", cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One cycle for each import that closes one: importer -> imported -> … -> importer."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                found.append((importer, *back))
    return found


def test_every_module_of_pwa_is_in_the_import_graph(graph: grimp.ImportGraph) -> None:
    on_disk = {
        ".".join(path.relative_to(PWA.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in PWA.rglob("*.py")
    }
    assert on_disk - graph.modules == set(), "a folder of pwa/ needs an __init__.py"


def test_no_import_cycle_in_pwa(graph: grimp.ImportGraph) -> None:
    assert cycles(graph) == []


def test_a_cycle_is_found() -> None:
    """The check itself: a graph with a cycle three modules long is refused."""
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.d", imported="pkg.a")
    assert ("pkg.a", "pkg.b", "pkg.c", "pkg.a") in cycles(graph)
    assert all("pkg.d" not in cycle for cycle in cycles(graph))
