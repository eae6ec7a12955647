"""Great-circle (haversine) distances in kilometres."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

# Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def haversine_km_to_many(
    lat: float, lon: float, lat_rad: FloatArray, lon_rad: FloatArray, cos_lat: FloatArray
) -> FloatArray:
    """Distances from one point (degrees) to many points given in radians.

    `cos_lat` is `cos(lat_rad)`, precomputed once for a pool so each call does
    only the work that depends on the query point.
    """
    p1 = math.radians(lat)
    l1 = math.radians(lon)
    h = (
        np.sin((lat_rad - p1) * 0.5) ** 2
        + math.cos(p1) * cos_lat * np.sin((lon_rad - l1) * 0.5) ** 2
    )
    np.minimum(h, 1.0, out=h)
    km: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    return km
