"""The published gap report in words a recruitment team reads: profiles, targets, counts
and what-if households, with no code (`long_term_foster`, `foster/long`, `ages=10-15`)
and no coordinates. The gap page, its spreadsheet and its CSV tables say these; the JSON
keeps the codes for machines."""

from __future__ import annotations

from matching.gaps.suppression import SUPPRESSED
from matching.gaps.targets import AddSpec
from matching.labels import household_kind, label, lower
from matching.phrases import count, join_words
from matching.results import Cell, HouseholdProfileView, TargetProfile, UnitProfileView

# A published count that is hidden: 1 to 5, or hidden so that one cannot be worked out
# (DfE's "c"; `matching.gaps.suppression`).
HIDDEN_WORDS = "a few"


def ages(band: str) -> str:
    """An age band as people write it: "10-15" -> "10 to 15", "16+" -> "16 or over"."""
    if band.endswith("+"):
        return f"{band[:-1]} or over"
    low, _, high = band.partition("-")
    return f"{low} to {high}" if high else low


def how_many(band: str) -> str:
    """A size band as people write it: "2" stays, "3+" -> "3 or more"."""
    return f"{band[:-1]} or more" if band.endswith("+") else band


def age_range(bands: tuple[str, ...]) -> str:
    """Age bands a carer is approved for, neighbours joined: ("0-4", "5-9", "16+") ->
    "0 to 9 and 16 or over"."""
    spans: list[list[int]] = []
    for band in bands:
        low_text, _, high_text = band.rstrip("+").partition("-")
        low = int(low_text)
        high = int(high_text) if high_text else -1  # -1: open ("or over")
        if spans and spans[-1][1] != -1 and spans[-1][1] + 1 == low:
            spans[-1][1] = high
        else:
            spans.append([low, high])
    return join_words(
        f"{low} or over" if high == -1 else f"{low} to {high}" if high != low else str(low)
        for low, high in spans
    )


def cell_words(value: Cell | None) -> str:
    """A published count in a sentence: "none", "a few" (hidden), "about 10" never (the
    page says once that counts are rounded), else the number."""
    if value is None:
        return "not counted in this report"
    if value == SUPPRESSED:
        return HIDDEN_WORDS
    if value == 0:
        return "none"
    return f"{int(value):,}"


def needs_words(codes: tuple[str, ...]) -> str:
    """Needs by their names, lower-cased inside a sentence: "autism and self-harm"."""
    return join_words(lower(label("need", code)) for code in codes)


def unit_profile_words(profile: UnitProfileView) -> str:
    """A profile of waiting children: "Long-term fostering, aged 10 to 15, a single
    child, complex needs including autism"."""
    size = (
        "a single child"
        if profile.size_band == "1"
        else f"sibling groups of {how_many(profile.size_band)}"
    )
    level = "no identified needs" if profile.need_level == "none" else f"{profile.need_level} needs"
    text = f"{label('plan', profile.plan)}, aged {ages(profile.age_band)}, {size}, {level}"
    if profile.key_needs:
        text += f" including {needs_words(profile.key_needs)}"
    return text


def _kind(kind: str) -> str:
    """A published household kind ("foster/long", "adopter") in words."""
    code, _, term = kind.partition("/")
    return household_kind(code, term or None)


def household_profile_words(profile: HouseholdProfileView) -> str:
    """A profile of carers in the pool: "Long-term foster carers for ages 0 to 4 and 5 to
    9, 2 places, skilled in autism"."""
    places = profile.places_band
    room = f"{how_many(places)} {'place' if places == '1' else 'places'}"
    text = f"{_kind(profile.kind)} for ages {age_range(profile.age_bands)}, {room}"
    if profile.skills:
        text += f", skilled in {join_words(lower(label('skill', s)) for s in profile.skills)}"
    return text


def target_words(profile: TargetProfile) -> str:
    """A household profile to recruit: "Long-term foster carers approved for ages 10 to
    15, for one child, skilled in autism, within 25 km of the authority's centre"."""
    group = "for one child" if profile.places == 1 else f"for sibling groups of {profile.places}"
    text = f"{_kind(profile.kind)} approved for ages {ages(profile.ages)}, {group}"
    if profile.skills:
        text += f", skilled in {join_words(lower(label('skill', s)) for s in profile.skills)}"
    if profile.wheelchair_access:
        text += ", with wheelchair access"
    if profile.near is not None:
        radius = f"{profile.near.radius_km:g}"
        text += f", {profile.near.area or f'within {radius} km of the family-time area'}"
    return text


def target_sentence(
    profile: TargetProfile, households: Cell, band: str | None, children: Cell
) -> str:
    """One recruitment target as a sentence: what to recruit, how many (the band where
    there is one), and the children they would place."""
    if band:
        how_many = f"{band} households"
    elif households == SUPPRESSED:
        how_many = "a few households"
    else:
        how_many = count(int(households), "household")
    if children == SUPPRESSED:
        placed = "a few children"
    else:
        placed = count(int(children), "child", "children")
    return f"{target_words(profile)}: recruit {how_many}, to place {placed}."


def what_if_words(spec: AddSpec) -> str:
    """A what-if household in words: "2 long-term foster carers approved for ages 10 to
    15, for one child each, skilled in autism"."""
    kind = lower(household_kind(spec.kind, spec.term))
    many = spec.count != 1
    if spec.kind == "residential":  # the one kind named in the singular
        noun = kind + ("s" if many else "")
    else:
        noun = kind if many else _singular(kind)
    group = "for one child" if spec.places == 1 else f"for sibling groups of up to {spec.places}"
    number = f"{spec.count:,}" if many else "one"
    text = f"{number} {noun} approved for ages {spec.min_age} to {spec.max_age}, {group}"
    if many:
        text += " each"
    if spec.skills:
        text += f", skilled in {join_words(lower(label('skill', s)) for s in spec.skills)}"
    if spec.near is None:
        text += ", living near the authority's centre"
    return text


def _singular(kinds: str) -> str:
    """ "foster carers" -> "foster carer", "children's home" stays."""
    return kinds.replace("carers", "carer").replace("adopters", "adopter")
