"""The household pool's arrays: a sliced pool equals one built from its households."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.pool import HouseholdPool
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


def assert_same_pool(ours: HouseholdPool, theirs: HouseholdPool) -> None:
    mine, other = vars(ours), vars(theirs)
    assert mine.keys() == other.keys()
    for name, value in other.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == mine[name].dtype, name
            assert np.array_equal(value, mine[name], equal_nan=value.dtype.kind == "f"), name
            assert not mine[name].flags.writeable, name
        elif name == "_language" or name == "_connected_rows":
            assert mine[name].keys() == value.keys(), name
            for key, col in value.items():
                assert np.array_equal(col, mine[name][key]), (name, key)
        else:
            assert mine[name] == value, name


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 120), seed=st.integers(0, 1000), data=st.data())
def test_take_equals_building_the_pool_of_those_households(
    n: int, seed: int, data: st.DataObject
) -> None:
    households = generate_authority(10, n, seed=seed, as_of=AS_OF).households
    pool = HouseholdPool.from_households(households)
    rows = data.draw(st.permutations(range(len(households))).map(lambda p: p[: len(p) // 2 + 1]))
    rows = rows[: len(households)]
    taken = pool.take(np.array(rows, dtype=np.int64))
    assert_same_pool(taken, HouseholdPool.from_households(households[i] for i in rows))
    assert taken.connected_rows("no such child").size == 0
