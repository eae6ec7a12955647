"""The sibling graph: together-components (placement units) and contradictions.

Children are nodes; a `together` link joins two children into one unit. A contradiction
is an `apart` link whose two children are nevertheless in one together-component
(A together with B, B together with C, A apart from C): it is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from matching.domain import SiblingLink


@dataclass(frozen=True)
class Contradiction:
    """An `apart` link inside a together-component, with the together path that joins it."""

    apart_link: SiblingLink
    component: tuple[str, ...]  # sorted child ids of the together-component
    together_path: tuple[str, ...]  # child ids from child_a to child_b over together links

    def describe(self) -> str:
        a, b = self.apart_link.child_a, self.apart_link.child_b
        path = " - ".join(self.together_path)
        return (
            f"{a} and {b} are assessed apart but are joined by together links ({path}); "
            "correct the Together and Apart assessments"
        )


def together_graph(child_ids: Iterable[str], links: Iterable[SiblingLink]) -> nx.Graph:
    """A graph of every child with an edge for each `together` link."""
    graph: nx.Graph = nx.Graph()
    graph.add_nodes_from(child_ids)
    graph.add_edges_from(
        (link.child_a, link.child_b) for link in links if link.assessment == "together"
    )
    return graph


def sibling_units(child_ids: Iterable[str], links: Iterable[SiblingLink]) -> list[tuple[str, ...]]:
    """Placement units: each child alone or with its together-component, ids sorted.

    Units are returned sorted by their first child id, so the result is deterministic.
    """
    # Union-find over the together links only: at national scale almost every child is
    # a unit alone, and a graph of every child costs more than the components.
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        if link.assessment != "together":
            continue
        a = parent.setdefault(link.child_a, link.child_a)
        b = parent.setdefault(link.child_b, link.child_b)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    components: dict[str, list[str]] = {}
    for child in parent:
        components.setdefault(root(child), []).append(child)
    units = [tuple(sorted(c)) for c in components.values()]
    units.extend((c,) for c in dict.fromkeys(child_ids) if c not in parent)
    return sorted(units)


def find_contradictions(
    child_ids: Iterable[str], links: Iterable[SiblingLink]
) -> list[Contradiction]:
    """Every `apart` link whose children share a together-component."""
    links = list(links)
    graph = together_graph(child_ids, links)
    component_of: dict[str, frozenset[str]] = {}
    for component in nx.connected_components(graph):
        frozen = frozenset(component)
        for child_id in component:
            component_of[child_id] = frozen
    found = []
    for link in links:
        if link.assessment != "apart":
            continue
        component = component_of.get(link.child_a)
        if component is None or link.child_b not in component:
            continue
        path = nx.shortest_path(graph, link.child_a, link.child_b)
        found.append(Contradiction(link, tuple(sorted(component)), tuple(path)))
    return found


def unit_of(child_id: str, units: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The unit containing `child_id`."""
    for unit in units:
        if child_id in unit:
            return unit
    raise KeyError(child_id)
