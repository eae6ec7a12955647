"""What a stored shortlist or round was computed from, kept so it can be run again.

A run's inputs are (1) the authority as it was (children, households, sibling links),
(2) the policy file's text and (3) the request: the child, the date, the parameters and
the seed. The authority is the bulk of it and the same for every run on one data
version, so it is kept once per version, content-addressed: its key is the data
fingerprint, the SHA-256 of its canonical bytes (`matching.fingerprint`), and it is
stored zlib-compressed. Reading it back checks the key again, so a kept copy that was
altered is refused rather than replayed.

    encode_authority(authority)        -> KeptAuthority(key, data, raw_bytes)
    decode_authority(data, key)        -> Authority (InputsAltered when it does not hash
                                          to `key`)

The request part is small and kept with each run: `ShortlistInputs`, `RoundInputs`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from matching.domain import Authority, Child, Household, SiblingLink
from matching.errors import InputsAltered
from matching.fingerprint import FINGERPRINT_HEADER, canonical_authority

# zlib level 6 (its default): a 10,000-child authority's 9 MB become about 1 MB; the
# highest level saves a few per cent for twice the time.
COMPRESSION_LEVEL = 6
# The shape of what a run keeps (the request models below and the kept authority).
INPUTS_VERSION = 1


@dataclass(frozen=True)
class KeptAuthority:
    """An authority as kept: its key (the data fingerprint), compressed bytes and size."""

    key: str
    data: bytes
    raw_bytes: int


def encode_authority(authority: Authority) -> KeptAuthority:
    """The authority's canonical bytes, compressed, under their SHA-256 (the fingerprint)."""
    raw = canonical_authority(authority)
    return KeptAuthority(
        key=hashlib.sha256(raw).hexdigest(),
        data=zlib.compress(raw, COMPRESSION_LEVEL),
        raw_bytes=len(raw),
    )


_Decode = Callable[[Any], Any]


def _decoder_for(hint: Any) -> _Decode | None:
    """How to read back a canonical value of this annotated type (see
    `matching.fingerprint._encoder_for`, its mirror); None when JSON already gives it."""
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = options[0] if len(options) == 1 else Any
    origin = typing.get_origin(hint) or hint
    if origin is float:
        return float
    if origin is date:
        return date.fromisoformat
    if origin in (frozenset, set):
        return frozenset
    if origin in (Mapping, dict):
        return lambda items: {key: value for key, value in items}
    if origin in (tuple, list):
        return tuple
    return None


def _record_decoder(cls: type) -> Callable[[list[str], list[Any]], Any]:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    decoders = {name: _decoder_for(hints[name]) for name in known}

    def decode(names: list[str], values: list[Any]) -> Any:
        if set(names) != known:
            raise InputsAltered(
                f"kept {cls.__name__} fields {sorted(set(names) ^ known)} differ from this "
                "version's: the inputs were kept by another version of familyfinder"
            )
        fields: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            convert = decoders[name]
            fields[name] = convert(value) if convert is not None and value is not None else value
        return cls(**fields)

    return decode


_DECODERS = {
    "children": _record_decoder(Child),
    "households": _record_decoder(Household),
    "links": _record_decoder(SiblingLink),
}


def decode_authority(data: bytes, key: str) -> Authority:
    """The authority kept under `key`; `InputsAltered` when the bytes do not hash to it."""
    try:
        raw = zlib.decompress(data)
    except zlib.error as error:
        raise InputsAltered(f"the kept inputs {key[:16]} cannot be read: {error}") from None
    if hashlib.sha256(raw).hexdigest() != key:
        raise InputsAltered(
            f"the kept inputs {key[:16]} no longer match their fingerprint: they were "
            "altered after the run"
        )
    lines = raw.split(b"\n")
    if lines[0] + b"\n" != FINGERPRINT_HEADER:
        raise InputsAltered("the kept inputs were written by another fingerprint version")
    sections: dict[str, tuple[Any, ...]] = {}
    for line in lines[1:]:
        if not line:
            continue
        section, names, rows = json.loads(line)
        decode = _DECODERS[section]
        sections[section] = tuple(decode(names, values) for values in rows)
    return Authority(
        children=sections.get("children", ()),
        households=sections.get("households", ()),
        links=sections.get("links", ()),
    )


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs_version: int = Field(default=INPUTS_VERSION, ge=1, le=INPUTS_VERSION)
    # the familyfinder release that ran it: a replay by another release may differ
    code_version: str


class ShortlistInputs(_Request):
    """What a stored shortlist was asked for, besides the data and the policy."""

    child_id: str
    as_of: date
    top: int
    why_not: str | None = None


class RoundInputs(_Request):
    """What a stored round was asked for, besides the data and the policy: its
    parameters (`dataclasses.asdict(RoundParams)`, the seed among them), the children
    open proposals held out of it, and the cap on feasible pairs."""

    as_of: date
    params: dict[str, Any]
    held: dict[str, int] = Field(default_factory=dict)  # child id -> proposal id
    max_pairs: int | None = None
    # False when the wall-clock safety net may have cut the search short (a machine too
    # loaded for the time limit): a replay may then find another plan
    deterministic: bool = True
