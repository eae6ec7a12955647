"""The fairness report (issue #16, item 1): planted disparities are flagged with the
right criterion or rule named; groups drawn independently of everything the rules and
scores read are flagged in at most 5 of 100 authorities; every figure is checked against
a plain recomputation; departures from the ranking are counted by group."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from matching.clocks import priority_days
from matching.csv_format import read_authority
from matching.domain import Authority, Child
from matching.fairness import (
    METRICS,
    RankingDecision,
    RoundOutcome,
    _quantile_draws,
    _resampled,
    _resampled_units,
    _unit_quantile,
    departs_from_ranking,
    fairness_report,
    ranked_figures,
    ratio_interval,
    write_csv,
)
from matching.feasibility import is_round_unit, most_children_households
from matching.gaps import gap_report
from matching.policy import Policy, default_policy, load_policy
from matching.rules import RULE_NAMES, UnitFeatures
from matching.scoring import CRITERION_NAMES
from matching.shortlist import MatchingContext, rank_unit, shortlist, top_positions
from matching.siblings import sibling_units
from matching.synthetic import generate_authority
from matching.vocab import NOT_FAMILY_FOUND_PLANS

AS_OF = date(2026, 6, 1)


def policy_with(**weights: float) -> Policy:
    base = default_policy()
    return base.model_copy(
        update={"weights": base.weights.model_copy(update=weights), "version": "test"}
    )


def waiting_ids(authority: Authority) -> list[str]:
    """Children of units whose every child waits with a family-found plan (plainly)."""
    by_id = {c.child_id: c for c in authority.children}
    out = []
    for unit in sibling_units(by_id, authority.links):
        if all(
            by_id[c].status == "waiting" and by_id[c].plan not in NOT_FAMILY_FOUND_PLANS
            for c in unit
        ):
            out.extend(unit)
    return out


# ------------------------------------------------------------------ planted disparities


def test_a_policy_scoring_a_group_lower_through_identity_is_flagged_naming_identity() -> None:
    """Every carer is White British and the policy weighs identity (here: ethnicity
    alone, no religion or language recorded) heavily, with no credit for a shared broad
    group: Black children's best households score lower, and the flag names identity."""
    authority = generate_authority(900, 600, seed=11, as_of=AS_OF)
    waiting = set(waiting_ids(authority))
    children = []
    for i, child in enumerate(authority.children):
        black = child.child_id in waiting and i % 3 == 0
        children.append(
            replace(child, ethnicity="BAFR" if black else "WBRI", religion=None, languages=())
        )
    households = tuple(replace(h, ethnicities=("WBRI",)) for h in authority.households)
    policy = policy_with(identity=150.0)
    policy = policy.model_copy(
        update={"identity": policy.identity.model_copy(update={"broad_group_credit": 0.0})}
    )
    report = fairness_report(
        Authority(tuple(children), households, authority.links), as_of=AS_OF, policy=policy
    )
    flag = next(
        f
        for f in report.flags
        if (f.dimension, f.group, f.metric) == ("ethnicity", "Black", "best_score_median")
    )
    assert flag.interval[1] < 0.8 and flag.ratio < 0.8
    assert flag.drivers[0].kind == "criterion" and flag.drivers[0].name == "identity"
    assert flag.drivers[0].group < flag.drivers[0].others
    # White children are not flagged on it: they are the ones the policy favours
    assert not any(f.group == "White" and f.metric == "best_score_median" for f in report.flags)


def test_a_pool_refusing_one_need_is_flagged_naming_will_not_consider() -> None:
    """Nine households in ten refuse autism outright: autistic children (any disability
    need) have far fewer households, and the flag names the rule that excludes them."""
    authority = generate_authority(900, 600, seed=12, as_of=AS_OF)
    waiting = set(waiting_ids(authority))
    disability = {"physical_disability", "learning_disability", "autism"}
    children = []
    for i, child in enumerate(authority.children):
        needs = {k: v for k, v in child.needs.items() if k not in disability}
        if child.child_id in waiting and i % 4 == 0:
            needs["autism"] = 1
        children.append(replace(child, needs=needs))
    households = tuple(
        replace(h, will_not_consider=h.will_not_consider | {"autism"}) if i % 10 else h
        for i, h in enumerate(authority.households)
    )
    report = fairness_report(Authority(tuple(children), households, authority.links), as_of=AS_OF)
    flags = {
        f.metric: f
        for f in report.flags
        if (f.dimension, f.group) == ("disability", "Any disability need")
    }
    assert "feasible_households_median" in flags
    flag = flags["feasible_households_median"]
    assert flag.drivers[0].kind == "rule" and flag.drivers[0].name == "will_not_consider"
    assert flag.drivers[0].group > flag.drivers[0].others


