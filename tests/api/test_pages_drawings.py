"""The pages' drawings (score bars, sibling links) and the contradiction warning."""

from __future__ import annotations

from api.pages.drawings import criterion_colours, score_bar, sibling_drawing, sibling_group
from matching.domain import SiblingLink
from matching.siblings import find_contradictions
from tests.api.conftest import TINY, ApiEnv
from tests.api.test_pages_access import csrf_of, sign_in


def test_score_bar_is_proportional_to_points_over_the_most_possible() -> None:
    contributions = [
        {"criterion": "needs", "points": 30.0, "max_points": 40.0},
        {"criterion": "age_fit", "points": 0.0, "max_points": 10.0},
        {"criterion": "identity", "points": 10.0, "max_points": 50.0},
    ]
    colours = criterion_colours(c["criterion"] for c in contributions)
    segments = score_bar(contributions, colours, width=500)
    assert [(s.criterion, s.x, s.width) for s in segments] == [
        ("needs", 0.0, 150.0),
        ("identity", 150.0, 50.0),
    ]
    assert len(set(colours.values())) == 3


def test_sibling_group_follows_every_link_and_flags_the_contradiction() -> None:
    links = [
        SiblingLink("A", "B", "full", "together"),
        SiblingLink("B", "C", "half", "together"),
        SiblingLink("A", "C", "half", "apart"),
        SiblingLink("X", "Y", "full", "together"),
    ]
    group, group_links = sibling_group("C", links)
    assert group == ["A", "B", "C"]
    assert len(group_links) == 3
    drawing = sibling_drawing(
        "C", group, {"C": "Cal"}, group_links, find_contradictions(group, group_links)
    )
    assert drawing.nodes[0].child_id == "C" and drawing.nodes[0].focus
    assert drawing.nodes[0].label == "Cal"
    flagged = [(e.a.child_id, e.b.child_id) for e in drawing.edges if e.contradiction]
    assert flagged == [("A", "C")]


def test_contradictory_links_are_imported_with_a_warning_shown_on_the_children(
    api_env: ApiEnv,
) -> None:
    # Issue #12 changed this: a contradiction used to refuse the whole import; now it is
    # imported as recorded, the admin sees the warning at its file and line, and the
    # children's pages flag it.
    page = sign_in(api_env, "family_finder").get("/children/C001").text
    assert page.count("<circle") == 3  # C001, C002, C003 on the drawing
    assert "Contradictory assessments" not in page

    links = (TINY / "sibling_links.csv").read_text(encoding="utf-8")
    links = links.replace("C001,C003,half,together", "C001,C003,half,apart")
    admin = sign_in(api_env, "admin")
    token = csrf_of(admin.get("/admin").text)
    response = admin.post(
        "/admin/imports",
        data={"csrf_token": token},
        files={
            "children": ("children.csv", (TINY / "children.csv").read_bytes(), "text/csv"),
            "households": ("households.csv", (TINY / "households.csv").read_bytes(), "text/csv"),
            "sibling_links": ("sibling_links.csv", links.encode(), "text/csv"),
        },
    )
    assert response.status_code == 200
    assert "sibling_links.csv:4: warning: C001 and C003 are assessed apart" in response.text
    page = sign_in(api_env, "family_finder").get("/children/C001").text
    assert "apart</td>" in page  # imported as recorded
    assert "Contradictory assessments" in page


def test_bars_are_proportional_and_a_hidden_count_draws_nothing() -> None:
    from api.pages.drawings import CHART_COLOURS, bar_rows

    rows = bar_rows(
        [("A", (30, 10)), ("B", ("c", 20)), ("C", (None, 0))],
        ("Placed", "Cannot be placed"),
        stacked=True,
    )
    a, b, c = rows
    # the longest row (A: 40 children) fills the width; the parts end to end
    assert [(bar.x, bar.width) for bar in a.bars] == [(0.0, 75.0), (75.0, 25.0)]
    assert [bar.colour for bar in a.bars] == list(CHART_COLOURS[:2])
    # "c" is hidden: no bar, its words say so
    assert [(bar.series, bar.width) for bar in b.bars] == [("Cannot be placed", 50.0)]
    assert b.description == "B: Placed c; Cannot be placed 20"
    assert c.bars == [] and c.values[0].words == "not counted"
    side = bar_rows([("A", (4, 8))], ("Households", "Children"))
    assert [(bar.lane, bar.x, bar.width) for bar in side[0].bars] == [
        (0, 0.0, 50.0),
        (1, 0.0, 100.0),
    ]
    assert side[0].lanes == 2
