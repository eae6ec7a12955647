"""An authority written as the SSDA903 return would hold it (the demo's second form).

`ssda903_files` gives the return's CSV files (DfE names and columns, DD/MM/YYYY, SEX
M/F/U, 2026-27 placement codes) and a plans file for an authority's looked-after
children, so the SSDA903 import can be shown on the same children as the CSV one. What
the return cannot hold is lost on the way, as it would be for a real authority: needs
other than UASC and missing episodes, requirements, wishes, languages, religion,
schools, the pool. Unborn children are not looked after, so they are not in it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from matching.domain import Authority, Child, Household
from matching.ssda903 import AD1, COLUMNS, EPISODES, HEADER, MISSING, PLACED_FOR_ADOPTION, UASC

PostcodeOf = Callable[[float, float], str | None]

_SEX = {"female": "F", "male": "M", "unknown": "U"}
# Where a placed child on each plan lives (2026-27 PLACE codes, docs/ssda903.md).
_PLACED = {
    "long_term_foster": "U4",
    "adoption": "A6",
    "ffa": "U5",
    "kinship": "U3",
    "sgo": "U3",
    "cao": "U3",
    "residential": "K2",
    "return_home": "P1",
    "supported_living": "Z11",
}
_PROVIDER = {"in_house": "PR1", "ifa": "PR4", "private": "PR4", "raa": "PR1", "national": "PR2"}


def _d(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _eighteenth(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:
        return born.replace(year=born.year + 18, day=28)


def ssda903_files(
    authority: Authority, *, as_of: date, postcode_of: PostcodeOf
) -> tuple[dict[str, bytes], bytes]:
    """({DfE file name: CSV bytes}, plans CSV bytes) for the authority's children."""
    households: Mapping[str, Household] = {h.household_id: h for h in authority.households}
    header, episodes, uasc, placed, ad1, missing, plans = [], [], [], [], [], [], []
    for child in authority.children:
        if child.is_unborn(as_of) or child.entered_care_on is None:
            continue
        header.append([child.child_id, _SEX[child.sex], _d(child.date_of_birth),
                       child.ethnicity, "", "", ""])  # fmt: skip
        episodes += _episodes(child, households, postcode_of)
        if "uasc" in child.needs:
            uasc.append([child.child_id, _SEX[child.sex], _d(child.date_of_birth),
                         _d(_eighteenth(child.date_of_birth))])  # fmt: skip
        if "missing_episodes" in child.needs:
            start = as_of - timedelta(days=60)
            missing.append([child.child_id, _d(child.date_of_birth), "M", _d(start),
                            _d(start + timedelta(days=1))])  # fmt: skip
        start = child.placement_order_on or child.plan_date or child.entered_care_on
        if child.plan in ("adoption", "ffa") and child.status == "placed":
            placed.append([child.child_id, _d(child.date_of_birth), _d(start), "", ""])
        if child.plan in ("adoption", "ffa") and child.status == "matched":
            ad1.append([child.child_id, _d(child.date_of_birth), _d(start), _d(start),
                        "0", "2", "MF", "L0"])  # fmt: skip
        plans.append([child.child_id, child.plan, _d(child.plan_date), child.status])
    rows = {
        HEADER: header,
        EPISODES: episodes,
        UASC: uasc,
        MISSING: missing,
        PLACED_FOR_ADOPTION: placed,
        AD1: ad1,
    }
    # the DfE column names, as the import reads them (one table: matching.ssda903)
    files = {name: _csv(COLUMNS[name], file_rows) for name, file_rows in rows.items()}
    return files, _csv(("CHILD", "plan", "plan_date", "status"), plans)


def _episodes(
    child: Child, households: Mapping[str, Household], postcode_of: PostcodeOf
) -> list[list[str]]:
    home = None
    if child.home_lat is not None and child.home_lon is not None:
        home = postcode_of(child.home_lat, child.home_lon)
    lives = households.get(child.placed_with or "")
    here = postcode_of(lives.lat, lives.lon) if lives is not None else None
    place = _PLACED.get(child.plan, "U6") if child.status == "placed" else "U6"
    if child.status == "placed" and lives is not None and lives.kind == "connected":
        place = {"U4": "U1", "U5": "U2"}.get(place, place)
    provider = _PROVIDER.get(lives.provider, "PR1") if lives is not None else "PR1"
    if place == "P1":
        provider = "PR0"
    legal = child.legal_status or "C2"
    order = child.placement_order_on
    entered = child.entered_care_on
    assert entered is not None
    common = [home or "", here or "", ""]
    if legal == "E1" and order is not None and order > entered:
        # interim care order until the placement order: the E1 episode starts on its date
        return [
            [child.child_id, _d(entered), "S", "C1", "N1", place, provider, _d(order), "X1", "",
             *common],
            [child.child_id, _d(order), "L", "E1", "N1", place, provider, "", "", "", *common],
        ]  # fmt: skip
    return [[child.child_id, _d(entered), "S", legal, "N1", place, provider, "", "", "", *common]]