# ------------------------------------------------------------------ no disparity, no flag


def _independent_groups(seed: int) -> Authority:
    """A small authority whose children's sex (female or male) and ethnicity are drawn
    at random, independently of everything else (no rule reads sex; the policy used
    gives identity no weight, so nothing reads ethnicity either)."""
    authority = generate_authority(400, 300, seed=seed, as_of=AS_OF)
    rng = np.random.default_rng(10_000 + seed)
    codes = ["WBRI", "MWBC", "APKN", "BAFR", "OOTH", "NOBT"]
    shares = [0.55, 0.12, 0.1, 0.12, 0.06, 0.05]
    children = tuple(
        replace(
            c,
            sex=str(rng.choice(["female", "male"])),
            ethnicity=str(rng.choice(codes, p=shares)),
        )
        for c in authority.children
    )
    return Authority(children, authority.households, ())  # singles: a fast placeable


def test_groups_independent_of_the_rules_and_scores_are_flagged_in_at_most_5_of_100() -> None:
    policy = policy_with(identity=0.0)
    flagged_seeds = []
    for seed in range(100):
        report = fairness_report(_independent_groups(seed), as_of=AS_OF, policy=policy)
        if any(f.dimension in ("sex", "ethnicity") for f in report.flags):
            flagged_seeds.append(seed)
        # the ratios were judged: both sexes have enough children
        assert report.group("sex", "Female").ratios["placeable_share"] is not None
    assert len(flagged_seeds) <= 5, flagged_seeds


# ------------------------------------------------------------------ plain recomputation


def _plain_group(child: Child, dimension: str, unit_size: int) -> str:
    """Each dimension written out by hand, as a reader of the issue would."""
    age = child.age_on(AS_OF)
    if dimension == "ethnicity":
        first = child.ethnicity[0]
        if child.ethnicity in ("REFU", "NOBT"):
            return "Not recorded"
        return {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black"}.get(first, "Other")
    if dimension == "sex":
        return {"female": "Female", "male": "Male", "unknown": "Not known"}[child.sex]
    if dimension == "age_band":
        return "0-4" if age < 5 else "5-9" if age < 10 else "10-15" if age < 16 else "16+"
    if dimension == "disability":
        disabled = {"physical_disability", "learning_disability", "autism"} & set(child.needs)
        return "Any disability need" if disabled else "No disability need"
    if dimension == "sibling_group":
        return "In a sibling group" if unit_size > 1 else "Not in a sibling group"
    return (
        "Unaccompanied asylum-seeking"
        if "uasc" in child.needs
        else ("Not unaccompanied asylum-seeking")
    )


def _plain(values: list[float], metric: str) -> float | None:
    if not values:
        return None
    if metric.endswith("_share"):
        return sum(values) / len(values)
    if metric.endswith("lower_quartile"):
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=4, method="inclusive")[0]
    return float(statistics.median(values))


