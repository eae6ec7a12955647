"""The sibling graph: placement units and contradictions (matching.siblings)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.csv_format import read_authority
from matching.domain import SiblingLink
from matching.siblings import find_contradictions, sibling_units, together_graph, unit_of

# The hand-worked authority from shared/examples/tiny, kept in the repo.
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"


def link(a: str, b: str, assessment: str, relationship: str = "full") -> SiblingLink:
    return SiblingLink(a, b, relationship, assessment)


def test_a_child_without_links_is_a_unit_alone() -> None:
    assert sibling_units(["C2", "C1"], []) == [("C1",), ("C2",)]


def test_together_links_join_children_transitively() -> None:
    links = [link("A", "B", "together"), link("C", "B", "together")]
    assert sibling_units(["A", "B", "C", "D"], links) == [("A", "B", "C"), ("D",)]


@pytest.mark.parametrize("assessment", ["pending", "apart"])
def test_pending_and_apart_links_do_not_join_units(assessment: str) -> None:
    links = [link("A", "B", "together"), link("B", "C", assessment)]
    assert sibling_units(["A", "B", "C"], links) == [("A", "B"), ("C",)]


def test_tiny_example_units() -> None:
    with (
        (TINY / "children.csv").open("rb") as children,
        (TINY / "households.csv").open("rb") as households,
        (TINY / "sibling_links.csv").open("rb") as links,
    ):
        authority = read_authority(children, households, links, as_of=date(2026, 6, 1))
    units = sibling_units([c.child_id for c in authority.children], authority.links)
    assert units == [
        ("C001", "C002", "C003"),
        ("C004",),
        ("C005",),
        ("C006",),
        ("C011",),
        ("C012",),
    ]
    assert unit_of("C002", units) == ("C001", "C002", "C003")
    # Dee and Eli are assessed apart, in different units: no contradiction
    assert find_contradictions([c.child_id for c in authority.children], authority.links) == []


def test_units_do_not_depend_on_input_order() -> None:
    ids = [f"C{i:02d}" for i in range(12)]
    links = [
        link("C03", "C01", "together"),
        link("C01", "C07", "together"),
        link("C10", "C11", "together"),
        link("C04", "C05", "pending"),
        link("C02", "C09", "apart"),
    ]
    expected = sibling_units(ids, links)
    assert expected == [
        ("C00",),
        ("C01", "C03", "C07"),
        ("C02",),
        ("C04",),
        ("C05",),
        ("C06",),
        ("C08",),
        ("C09",),
        ("C10", "C11"),
    ]
    shuffler = random.Random(7)
    for _ in range(20):
        shuffler.shuffle(ids)
        shuffler.shuffle(links)
        assert sibling_units(ids, links) == expected


def test_abc_contradiction_is_found_with_its_path() -> None:
    apart = link("A", "C", "apart", "half")
    links = [link("A", "B", "together"), link("B", "C", "together"), apart]
    (found,) = find_contradictions(["A", "B", "C"], links)
    assert found.apart_link == apart
    assert found.component == ("A", "B", "C")
    assert found.together_path == ("A", "B", "C")
    assert "A and C are assessed apart" in found.describe()
    assert "(A - B - C)" in found.describe()


def test_apart_across_units_and_pending_paths_are_not_contradictions() -> None:
    links = [
        link("A", "B", "together"),
        link("B", "C", "pending"),
        link("A", "C", "apart"),
        link("D", "E", "apart"),
    ]
    assert find_contradictions(["A", "B", "C", "D", "E"], links) == []


def test_every_contradiction_is_reported_in_link_order() -> None:
    links = [
        link("A", "B", "together"),
        link("B", "C", "together"),
        link("C", "A", "apart"),
        link("B", "A", "apart"),  # also a pair already linked: reported by the reader
    ]
    found = find_contradictions(["A", "B", "C"], links)
    assert [c.apart_link for c in found] == [links[2], links[3]]
    assert found[0].together_path == ("C", "B", "A")
    assert found[1].together_path == ("B", "A")


def test_unit_of_an_unknown_child_raises() -> None:
    with pytest.raises(KeyError):
        unit_of("Z", [("A",)])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("ABCDEFGHIJ"), max_size=10),
    st.lists(
        st.tuples(
            st.sampled_from("ABCDEFGHIJKL"),
            st.sampled_from("ABCDEFGHIJKL"),
            st.sampled_from(["together", "apart", "pending"]),
        ),
        max_size=14,
    ),
)
def test_units_are_the_together_graph_components(
    child_ids: list[str], raw_links: list[tuple[str, str, str]]
) -> None:
    # the graph definition, with networkx, against the union-find the service runs
    links = [link(a, b, assessment) for a, b, assessment in raw_links if a != b]
    graph = together_graph(child_ids, links)
    expected = sorted(tuple(sorted(c)) for c in nx.connected_components(graph))
    assert sibling_units(child_ids, links) == expected
