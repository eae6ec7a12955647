"""Sibling-heavy authorities for tests and benchmarks, made from generated ones.

`matching.synthetic.generate_authority` makes sibling groups at about the rate authorities
report; the hard cases for an assignment engine are authorities with many more of them
and many more siblings assessed to live apart (issue 11: 1,600 children and 2,000
households; 100,000 children with about 85 % waiting). `sibling_heavy` transforms a
generated authority into one: more children waiting, new `together` groups and new
`apart` pairs among the children who had no sibling link. Links are only added between
children who had none, each new group is a chain of `together` links and each `apart`
link joins two different units, so no assessment contradicts another.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import date

import numpy as np

from matching.domain import Authority, Child, SiblingLink
from matching.vocab import NOT_FAMILY_FOUND_PLANS

_GROUP_SIZES = (2, 3, 4)
_GROUP_P = (0.6, 0.3, 0.1)


def sibling_heavy(
    authority: Authority,
    *,
    as_of: date,
    seed: int = 0,
    waiting_share: float = 0.0,
    group_share: float = 0.5,
    apart_share: float = 0.2,
) -> Authority:
    """`authority` with more siblings: deterministic for a given seed.

    * `waiting_share`: matched and placed children with family-found plans become
      `waiting` at random until about this share of all children waits (no change if
      the share is already reached);
    * `group_share`: the share of unlinked waiting children put into new `together`
      groups of 2-4 (60/30/10 %) with children of the same plan and a close age;
    * `apart_share`: the share of the resulting units (new groups and unlinked single
      children) that gain an `apart` link with a unit of the same plan and age band.
    """
    rng = np.random.default_rng(seed)
    children = list(authority.children)
    waiting = sum(c.status == "waiting" for c in children)
    want = round(waiting_share * len(children)) - waiting
    if want > 0:
        others = [
            i
            for i, c in enumerate(children)
            if c.status != "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS
        ]
        for i in rng.permutation(others)[:want].tolist():
            children[i] = dataclasses.replace(children[i], status="waiting")
    linked = {c for link in authority.links for c in (link.child_a, link.child_b)}
    free = [
        c
        for c in children
        if c.child_id not in linked
        and c.status == "waiting"
        and c.plan not in NOT_FAMILY_FOUND_PLANS
    ]
    links = list(authority.links)
    for bucket in _buckets(free, as_of):
        units = _group(rng, bucket, group_share, links, as_of)
        _keep_apart(rng, units, apart_share, links, as_of)
    return Authority(tuple(children), authority.households, tuple(links))


def _buckets(children: Sequence[Child], as_of: date) -> list[list[Child]]:
    """Children of one plan and one four-year age band, in id order."""
    buckets: dict[tuple[str, int], list[Child]] = {}
    for c in sorted(children, key=lambda c: c.child_id):
        buckets.setdefault((c.plan, c.age_on(as_of) // 4), []).append(c)
    return [buckets[k] for k in sorted(buckets)]


def _link(a: Child, b: Child, assessment: str, as_of: date) -> SiblingLink:
    return SiblingLink(a.child_id, b.child_id, "full", assessment, as_of, "")


def _group(
    rng: np.random.Generator,
    bucket: list[Child],
    share: float,
    links: list[SiblingLink],
    as_of: date,
) -> list[list[Child]]:
    """Split a bucket into units, a `share` of its children in new together groups."""
    order = [bucket[i] for i in rng.permutation(len(bucket)).tolist()]
    units: list[list[Child]] = []
    at = 0
    while at < len(order):
        size = 1
        if rng.random() < share:
            size = int(rng.choice(_GROUP_SIZES, p=_GROUP_P))
        unit = order[at : at + size]
        at += len(unit)
        for a, b in itertools.pairwise(unit):
            links.append(_link(a, b, "together", as_of))
        units.append(unit)
    return units


def _keep_apart(
    rng: np.random.Generator,
    units: list[list[Child]],
    share: float,
    links: list[SiblingLink],
    as_of: date,
) -> None:
    """Pair a `share` of the units two by two with an `apart` link."""
    n_pairs = round(share * len(units) / 2)
    chosen = rng.permutation(len(units))[: 2 * n_pairs].tolist()
    for i, j in zip(chosen[0::2], chosen[1::2], strict=True):
        links.append(_link(units[i][0], units[j][0], "apart", as_of))
