"""authority_fingerprint: same content, same hash; any change, a different hash."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain import Authority
from matching.fingerprint import authority_fingerprint
from tests.models.builders import make_authority, make_child, make_household, make_link


def test_is_a_sha256_hex_digest_and_stable() -> None:
    fingerprint = authority_fingerprint(make_authority())
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert authority_fingerprint(make_authority()) == fingerprint


def test_swapped_sibling_pair_has_the_same_fingerprint() -> None:
    authority = make_authority()
    swapped = dataclasses.replace(
        authority,
        links=tuple(
            dataclasses.replace(link, child_a=link.child_b, child_b=link.child_a)
            for link in authority.links
        ),
    )
    assert authority_fingerprint(swapped) == authority_fingerprint(authority)


def test_integral_float_and_int_distances_agree() -> None:
    as_float = Authority(children=(make_child(family_time_max_km=25.0),))
    as_int = Authority(children=(make_child(family_time_max_km=25),))
    assert authority_fingerprint(as_float) == authority_fingerprint(as_int)


def test_every_kind_of_change_changes_it() -> None:
    base = make_authority()
    original = authority_fingerprint(base)
    child = base.children[0]
    household = base.households[0]
    changes = [
        dataclasses.replace(base, children=(*base.children[:-1],)),
        dataclasses.replace(
            base, children=(dataclasses.replace(child, status="matched"), *base.children[1:])
        ),
        dataclasses.replace(
            base, children=(dataclasses.replace(child, needs={"sen": 2}), *base.children[1:])
        ),
        dataclasses.replace(
            base,
            children=(
                dataclasses.replace(child, date_of_birth=date(2015, 5, 2)),
                *base.children[1:],
            ),
        ),
        dataclasses.replace(
            base,
            households=(dataclasses.replace(household, vacancies=1), *base.households[1:]),
        ),
        dataclasses.replace(
            base,
            households=(
                dataclasses.replace(household, skills=frozenset({"autism"})),
                *base.households[1:],
            ),
        ),
        dataclasses.replace(base, links=(make_link("C100", "C101", assessment="pending"),)),
        dataclasses.replace(base, links=()),
    ]
    fingerprints = {authority_fingerprint(a) for a in changes}
    assert original not in fingerprints
    assert len(fingerprints) == len(changes)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_record_order_does_not_matter(rnd: random.Random) -> None:
    base = Authority(
        children=tuple(make_child(child_id=f"C{i:03d}") for i in range(8)),
        households=tuple(make_household(household_id=f"H{i:03d}", vacancies=i) for i in range(6)),
        links=tuple(make_link(f"C{i:03d}", f"C{i + 1:03d}") for i in range(0, 7, 2)),
    )
    shuffled = Authority(
        children=tuple(rnd.sample(base.children, len(base.children))),
        households=tuple(rnd.sample(base.households, len(base.households))),
        links=tuple(rnd.sample(base.links, len(base.links))),
    )
    assert authority_fingerprint(shuffled) == authority_fingerprint(base)
