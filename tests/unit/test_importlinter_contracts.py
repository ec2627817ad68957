"""The repository's own import-linter contract types (tests/importlinter_contracts.py)."""

from __future__ import annotations

import sys

import grimp

from tests.importlinter_contracts import AcyclicContract, strongly_connected_components


def graph_of(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for package in ("pkg", "other"):
        graph.add_module(package)
    for importer, imported in imports:
        for module in (importer, imported):
            graph.add_module(module)
        graph.add_import(importer=importer, imported=imported, line_number=1,
                         line_contents=f"import {imported}")
    return graph


def contract(**options: object) -> AcyclicContract:
    return AcyclicContract(name="acyclic", session_options={},
                           contract_options={"packages": ["pkg"], **options})


def test_components() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    components = strongly_connected_components(edges)
    assert sorted(map(sorted, components)) == [["a", "b", "c"], ["d"], ["e"]]


def test_a_long_chain_needs_no_recursion() -> None:
    n = 5 * sys.getrecursionlimit()
    edges = {f"m{i}": {f"m{i + 1}"} for i in range(n)} | {f"m{n}": {"m0"}}
    (component,) = strongly_connected_components(edges)
    assert len(component) == n + 1


def test_a_package_and_its_submodule_in_a_cycle_break_the_contract() -> None:
    """The cycle the built-in acyclic_siblings type does not see: parent and child."""
    graph = graph_of(("pkg.cli", "pkg.cli.group"), ("pkg.cli.group", "pkg.cli.state"),
                     ("pkg.cli.state", "pkg.cli"), ("pkg.cli.state", "pkg.settings"))
    check = contract().check(graph, verbose=False)
    assert not check.kept
    ((chain, imports),) = check.metadata["cycles"]
    assert chain == "pkg.cli -> pkg.cli.group -> pkg.cli.state -> pkg.cli"
    assert imports[-1] == "pkg.cli.state -> pkg.cli (l.1 import pkg.cli)"


def test_an_ignored_import_keeps_the_contract() -> None:
    imports = (("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"), ("pkg.b", "other.c"))
    assert not contract().check(graph_of(*imports), verbose=False).kept
    check = contract(ignore_imports=["pkg.b -> pkg.a"]).check(graph_of(*imports), verbose=False)
    assert check.kept and check.ignored_import_count == 1


def test_cycles_outside_the_packages_do_not_count() -> None:
    graph = graph_of(("other.a", "other.b"), ("other.b", "other.a"), ("pkg.a", "other.a"))
    assert contract().check(graph, verbose=False).kept
