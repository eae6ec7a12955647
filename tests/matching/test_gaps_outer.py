"""The fast paths of the gap report's outer stages against their plain definitions:
age bands by table, the cover matrix of the targets, batched persona features."""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from matching.gaps.personas import unit_vector, unit_vectors
from matching.gaps.profiles import ProfileSettings
from matching.gaps.targets import _cover_matrix, _covers, _Need, needs_by_unit
from matching.synthetic import generate_authority
from matching.vocab import NEED_CODES

AS_OF = date(2026, 6, 1)


def test_age_bands_by_table_match_the_band_definitions() -> None:
    for bands in [(0, 5, 10, 16), (0, 1, 2, 12), (0,)]:
        settings = ProfileSettings(age_bands=bands)
        for age in range(-1, 25):
            # the last band starting at or below the age (the first for a negative age)
            i = max([i for i, low in enumerate(bands) if age >= low], default=0)
            label = f"{bands[i]}-{bands[i + 1] - 1}" if i + 1 < len(bands) else f"{bands[i]}+"
            assert settings.age_band(age) == label
            high = bands[i + 1] - 1 if i + 1 < len(bands) else 17
            assert settings.band_range(label) == (bands[i], high)
            assert settings.age_band_bounds(age) == (bands[i], high)


def _random_need(rng: random.Random, unit: int) -> _Need:
    return _Need(
        unit=unit,
        size=1,
        kind=rng.choice(["foster", "adopter"]),
        term=rng.choice(["long", None]),
        min_age=rng.choice([0, 5, 10]),
        max_age=rng.choice([4, 9, 15, 17]),
        key_skills=frozenset(rng.sample(["autism", "complex_health", "learning_disability"], 2))
        if rng.random() < 0.5
        else frozenset(rng.sample(["autism", "complex_health"], rng.randint(0, 1))),
        wheelchair=rng.random() < 0.3,
        area=rng.choice([None, (54.25, -1.25), (51.75, 0.25)]),
        home=None,
        min_distance_km=0.0,
        children=(),
    )


def test_cover_matrix_is_covers_for_every_pair() -> None:
    rng = random.Random(3)
    needs = [_random_need(rng, u) for u in range(120)]
    matrix = _cover_matrix(needs)
    expected = np.array([[_covers(a, b) for b in needs] for a in needs], dtype=bool)
    assert matrix.any() and not matrix.all()
    assert np.array_equal(matrix, expected)


def test_batched_features_and_needs_match_one_unit_at_a_time() -> None:
    authority = generate_authority(400, 200, seed=5, as_of=AS_OF)
    children = list(authority.children)
    units = [tuple(children[i : i + 1 + i % 3]) for i in range(0, 300, 4)]
    batched = unit_vectors(units, AS_OF)
    for row, unit in zip(batched, units, strict=True):
        # the features one by one, as floats: highest level / 2, oldest age / 17, size / 3
        levels = [0.0] * len(NEED_CODES)
        for c in unit:
            for code, level in c.needs.items():
                j = NEED_CODES.index(code)
                levels[j] = max(levels[j], level / 2.0)
        oldest = max(c.age_on(AS_OF) for c in unit) / 17.0
        plain = np.array([*levels, oldest, len(unit) / 3.0])
        assert row.tobytes() == plain.tobytes()
        assert unit_vector(unit, AS_OF).tobytes() == plain.tobytes()
    assert batched[:, : len(NEED_CODES)].any()
    settings = ProfileSettings()
    needs = needs_by_unit(dict(enumerate(units)), AS_OF, settings)
    for need, unit in zip(needs, units, strict=True):
        ages = [c.age_on(AS_OF) for c in unit]
        assert need.min_age == settings.band_range(settings.age_band(min(ages)))[0]
        assert need.max_age == settings.band_range(settings.age_band(max(ages)))[1]
