"""Co-placement: which units must never share a household because of who they are.

When a round gives one household more than one unit, every pair of children who would
then live together must satisfy each child's requirements in both directions
(`no_younger_children`, `no_older_children`, `no_other_children`) and the policy's risk
rules (`[co_placement.risks]`: a child with, say, harmful sexual behaviour at complex
level does not live with a younger child who is not their sibling). Siblings inside one
unit were assessed to live together: the Together-and-Apart assessment decides for them.

"Younger" compares dates of birth (an unborn child is the youngest). Whether two units
conflict does not depend on the household, so the result is a list of unit pairs that
the assignment kernel keeps apart like siblings assessed apart (reason code
`matching.assignment.prepared.CO_PLACEMENT`).
A pair matters only where both units could share a household that holds two units, so
`co_placement_pairs` keeps only the pairs with such a household in common: that keeps
the list (and the kernel's components) small when few households take two units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matching.domain import Child, SiblingLink
from matching.policy import CoPlacementPolicy

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# the requirements about other children that bind between units placed together
CHILD_REQUIREMENTS = ("no_younger_children", "no_older_children", "no_other_children")


@dataclass(frozen=True)
class Restriction:
    """What one child rules out about the children living with them."""

    child_id: str
    born: int  # date of birth as an ordinal
    no_younger: bool
    no_older: bool
    no_other: bool
    # a risk rule of the policy: no younger child who is not a sibling
    no_younger_unrelated: bool


def restriction_of(child: Child, policy: CoPlacementPolicy) -> Restriction | None:
    """The child's restriction on who lives with them, or None if they have none."""
    req = child.requirements
    risk = any(
        (level := policy.risk_level(code)) is not None and child.needs.get(code, 0) >= level
        for code in child.needs
    )
    if not risk and not any(r in req for r in CHILD_REQUIREMENTS):
        return None
    return Restriction(
        child_id=child.child_id,
        born=child.date_of_birth.toordinal(),
        no_younger="no_younger_children" in req,
        no_older="no_older_children" in req,
        no_other="no_other_children" in req,
        no_younger_unrelated=risk,
    )


def conflict(x: Restriction | None, x_id: str, y: Child, related: bool) -> bool:
    """Whether child `x` (their restriction) rules out living with child `y`."""
    if x is None or x_id == y.child_id:
        return False
    born = y.date_of_birth.toordinal()
    return (
        x.no_other
        or (x.no_younger and born > x.born)
        or (x.no_older and born < x.born)
        or (x.no_younger_unrelated and not related and born > x.born)
    )


def requirements_allow(children: Sequence[Child]) -> bool:
    """Whether every pair of `children` may live together by each child's own
    requirements (`no_younger_children`, ...), which hold whoever the other child is,
    siblings included; the policy's risk rules exempt siblings (their assessment
    decides), so they are not asked here."""
    for x in children:
        req = x.requirements
        if not any(r in req for r in CHILD_REQUIREMENTS):
            continue
        own = Restriction(
            child_id=x.child_id,
            born=x.date_of_birth.toordinal(),
            no_younger="no_younger_children" in req,
            no_older="no_older_children" in req,
            no_other="no_other_children" in req,
            no_younger_unrelated=False,
        )
        if any(conflict(own, x.child_id, y, related=True) for y in children):
            return False
    return True


def _sharing(unit_columns: Sequence[IntArray], roomy: BoolArray) -> sp.csr_matrix:
    """Columns (households or groups of them) × units: 1 where the unit may go to a
    column that can hold two units."""
    n_cols = len(roomy)
    rows: list[IntArray] = []
    units: list[IntArray] = []
    for u, cols in enumerate(unit_columns):
        cols = np.asarray(cols, dtype=np.int64)
        cols = cols[roomy[cols]] if len(cols) else cols
        rows.append(cols)
        units.append(np.full(len(cols), u, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(units) if units else np.zeros(0, np.int64)
    data = np.ones(len(r), dtype=np.int8)
    return sp.csr_matrix((data, (r, c)), shape=(n_cols, len(unit_columns)))


def co_placement_pairs(
    unit_children: Sequence[Sequence[Child]],
    links: Iterable[SiblingLink],
    policy: CoPlacementPolicy,
    unit_columns: Sequence[IntArray],
    roomy: BoolArray,
) -> tuple[tuple[int, int], ...]:
    """Sorted pairs of unit indices (a < b) whose children must not live together.

    `unit_columns[u]` are the households (or groups of interchangeable households) unit
    `u` may go to, `roomy[c]` whether column `c` can hold two units; only pairs of units
    with a roomy column in common are returned (any other pair can never meet).
    """
    n = len(unit_children)
    restricted = [
        (u, child, r)
        for u, children in enumerate(unit_children)
        for child in children
        if (r := restriction_of(child, policy)) is not None
    ]
    if not restricted or n < 2:
        return ()
    related: set[frozenset[str]] = {link.pair for link in links}
    unit_of = {c.child_id: u for u, cs in enumerate(unit_children) for c in cs}
    sibling_units: dict[str, set[int]] = {}
    for pair in related:
        a, b = sorted(pair)
        if a in unit_of and b in unit_of:
            sibling_units.setdefault(a, set()).add(unit_of[b])
            sibling_units.setdefault(b, set()).add(unit_of[a])
    holds = _sharing(unit_columns, roomy)
    # per unit: the latest and earliest date of birth (youngest, eldest child)
    youngest = np.array(
        [max(c.date_of_birth.toordinal() for c in cs) for cs in unit_children], dtype=np.int64
    )
    eldest = np.array(
        [min(c.date_of_birth.toordinal() for c in cs) for cs in unit_children], dtype=np.int64
    )
    by_unit = holds.T.tocsr()  # units × columns
    found: list[IntArray] = []  # per restricted child, its pairs as a * n + b
    for u, child, r in restricted:
        cols = by_unit.indices[by_unit.indptr[u] : by_unit.indptr[u + 1]]
        if not len(cols):
            continue
        starts, ends = holds.indptr[cols], holds.indptr[cols + 1]
        lengths = (ends - starts).astype(np.int64)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        near = np.unique(holds.indices[np.repeat(starts, lengths) + offsets])
        near = near[near != u]
        if r.no_other:
            hit = np.ones(len(near), dtype=bool)
        else:
            hit = np.zeros(len(near), dtype=bool)
            if r.no_younger or r.no_younger_unrelated:
                hit |= youngest[near] > r.born
            if r.no_older:
                hit |= eldest[near] < r.born
            # a unit holding a sibling of the child: look at each of its children
            if r.no_younger_unrelated and not r.no_younger:
                for v in sorted(sibling_units.get(child.child_id, ())):
                    at = int(np.searchsorted(near, v))
                    if at < len(near) and near[at] == v and hit[at]:
                        hit[at] = any(
                            conflict(
                                r,
                                child.child_id,
                                y,
                                frozenset((child.child_id, y.child_id)) in related,
                            )
                            for y in unit_children[v]
                        )
        partners = near[hit]
        found.append(np.minimum(partners, u) * n + np.maximum(partners, u))
    if not found:
        return ()
    keys = np.unique(np.concatenate(found))
    return tuple(zip((keys // n).tolist(), (keys % n).tolist(), strict=True))


def roomy_households(
    vacancies: npt.NDArray[np.integer[Any]], max_units: Sequence[int | None]
) -> BoolArray:
    """Households that can hold two units: two vacancies and no one-unit limit."""
    limit = np.array([2 if m is None else m for m in max_units], dtype=np.int64)
    return (np.asarray(vacancies, dtype=np.int64) >= 2) & (limit >= 2)
