"""Co-placement: which units must never share a household because of who they are.

When a round gives one household more than one unit, every pair of children who would
then live together must satisfy each child's requirements in both directions
(`no_younger_children`, `no_older_children`, `no_other_children`) and the policy's risk
rules (`[co_placement.risks]`: a child with, say, harmful sexual behaviour at complex
level does not live with a younger child who is not their sibling). Siblings inside one
unit were assessed to live together: the Together-and-Apart assessment decides for them.

"Younger" compares dates of birth (an unborn child is the youngest). Whether two units
conflict does not depend on the household. The compact form (`co_placement`, a
`CoPlacement`) holds one restriction per restricted unit: the class of units it rules
out, by the dates of birth of their youngest and eldest child (and the few units holding
a sibling, decided child by child); it is what the engines read at scale, where the
pairs number hundreds of thousands (74,311 on a generated 10,000-child authority).
`co_placement_pairs` lists the pairs for instances small enough to carry them, which
the assignment kernel keeps apart like siblings assessed apart (reason code
`matching.assignment.prepared.CO_PLACEMENT`); it keeps only the pairs with a household
in common that holds two units (any other pair can never meet).
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


NO_BOUND_HIGH = np.iinfo(np.int64).max  # "after" no date: nothing is younger than it
NO_BOUND_LOW = np.iinfo(np.int64).min


@dataclass(frozen=True)
class CoPlacement:
    """Co-placement in compact form: one restriction per restricted unit, no pair list.

    A restricted unit r (one with a child who has a restriction) rules out every other
    unit v with a child it must not live with. That set is a class of units by their
    dates of birth, not a list: v is ruled out when `no_other[r]`, when v's youngest child
    was born after `young_after[r]` (r has a `no_younger_children` child born then), when
    v's eldest was born before `old_before[r]` (`no_older_children`), or when v's
    youngest was born after `risk_after[r]` and v holds no sibling of r's children (a
    policy risk rule: no unrelated younger child). The few units holding a sibling of a
    restricted child are decided child by child with `conflict` and kept in `exceptions`.
    Two units must not share a household when either rules out the other; an unrestricted
    unit rules out nobody. `rules_out` is the one place the class is read.
    """

    youngest: IntArray  # per unit: the latest date of birth (ordinal) of its children
    eldest: IntArray  # per unit: the earliest
    restricted: IntArray  # the restricted units, ascending
    no_other: BoolArray  # per restricted unit (position in `restricted`)
    young_after: IntArray
    old_before: IntArray
    risk_after: IntArray
    # per restricted unit (position): {unit holding a sibling of its children: rules out}
    exceptions: tuple[dict[int, bool], ...]

    @property
    def n_units(self) -> int:
        return len(self.youngest)

    def position(self, unit: int) -> int:
        """Position of `unit` in `restricted` (-1: not restricted)."""
        at = int(np.searchsorted(self.restricted, unit))
        return at if at < len(self.restricted) and self.restricted[at] == unit else -1

    def rules_out(self, at: int, units: IntArray) -> BoolArray:
        """Which of `units` the restricted unit at position `at` must not live with."""
        units = np.asarray(units, dtype=np.int64)
        if self.no_other[at]:
            hit = np.ones(len(units), dtype=bool)
        else:
            young = self.youngest[units]
            hit = (young > self.young_after[at]) | (young > self.risk_after[at])
            hit |= self.eldest[units] < self.old_before[at]
        hit &= units != self.restricted[at]
        exceptions = self.exceptions[at]
        if exceptions and len(units):
            for i in np.flatnonzero(np.isin(units, list(exceptions))).tolist():
                hit[i] = exceptions[int(units[i])]
        return hit

    def together(self, a: int, b: int) -> bool:
        """Whether units a and b may share a household (one pair, scalar arithmetic)."""
        return not (self._rules_out_one(a, b) or self._rules_out_one(b, a))

    def _rules_out_one(self, x: int, y: int) -> bool:
        """`rules_out` for one restricted-or-not unit x and one unit y."""
        at = self.position(x)
        if at < 0 or x == y:
            return False
        exceptions = self.exceptions[at]
        if y in exceptions:
            return exceptions[y]
        young = int(self.youngest[y])
        return bool(
            self.no_other[at]
            or young > int(self.young_after[at])
            or young > int(self.risk_after[at])
            or int(self.eldest[y]) < int(self.old_before[at])
        )

    def clash(self, unit: int, others: IntArray) -> BoolArray:
        """Which of `others` must not share a household with `unit` (either way)."""
        others = np.asarray(others, dtype=np.int64)
        at = self.position(unit)
        hit = self.rules_out(at, others) if at >= 0 else np.zeros(len(others), dtype=bool)
        if len(self.restricted) and len(others):
            where = np.searchsorted(self.restricted, others)
            where = np.minimum(where, len(self.restricted) - 1)
            for i in np.flatnonzero(self.restricted[where] == others).tolist():
                if not hit[i]:
                    hit[i] = bool(self.rules_out(int(where[i]), np.array([unit]))[0])
        return hit

    def take(self, units: IntArray) -> CoPlacement:
        """The restrictions among `units` only, renumbered 0..len(units)-1 in that order."""
        units = np.asarray(units, dtype=np.int64)
        new_of = {int(u): i for i, u in enumerate(units.tolist())}
        keep = [i for i, r in enumerate(self.restricted.tolist()) if r in new_of]
        restricted = np.array([new_of[int(self.restricted[i])] for i in keep], dtype=np.int64)
        order = np.argsort(restricted, kind="stable")
        keep = [keep[i] for i in order.tolist()]
        return CoPlacement(
            youngest=self.youngest[units],
            eldest=self.eldest[units],
            restricted=restricted[order],
            no_other=self.no_other[keep],
            young_after=self.young_after[keep],
            old_before=self.old_before[keep],
            risk_after=self.risk_after[keep],
            exceptions=tuple(
                {new_of[v]: hit for v, hit in self.exceptions[i].items() if v in new_of}
                for i in keep
            ),
        )

    def pairs_sharing(
        self, unit_columns: Sequence[IntArray], roomy: BoolArray
    ) -> tuple[tuple[int, int], ...]:
        """Sorted unit pairs (a < b) that must not live together and share a column
        (household, or group of households) that can hold two units: the pair list,
        for the instances small enough to carry one."""
        n = self.n_units
        if not len(self.restricted) or n < 2:
            return ()
        holds = _sharing(unit_columns, roomy)
        by_unit = holds.T.tocsr()  # units × columns
        found: list[IntArray] = []  # per restricted unit, its pairs as a * n + b
        for at, u in enumerate(self.restricted.tolist()):
            near = _near(holds, by_unit, u)
            partners = near[self.rules_out(at, near)]
            found.append(np.minimum(partners, u) * n + np.maximum(partners, u))
        keys = np.unique(np.concatenate(found))
        return tuple(zip((keys // n).tolist(), (keys % n).tolist(), strict=True))


def _near(holds: sp.csr_matrix, by_unit: sp.csr_matrix, u: int) -> IntArray:
    """The units sharing a column of `holds` with unit u (u excluded), ascending."""
    cols = by_unit.indices[by_unit.indptr[u] : by_unit.indptr[u + 1]]
    if not len(cols):
        return np.zeros(0, dtype=np.int64)
    starts, ends = holds.indptr[cols], holds.indptr[cols + 1]
    lengths = (ends - starts).astype(np.int64)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    near: IntArray = np.unique(holds.indices[np.repeat(starts, lengths) + offsets]).astype(np.int64)
    out: IntArray = near[near != u]
    return out


def co_placement(
    unit_children: Sequence[Sequence[Child]],
    links: Iterable[SiblingLink],
    policy: CoPlacementPolicy,
) -> CoPlacement:
    """The compact co-placement restrictions of the units `unit_children`."""
    youngest = np.array(
        [max(c.date_of_birth.toordinal() for c in cs) for cs in unit_children], dtype=np.int64
    )
    eldest = np.array(
        [min(c.date_of_birth.toordinal() for c in cs) for cs in unit_children], dtype=np.int64
    )
    restricted: list[int] = []
    no_other: list[bool] = []
    young_after: list[int] = []
    old_before: list[int] = []
    risk_after: list[int] = []
    exceptions: list[dict[int, bool]] = []
    related: set[frozenset[str]] | None = None
    unit_of: dict[str, int] = {}
    siblings: dict[str, set[str]] = {}
    for u, children in enumerate(unit_children):
        own = [(c, r) for c in children if (r := restriction_of(c, policy)) is not None]
        if not own:
            continue
        if related is None:  # the sibling index, built once and only when needed
            related = set()
            for link in links:
                related.add(link.pair)
                siblings.setdefault(link.child_a, set()).add(link.child_b)
                siblings.setdefault(link.child_b, set()).add(link.child_a)
            unit_of = {c.child_id: v for v, cs in enumerate(unit_children) for c in cs}
        restricted.append(u)
        no_other.append(any(r.no_other for _, r in own))
        young_after.append(min((r.born for _, r in own if r.no_younger), default=NO_BOUND_HIGH))
        old_before.append(max((r.born for _, r in own if r.no_older), default=NO_BOUND_LOW))
        risk_after.append(
            min((r.born for _, r in own if r.no_younger_unrelated), default=NO_BOUND_HIGH)
        )
        # a unit holding a sibling of one of these children: decided child by child
        near = {
            unit_of[s] for c, _ in own for s in siblings.get(c.child_id, ()) if s in unit_of
        } - {u}
        exceptions.append(
            {
                v: any(
                    conflict(r, c.child_id, y, frozenset((c.child_id, y.child_id)) in related)
                    for c, r in own
                    for y in unit_children[v]
                )
                for v in sorted(near)
            }
        )
    return CoPlacement(
        youngest=youngest,
        eldest=eldest,
        restricted=np.array(restricted, dtype=np.int64),
        no_other=np.array(no_other, dtype=bool),
        young_after=np.array(young_after, dtype=np.int64),
        old_before=np.array(old_before, dtype=np.int64),
        risk_after=np.array(risk_after, dtype=np.int64),
        exceptions=tuple(exceptions),
    )


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
    with a roomy column in common are returned (any other pair can never meet). The
    pairs are those of the compact form (`co_placement`), listed.
    """
    return co_placement(unit_children, links, policy).pairs_sharing(unit_columns, roomy)


def roomy_households(
    vacancies: npt.NDArray[np.integer[Any]], max_units: Sequence[int | None]
) -> BoolArray:
    """Households that can hold two units: two vacancies and no one-unit limit."""
    limit = np.array([2 if m is None else m for m in max_units], dtype=np.int64)
    return (np.asarray(vacancies, dtype=np.int64) >= 2) & (limit >= 2)
