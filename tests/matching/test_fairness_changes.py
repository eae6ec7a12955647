"""What a change of policy changes in the fairness report (`report_changes`, shown on
the /fairness page): the flags raised and cleared are exactly those flagged under one
policy and not the other, every figure is the two reports' own with its difference, and
a policy that bands ages differently shows its groups against nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pytest

from matching.fairness import METRIC_KEYS, FairnessReport, Flag, fairness_report
from matching.fairness_changes import report_changes
from matching.policy import Policy, default_policy
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


def changed_policy(version: str, *, threshold: float, needs: float = 30.0) -> Policy:
    base = default_policy()
    return base.model_copy(
        update={
            "version": version,
            "weights": base.weights.model_copy(update={"needs": needs}),
            "fairness": base.fairness.model_copy(update={"threshold": threshold}),
        }
    )


@pytest.fixture(scope="module")
def reports() -> tuple[FairnessReport, FairnessReport, FairnessReport]:
    authority = generate_authority(300, 200, seed=11, as_of=AS_OF)
    now = fairness_report(authority, as_of=AS_OF)
    stricter = fairness_report(
        authority, as_of=AS_OF, policy=changed_policy("strict", threshold=0.95, needs=90.0)
    )
    lenient = fairness_report(authority, as_of=AS_OF, policy=changed_policy("lax", threshold=0.1))
    return now, stricter, lenient


def keys(flags: Iterable[Flag]) -> set[tuple[str, str, str]]:
    return {(f.dimension, f.group, f.metric) for f in flags}


def test_flags_raised_and_cleared_are_the_difference_of_the_two_sets(
    reports: tuple[FairnessReport, FairnessReport, FairnessReport],
) -> None:
    now, stricter, lenient = reports
    assert now.flags  # the synthetic authority has flags under the shipped policy
    up = report_changes(now, stricter)
    assert up.raised and keys(up.raised) == keys(stricter.flags) - keys(now.flags)
    assert keys(up.cleared) == keys(now.flags) - keys(stricter.flags)
    assert keys(up.kept) == keys(now.flags) & keys(stricter.flags)
    down = report_changes(now, lenient)
    assert down.cleared and not down.raised
    assert keys(down.cleared) == keys(now.flags) - keys(lenient.flags)
    # a flag cleared is described as it is now; a flag raised as it would be
    assert set(down.cleared) <= set(now.flags)
    assert set(up.raised) <= set(stricter.flags)


def test_every_figure_is_both_reports_own_with_its_difference(
    reports: tuple[FairnessReport, FairnessReport, FairnessReport],
) -> None:
    now, stricter, _lenient = reports
    changes = report_changes(now, stricter)
    assert len(changes.figures) == len(now.groups) * len(METRIC_KEYS)
    for f in changes.figures:
        a = now.group(f.dimension, f.group)
        b = stricter.group(f.dimension, f.group)
        assert (f.current, f.compared) == (a.metrics[f.metric], b.metrics[f.metric])
        ratio_a, ratio_b = a.ratios.get(f.metric), b.ratios.get(f.metric)
        assert f.current_ratio == (ratio_a.ratio if ratio_a else None)
        assert f.compared_ratio == (ratio_b.ratio if ratio_b else None)
        if f.current is None or f.compared is None:
            assert f.difference is None
        else:
            assert f.difference == pytest.approx(f.compared - f.current, abs=1e-4)
    changed = changes.changed()
    # tripling the needs weight moves the best scores, and nothing the weights do not read
    assert changed and {f.metric for f in changed} == {"best_score_median"}
    assert all(f.changed for f in changed)
    assert changes.changed("sex") == tuple(f for f in changed if f.dimension == "sex")


def test_groups_only_one_policy_has_are_shown_against_nothing() -> None:
    authority = generate_authority(120, 80, seed=3, as_of=AS_OF)
    base = default_policy()
    banded = base.model_copy(
        update={
            "version": "two-bands",
            "profiles": base.profiles.model_copy(update={"age_bands": (0, 10)}),
        }
    )
    now = fairness_report(authority, as_of=AS_OF)
    other = fairness_report(authority, as_of=AS_OF, policy=banded)
    changes = report_changes(now, other)
    mine = {(g.dimension, g.group) for g in now.groups}
    theirs = {(g.dimension, g.group) for g in other.groups}
    assert theirs - mine and mine - theirs  # "10+" is new; "0-4" is gone
    for f in changes.figures:
        if (f.dimension, f.group) not in theirs:
            assert f.compared is None and f.difference is None
        if (f.dimension, f.group) not in mine:
            assert f.current is None and f.difference is None
    # the new group comes within its own dimension, after the current report's groups
    order = [f.dimension for f in changes.figures]
    assert order == sorted(order, key=[g.dimension for g in now.groups].index)
