"""The policy file: the default loads, bad ones are refused by key, the version is quoted."""

from __future__ import annotations

from datetime import date

import pytest

from matching.domain import Authority
from matching.errors import PolicyError
from matching.policy import default_policy_text, load_policy
from matching.shortlist import shortlist
from tests.matching.checker import make_child, make_household


def test_default_policy_loads_with_a_version() -> None:
    policy = load_policy()
    assert policy.version == "2026.2"
    assert policy.min_round_score == 0
    assert policy.priority.first_threshold_days == 121
    assert policy.priority.second_threshold_days == 426
    assert "s.22C(9A)" in default_policy_text()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("age_fit = 8.0", "age_fit = -1", "weights.age_fit: must be >= 0"),
        ("[weights]", "[weights]\nkindness = 3", "weights.kindness: unknown key"),
        ('version = "2026.2"', "", "version: missing"),
        ("tolerance_share = 0.6", "tolerance_share = 1.5", "needs.tolerance_share: must be <= 1"),
        ("school_max_km = 20.0", "school_max_km = 0", "distance.school_max_km: must be > 0"),
        ("min_round_score = 0.0", "min_round_score = 120", "min_round_score: must be <= 100"),
        (
            "second_threshold_days = 426",
            "second_threshold_days = 100",
            "priority: second_threshold_days must be after first_threshold_days",
        ),
        ("maximum = 6.0", 'maximum = "high"', "priority.maximum:"),
        ("[cost]", "[cost\n", "policy is not valid TOML"),
        # a file nested past the parser's recursion is refused, not a crash
        ("[cost]", "nested = " + "[" * 5000 + "]" * 5000 + "\n[cost]", "policy is not valid TOML"),
    ],
)
def test_bad_policy_names_the_key(old: str, new: str, message: str) -> None:
    text = default_policy_text()
    assert old in text
    with pytest.raises(PolicyError) as caught:
        load_policy(text.replace(old, new, 1))
    assert str(caught.value).startswith(message)


def test_all_weights_zero_is_refused() -> None:
    text = default_policy_text()
    lines = [
        line.split("=")[0] + "= 0.0" if line.split("=")[0].strip() in WEIGHTS else line
        for line in text.splitlines()
    ]
    with pytest.raises(PolicyError, match="weights: at least one weight must be > 0"):
        load_policy("\n".join(lines))


WEIGHTS = {
    "needs",
    "age_fit",
    "identity",
    "family_time_distance",
    "school_distance",
    "household_fit",
    "wishes",
    "in_house",
    "adopter_waiting",
    "ffa_duty",
    "permanence",
}


def test_a_custom_policy_is_quoted_and_changes_the_weights() -> None:
    text = default_policy_text().replace('version = "2026.2"', 'version = "local-7"')
    text = text.replace("in_house = 6.0", "in_house = 0.0")
    policy = load_policy(text)
    a = Authority(children=(make_child(),), households=(make_household(),))
    result = shortlist(a, "C1", as_of=date(2026, 6, 1), policy=policy)
    assert result.policy_version == "local-7"
    assert result.to_dict()["policy_version"] == "local-7"
    criteria = [c.criterion for c in result.candidates[0].contributions]
    assert "in_house" not in criteria
    assert sum(c.max_points for c in result.candidates[0].contributions) == pytest.approx(100)


def test_when_no_weighted_criterion_applies_every_score_is_zero() -> None:
    # only `needs` keeps a weight, and the child has no needs
    zeroed = WEIGHTS - {"needs"}
    lines = [
        line.split("=")[0] + "= 0.0" if line.split("=")[0].strip() in zeroed else line
        for line in default_policy_text().splitlines()
    ]
    policy = load_policy("\n".join(lines))
    assert policy.weights.needs > 0 and policy.weights.age_fit == 0
    a = Authority(children=(make_child(),), households=(make_household(),))
    candidate = shortlist(a, "C1", as_of=date(2026, 6, 1), policy=policy).candidates[0]
    assert candidate.score == 0.0
    assert candidate.contributions == ()
