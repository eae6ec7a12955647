"""UK postcodes as locations: normalising what people type, and looking it up.

A location column may hold a full postcode (`DH1 3LE`), a postcode sector (`DH1 3`) or a
postcode district (`DH1`, the "first 3-4 characters" of the placements standard). A
full postcode resolves to its own grid reference; a sector or a district to the centroid
of every postcode in it, and the lookup says so, so a family finder knows the distance
is approximate. The directory itself (the ONS Postcode Directory) is read outside this
package (`models.postcode_directory`); `PostcodeIndex` holds one loaded part of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# Outward code (area letters, district digits, an optional letter) and the inward code
# (sector digit, unit letters): the shapes in the ONS Postcode Directory's user guide.
_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_FULL = re.compile(rf"({_OUTWARD})([0-9])([A-Z]{{2}})")
_SECTOR = re.compile(rf"({_OUTWARD})([0-9])")
_DISTRICT = re.compile(_OUTWARD)

PRECISIONS = ("postcode", "sector", "district")


@dataclass(frozen=True)
class Located:
    """Where a postcode (or the centroid of a sector or district) is, in WGS84 degrees."""

    postcode: str  # as normalised: "DH1 3LE", "DH1 3" or "DH1"
    lat: float
    lon: float
    precision: str  # postcode | sector | district
    postcodes: int = 1  # how many postcodes the centroid is taken over
    spread_km: float = 0.0  # their largest distance from the centroid

    def describe(self) -> str:
        """In words, for an import's notes."""
        if self.precision == "postcode":
            return f"{self.postcode} is at {self.lat:.5f}, {self.lon:.5f}"
        return (
            f"{self.postcode} is a postcode {self.precision}, not a full postcode: placed at "
            f"the centroid of its {self.postcodes} postcodes ({self.lat:.4f}, {self.lon:.4f}; "
            f"they lie up to {self.spread_km:.1f} km from it), so distances are approximate"
        )


class Geocoder(Protocol):
    """Anything that can place a postcode: `locate` returns None when it is unknown."""

    def locate(self, text: str) -> Located | None: ...


def normalise(text: str) -> tuple[str, str] | None:
    """(normalised postcode, precision) of what a person typed, or None if it is no
    postcode shape at all. Case and extra spaces do not matter: `dh13le` is `DH1 3LE`.

    Without a space, "M11" is the district M11 (the placements standard's "first 3-4
    characters"), not the sector "M1 1", which must be written with its space.
    """
    parts = text.upper().split()
    compact = "".join(parts)
    if match := _FULL.fullmatch(compact):
        return f"{match.group(1)} {match.group(2)}{match.group(3)}", "postcode"
    if len(parts) == 2 and _DISTRICT.fullmatch(parts[0]) and re.fullmatch("[0-9]", parts[1]):
        return f"{parts[0]} {parts[1]}", "sector"
    if _DISTRICT.fullmatch(compact):
        return compact, "district"
    return None


def area_letter(text: str) -> str | None:
    """The first letter of a postcode (how the directory is split), or None."""
    normalised = normalise(text)
    return normalised[0][0] if normalised else None


@dataclass
class _Centroid:
    lat_sum: float = 0.0
    lon_sum: float = 0.0
    count: int = 0


class PostcodeIndex:
    """Postcodes with their WGS84 coordinates, and the centroids of sectors and districts.

    Built from parallel sequences (one entry per postcode, normalised as `normalise`
    gives it); postcodes without coordinates (NaN or infinite) are left out.
    """

    def __init__(
        self, postcodes: Iterable[str], lats: Iterable[float], lons: Iterable[float]
    ) -> None:
        self._points: dict[str, tuple[float, float]] = {}
        groups: dict[tuple[str, str], _Centroid] = {}
        for postcode, lat, lon in zip(postcodes, lats, lons, strict=True):
            if not (math.isfinite(lat) and math.isfinite(lon)):
                continue
            self._points[postcode] = (lat, lon)
            outward, inward = postcode.split(" ")
            for key in ((outward, "district"), (f"{outward} {inward[0]}", "sector")):
                centroid = groups.setdefault(key, _Centroid())
                centroid.lat_sum += lat
                centroid.lon_sum += lon
                centroid.count += 1
        self._groups = groups
        self._centroids: dict[str, Located] = {}

    def __len__(self) -> int:
        return len(self._points)

    def points(self) -> list[tuple[str, float, float]]:
        """Every full postcode with its latitude and longitude."""
        return [(code, lat, lon) for code, (lat, lon) in self._points.items()]

    def locate(self, text: str) -> Located | None:
        """The location of a postcode, sector or district; None when it is not known."""
        normalised = normalise(text)
        if normalised is None:
            return None
        code, precision = normalised
        if precision == "postcode":
            point = self._points.get(code)
            return None if point is None else Located(code, point[0], point[1], "postcode")
        located = self._centroid(code, precision)
        sector = _SECTOR.fullmatch(code)
        if located is None and precision == "district" and sector:
            # "DH13" is no district: read it as the sector "DH1 3" typed without a space
            located = self._centroid(f"{sector.group(1)} {sector.group(2)}", "sector")
        return located

    def _centroid(self, code: str, precision: str) -> Located | None:
        cached = self._centroids.get(code)
        if cached is not None:
            return cached
        group = self._groups.get((code, precision))
        if group is None:
            return None
        lat, lon = group.lat_sum / group.count, group.lon_sum / group.count
        prefix = code + " " if precision == "district" else code
        spread = max(
            (
                _km(lat, lon, p_lat, p_lon)
                for postcode, (p_lat, p_lon) in self._points.items()
                if postcode.startswith(prefix)
            ),
            default=0.0,
        )
        located = Located(code, lat, lon, precision, group.count, spread)
        self._centroids[code] = located
        return located


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Imported here: matching.geo loads numpy, which the CSV reader does not otherwise need.
    from matching.geo import haversine_km

    return haversine_km(lat1, lon1, lat2, lon2)
