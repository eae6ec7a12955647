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
import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from matching.domain import Authority, Child, Household, SiblingLink

FINGERPRINT_VERSION = 4  # 4: placed_with, placement_order_on, facts; not-recorded booleans
FINGERPRINT_HEADER = f"familyfinder-authority-v{FINGERPRINT_VERSION}\n".encode()

_Encode = Callable[[Any], Any]


def _canonical_float(value: Any) -> Any:
    # 25 and 25.0 are the same distance however they were parsed or stored; other
    # floats keep repr, the shortest form that reads back exactly.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _canonical_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _canonical_set(value: Any) -> Any:
    return sorted(value)


def _canonical_mapping(value: Any) -> Any:
    return sorted(value.items()) if isinstance(value, Mapping) else value


def _canonical_sequence(value: Any) -> Any:
    return list(value)


def _encoder_for(hint: Any) -> _Encode | None:
    """How to make a field of this annotated type canonical; None when it already is."""
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = options[0] if len(options) == 1 else Any
    origin = typing.get_origin(hint) or hint
    if origin is float:
        return _canonical_float
    if origin is date:
        return _canonical_date
    if origin in (frozenset, set):
        return _canonical_set
    if origin in (Mapping, dict):
        return _canonical_mapping
    if origin in (tuple, list):
        return _canonical_sequence
    return None


def _record_encoder(cls: type) -> tuple[list[str], Callable[[Any], list[Any]]]:
    """Field names of `cls` and a function giving a record's canonical values in order.

    Built once per class from the type annotations, so fingerprinting 150,000 records
    costs one pass, not a type test per value.
    """
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    encoders = [(i, enc) for i, n in enumerate(names) if (enc := _encoder_for(hints[n]))]
    get_all = operator.attrgetter(*names)

    def encode(obj: Any) -> list[Any]:
        values = list(get_all(obj))
        for i, enc in encoders:
            if values[i] is not None:
                values[i] = enc(values[i])
        return values

    return names, encode


_CHILD = _record_encoder(Child)
_HOUSEHOLD = _record_encoder(Household)
_LINK = _record_encoder(SiblingLink)


def _ordered_pair(link: SiblingLink) -> SiblingLink:
    # A pair appears once, in either order: fingerprint it in one order.
    if link.child_b < link.child_a:
        return dataclasses.replace(link, child_a=link.child_b, child_b=link.child_a)
    return link


def _section(
    section: str,
    encoder: tuple[list[str], Callable[[Any], list[Any]]],
    records: Iterable[Any],
) -> bytes:
    names, encode = encoder
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    # One encode call per section: the work stays in the C encoder, not a Python call
    # per record.
    section_text = dumps([section, names, [encode(record) for record in records]])
    return section_text.encode("utf-8") + b"\n"


def canonical_authority(authority: Authority) -> bytes:
    """The authority's canonical content: the exact bytes its fingerprint hashes.

    A header line, then one JSON line per section (children, households, sibling links),
    each `[section, field names, [record values...]]`, records in id order, sets sorted,
    each sibling pair in one order. `matching.run_inputs` keeps these bytes (compressed)
    so a stored run can be replayed, and reads them back into an `Authority`.
    """
    links = sorted(
        (_ordered_pair(link) for link in authority.links),
        key=lambda link: (link.child_a, link.child_b),
    )
    return b"".join(
        (
            FINGERPRINT_HEADER,
            _section("children", _CHILD, sorted(authority.children, key=lambda c: c.child_id)),
            _section(
                "households",
                _HOUSEHOLD,
                sorted(authority.households, key=lambda h: h.household_id),
            ),
            _section("links", _LINK, links),
        )
    )


def authority_fingerprint(authority: Authority) -> str:
    """SHA-256 (hex) of the authority's canonical content, independent of record order.

    Every field of every child, household and sibling link counts; records are taken in
    id order (sibling pairs by their ordered ids), sets are sorted, and each sibling pair
    is put in one order, so reordering a file or swapping `child_a`/`child_b` does not
    change it, while any change of value does.
    """
    return hashlib.sha256(canonical_authority(authority)).hexdigest()
