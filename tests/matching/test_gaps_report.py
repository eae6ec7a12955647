"""The gap report end to end: known deficiencies, targets that place what they claim,
what-if households, agreement with the allocate round, determinism."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.domain import Authority, Child, Household, SiblingLink
from matching.feasibility import build_instance
from matching.gaps.report import gap_report
from matching.gaps.targets import AddSpecError, parse_add_spec
from matching.rounds import RoundParams, random_instance, solve_round
from matching.synthetic import generate_authority
from tests.matching.placeable_oracle import max_children_placed

AS_OF = date(2026, 6, 1)
# The hand-worked authority from shared/examples/tiny, kept in the repo.
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
REQUIRED_KEYS = {
    "children_waiting",
    "children_placeable",
    "children_unplaceable",
    "units_unplaceable",
    "by_profile",
    "recruitment_targets",
    "personas",
    "suppressed",
    "method",
}


def make_child(child_id: str, **overrides: object) -> Child:
    values: dict[str, object] = {
        "child_id": child_id,
        "first_name": f"Name{child_id}",
        "date_of_birth": date(2014, 1, 15),  # 12 on AS_OF
        "sex": "female",
        "ethnicity": "WBRI",
        "plan": "long_term_foster",
        "status": "waiting",
        "home_lat": 54.77,
        "home_lon": -1.57,
        "entered_care_on": date(2024, 1, 1),
    }
    values.update(overrides)
    return Child(**values)  # type: ignore[arg-type]


def make_household(household_id: str, **overrides: object) -> Household:
    values: dict[str, object] = {
        "household_id": household_id,
        "kind": "foster",
        "term": "long",
        "provider": "in_house",
        "approved_min_age": 10,
        "approved_max_age": 15,
        "approved_places": 1,
        "max_sibling_group": 1,
        "vacancies": 1,
        "lat": 54.80,
        "lon": -1.55,
        "status": "available",
    }
    values.update(overrides)
    return Household(**values)  # type: ignore[arg-type]


def hall_authority() -> Authority:
    """Three 12-year-olds only one household can take, a fourth with its own household."""
    children = (
        *tuple(make_child(f"C00{i}") for i in range(1, 4)),
        make_child("C004", date_of_birth=date(2019, 3, 1), plan="adoption"),
    )
    households = (
        make_household("H001"),
        make_household("H002", kind="adopter", term=None, approved_min_age=0, approved_max_age=8),
    )
    return Authority(children, households, ())


def tiny_authority() -> Authority:
    with (
        (TINY / "children.csv").open("rb") as c,
        (TINY / "households.csv").open("rb") as h,
        (TINY / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(c, h, links, as_of=AS_OF)


def test_tiny_example_nobody_unplaceable() -> None:
    report = gap_report(tiny_authority(), as_of=AS_OF)
    out = report.to_dict()
    assert set(out) >= REQUIRED_KEYS
    assert report.children_waiting == report.children_placeable == 8
    assert out["children_unplaceable"] == 0 and out["units_unplaceable"] == 0
    assert out["recruitment_targets"] == [] and out["personas"] == []
    assert out["suppressed"] is True
    assert out["placeable_exact"] is True
    assert all(row["units_unplaceable"] == 0 for row in out["by_profile"])


def test_hall_violators_are_unplaceable_and_grouped_by_profile() -> None:
    report = gap_report(hall_authority(), as_of=AS_OF, suppress=False)
    out = report.to_dict()
    assert out["suppressed"] is False
    assert (out["children_waiting"], out["children_placeable"]) == (4, 2)
    assert out["children_unplaceable"] == 2 and out["units_unplaceable"] == 2
    rows = {row["profile"]["plan"]: row for row in out["by_profile"]}
    assert rows["long_term_foster"]["waiting_children"] == 3
    # the keys the published format pins: the profile, waiting, feasible households,
    # unplaceable (children)
    assert rows["long_term_foster"]["waiting"] == 3
    assert rows["long_term_foster"]["unplaceable"] == 2
    assert rows["long_term_foster"]["units_unplaceable"] == 2
    assert rows["long_term_foster"]["feasible_households"] == 1
    assert rows["long_term_foster"]["profile"]["age_band"] == "10-15"
    assert rows["adoption"]["units_unplaceable"] == 0


def test_small_counts_are_suppressed_by_default() -> None:
    out = gap_report(hall_authority(), as_of=AS_OF).to_dict()
    assert out["suppressed"] is True
    assert out["children_unplaceable"] == "c"
    assert out["children_placeable"] == "c"
    for row in out["by_profile"]:
        for key in ("waiting_units", "waiting_children", "units_unplaceable", "waiting"):
            assert row[key] in (0, "c")
        assert row["unplaceable"] == row["children_unplaceable"]


def test_recruitment_targets_place_what_they_claim() -> None:
    report = gap_report(hall_authority(), as_of=AS_OF, suppress=False)
    out = report.to_dict()
    targets = out["recruitment_targets"]
    assert targets, "the two unplaceable children need a target"
    assert sum(t["children_placed"] for t in targets) == 2
    assert report.children_placeable_with_targets == 4
    target = targets[0]
    assert target["profile"]["kind"] == "foster/long"
    assert target["profile"]["ages"] == "10-15"
    assert target["verified"] is True
    # One household per single child needs 2 households, or 1 with 2 places.
    assert sum(t["households_needed"] * t["profile"]["places"] for t in targets) >= 2


def test_what_if_households_of_the_target_profile_place_the_children() -> None:
    authority = hall_authority()
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    spec_text = ",".join(
        [
            "kind=foster",
            "term=long",
            "ages=10-15",
            "places=1",
            "count=2",
            f"near={report.targets[0].households[0].location[0]:.4f}:-1.57",
        ]
    )
    out = gap_report(authority, as_of=AS_OF, add=[parse_add_spec(spec_text)], suppress=False)
    assert out.to_dict()["what_if"]["children_placeable"] == 4
    # Households that serve another plan change nothing.
    other = parse_add_spec("kind=residential,ages=10-15,places=3,count=3")
    out = gap_report(authority, as_of=AS_OF, add=[other], suppress=False).to_dict()
    assert out["what_if"]["children_placeable"] == 2
    assert out["children_placeable"] == 2  # the main figures stay today's pool


def test_targets_verified_on_a_synthetic_authority() -> None:
    authority = generate_authority(300, 500, seed=4, as_of=AS_OF)
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    assert report.children_unplaceable > 0
    placed_by_targets = sum(t.children_placed for t in report.targets)
    claimed = sum(t.children_claimed for t in report.targets)
    assert claimed == report.children_unplaceable
    assert report.children_placeable_with_targets == report.children_placeable + placed_by_targets
    assert placed_by_targets == claimed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_the_allocate_round_on_synthetic_authorities(seed: int) -> None:
    authority = generate_authority(120, 160, seed=seed, as_of=AS_OF)
    instance = build_instance(authority, as_of=AS_OF).instance
    ours = max_children_placed(instance)
    theirs = solve_round(instance, RoundParams(mode="allocate", time_limit_s=20))
    assert ours.exact
    assert theirs.status == "OPTIMAL"
    assert ours.children_placeable == theirs.children_placed


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_the_allocate_round_on_random_instances(seed: int) -> None:
    instance = random_instance(
        60, 40, sibling_share=0.3, apart_share=0.1, min_feasible=1, max_feasible=4, seed=seed
    )
    ours = max_children_placed(instance)
    theirs = solve_round(instance, RoundParams(mode="allocate", time_limit_s=20))
    assert ours.exact and theirs.status == "OPTIMAL"
    assert ours.children_placeable == theirs.children_placed


def test_report_is_deterministic_for_a_seed() -> None:
    authority = generate_authority(200, 250, seed=7, as_of=AS_OF)
    first = gap_report(authority, as_of=AS_OF, seed=3).to_dict()
    second = gap_report(authority, as_of=AS_OF, seed=3).to_dict()
    assert first == second
    assert len(first["personas"]) <= 4


def test_sibling_group_profile_and_target_takes_the_whole_group() -> None:
    children = (
        make_child("C001", needs={"emotional_behavioural": 2}),
        make_child("C002", date_of_birth=date(2017, 5, 1)),
        make_child("C003", date_of_birth=date(2019, 5, 1)),
    )
    links = (
        SiblingLink("C001", "C002", "full", "together"),
        SiblingLink("C002", "C003", "full", "together"),
    )
    authority = Authority(children, (make_household("H001", vacancies=2),), links)
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    out = report.to_dict()
    assert out["units_unplaceable"] == 1 and out["children_unplaceable"] == 3
    (row,) = out["by_profile"]
    assert row["profile"]["size_band"] == "3+"
    assert row["profile"]["need_level"] == "complex"
    assert row["profile"]["key_needs"] == ["emotional_behavioural"]
    (target,) = out["recruitment_targets"]
    assert target["profile"]["places"] == 3
    assert target["profile"]["skills"] == ["emotional_behavioural"]
    assert target["profile"]["ages"] == "5-15"
    assert target["children_placed"] == 3
    assert "sibling groups of 3" in target["profile"]["label"]


def test_parse_add_spec_grammar() -> None:
    spec = parse_add_spec(
        "kind=foster,term=long,ages=10-15,places=3,skills=emotional_behavioural;autism,"
        "count=2,near=54.7:-1.5,radius=25"
    )
    assert (spec.kind, spec.term, spec.min_age, spec.max_age) == ("foster", "long", 10, 15)
    assert spec.places == 3 and spec.count == 2
    assert spec.skills == ("autism", "emotional_behavioural")
    assert spec.near == (54.7, -1.5) and spec.radius_km == 25
    assert parse_add_spec(spec.describe()) == spec


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("term=long,ages=1-2", "kind"),
        ("kind=foster,ages=1-2", "term"),
        ("kind=adopter,term=long,ages=1-2", "term"),
        ("kind=foster,term=long,ages=9-3", "ages"),
        ("kind=foster,term=long,ages=ten", "ages"),
        ("kind=foster,term=long,ages=1-2,places=0", "places"),
        ("kind=foster,term=long,ages=1-2,skills=juggling", "skills"),
        ("kind=foster,term=long,ages=1-2,colour=red", "colour"),
        ("kind=foster,term=long,ages=1-2,radius=5", "radius"),
        ("kind=foster,term=long,ages=1-2,near=north", "near"),
        ("kind=connected,ages=1-2", "kind"),
        ("kind=foster,kind=adopter", "kind"),
    ],
)
def test_parse_add_spec_names_the_bad_key(text: str, key: str) -> None:
    with pytest.raises(AddSpecError) as caught:
        parse_add_spec(text)
    assert caught.value.problems[0].column == key
    assert isinstance(caught.value, ValueError) or caught.value.problems


def test_profiles_follow_the_policy_file() -> None:
    from matching.policy import default_policy_text, load_policy

    text = default_policy_text().replace("age_bands = [0, 5, 10, 16]", "age_bands = [0, 12]")
    policy = load_policy(text)
    out = gap_report(hall_authority(), as_of=AS_OF, policy=policy, suppress=False).to_dict()
    bands = {row["profile"]["plan"]: row["profile"]["age_band"] for row in out["by_profile"]}
    assert bands == {"long_term_foster": "12+", "adoption": "0-11"}
    assert out["method"]["profiles"]["age_bands"] == ["0-11", "12+"]


def test_empty_authorities_give_an_empty_report() -> None:
    out = gap_report(Authority((), (make_household("H001"),), ()), as_of=AS_OF).to_dict()
    assert out["children_waiting"] == 0 and out["by_profile"] == []
    assert out["recruitment_targets"] == [] and out["personas"] == []
    out = gap_report(
        Authority((make_child("C001"),), (), ()), as_of=AS_OF, suppress=False
    ).to_dict()
    assert out["children_unplaceable"] == 1
    assert out["by_profile"][0]["feasible_households"] == 0
    assert out["recruitment_targets"][0]["children_placed"] == 1


def test_the_report_leaves_garbage_collection_as_it_found_it() -> None:
    # the report keeps the authority out of collections while it runs, then gives it back
    import gc

    authority = generate_authority(60, 40, seed=1, as_of=AS_OF)
    assert gc.get_freeze_count() == 0
    gap_report(authority, as_of=AS_OF)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a process that froze its own heap keeps it frozen
    try:
        gap_report(authority, as_of=AS_OF)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
