"""Synthetic matching instances for tests and benchmarks (no personal data)."""

from __future__ import annotations

import numpy as np

from matching.instance import MatchingInstance, RoundHousehold, RoundUnit

_GROUP_SIZES = np.array([2, 3, 4])
_GROUP_P = np.array([0.6, 0.3, 0.1])
_VACANCIES = np.array([1, 2, 3, 4])
_VACANCY_P = np.array([0.45, 0.3, 0.17, 0.08])


def random_instance(
    n_units: int,
    n_households: int,
    *,
    sibling_share: float = 0.0,
    apart_share: float = 0.0,
    min_feasible: int = 20,
    max_feasible: int = 200,
    seed: int = 0,
) -> MatchingInstance:
    """A random instance: ``sibling_share`` of units are sibling groups of 2–4,
    ``apart_share`` of units sit in `apart` pairs (also sibling-contact pairs) whose
    feasible households overlap, and each unit has ``min_feasible``–``max_feasible``
    feasible households (fewer when not enough households fit it).

    Households have 1–4 vacancies and lie in a 170 × 200 km box; scores mix a
    household-wide quality (so good carers are contested) with pair noise.
    """
    rng = np.random.default_rng(seed)
    sizes = np.where(
        rng.random(n_units) < sibling_share, rng.choice(_GROUP_SIZES, n_units, p=_GROUP_P), 1
    )
    priority = np.round(1.0 + np.minimum(rng.exponential(0.5, n_units), 3.0), 2)
    units = tuple(
        RoundUnit(tuple(f"C{u:05d}-{k}" for k in range(int(s))), float(p))
        for u, (s, p) in enumerate(zip(sizes.tolist(), priority.tolist(), strict=True))
    )
    vac = (
        rng.choice(_VACANCIES, n_households, p=_VACANCY_P)
        if n_households
        else np.zeros(0, np.int64)
    )
    lat = rng.uniform(51.0, 52.5, n_households)
    lon = rng.uniform(-2.5, 0.5, n_households)
    households = tuple(
        RoundHousehold(f"H{h:05d}", int(v), round(float(a), 5), round(float(o), 5))
        for h, (v, a, o) in enumerate(zip(vac.tolist(), lat.tolist(), lon.tolist(), strict=True))
    )
    quality = rng.random(n_households)
    eligible = {s: np.flatnonzero(vac >= s) for s in range(1, 5)}
    lists: list[np.ndarray] = []
    for s in sizes.tolist():
        pool = eligible[s]
        k = min(int(rng.integers(min_feasible, max_feasible + 1)), len(pool))
        lists.append(pool[rng.choice(len(pool), k, replace=False)] if k else np.zeros(0, np.int64))

    n_apart = round(apart_share * n_units / 2)
    apart: list[tuple[int, int]] = []
    if n_apart:
        order = rng.permutation(n_units)[: 2 * n_apart]
        for a, b in order.reshape(-1, 2).tolist():
            # siblings kept apart usually want the same kind of carer, nearby: share half
            shared = lists[a][: len(lists[a]) // 2]
            shared = shared[vac[shared] >= sizes[b]]
            lists[b] = np.unique(np.concatenate([shared, lists[b][: len(lists[b]) - len(shared)]]))
            apart.append((min(a, b), max(a, b)))
    counts = np.array([len(x) for x in lists], dtype=np.int64)
    pair_unit = np.repeat(np.arange(n_units, dtype=np.int32), counts)
    pair_household = (np.concatenate(lists) if lists else np.zeros(0)).astype(np.int32)
    noise = rng.random(len(pair_unit))
    score = np.round(np.clip(45 * quality[pair_household] + 55 * noise, 0, 100), 1)
    return MatchingInstance(
        units=units,
        households=households,
        pair_unit=pair_unit,
        pair_household=pair_household,
        pair_score=score.astype(np.float64),
        apart_units=tuple(sorted(apart)),
        sibling_contact_units=tuple(sorted(apart)),
    )
