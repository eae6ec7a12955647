"""A matching round over every waiting unit: solve it, explain it, store it.

The round answers "given today's pool, which households should each waiting unit be
considered for" (shortlist mode: up to K per unit, no household on more than M lists)
or "which one household each" (allocate mode: vacancies respected, sibling groups
together, siblings assessed apart never in one household). The engine works on indices
(`matching.instance.MatchingInstance`); this service maps them back to child and
household ids and writes each unplaced unit's reason in words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from api.services.run_inputs import code_version, keep_run_inputs
from api.services.snapshot import Snapshot, get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.domain import Authority, Child
from matching.feasibility import ROUND_MAX_PAIRS, FeasibilityResult, build_instance
from matching.instance import MatchingInstance
from matching.labels import label, lower
from matching.match_warnings import household_warnings
from matching.policy import Policy
from matching.practice_units import PracticeUnits
from matching.results import (
    PracticeWarning,
    RoundCandidate,
    RoundDocument,
    RoundUnit,
    SiblingContactPair,
    SkippedUnits,
    TakenHousehold,
    UnplacedUnit,
    collection_paused,
)
from matching.rounds import RoundParams, RoundResult, Unplaced, solve_round
from matching.rounds.result import (
    APART_FROM_PLACED,
    CO_PLACEMENT_REASON,
    NO_FEASIBLE_HOUSEHOLD,
    NOT_REACHED,
    TAKEN_BY_OTHERS,
)
from matching.rules import UnitFeatures, combine, hard_exclusions
from matching.run_inputs import RoundInputs
from matching.tiers import applicable_met
from matching.vocab import NOT_FAMILY_FOUND_PLANS
from models.proposal_store import held_child_ids
from models.store import RoundRunRecord, list_round_runs, save_round_run

Progress = Callable[[str, float], None]

NO_HOUSEHOLD_PASSES = "no household passes the hard rules"
BELOW_MIN_SCORE = "no household passing the hard rules reaches the policy's minimum round score"
TAKEN_TEXT = "every feasible household went to others"
APART_TEXT = "a household with room holds a sibling assessed to live apart"
NOT_REACHED_TEXT = "the search stopped at its time limit with room left in a feasible household"
CO_PLACEMENT_TEXT = (
    "every household with room takes a child in this round whom they must not live with "
    "(a requirement about other children, or a safeguarding risk rule)"
)


@dataclass(frozen=True)
class RoundRun:
    """A stored round result: its run (an internal reference: the round's id, the one a
    user sees, is its job's, see `api.services.round_jobs`) and its document."""

    run_id: int
    document: RoundDocument


def _children_of(instance: MatchingInstance, units: Sequence[int]) -> list[list[str]]:
    return [list(instance.units[u].children) for u in units]


def _passing_hard_rules(
    snapshot: Snapshot, children: Sequence[Child], as_of: date
) -> tuple[int, int]:
    """How many households pass every hard rule for a unit (before the score
    threshold), and how many fail only for want of room (vacancies, places or sibling
    group size): those would take the unit if they had a vacancy."""
    pool = snapshot.context.pool
    masks = hard_exclusions(UnitFeatures.from_children(children, as_of, snapshot.policy), pool)
    passing = int(np.count_nonzero(~combine(masks, pool.size)))
    others = combine({rule: mask for rule, mask in masks.items() if rule != "capacity"}, pool.size)
    room_only = int(np.count_nonzero(masks["capacity"] & ~others)) if "capacity" in masks else 0
    return passing, room_only


def _warnings(
    practice: PracticeUnits | None, children: Sequence[str]
) -> tuple[PracticeWarning, ...]:
    """A unit's practice warnings (pending assessment, siblings already placed)."""
    if practice is None:
        return ()
    return tuple(
        PracticeWarning(code=w.code, message=w.message) for w in practice.warnings_of(children)
    )


def _unplaced_entry(
    item: Unplaced,
    feasibility: FeasibilityResult,
    snapshot: Snapshot,
    *,
    as_of: date,
    min_score: float,
) -> UnplacedUnit:
    instance = feasibility.instance
    unit = instance.units[item.unit]
    if item.reason == NO_FEASIBLE_HOUSEHOLD:
        counts = {rule: n for rule, n in feasibility.excluded_counts[item.unit].items() if n}
        by_rule = "; ".join(f"{lower(label('rule', rule))}: {n}" for rule, n in counts.items())
        children = [snapshot.context.children[c] for c in unit.children]
        passing, room_only = _passing_hard_rules(snapshot, children, as_of)
        if passing:
            reason = f"{BELOW_MIN_SCORE} ({min_score:g}): {passing} pass the rules"
        else:
            reason = f"{NO_HOUSEHOLD_PASSES} ({by_rule or 'the pool is empty'})"
        return UnplacedUnit(
            children=unit.children,
            reason=item.reason,
            excluded_counts=counts,
            households_passing_hard_rules=passing,
            households_needing_room=room_only,
            reasons=(reason,),
            warnings=_warnings(feasibility.practice, unit.children),
        )
    taken: list[TakenHousehold] = []
    named: list[str] = []
    for h, by in item.taken:
        household_id = instance.households[h].household_id
        holders = _children_of(instance, by)
        taken.append(TakenHousehold(household_id=household_id, taken_by=tuple(map(tuple, holders))))
        names = ", ".join("+".join(children) for children in holders)
        named.append(f"{household_id} ({names})" if holders else household_id)
    text = {
        TAKEN_BY_OTHERS: TAKEN_TEXT,
        APART_FROM_PLACED: APART_TEXT,
        CO_PLACEMENT_REASON: CO_PLACEMENT_TEXT,
        NOT_REACHED: NOT_REACHED_TEXT,
    }.get(item.reason, item.reason)
    return UnplacedUnit(
        children=unit.children,
        reason=item.reason,
        feasible_households=tuple(taken),
        reasons=(f"{text}: {'; '.join(named)}",),
        warnings=_warnings(feasibility.practice, unit.children),
    )


def without_held_children(authority: Authority, held: Mapping[str, int]) -> Authority:
    """The authority less the children held by open proposals (and their links): they
    are not offered again while their proposal is open. A proposal holds a whole unit,
    so no unit of the rest is split."""
    if not held:
        return authority
    return dataclasses.replace(
        authority,
        children=tuple(c for c in authority.children if c.child_id not in held),
        links=tuple(
            link
            for link in authority.links
            if link.child_a not in held and link.child_b not in held
        ),
    )


def _skipped_summary(
    snapshot: Snapshot, skipped: Sequence[tuple[str, ...]], held: Mapping[str, int]
) -> SkippedUnits:
    """Units left out of the round, counted by why (not waiting; plan not family-found;
    held by an open proposal)."""
    children = snapshot.context.children
    held_waiting = {
        child: proposal
        for child, proposal in held.items()
        if child in children and children[child].status == "waiting"
    }
    not_waiting = 0
    not_family_found = 0
    for unit in skipped:
        members = [children[c] for c in unit]
        if any(c.status != "waiting" for c in members):
            not_waiting += 1
        else:
            not_family_found += 1
    held_units = len(set(held_waiting.values()))
    return SkippedUnits(
        units=len(skipped) + held_units,
        children=sum(len(unit) for unit in skipped) + len(held_waiting),
        units_not_waiting=not_waiting,
        units_plan_not_family_found=not_family_found,
        not_family_found_plans=tuple(sorted(NOT_FAMILY_FOUND_PLANS)),
        units_held_by_proposals=held_units,
        children_held_by_proposals=len(held_waiting),
    )


def _candidates(
    snapshot: Snapshot,
    children: tuple[str, ...],
    assigned: Sequence[tuple[int, float]],
    as_of: date,
    policy: Policy,
) -> tuple[RoundCandidate, ...]:
    """The households a round gives a unit, each with the tiers it meets for the unit
    (why it came first: kinship, every need met, an approval lasting to 18) and the
    warnings a person must decide (matching.tiers, matching.match_warnings)."""
    if not assigned:
        return ()
    context = snapshot.context
    unit = UnitFeatures.from_children([context.children[c] for c in children], as_of, policy)
    out = []
    for h, score in assigned:
        household = context.pool.households[h]
        out.append(
            RoundCandidate(
                household_id=household.household_id,
                score=round(score, 4),
                tiers=applicable_met(unit, household, policy),
                warnings=tuple(
                    PracticeWarning(code=w.code, message=w.message)
                    for w in household_warnings(unit, household)
                ),
            )
        )
    return tuple(out)


def round_document(
    result: RoundResult,
    feasibility: FeasibilityResult,
    snapshot: Snapshot,
    *,
    params: RoundParams,
    as_of: date,
    policy: Policy,
    held: Mapping[str, int] | None = None,
) -> RoundDocument:
    """The round as stored and printed: ids instead of indices, reasons in words.
    `held`: the children left out because an open proposal holds them."""
    with collection_paused():  # a national round: ~100,000 small models made at once
        return _round_document(
            result,
            feasibility,
            snapshot,
            params=params,
            as_of=as_of,
            policy=policy,
            held=held or {},
        )


def _round_document(
    result: RoundResult,
    feasibility: FeasibilityResult,
    snapshot: Snapshot,
    *,
    params: RoundParams,
    as_of: date,
    policy: Policy,
    held: Mapping[str, int],
) -> RoundDocument:
    instance = feasibility.instance
    households = instance.households
    practice = feasibility.practice
    units = [
        RoundUnit(
            children=unit.children,
            priority=round(unit.priority, 4),
            candidates=_candidates(snapshot, unit.children, result.assignments[u], as_of, policy),
            warnings=_warnings(practice, unit.children),
        )
        for u, unit in enumerate(instance.units)
    ]
    unplaced = [
        _unplaced_entry(item, feasibility, snapshot, as_of=as_of, min_score=policy.min_round_score)
        for item in result.unplaced
    ]
    # children held until a person resolves their sibling records: never silently
    # dropped, they are waiting and unplaced with the reason (matching.practice_units)
    held_units = practice.held if practice is not None else ()
    unplaced.extend(
        UnplacedUnit(children=h.children, reason=h.code, reasons=(h.message,)) for h in held_units
    )
    contact = [
        SiblingContactPair(
            children_a=instance.units[c.unit_a].children,
            children_b=instance.units[c.unit_b].children,
            household_a=households[c.household_a].household_id,
            household_b=households[c.household_b].household_id,
            distance_km=c.distance_km,
            within_km=c.within_km,
        )
        for c in result.sibling_contact
    ]
    return RoundDocument(
        mode=result.mode,
        solver=result.solver,
        status=result.status,
        objective=result.objective,
        best_bound=result.best_bound,
        gap=result.gap,
        wall_s=round(result.wall_s, 3),
        as_of=as_of,
        policy_version=policy.version,
        seed=params.seed,
        params=dataclasses.asdict(params),
        units_waiting=len(instance.units) + len(held_units),
        children_waiting=sum(unit.size for unit in instance.units)
        + sum(len(h.children) for h in held_units),
        units_covered=result.units_covered,
        coverage_bound=result.coverage_bound,
        children_placed=result.children_placed,
        units=tuple(units),
        unplaced=tuple(unplaced),
        sibling_contact=tuple(contact),
        sibling_contact_km=params.sibling_contact_km,
        skipped_units=_skipped_summary(snapshot, feasibility.skipped_units, held),
        households_in_pool=len(households),
        feasible_pairs=instance.n_pairs,
        inputs_fingerprint=snapshot.fingerprint,
    )


def compute_round(
    snapshot: Snapshot,
    request: RoundInputs,
    *,
    policy: Policy,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[RoundResult, RoundDocument]:
    """The round `request` asks for, on `snapshot`'s data, less the children open
    proposals hold (`request.held`): what a run computes and what its replay computes
    again."""
    params = RoundParams(**request.params)
    if progress is not None:
        progress("feasibility", 0.0)
    feasibility = build_instance(
        without_held_children(snapshot.authority, request.held),
        as_of=request.as_of,
        policy=policy,
        pool=snapshot.context.pool,
        max_pairs=request.max_pairs,
        floor=True,
    )
    result = solve_round(feasibility.instance, params, progress, should_stop=should_stop)
    document = round_document(
        result,
        feasibility,
        snapshot,
        params=params,
        as_of=request.as_of,
        policy=policy,
        held=request.held,
    )
    return result, document


def run_round(
    session: Session,
    params: RoundParams,
    *,
    as_of: date,
    policy: Policy,
    requested_by: str = "cli",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RoundRun:
    """Run a matching round over every waiting unit, store it with its inputs (for a
    replay), commit once.

    An infeasible or partial round is a result (its status and unplaced units), never
    an error. `progress(stage, fraction)` is called as the solver moves on; when
    `should_stop()` answers True the solver stops, `matching.errors.Cancelled` is raised
    and nothing is stored.
    """
    snapshot = get_snapshot(session, policy)
    request = RoundInputs(
        code_version=code_version(),
        as_of=as_of,
        params=dataclasses.asdict(params),
        held=dict(held_child_ids(session)),
        max_pairs=ROUND_MAX_PAIRS,
    )
    result, document = compute_round(
        snapshot, request, policy=policy, progress=progress, should_stop=should_stop
    )
    # whether the same inputs give the same plan (False when the wall clock cut it)
    request = request.model_copy(update={"deterministic": result.deterministic})
    with unit_of_work(session):
        kept = keep_run_inputs(session, snapshot, policy)
        run = save_round_run(
            session,
            requested_by=requested_by,
            mode=params.mode,
            params=document.params,
            seed=params.seed,
            as_of=as_of,
            policy_version=policy.version,
            inputs_fingerprint=snapshot.fingerprint,
            status=result.status,
            solver=result.solver,
            result=document,
            inputs_key=kept.inputs_key,
            policy_sha256=kept.policy_sha256,
            request=request.model_dump(mode="json"),
        )
    return RoundRun(run_id=run.id, document=document)


def recent_rounds(session: Session, *, limit: int = 20) -> list[RoundRunRecord]:
    """The stored rounds, newest first (a read: nothing is written)."""
    with unit_of_work(session):
        return list_round_runs(session, limit=limit)
