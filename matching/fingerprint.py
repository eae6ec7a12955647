"""A stable fingerprint of an authority's content, stamped on every stored result.

Two authorities with the same children, households and sibling links have the same
fingerprint whatever order the records come in, and whichever way round a sibling pair
is written; any change to any field changes it. So a stored shortlist or round can say
exactly which data it was computed from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from matching.domain import Authority, Child, Household, SiblingLink

FINGERPRINT_VERSION = 1


def _canonical_value(value: Any) -> Any:
    """A JSON-ready value whose serialisation does not depend on set or dict order."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # 25 and 25.0 are the same distance however they were parsed or stored; other
        # floats use repr, the shortest form that reads back exactly.
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(_canonical_value(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): _canonical_value(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple | list):
        return [_canonical_value(v) for v in value]
    raise TypeError(f"cannot fingerprint a value of type {type(value).__name__}")


def _record(obj: Child | Household | SiblingLink) -> dict[str, Any]:
    return {f.name: _canonical_value(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _link_record(link: SiblingLink) -> dict[str, Any]:
    # A pair appears once, in either order: fingerprint it in one order.
    if link.child_b < link.child_a:
        link = dataclasses.replace(link, child_a=link.child_b, child_b=link.child_a)
    return _record(link)


def authority_fingerprint(authority: Authority) -> str:
    """SHA-256 (hex) of the authority's canonical content, independent of record order.

    Every field of every child, household and sibling link counts; records are sorted by
    id (sibling pairs by their ordered ids), sets are sorted, and sibling pairs are put
    in one order, so reordering a file or swapping `child_a`/`child_b` does not change it.
    """
    content = {
        "version": FINGERPRINT_VERSION,
        "children": sorted(
            (_record(c) for c in authority.children), key=lambda r: str(r["child_id"])
        ),
        "households": sorted(
            (_record(h) for h in authority.households), key=lambda r: str(r["household_id"])
        ),
        "links": sorted(
            (_link_record(link) for link in authority.links),
            key=lambda r: (str(r["child_a"]), str(r["child_b"])),
        ),
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
