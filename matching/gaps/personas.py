"""Recruitment personas: the unplaceable units clustered by their needs, age and size.

Each unplaceable unit becomes a vector: the highest level (0, 1, 2; scaled to 0..1) of
each need code over its children, the oldest child's age (scaled by 17) and the group
size (scaled by 3). KMeans (scikit-learn, `random_state=seed`, `n_init=4`) groups them
into k = min(4, number of distinct vectors) personas. Each persona is described in words
with the needs it combines (need codes at a mean level of at least 1, "additional"),
its typical age and group size, and the existing household profiles closest to it: the
profiles of the pool (never individual households or children) ranked by how many of its
needs their skills cover, whether they serve its plan, cover its age and have the places.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from matching.domain import Child, age_on
from matching.gaps.profiles import HouseholdProfile, ProfileSettings, kind_label
from matching.gaps.targets import PLAN_HOUSEHOLD
from matching.gaps.words import ages, household_profile_words, needs_words
from matching.labels import label, lower
from matching.results import HouseholdProfileView
from matching.vocab import NEED_CODES

MAX_PERSONAS = 4

_BY_ID = attrgetter("child_id")  # sort key: children by id


@dataclass(frozen=True)
class Persona:
    """One recruitment persona (counts are raw here; the report suppresses them)."""

    title: str
    description: str
    units: int
    children: int
    needs: tuple[str, ...]
    age_band: str
    typical_size: int
    plan: str
    closest_household_profiles: tuple[tuple[HouseholdProfile, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "units": self.units,
            "children": self.children,
            "needs": list(self.needs),
            "age_band": self.age_band,
            "typical_size": self.typical_size,
            "plan": self.plan,
        }


def unit_vector(children: Sequence[Child], as_of: date) -> npt.NDArray[np.float64]:
    """The persona features of one unit: need levels, oldest age, size (all ~0..1)."""
    row: npt.NDArray[np.float64] = unit_vectors([children], as_of)[0]
    return row


def unit_vectors(units: Sequence[Sequence[Child]], as_of: date) -> npt.NDArray[np.float64]:
    """The persona features of each unit, one row per unit (see `unit_vector`)."""
    return _scaled(_features(units, as_of))


_NEED_COLUMN = {code: j for j, code in enumerate(NEED_CODES)}


def _features(units: Sequence[Sequence[Child]], as_of: date) -> npt.NDArray[np.int64]:
    """Per unit, unscaled: the highest level of each need code, the oldest child's age
    and the group size (whole numbers, scaled in one go by `_scaled`)."""
    rows: list[list[int]] = []
    for children in units:
        row = [0] * (len(NEED_CODES) + 2)
        for c in children:
            for code, level in c.needs.items():
                j = _NEED_COLUMN[code]
                row[j] = max(row[j], level)
        # the oldest child is the one born first: age never increases with the birth date
        row[-2] = age_on(min(c.date_of_birth for c in children), as_of)
        row[-1] = len(children)
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(units), len(NEED_CODES) + 2)


def _scaled(features: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Need levels / 2, age / 17, size / 3: the same floats as dividing one by one."""
    scaled: npt.NDArray[np.float64] = features / np.array([2.0] * len(NEED_CODES) + [17.0, 3.0])
    return scaled


def _distinct_rows(features: npt.NDArray[np.int64], most: int) -> int:
    """How many distinct rows `features` has, counting no further than `most`.

    The scaling to features is one-to-one, so these are also the distinct feature
    vectors; the scan usually stops after a few rows, where sorting every row would not.
    """
    seen: set[bytes] = set()
    for row in features:
        seen.add(row.tobytes())
        if len(seen) >= most:
            break
    return len(seen)


def _closeness(profile: HouseholdProfile, plan: str, band: str, size: int, needs: set[str]) -> int:
    kind, term = PLAN_HOUSEHOLD.get(plan, ("foster", "long"))
    serves = profile.kind == kind_label(kind, term) or (
        kind == "foster" and profile.kind == "foster/both"
    )
    return (
        3 * int(serves)
        + 2 * int(band in profile.age_bands)
        + int(int(profile.places_band.rstrip("+")) >= min(size, 3))
        + len(needs & set(profile.skills))
    )


def build_personas(
    units: Sequence[Sequence[Child]],
    as_of: date,
    settings: ProfileSettings,
    supply: Mapping[HouseholdProfile, int],
    *,
    seed: int = 0,
) -> tuple[list[Persona], str]:
    """Cluster the unplaceable units into at most four personas; deterministic per seed.

    Returns the personas (largest first) and a sentence on how they were made.
    """
    if not units:
        return [], "no unplaceable units, so no personas"
    # features computed once: the clustering and the description of each persona
    features = _features(units, as_of)
    x = _scaled(features)
    k = _distinct_rows(features, MAX_PERSONAS)
    # one OpenMP thread: alone the clustering takes tens of milliseconds, but its
    # threads wait on each other for a second when the other core is busy; and the
    # centres (summed per thread) no longer depend on the machine's core count
    with threadpool_limits(limits=1, user_api="openmp"):
        model = KMeans(n_clusters=k, random_state=seed, n_init=4).fit(x)
    labels = model.labels_
    personas: list[Persona] = []
    for cluster in range(k):
        at = np.flatnonzero(labels == cluster)
        members = [units[int(i)] for i in at]
        if not members:
            continue
        levels = x[at, : len(NEED_CODES)] * 2
        mean = levels.mean(axis=0)
        needs = tuple(NEED_CODES[j] for j in np.argsort(-mean, kind="stable") if mean[j] >= 1.0)
        oldest = sorted(features[at, -2].tolist())
        band = settings.age_band(oldest[len(oldest) // 2])
        sizes = sorted(features[at, -1].tolist())
        size = sizes[len(sizes) // 2]
        plan = Counter(min(m, key=_BY_ID).plan for m in members).most_common(1)[0][0]
        ranked = sorted(
            supply.items(),
            key=lambda kv: (-_closeness(kv[0], plan, band, size, set(needs)), -kv[1], kv[0]),
        )[:3]
        group = "single children" if size == 1 else f"sibling groups of about {size}"
        need_text = f"with {needs_words(needs)}" if needs else "without complex needs in common"
        plan_words = lower(label("plan", plan))
        title = f"{label('plan', plan)}: {group} aged {ages(band)}" + (
            f", {lower(label('need', needs[0]))}" if needs else ""
        )
        closest = (
            "; ".join(
                lower(household_profile_words(HouseholdProfileView.model_validate(p.to_dict())))
                for p, _ in ranked
            )
            or "none in the pool"
        )
        description = (
            f"{group.capitalize()} aged {ages(band)} (the oldest child's age, the median), "
            f"planned for {plan_words}, {need_text}. The nearest carers in the pool: "
            f"{closest}."
        )
        personas.append(
            Persona(
                title=title,
                description=description,
                units=len(members),
                children=sum(len(m) for m in members),
                needs=needs,
                age_band=band,
                typical_size=size,
                plan=plan,
                closest_household_profiles=tuple(ranked),
            )
        )
    personas.sort(key=lambda p: (-p.units, p.title))
    how = (
        f"KMeans (scikit-learn, random_state={seed}, n_init=4) with k={k} over "
        f"{len(units)} unplaceable units; features: the highest level of each of the "
        f"{len(NEED_CODES)} need codes, the oldest child's age and the group size"
    )
    return personas, how
