"""This repository's own import-linter contract types (``contract_types`` in pyproject.toml).

``lint-imports`` runs from the repository's root, which it puts on ``sys.path``: that is how
it finds this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application.contract_utils import (
    AlertLevel,
    remove_ignored_imports_and_report,
)


class AcyclicContract(Contract):
    """No import cycle among the modules of ``packages``, at any depth.

    Every import counts: at module level, inside a function (a lazy import is still a
    cycle) and under ``TYPE_CHECKING``. A package's ``__init__`` is a module like any other,
    so a submodule importing its package while the package imports it is a cycle too; the
    built-in ``acyclic_siblings`` type compares siblings only and does not see that one.

    Options:
        packages: the packages none of whose modules may take part in a cycle.
        ignore_imports: imports to leave out, e.g. of a known cycle while it is removed.
        unmatched_ignore_imports_alerting: ``none``, ``warn`` or ``error`` (the default)
            when an ignored import no longer exists.
    """

    type_name = "acyclic"

    packages = fields.ListField(subfield=fields.ModuleField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        modules: set[str] = set()
        for package in self.packages:  # type: ignore[attr-defined]
            modules |= {package.name, *graph.find_descendants(package.name)}
        edges = {
            module: graph.find_modules_directly_imported_by(module) & modules
            for module in modules
        }
        cycles = sorted(
            _example_cycle(graph, component)
            for component in strongly_connected_components(edges)
            if len(component) > 1
        )
        return ContractCheck(
            kept=not cycles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"cycles": [_described(graph, cycle) for cycle in cycles]},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain, imports in check.metadata["cycles"]:
            output.print_error(f"Import cycle: {chain}")
            for line in imports:
                output.indent_cursor()
                output.print_error(line, bold=False)
            output.new_line()


def strongly_connected_components(edges: Mapping[str, Set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (an import chain may be longer than the recursion
    limit allows): each set of modules that all reach one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _example_cycle(graph: grimp.ImportGraph, component: set[str]) -> tuple[str, ...]:
    """A shortest cycle through the component's first module, as a closed chain."""
    first = min(component)
    best: tuple[str, ...] | None = None
    for imported in sorted(graph.find_modules_directly_imported_by(first) & component):
        chain = graph.find_shortest_chain(importer=imported, imported=first)
        if chain is not None and (best is None or len(chain) + 1 < len(best)):
            best = (first, *chain)
    assert best is not None  # a component of two or more always has a cycle through first
    return best


def _described(graph: grimp.ImportGraph, cycle: tuple[str, ...]) -> tuple[str, list[str]]:
    """The cycle as one chain, and where each of its imports is."""
    imports = []
    for importer, imported in zip(cycle, cycle[1:], strict=False):
        details = graph.get_import_details(importer=importer, imported=imported)
        lines = ", ".join(f"l.{d['line_number']} {d['line_contents']}" for d in details)
        imports.append(f"{importer} -> {imported} ({lines})")
    return " -> ".join(cycle), imports
