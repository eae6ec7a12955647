"""Great-circle (haversine) distances in kilometres: one formula, two entry points.

`haversine_km(lat1, lon1, lat2, lon2)` takes degrees, as floats or numpy arrays (which
broadcast); `haversine_km_to_many` is the same formula from one point to many points
whose radians and cosines a pool has precomputed. Both call `_haversine`, so every
distance in the project (rules, scoring, rounds, gap targets) is the same number.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

# Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]


def _haversine(
    p1: float | FloatArray,
    l1: float | FloatArray,
    p2: float | FloatArray,
    l2: float | FloatArray,
    cos1: float | FloatArray,
    cos2: float | FloatArray,
) -> FloatArray:
    """The haversine formula on radians, with the latitudes' cosines given."""
    h = np.sin((p2 - p1) * 0.5) ** 2 + cos1 * cos2 * np.sin((l2 - l1) * 0.5) ** 2
    # rounding can push h a hair above 1 for antipodal points
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


@overload
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...  # type: ignore[overload-overlap]


@overload
def haversine_km(
    lat1: float | FloatArray,
    lon1: float | FloatArray,
    lat2: float | FloatArray,
    lon2: float | FloatArray,
) -> FloatArray: ...


def haversine_km(
    lat1: float | FloatArray,
    lon1: float | FloatArray,
    lat2: float | FloatArray,
    lon2: float | FloatArray,
) -> float | FloatArray:
    """Great-circle distance between points given in degrees (floats, or arrays that
    broadcast); a float for four floats."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    km = _haversine(p1, np.radians(lon1), p2, np.radians(lon2), np.cos(p1), np.cos(p2))
    return float(km) if km.ndim == 0 else km


def haversine_km_to_many(
    lat: float, lon: float, lat_rad: FloatArray, lon_rad: FloatArray, cos_lat: FloatArray
) -> FloatArray:
    """Distances from one point (degrees) to many points given in radians.

    `cos_lat` is `cos(lat_rad)`, precomputed once for a pool so each call does
    only the work that depends on the query point.
    """
    p1 = math.radians(lat)
    return _haversine(p1, math.radians(lon), lat_rad, lon_rad, math.cos(p1), cos_lat)
