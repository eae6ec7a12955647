"""An exact MILP for "how many children can be placed", by HiGHS (`scipy.optimize.milp`).

It shares no code with the product's engine: one binary per feasible (unit, household)
pair, a unit in at most one household, children within each household's vacancies, two
units assessed `apart` never in one household; maximise the children placed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.instance import MatchingInstance


def max_children_milp(instance: MatchingInstance, *, time_limit_s: float = 600.0) -> int:
    """The most children any allocation places; raises when HiGHS does not prove it."""
    sizes = np.array([u.size for u in instance.units], dtype=np.int64)
    vacancies = np.array([max(h.vacancies, 0) for h in instance.households], dtype=np.int64)
    pairs = sorted(
        {
            (u, h)
            for u, h in zip(
                instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True
            )
            if sizes[u] <= vacancies[h]
        }
    )
    if not pairs:
        return 0
    pu = np.array([p[0] for p in pairs], dtype=np.int64)
    ph = np.array([p[1] for p in pairs], dtype=np.int64)
    n = len(pairs)
    cols = np.arange(n)
    one_home = sp.csr_matrix((np.ones(n), (pu, cols)), shape=(len(sizes), n))
    room = sp.csr_matrix((sizes[pu].astype(float), (ph, cols)), shape=(len(vacancies), n))
    index = {p: i for i, p in enumerate(pairs)}
    rows, entries = [], []
    for a, b in (*instance.apart_units, *instance.co_placement_units):
        for h in set(ph[pu == a].tolist()) & set(ph[pu == b].tolist()):
            rows += [len(rows) // 2] * 2
            entries += [index[(a, h)], index[(b, h)]]
    constraints = [
        LinearConstraint(one_home, -np.inf, 1),
        LinearConstraint(room, -np.inf, vacancies.astype(float)),
    ]
    if rows:
        apart = sp.csr_matrix((np.ones(len(rows)), (rows, entries)), shape=(rows[-1] + 1, n))
        constraints.append(LinearConstraint(apart, -np.inf, 1))
    # a household with a limit of units (adopters, FfA carers) takes at most that many
    limits = np.array([np.inf if h.max_units is None else h.max_units for h in instance.households])
    units_in = sp.csr_matrix((np.ones(n), (ph, cols)), shape=(len(vacancies), n))
    constraints.append(LinearConstraint(units_in, -np.inf, limits))
    result = milp(
        -sizes[pu].astype(float),
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if result.status != 0:
        raise RuntimeError(f"HiGHS did not prove the optimum: {result.message}")
    return round(-result.fun)
