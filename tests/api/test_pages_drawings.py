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