def test_every_figure_matches_a_plain_recomputation() -> None:
    authority = generate_authority(500, 350, seed=3, as_of=AS_OF)
    policy = default_policy()
    by_id = {c.child_id: c for c in authority.children}
    # each child's unit as the shortlist forms it (a pending group searched together)
    units: dict[str, tuple[str, ...]] = {}
    waiting = waiting_ids(authority)
    placed_round = frozenset(waiting[::3])
    outcome = RoundOutcome(7, AS_OF, frozenset(waiting[: len(waiting) // 2]), placed_round)
    report = fairness_report(authority, as_of=AS_OF, policy=policy, round_outcome=outcome)
    assert report.children_waiting == len(waiting)

    placement = most_children_households(authority, AS_OF, policy, _pool(authority))
    placeable = {c for unit in placement for c in unit}
    # one placeability engine: the gap report places as many children
    assert len(placeable) == gap_report(authority, as_of=AS_OF, policy=policy).children_placeable

    per_child: dict[str, dict[str, float | None]] = {}
    for child_id in waiting:
        child = by_id[child_id]
        full = shortlist(authority, child_id, as_of=AS_OF, policy=policy, top=1)
        units[child_id] = full.unit
        days = priority_days(child, AS_OF)  # the longest honest clock (matching.clocks)
        per_child[child_id] = {
            "feasible": float(full.n_feasible),
            "best_score": full.candidates[0].score if full.candidates else None,
            "placeable": float(child_id in placeable),
            "placed": (float(child_id in placed_round) if child_id in outcome.children else None),
            "days": float(days),
            "within_first": float(days <= 121),
            "within_second": float(days <= 426),
        }
    source = {
        "feasible_households_median": "feasible",
        "feasible_households_lower_quartile": "feasible",
        "best_score_median": "best_score",
        "placed_by_round_share": "placed",
        "placeable_share": "placeable",
        "within_first_threshold_share": "within_first",
        "within_second_threshold_share": "within_second",
        "days_waiting_median": "days",
    }
    checked_ratios = 0
    for figures in report.groups:
        members = [
            c
            for c in waiting
            if _plain_group(by_id[c], figures.dimension, len(units[c])) == figures.group
        ]
        others = [c for c in waiting if c not in members]
        if 1 <= len(members) <= 5:
            assert figures.children == "c"
        if figures.children == "c":
            assert all(v is None for v in figures.metrics.values())
            continue
        assert figures.children == len(members), (figures.dimension, figures.group)
        for metric, key in source.items():
            mine = [v for c in members if (v := per_child[c][key]) is not None]
            expected = _plain(mine, metric)
            got = figures.metrics[metric]
            if expected is None:
                assert got is None
            else:
                assert got == pytest.approx(expected, abs=1e-4), (figures.group, metric)
            ratio = figures.ratios.get(metric)
            if ratio is not None:
                theirs = _plain([v for c in others if (v := per_child[c][key]) is not None], metric)
                assert expected is not None and theirs
                assert ratio.ratio == pytest.approx(expected / theirs, abs=1e-3)
                assert len(mine) >= report.min_children
                assert ratio.interval[0] <= ratio.interval[1]
                checked_ratios += 1
    assert checked_ratios > 20
    # a flag is exactly a ratio whose interval lies wholly below the threshold
    for figures in report.groups:
        for metric, ratio in figures.ratios.items():
            flagged = any(
                (f.dimension, f.group, f.metric) == (figures.dimension, figures.group, metric)
                for f in report.flags
            )
            assert flagged == (ratio is not None and ratio.interval[1] < report.threshold)


def _pool(authority: Authority):  # type: ignore[no-untyped-def]
    from matching.pool import HouseholdPool

    return HouseholdPool.from_households(authority.households)


def test_suppressed_counts_follow_the_gap_reports_rule() -> None:
    """A dimension with one group of 1 to 5 children hides another (secondary
    suppression against the total), as the gap report's tables do."""
    authority = generate_authority(300, 200, seed=4, as_of=AS_OF)
    waiting = waiting_ids(authority)
    unknown = set(waiting[:3])
    children = tuple(
        replace(c, sex="unknown" if c.child_id in unknown else "male" if i % 2 else "female")
        for i, c in enumerate(authority.children)
    )
    report = fairness_report(
        Authority(children, authority.households, authority.links), as_of=AS_OF
    )
    cells = {g.group: g.children for g in report.groups if g.dimension == "sex"}
    assert cells["Not known"] == "c"
    assert sum(1 for v in cells.values() if v == "c") == 2  # one more hidden


def test_the_bootstrap_of_a_quantile_matches_brute_force_resampling() -> None:
    """The exact order-statistic draw gives the same bootstrap distribution as listing
    resamples (nearest-rank quantile), within Monte Carlo error."""
    data = np.random.default_rng(1).integers(0, 60, size=150).astype(np.float64)
    metric = next(m for m in METRICS if m.key == "feasible_households_lower_quartile")
    fast = _resampled(data, metric, np.random.default_rng(2), 20_000)
    rng = np.random.default_rng(3)
    brute = np.array(
        [
            np.quantile(rng.choice(data, size=len(data)), 0.25, method="nearest")
            for _ in range(20_000)
        ]
    )
    for q in (0.025, 0.5, 0.975):
        assert abs(np.quantile(fast, q) - np.quantile(brute, q)) <= 1.0
    assert abs(fast.mean() - brute.mean()) < 0.3


def test_siblings_are_resampled_together_so_one_sibling_group_is_less_certain() -> None:
    """Children of one unit share its figures: a group of 24 children in two sibling
    groups (one all placeable, one not) is two observations, not 24, so its interval
    is much wider than that of 24 unrelated children with the same figures; a bootstrap
    of children would give both the same interval."""
    metric = next(m for m in METRICS if m.key == "placeable_share")
    group = np.array([1.0] * 12 + [0.0] * 12)
    others = np.array([1.0, 0.0] * 100)
    others_units = np.arange(100, 300)
    settings = {"confidence": 0.95, "samples": 2000, "seed": 5}
    siblings = ratio_interval(
        group,
        others,
        metric,
        group_units=np.array([0] * 12 + [1] * 12),
        others_units=others_units,
        **settings,
    )
    unrelated = ratio_interval(
        group, others, metric, group_units=np.arange(24), others_units=others_units, **settings
    )
    assert siblings is not None and unrelated is not None
    assert siblings[0] == 0.0  # a resample can draw the not-placeable group twice
    assert unrelated[0] > 0.4
    assert siblings[1] - siblings[0] > 1.5 * (unrelated[1] - unrelated[0])


def test_the_cluster_bootstrap_of_a_quantile_matches_resampling_units() -> None:
    """The unit-level draw (a multinomial count of each kind of unit) gives the same
    distribution as listing resamples of units, within Monte Carlo error."""
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 4, size=60)
    units = np.repeat(np.arange(60), sizes)
    values = np.repeat(rng.integers(0, 40, size=60), sizes).astype(np.float64)
    metric = next(m for m in METRICS if m.key == "feasible_households_median")
    fast = _resampled_units(values, units, metric, np.random.default_rng(2), 20_000)
    by_unit = [values[units == u] for u in range(60)]
    brute = np.array(
        [
            np.quantile(
                np.concatenate([by_unit[i] for i in rng.integers(0, 60, size=60)]),
                0.5,
                method="nearest",
            )
            for _ in range(20_000)
        ]
    )
    for q in (0.025, 0.5, 0.975):
        assert abs(np.quantile(fast, q) - np.quantile(brute, q)) <= 1.0
    assert abs(fast.mean() - brute.mean()) < 0.5


# ------------------------------------------------------------------ departures from ranking


@pytest.mark.parametrize(
    ("rank", "outcome", "departs"),
    [
        (1, "recommended", False),
        (3, "recommended", True),
        (1, "not_recommended", True),
        (2, "not_recommended", False),
        (1, "approved", False),
        (2, "approved", True),
        (1, "declined", True),
        (4, "declined", False),
        (1, "withdrawn", False),
        (None, "approved", False),
    ],
)
def test_what_counts_as_going_against_the_ranking(
    rank: int | None, outcome: str, departs: bool
) -> None:
    assert departs_from_ranking(rank, outcome) is departs


def test_departures_are_counted_by_group() -> None:
    authority = generate_authority(500, 350, seed=6, as_of=AS_OF)
    waiting = waiting_ids(authority)
    by_id = {c.child_id: c for c in authority.children}
    matched = next(c for c in authority.children if c.child_id not in set(waiting))
    decisions = [
        RankingDecision("panel", (waiting[i],), departed=i % 2 == 0) for i in range(0, 40)
    ] + [RankingDecision("decision", (matched.child_id,), departed=True)]
    report = fairness_report(authority, as_of=AS_OF, decisions=decisions)
    assert report.decisions == 41 and report.departures == 21
    units = {c: u for u in sibling_units(by_id, authority.links) for c in u}
    for o in report.overrides:
        made = departed = 0
        for d in decisions:
            if any(
                _plain_group(by_id[c], o.dimension, len(units[c])) == o.group for c in d.children
            ):
                made += 1
                departed += int(d.departed)
        assert o.decisions in (made, "c") and o.departures in (departed, "c")
        if 1 <= made <= 5:
            assert o.decisions == "c"


# ------------------------------------------------------------------ compare and export


def test_compare_puts_a_second_policys_figures_beside_the_first_in_the_csv() -> None:
    authority = generate_authority(300, 200, seed=8, as_of=AS_OF)
    first = fairness_report(authority, as_of=AS_OF)
    text = default_policy_text_with(version="2026.1-needs-heavy", needs=90.0)
    second = fairness_report(authority, as_of=AS_OF, policy=load_policy(text))
    out = io.StringIO()
    write_csv(first, out, second)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {"compare_value", "compare_ratio", "compare_flagged"} <= set(rows[0])
    row = next(
        r
        for r in rows
        if (r["dimension"], r["group"], r["figure"]) == ("age_band", "10-15", "best_score_median")
    )
    mine = first.group("age_band", "10-15").metrics["best_score_median"]
    theirs = second.group("age_band", "10-15").metrics["best_score_median"]
    assert float(row["value"]) == mine and float(row["compare_value"]) == theirs
    assert mine != theirs  # the weights changed the scores
    # the feasibility does not depend on the weights
    assert (
        first.group("age_band", "10-15").metrics["feasible_households_median"]
        == second.group("age_band", "10-15").metrics["feasible_households_median"]
    )


def default_policy_text_with(*, version: str, needs: float) -> str:
    from matching.policy import default_policy_text

    text = default_policy_text()
    text = text.replace('version = "2026.1"', f'version = "{version}"')
    return text.replace("needs = 30.0 ", f"needs = {needs} ")


def test_the_report_names_no_child() -> None:
    authority = generate_authority(300, 200, seed=9, as_of=AS_OF)
    report = fairness_report(authority, as_of=AS_OF)
    text = str(report.to_json())
    assert not any(c.child_id in text for c in authority.children)


# ------------------------------------------------------------------ the fast path


DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


def _demo() -> Authority:
    with (
        (DEMO / "children.csv").open("rb") as c,
        (DEMO / "households.csv").open("rb") as h,
        (DEMO / "sibling_links.csv").open("rb") as s,
    ):
        return read_authority(c, h, s, as_of=date(2026, 11, 1))


def _distances_and_kin(authority: Authority, seed: int) -> Authority:
    """Some children kept away from their birth family and some connected households
    linked to waiting children (one to a whole sibling unit), so the per-item rules
    are exercised."""
    rng = np.random.default_rng(seed)
    children = tuple(
        replace(c, min_distance_km=float(rng.choice([5.0, 30.0, 80.0])))
        if c.home_lat is not None and i % 7 == 0
        else c
        for i, c in enumerate(authority.children)
    )
    by_id = {c.child_id: c for c in children}
    units = [
        u for u in sibling_units(by_id, authority.links) if u[0] in set(waiting_ids(authority))
    ]
    households = list(authority.households)
    for j, unit in enumerate(units[:12]):
        h = households[j * 5]
        households[j * 5] = replace(
            h, kind="connected", connected_child_ids=unit if j % 3 else unit[:1]
        )
    return Authority(children, tuple(households), authority.links)


@pytest.mark.parametrize("case", ["seed-1", "seed-2", "seed-3", "kin-and-distance", "demo"])
def test_the_fast_figures_equal_the_shortlist_engine_unit_by_unit(case: str) -> None:
    """Feasible households, each rule's exclusions over the whole pool, the top of the
    shortlist (score, and points by criterion) from the typed path equal what the
    shortlist's engine gives each unit (`rank_unit`, `top_positions`), exactly."""
    as_of = AS_OF
    if case == "demo":
        authority, as_of = _demo(), date(2026, 11, 1)
    elif case == "kin-and-distance":
        authority = _distances_and_kin(generate_authority(700, 500, seed=21, as_of=AS_OF), 21)
    else:
        authority = generate_authority(600, 450, seed=int(case[-1]), as_of=AS_OF)
    policy = default_policy()
    context = MatchingContext.prepare(authority)
    units = [
        UnitFeatures.from_children([context.children[c] for c in unit], as_of, policy)
        for unit in context.units
        if is_round_unit([context.children[c] for c in unit])
    ]
    fast = ranked_figures(units, context.pool, policy)
    with_top = 0
    for u, unit in enumerate(units):
        ranked = rank_unit(unit, context.pool, policy)
        table = ranked.table
        assert fast.feasible[u] == len(table.rows)
        for r, name in enumerate(RULE_NAMES):
            assert fast.rule_excluded[u, r] == np.count_nonzero(ranked.masks[name]), name
        if not len(table.rows):
            assert np.isnan(fast.best_score[u]) and np.isnan(fast.criterion_points[u]).all()
            continue
        with_top += 1
        top = int(top_positions(ranked, context.pool, 1)[0])
        assert fast.best_score[u] == table.score[top]  # exactly, not approximately
        expected = dict.fromkeys(CRITERION_NAMES, 0.0)
        for i, criterion in enumerate(table.criteria):
            expected[criterion.name] = float(table.points[i, top])
        points = dict(zip(CRITERION_NAMES, fast.criterion_points[u].tolist(), strict=True))
        assert points == expected
    assert with_top > 50


def test_the_placeable_engine_runs_once_per_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report places the pool's children once (the costly step of the gap report's
    engine at national scale), not once per figure or per group."""
    import matching.fairness as fairness

    calls = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return most_children_households(*args, **kwargs)

    monkeypatch.setattr(fairness, "most_children_households", counted)
    authority = generate_authority(300, 200, seed=10, as_of=AS_OF)
    report = fairness_report(authority, as_of=AS_OF)
    assert report.children_waiting > 0 and len(calls) == 1


def test_the_windowed_quantile_draw_equals_the_full_one() -> None:
    """Following only the values near the quantile gives exactly the draws of following
    every value, also when the window is so narrow that many resamples fall outside."""
    rng = np.random.default_rng(7)
    k = 3000
    sizes = np.where(rng.random(k) < 0.8, 1, rng.integers(2, 5, size=k))
    kinds = np.repeat(np.arange(k), 1)  # one value per unit: unit j is kind j
    counts = np.ones(k, dtype=np.int64)
    values = np.sort(rng.integers(0, 500, size=k).astype(np.float64))
    kind_of = np.repeat(kinds, sizes)
    values_per_child = np.repeat(values, sizes)
    drawn = rng.multinomial(k, counts / k, size=400).astype(np.float64)
    full = _quantile_draws(drawn, kind_of, values_per_child, counts, 0.25, margin=None)
    for margin in (8.0, 0.3, 0.0):
        windowed = _quantile_draws(drawn, kind_of, values_per_child, counts, 0.25, margin=margin)
        assert np.array_equal(windowed, full), margin


@pytest.mark.parametrize("margin", [8.0, 0.0])
def test_the_unit_quantile_draw_has_the_distribution_of_resampling_units(margin: float) -> None:
    """Units of one value each (a unit's households): the aggregated draw (narrow window:
    most resamples fall outside it and are drawn kind by kind) gives the distribution of
    listing resamples of units, within Monte Carlo error."""
    rng = np.random.default_rng(8)
    k = 400
    size = np.where(rng.random(k) < 0.7, 1, rng.integers(2, 5, size=k)).astype(np.float64)
    value = rng.integers(0, 300, size=k).astype(np.float64)
    counts = np.ones(k, dtype=np.int64)
    fast = _unit_quantile(value, size, counts, 0.25, np.random.default_rng(3), 8000, margin)
    brute = []
    for _ in range(8000):
        pick = rng.integers(0, k, size=k)
        brute.append(
            np.quantile(np.repeat(value[pick], size[pick].astype(int)), 0.25, method="nearest")
        )
    for q in (0.025, 0.5, 0.975):
        assert abs(np.quantile(fast, q) - np.quantile(brute, q)) <= 3.0
    assert abs(fast.mean() - np.mean(brute)) < 1.5
