"""The needs-gap report: who waits, who cannot be placed, and whom to recruit.

`gap_report(authority, as_of=..., policy=...)` finds the feasible pairs with the engine's
hard rules, so "feasible" means exactly what it means in a matching round: evaluated
once per unit type x household type (`matching.gaps.grouped_feasibility`) when the policy has no
minimum round score, else pair by pair with scores (`matching.feasibility.build_instance`);
`method` in the report says which. Above `EXPAND_MAX_PAIRS` typed pairs (national
scale) the groups are never expanded into a pair list: every step below runs on them
(`matching.gaps.placeable`). It then:

* groups the waiting units by profile (demand) and the available households by profile
  (supply), with the feasible households of each unit profile;
* computes the most children any allocation of today's pool can place
  (`matching.gaps.placeable`, on the assignment kernel) and groups the units left over by profile;
* derives recruitment targets for those units, materialises them as hypothetical
  households and re-runs the hard rules and the placeable computation to verify what
  they actually place (`matching.gaps.targets`);
* applies any what-if households (`AddSpec`) the same way;
* clusters the unplaceable units into personas (`matching.gaps.personas`);
* publishes every count through disclosure control (`matching.gaps.suppression`).

The published view (`GapReport.to_dict()`, and every export) names no child: it holds
profiles and counts only.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matching.coplacement import CoPlacement, co_placement
from matching.domain import Authority, Child, Household
from matching.gaps.grouped_feasibility import FeasibleGroups, unit_table
from matching.gaps.grouped_feasibility import with_households as typed_with_households
from matching.gaps.personas import Persona, build_personas
from matching.gaps.placeable import (
    Placeability,
    max_children_placed,
    max_children_placed_on_pairs,
)
from matching.gaps.profiles import (
    HouseholdProfile,
    ProfileSettings,
    UnitProfile,
    household_profiles,
    unit_profiles,
)
from matching.gaps.suppression import (
    SUPPRESSED,
    Cell,
    households_band,
    secondary_suppression,
    suppress_grid,
)
from matching.gaps.targets import (
    AddSpec,
    Target,
    derive_targets,
    materialise_target,
    needs_by_unit,
    pool_centre,
    spec_households,
)
from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.policy import CoPlacementPolicy, default_co_placement
from matching.pool import HouseholdPool
from matching.practice_units import PracticeUnits, practice_units

BuildInstance = Callable[[Authority], MatchingInstance]
IntArray = npt.NDArray[np.int64]
# Above this many feasible pairs the typed graph is never expanded into a pair list.
EXPAND_MAX_PAIRS = 3_000_000

BY_PROFILE_COUNTS = (
    "waiting_units",
    "waiting_children",
    "units_unplaceable",
    "children_unplaceable",
    "feasible_households",
    "vacancies_in_feasible_households",
    "children_placed",
)
# columns that add up over profiles (the households ones count households, which several
# profiles share, so they have no total; the children placed add up to the headline's
# children placeable, which stands as their total)
BY_PROFILE_ADDITIVE = (True, True, True, True, False, False, False)


@dataclass(frozen=True)
class ProfileRow:
    profile: UnitProfile
    waiting_units: int
    waiting_children: int
    units_unplaceable: int
    children_unplaceable: int
    feasible_households: int
    vacancies_in_feasible_households: int
    # the profile's share of the most children any allocation places: its children that
    # the kernel's maximum allocation places (what it can actually get of the vacancies)
    children_placed: int = 0

    def counts(self) -> list[int]:
        return [int(getattr(self, name)) for name in BY_PROFILE_COUNTS]


@dataclass(frozen=True)
class SupplyRow:
    profile: HouseholdProfile
    households: int
    vacancies: int


@dataclass(frozen=True)
class WhatIf:
    specs: tuple[AddSpec, ...]
    households_added: int
    children_placeable: int
    exact: bool


@dataclass
class GapReport:
    """The analysis, raw, with its published (suppressed) view in `to_dict()`."""

    as_of: date
    policy_version: str
    suppressed: bool
    seed: int
    placeability: Placeability
    unit_profiles: tuple[UnitProfile, ...]
    by_profile: list[ProfileRow]
    supply: list[SupplyRow]
    targets: list[Target]
    children_placeable_with_targets: int
    targets_exact: bool
    what_if: WhatIf | None
    personas: list[Persona]
    method: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    centre: tuple[float, float] | None = None  # of the pool: targets' areas named from it

    @property
    def children_waiting(self) -> int:
        return self.placeability.children_waiting

    @property
    def children_placeable(self) -> int:
        return self.placeability.children_placeable

    @property
    def children_unplaceable(self) -> int:
        return self.placeability.children_unplaceable

    @property
    def units_waiting(self) -> int:
        return len(self.unit_profiles)

    @property
    def units_unplaceable(self) -> int:
        return len(self.placeability.unplaced_units)

    def to_dict(self) -> dict[str, Any]:
        """The published report: profiles and counts only, suppressed unless disabled."""
        return _publish(self)


# ----------------------------------------------------------------------- construction


def gap_report(
    authority: Authority,
    *,
    as_of: date,
    policy: Any = None,
    add: Sequence[AddSpec] = (),
    suppress: bool = True,
    seed: int = 0,
    method: str = "auto",
    expand_max_pairs: int = EXPAND_MAX_PAIRS,
    pool: HouseholdPool | None = None,
) -> GapReport:
    """The needs-gap report of `authority` on `as_of` under `policy` (default if None).

    `add` lists hypothetical households (what-if); `suppress=False` publishes exact
    small counts (for internal use only); `seed` drives the persona clustering.
    `method` chooses how the feasible pairs are found: "typed" evaluates the hard rules
    once per unit type × household type (`matching.gaps.grouped_feasibility`; only without a minimum
    round score, since it computes no score), "pairs" runs the engine's
    `build_instance` pair by pair (scores included), "auto" takes "typed" whenever the
    policy's `min_round_score` is 0. Both give exactly the same feasible pairs. The
    typed pairs are expanded into a pair list only up to `expand_max_pairs`; above it
    (national scale) every figure is computed on the groups
    (`matching.gaps.placeable`), and `method["placeable"]` says whether the
    placeable count is exact or a bound. `pool`, the pool of all of `authority`'s
    households when the caller holds one (a service's snapshot), spares building it.
    """
    with _heap_frozen():
        return _gap_report(
            authority,
            as_of=as_of,
            policy=policy,
            add=add,
            suppress=suppress,
            seed=seed,
            method=method,
            expand_max_pairs=expand_max_pairs,
            pool=pool,
        )


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects alive now (the authority: millions of them at national scale) out
    of garbage collection while the report runs; full collections would otherwise walk
    them again and again (about half a second nationally). Nothing is lost: they are
    unfrozen afterwards. Left alone when the process has frozen its heap itself
    (`gc.freeze` is process-wide)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _gap_report(
    authority: Authority,
    *,
    as_of: date,
    policy: Any,
    add: Sequence[AddSpec],
    suppress: bool,
    seed: int,
    method: str,
    expand_max_pairs: int,
    pool: HouseholdPool | None,
) -> GapReport:
    """The report itself (see `gap_report`)."""
    from matching.feasibility import build_instance
    from matching.gaps.grouped_feasibility import feasible_groups
    from matching.policy import default_policy

    policy = policy if policy is not None else default_policy()
    if method not in ("auto", "typed", "pairs"):
        raise ValueError(f"unknown method {method!r}: auto, typed or pairs")
    scored = policy.min_round_score > 0
    if method == "typed" and scored:
        raise ValueError("the typed method computes no score: min_round_score must be 0")
    typed = method == "typed" or (method == "auto" and not scored)
    description: dict[str, str] = {}

    def build(a: Authority) -> MatchingInstance:
        if typed:
            return feasible_groups(a, as_of=as_of, policy=policy).instance()
        return build_instance(a, as_of=as_of, policy=policy).instance

    started = time.perf_counter()
    settings = ProfileSettings.from_policy(policy)
    common: dict[str, Any] = {
        "as_of": as_of,
        "settings": settings,
        "policy_version": str(getattr(policy, "version", "")),
        "co_placement": getattr(policy, "co_placement", None),
        "add": add,
        "suppress": suppress,
        "seed": seed,
        "time_limit_s": 10.0,
    }
    if typed:
        # one pool of the households for the sibling practice rules and the feasibility
        pool = pool if pool is not None else HouseholdPool.from_households(authority.households)
        table = unit_table(authority, as_of=as_of, policy=policy, pool=pool)
        types = feasible_groups(authority, as_of=as_of, policy=policy, table=table, pool=pool)
        n_pairs = types.n_pairs()
        typed_text = (
            f"hard rules evaluated once per type: {types.n_unit_types} unit types x "
            f"{types.n_household_types} household types (units and households grouped by "
            "every attribute a rule reads except location and connected children; those "
            "two rules applied per unit), no score needed (min_round_score 0); "
            f"{types.n_groups} groups of interchangeable households standing for "
            f"{n_pairs} feasible pairs"
        )
        if n_pairs > expand_max_pairs:
            description["feasibility"] = (
                f"{typed_text}, never expanded (more than {expand_max_pairs}): placeable, "
                "profiles, targets and what-if computed on the groups"
            )
            built = time.perf_counter() - started
            report = _analyse(authority, _Typed(types), **common)
            report.method = {**description, **report.method}
            report.timings_s = {"feasibility": round(built, 3), **report.timings_s}
            _note_held(report, table.practice, suppress)
            return report
        instance = types.instance()
        description["feasibility"] = f"{typed_text}, expanded to pairs"
    else:
        instance = build(authority)
        description["feasibility"] = (
            "engine's build_instance pair by pair: hard rules and score for every "
            f"(unit, household), pairs scoring below min_round_score "
            f"{policy.min_round_score:g} dropped; {len(instance.pair_unit)} feasible pairs"
        )
    built = time.perf_counter() - started
    report = _analyse(authority, _Pairs(instance, build), **common)
    report.method = {**description, **report.method}
    report.timings_s = {"feasibility": round(built, 3), **report.timings_s}
    practice = (
        table.practice
        if typed
        else practice_units(authority, as_of=as_of, pool=pool, policy=policy)
    )
    _note_held(report, practice, suppress)
    return report


def _note_held(report: GapReport, practice: PracticeUnits | None, suppress: bool) -> None:
    """Say how the demand accounts for children held for a sibling decision: they are
    not in the counts (no household can be proposed for them until a person resolves
    their records), and how many, exactly only in an unsuppressed report (a published
    note gives no count that could be set against the tables)."""
    if practice is None or not practice.held:
        return
    n = practice.held_children
    who = "Some waiting children are" if suppress else f"{n} waiting children are"
    report.notes.append(
        f"{who} not counted in these figures: their Together-and-Apart assessments "
        "contradict each other, or siblings assessed to live together have different "
        "plans, so no household can be proposed for them until a person resolves it "
        "(their pages and matching rounds name them); no recruitment target is drawn "
        "for them."
    )


def merge_households(base: MatchingInstance, extra: MatchingInstance) -> MatchingInstance:
    """`base` with the households of `extra` appended (pairs matched by unit children).

    `extra` is an instance of the same authority built over other households only; the
    hard rules and scores are per pair, so its pairs are exactly what those households
    would have in a combined instance.
    """
    index = {u.children: i for i, u in enumerate(base.units)}
    mapping = np.array([index.get(u.children, -1) for u in extra.units], dtype=np.int64)
    pu = mapping[extra.pair_unit] if len(extra.pair_unit) else np.zeros(0, np.int64)
    keep = pu >= 0
    offset = len(base.households)
    return MatchingInstance(
        units=base.units,
        households=base.households + extra.households,
        pair_unit=np.concatenate([base.pair_unit, pu[keep].astype(np.int32)]),
        pair_household=np.concatenate(
            [base.pair_household, (extra.pair_household[keep] + offset).astype(np.int32)]
        ),
        pair_score=np.concatenate([base.pair_score, extra.pair_score[keep]]),
        apart_units=base.apart_units,
        # a co-placement pair matters where the two units could share a household: in
        # `base`'s households or in `extra`'s (each instance lists its own)
        co_placement_units=tuple(
            sorted(
                set(base.co_placement_units)
                | {
                    (min(a, b), max(a, b))
                    for a, b in mapping[np.array(extra.co_placement_units, dtype=np.int64)]
                    .reshape(-1, 2)
                    .tolist()
                    if a >= 0 and b >= 0
                }
            )
        ),
        sibling_contact_units=base.sibling_contact_units,
    )


def _with_extra(
    authority: Authority,
    instance: MatchingInstance,
    households: Sequence[Household],
    build: BuildInstance,
) -> MatchingInstance:
    extra = build(Authority(authority.children, tuple(households), authority.links))
    return merge_households(instance, extra)


class _Feasible(Protocol):
    """What the analysis needs of a feasibility graph: pairs or typed."""

    @property
    def units(self) -> tuple[RoundUnit, ...]: ...

    @property
    def apart_units(self) -> tuple[tuple[int, int], ...]: ...

    @property
    def households(self) -> tuple[RoundHousehold, ...]: ...

    def placeable(self, plan: IntArray | None, time_limit_s: float) -> Placeability:
        """The placeable computation (with a caller's plan as a lower bound)."""
        ...

    def with_households(self, authority: Authority, households: Sequence[Household]) -> _Feasible:
        """This graph with `households` appended, for `authority`'s children."""
        ...

    def feasible_by_profile(self, profile_of_unit: IntArray, n: int) -> tuple[IntArray, IntArray]:
        """Per profile: distinct feasible households and their vacancies."""
        ...


class _Graph:
    """The units, apart pairs and households of the feasibility graph underneath."""

    graph: MatchingInstance | FeasibleGroups

    @property
    def units(self) -> tuple[RoundUnit, ...]:
        return self.graph.units

    @property
    def apart_units(self) -> tuple[tuple[int, int], ...]:
        return self.graph.apart_units

    @property
    def households(self) -> tuple[RoundHousehold, ...]:
        return self.graph.households


@dataclass(frozen=True)
class _Pairs(_Graph):
    graph: MatchingInstance
    build: BuildInstance

    def placeable(self, plan: IntArray | None, time_limit_s: float) -> Placeability:
        return max_children_placed_on_pairs(self.graph, plan=plan, time_limit_s=time_limit_s)

    def with_households(self, authority: Authority, households: Sequence[Household]) -> _Pairs:
        return _Pairs(_with_extra(authority, self.graph, households, self.build), self.build)

    def feasible_by_profile(self, profile_of_unit: IntArray, n: int) -> tuple[IntArray, IntArray]:
        instance = self.graph
        vacancies = np.array([h.vacancies for h in instance.households], dtype=np.int64)
        n_h = max(len(vacancies), 1)
        pairs = np.unique(profile_of_unit[instance.pair_unit] * n_h + instance.pair_household)
        pair_profile, pair_household = pairs // n_h, pairs % n_h
        feasible = np.bincount(pair_profile, minlength=n)
        vac = np.bincount(pair_profile, weights=vacancies[pair_household], minlength=n)
        return feasible.astype(np.int64), vac.astype(np.int64)


@dataclass(frozen=True)
class _Typed(_Graph):
    graph: FeasibleGroups

    def placeable(self, plan: IntArray | None, time_limit_s: float) -> Placeability:
        return max_children_placed(self.graph, plan=plan, time_limit_s=time_limit_s)

    def with_households(self, authority: Authority, households: Sequence[Household]) -> _Typed:
        # the units of `authority` (whole units of this graph) get the new households
        table = self.graph.table
        ids = {c.child_id for c in authority.children}
        units = sorted({table.unit_of_child[c] for c in ids if c in table.unit_of_child})
        units = [u for u in units if all(c.child_id in ids for c in table.unit_children[u])]
        chosen = np.array(units, dtype=np.int64)
        return _Typed(typed_with_households(self.graph, households, chosen))

    def feasible_by_profile(self, profile_of_unit: IntArray, n: int) -> tuple[IntArray, IntArray]:
        # a household is feasible for a profile when one of the profile's units takes
        # its group: mark the groups per (profile, group list) once, then weigh them
        types = self.graph
        size = types.group_totals()
        vacancies = np.array([h.vacancies for h in types.households], dtype=np.int64)
        group_vac = types.group_totals(vacancies)
        marked = np.zeros((n, types.n_groups), dtype=bool)
        n_lists = len(types.lists)
        for key in np.unique(profile_of_unit * n_lists + types.unit_list).tolist():
            marked[key // n_lists, types.lists[key % n_lists]] = True
        counts = marked.astype(np.int64)
        return counts @ size, counts @ group_vac


def analyse_gaps(
    authority: Authority,
    instance: MatchingInstance,
    *,
    as_of: date,
    build: BuildInstance,
    settings: ProfileSettings | None = None,
    policy_version: str = "",
    add: Sequence[AddSpec] = (),
    suppress: bool = True,
    seed: int = 0,
    time_limit_s: float = 10.0,
    co_placement: CoPlacementPolicy | None = None,
) -> GapReport:
    """The gap analysis of a feasibility instance already built for `authority`.

    `build` turns an authority into its instance (the engine's `build_instance`); it is
    called again only for hypothetical households (targets, what-if), never for the pool.
    `time_limit_s` bounds the CP-SAT work of each placeable computation.
    """
    return _analyse(
        authority,
        _Pairs(instance, build),
        as_of=as_of,
        settings=settings,
        policy_version=policy_version,
        add=add,
        suppress=suppress,
        seed=seed,
        time_limit_s=time_limit_s,
        co_placement=co_placement,
    )


@dataclass(frozen=True)
class _KeptApart:
    """Unit pairs a recruited household must never take together: siblings assessed
    apart, and units whom the co-placement rules keep apart whatever the household (a
    recruit could hold both), asked pair by pair of the compact form (no pair list:
    nationally the unplaced units number tens of thousands)."""

    apart: frozenset[tuple[int, int]]
    co: CoPlacement
    position: dict[int, int]  # unit -> its index in `co`

    def __contains__(self, pair: object) -> bool:
        if pair in self.apart or not isinstance(pair, tuple):
            return pair in self.apart
        pa, pb = self.position.get(int(pair[0])), self.position.get(int(pair[1]))
        return pa is not None and pb is not None and not self.co.together(pa, pb)


def _kept_apart_in_targets(
    graph: _Feasible,
    unit_children: Sequence[tuple[Child, ...]],
    unplaced: Sequence[int],
    authority: Authority,
    co_placement_policy: CoPlacementPolicy,
) -> _KeptApart:
    """Unit pairs a recruited household must never take together (see `_KeptApart`)."""
    apart = frozenset((min(a, b), max(a, b)) for a, b in graph.apart_units)
    if isinstance(graph, _Typed) and graph.graph.table.co_placement_policy == co_placement_policy:
        # the compact form the placeable engine read, of every unit: whether two units
        # may live together does not depend on the other units, so it answers for the
        # unplaced ones as a form of theirs alone would (built once, not twice)
        return _KeptApart(apart, graph.graph.co_placement, {u: u for u in unplaced})
    compact = co_placement(
        [unit_children[u] for u in unplaced], authority.links, co_placement_policy
    )
    return _KeptApart(apart, compact, {u: i for i, u in enumerate(unplaced)})


def _analyse(
    authority: Authority,
    graph: _Feasible,
    *,
    as_of: date,
    settings: ProfileSettings | None,
    policy_version: str,
    add: Sequence[AddSpec],
    suppress: bool,
    seed: int,
    time_limit_s: float,
    co_placement: CoPlacementPolicy | None = None,
) -> GapReport:
    settings = settings or ProfileSettings()
    co_placement = co_placement or default_co_placement()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    child_of_id = {c.child_id: c for c in authority.children}.__getitem__
    unit_children: list[tuple[Child, ...]] = [
        tuple(map(child_of_id, u.children)) for u in graph.units
    ]
    profiles = unit_profiles(unit_children, as_of, settings)

    placeability = graph.placeable(None, time_limit_s)
    timings["placeable"] = time.perf_counter() - clock
    clock = time.perf_counter()

    by_profile = _by_profile(graph, profiles, placeability)
    supply = _supply(authority.households, settings)
    timings["profiles"] = time.perf_counter() - clock
    clock = time.perf_counter()

    notes = list(placeability.notes)
    unplaced = placeability.unplaced_units
    centre = pool_centre(authority.households)
    needs = needs_by_unit({u: unit_children[u] for u in unplaced}, as_of, settings)
    targets = derive_targets(
        needs,
        settings,
        apart=_kept_apart_in_targets(graph, unit_children, unplaced, authority, co_placement),
        one_unit_kinds=frozenset(co_placement.one_unit_kinds),
        fallback_location=centre,
    )
    with_targets = placeability.children_placeable
    targets_exact = placeability.exact
    if targets:
        with_targets, targets_exact = _verify_targets(
            authority, graph, targets, placeability, as_of, notes, time_limit_s
        )
    timings["targets"] = time.perf_counter() - clock
    clock = time.perf_counter()

    what_if = None
    if add:
        added = spec_households(add, as_of=as_of, default_location=centre)
        merged = graph.with_households(authority, added)
        plan = np.full(len(merged.units), -1, dtype=np.int64)
        plan[: len(placeability.homes)] = placeability.homes
        result = merged.placeable(plan, time_limit_s)
        what_if = WhatIf(tuple(add), len(added), result.children_placeable, result.exact)
    timings["what_if"] = time.perf_counter() - clock
    clock = time.perf_counter()

    supply_counts = {row.profile: row.households for row in supply}
    personas, persona_method = build_personas(
        [unit_children[u] for u in unplaced], as_of, settings, supply_counts, seed=seed
    )
    timings["personas"] = time.perf_counter() - clock

    method = {
        "placeable": placeability.method,
        "placeable_exact": placeability.exact,
        "targets": (
            "each unplaceable unit's smallest recruitable household (kind from the plan, "
            "the age bands of its children, places for the whole group, its key needs as "
            "skills, near its family-time area) is a candidate profile; greedy set cover "
            "picks the fewest profiles covering every unit; units are packed into "
            f"households of up to {settings.max_target_places} places; the households are "
            "then materialised and the hard rules, scoring threshold and placeable "
            "computation re-run to verify what they place"
        ),
        "personas": persona_method,
        "suppression": (
            "counts from 1 to 5 shown as 'c'; secondary suppression until no row or "
            "column (with its total) holds exactly one 'c'; zeros shown"
            if suppress
            else "disabled: exact counts (not for publication)"
        ),
        "profiles": {
            "age_bands": [settings.age_band(a) for a in settings.age_bands],
            "size_bands": [settings.size_band(s) for s in range(1, settings.max_size_band + 1)],
            "key_needs": list(settings.key_needs),
            "key_need_min_level": settings.key_need_min_level,
        },
    }
    return GapReport(
        as_of=as_of,
        policy_version=policy_version,
        suppressed=suppress,
        seed=seed,
        placeability=placeability,
        unit_profiles=profiles,
        by_profile=by_profile,
        supply=supply,
        targets=targets,
        children_placeable_with_targets=with_targets,
        targets_exact=targets_exact,
        what_if=what_if,
        personas=personas,
        method=method,
        notes=notes,
        timings_s={k: round(v, 3) for k, v in timings.items()},
        centre=centre if authority.households else None,
    )


def _by_profile(
    graph: _Feasible, profiles: Sequence[UnitProfile], placeability: Placeability
) -> list[ProfileRow]:
    distinct = sorted(set(profiles), key=UnitProfile.sort_key)
    index = {p: i for i, p in enumerate(distinct)}
    unit_profile_index = np.array([index[p] for p in profiles], dtype=np.int64)
    sizes = np.array([u.size for u in graph.units], dtype=np.int64)
    n = len(distinct)
    waiting_units = np.bincount(unit_profile_index, minlength=n)
    waiting_children = np.bincount(unit_profile_index, weights=sizes, minlength=n)
    left = ~placeability.placed
    units_left = np.bincount(unit_profile_index[left], minlength=n)
    children_left = np.bincount(unit_profile_index[left], weights=sizes[left], minlength=n)
    feasible, feasible_vacancies = graph.feasible_by_profile(unit_profile_index, n)
    return [
        ProfileRow(
            profile=p,
            waiting_units=int(waiting_units[i]),
            waiting_children=int(waiting_children[i]),
            units_unplaceable=int(units_left[i]),
            children_unplaceable=int(children_left[i]),
            feasible_households=int(feasible[i]),
            vacancies_in_feasible_households=int(feasible_vacancies[i]),
            children_placed=int(waiting_children[i] - children_left[i]),
        )
        for i, p in enumerate(distinct)
    ]


def _supply(households: Sequence[Household], settings: ProfileSettings) -> list[SupplyRow]:
    counts: dict[HouseholdProfile, list[int]] = defaultdict(lambda: [0, 0])
    offering = [h for h in households if h.status == "available" and h.vacancies > 0]
    for h, profile in zip(offering, household_profiles(offering, settings), strict=True):
        entry = counts[profile]
        entry[0] += 1
        entry[1] += h.vacancies
    return [SupplyRow(p, c[0], c[1]) for p, c in sorted(counts.items())]


def _verify_targets(
    authority: Authority,
    graph: _Feasible,
    targets: list[Target],
    base: Placeability,
    as_of: date,
    notes: list[str],
    time_limit_s: float,
) -> tuple[int, bool]:
    """Materialise the targets, re-run feasibility and the placeable count, and record
    what each target actually places. Returns (children placeable with them, exact).

    The placeable computation is given a plan: today's placement plus each unplaceable
    unit in the household recruited for it. The plan is checked pair by pair against
    the re-run hard rules and scores, so a target whose household would not in fact be
    feasible for its units places nobody in it.
    """
    per_target = [materialise_target(t, index=i, as_of=as_of) for i, t in enumerate(targets)]
    households = [h for hs in per_target for h in hs]
    # First the hard rules for the unplaceable units only (cheap): when the plan then
    # places every child, no assignment can do better and the answer is exact. Otherwise
    # the new households are checked against every unit, as a what-if would be.
    by_id = {
        c.child_id: c for t in targets for h in t.households for n in h.needs for c in n.children
    }
    targeted = [by_id[i] for i in sorted(by_id)]
    ids = set(by_id)
    links = tuple(x for x in authority.links if x.child_a in ids and x.child_b in ids)
    partial = Authority(tuple(targeted), authority.households, links)
    merged = graph.with_households(partial, households)
    index = {h.household_id: i for i, h in enumerate(merged.households)}
    plan = np.full(len(merged.units), -1, dtype=np.int64)
    plan[: len(base.homes)] = base.homes
    owner = np.full(len(merged.households), -1, dtype=np.int64)
    for t_index, (target, hs) in enumerate(zip(targets, per_target, strict=True)):
        for planned, household in zip(target.households, hs, strict=True):
            h = index[household.household_id]
            owner[h] = t_index
            for u in planned.units:
                plan[u] = h
    result = merged.placeable(plan, time_limit_s)
    if result.children_placeable < result.children_waiting:
        merged = graph.with_households(authority, households)
        result = merged.placeable(plan, time_limit_s)
    sizes = np.array([u.size for u in merged.units], dtype=np.int64)
    placed = result.homes >= 0
    by_target = np.bincount(
        owner[result.homes[placed]] + 1, weights=sizes[placed], minlength=len(targets) + 1
    )[1:]
    for target, value in zip(targets, by_target.tolist(), strict=True):
        target.children_placed = int(value)
        target.verified = True
    claimed = sum(t.children_claimed for t in targets)
    increase = result.children_placeable - base.children_placeable
    if increase < claimed:
        notes.append(
            f"the recruitment targets were planned to place {claimed} children; with "
            f"them the pool places {increase} more (the rules or the minimum score "
            "excluded some planned matches)"
        )
    return result.children_placeable, result.exact and base.exact


# ------------------------------------------------------------------------- publishing


def _publish(report: GapReport) -> dict[str, Any]:
    enabled = report.suppressed
    rows = report.by_profile
    grid = [r.counts() for r in rows]
    n_cols = len(BY_PROFILE_COUNTS)
    values: list[int] = [v for row in grid for v in row]
    totals: dict[int, int] = {}
    for j in range(n_cols):
        if BY_PROFILE_ADDITIVE[j]:
            totals[j] = len(values)
            values.append(sum(row[j] for row in grid))
    placeable_at = len(values)
    values.append(report.children_placeable)
    relations = [[r * n_cols + j for j in range(n_cols)] for r in range(len(rows))]
    for j in range(n_cols):
        column = [r * n_cols + j for r in range(len(rows))]
        if j in totals:
            column.append(totals[j])
        relations.append(column)
    # each profile's children placed + unplaceable = waiting, and the children placed add
    # up to the children placeable: relations of their own, so no one cell of them is
    # the only one hidden
    placed_column = BY_PROFILE_COUNTS.index("children_placed")
    waiting_column = BY_PROFILE_COUNTS.index("waiting_children")
    unplaceable_column = BY_PROFILE_COUNTS.index("children_unplaceable")
    for r in range(len(rows)):
        relations.append(
            [r * n_cols + j for j in (waiting_column, placed_column, unplaceable_column)]
        )
    relations.append([r * n_cols + placed_column for r in range(len(rows))] + [placeable_at])
    # children placeable + unplaceable = waiting: one relation across the summary
    relations.append(
        [
            placeable_at,
            totals[BY_PROFILE_COUNTS.index("children_unplaceable")],
            totals[BY_PROFILE_COUNTS.index("waiting_children")],
        ]
    )
    hidden = secondary_suppression(values, relations) if enabled else [False] * len(values)

    def shown(i: int) -> Cell:
        return SUPPRESSED if hidden[i] else values[i]

    total_of = {BY_PROFILE_COUNTS[j]: shown(i) for j, i in totals.items()}
    by_profile = []
    for r, row in enumerate(rows):
        entry: dict[str, Any] = {"profile": row.profile.to_dict()}
        for j, name in enumerate(BY_PROFILE_COUNTS):
            entry[name] = shown(r * n_cols + j)
        # the short names the published format pins (children, as in the headline counts)
        entry["waiting"] = entry["waiting_children"]
        entry["unplaceable"] = entry["children_unplaceable"]
        by_profile.append(entry)

    supply_cells, supply_totals = suppress_grid(
        [[s.households, s.vacancies] for s in report.supply],
        total_columns=(True, True),
        enabled=enabled,
    )
    supply = [
        {"profile": s.profile.to_dict(), "households": c[0], "vacancies": c[1]}
        for s, c in zip(report.supply, supply_cells, strict=True)
    ]

    # The targets place the unplaceable children and the personas partition the
    # unplaceable units: their totals equal counts of the main table, so they are hidden
    # wherever those are.
    unplaceable_hidden = total_of["children_unplaceable"] == SUPPRESSED
    units_hidden = total_of["units_unplaceable"] == SUPPRESSED
    target_cells, target_totals = suppress_grid(
        [[t.households_needed, t.children_placed] for t in report.targets],
        total_columns=(True, True),
        hidden_totals=[False, unplaceable_hidden],
        enabled=enabled,
    )
    targets = [
        {
            # the households to recruit in a band wherever counts are suppressed
            **({"households_band": households_band(t.households_needed)} if enabled else {}),
            "profile": t.profile(report.centre),
            "households_needed": c[0],
            "children_placed": c[1],
            "verified": t.verified,
        }
        for t, c in zip(report.targets, target_cells, strict=True)
    ]

    persona_cells, _ = suppress_grid(
        [[p.units, p.children] for p in report.personas],
        total_columns=(True, True),
        hidden_totals=[units_hidden, unplaceable_hidden],
        enabled=enabled,
    )
    supply_index = {s.profile: c for s, c in zip(report.supply, supply_cells, strict=True)}
    personas = []
    for p, c in zip(report.personas, persona_cells, strict=True):
        entry = p.to_dict()
        entry["units"], entry["children"] = c[0], c[1]
        entry["closest_household_profiles"] = [
            {"profile": hp.to_dict(), "households": supply_index[hp][0]}
            for hp, _count in p.closest_household_profiles
        ]
        personas.append(entry)

    def one(value: int) -> Cell:
        return SUPPRESSED if enabled and 0 < value < 6 else value

    # placeable + children placed by the targets = placeable with targets: hide the sum
    # whenever either part is hidden, so neither can be worked back.
    with_targets: Cell = one(report.children_placeable_with_targets)
    if SUPPRESSED in (shown(placeable_at), target_totals[1]):
        with_targets = SUPPRESSED

    out: dict[str, Any] = {
        "as_of": report.as_of.isoformat(),
        "policy_version": report.policy_version,
        "suppressed": enabled,
        "children_waiting": total_of["waiting_children"],
        "units_waiting": total_of["waiting_units"],
        "children_placeable": shown(placeable_at),
        "children_unplaceable": total_of["children_unplaceable"],
        "units_unplaceable": total_of["units_unplaceable"],
        "placeable_exact": report.placeability.exact,
        "by_profile": by_profile,
        "supply": supply,
        "supply_totals": {"households": supply_totals[0], "vacancies": supply_totals[1]},
        "recruitment_targets": targets,
        "recruitment_totals": {
            "households_needed": target_totals[0],
            "children_placed": target_totals[1],
        },
        "children_placeable_with_targets": with_targets,
        "personas": personas,
        "method": report.method,
        "notes": list(report.notes),
    }
    if not report.placeability.exact:
        out["children_placeable_upper_bound"] = one(report.placeability.upper_bound)
    if report.what_if is not None:
        out["what_if"] = {
            "added": [s.describe() for s in report.what_if.specs],
            "households_added": report.what_if.households_added,
            "children_placeable": one(report.what_if.children_placeable),
            "exact": report.what_if.exact,
        }
    return out
