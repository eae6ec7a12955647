"""The DfE children-looked-after return (SSDA903) as familyfinder children.

`read_ssda903` takes the return's CSV files by their DfE names (column names and codes
as the DfE specification, dates DD/MM/YYYY, SEX 1/2 before 2024-25 and M/F/U since) and
a plans file, and builds one `Child` per child looked after on the reference date. The
mapping, field by field, is the table in docs/ssda903.md; this module is that table in
code. The return holds no permanence plan: it comes from the plans file, either
familyfinder's (`CHILD, plan, plan_date, status`) or an Ofsted Annex A list 8 export
("What is the permanence plan for this child?", mapped by `ANNEX_A_PLANS`). A child
without a plan is imported with plan `not_recorded` and listed, never guessed.

Left out, and counted: children with no episode open on the reference date, children
whose open episode is a short break (V3/V4), and anyone 18 or over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from matching import csv_cells, csv_checks, vocab
from matching.domain import Child, SiblingLink, age_on
from matching.errors import Notice, Problem, ValidationError
from matching.postcodes import Geocoder
from matching.text_files import csv_rows, decode

HEADER, EPISODES = "header.csv", "episodes.csv"
UASC, MISSING, PLACED_FOR_ADOPTION = "uasc.csv", "missing.csv", "placed_for_adoption.csv"
AD1, PREVIOUS_PERMANENCE, OC2 = "ad1.csv", "previous_permanence.csv", "oc2.csv"

# The DfE column names of each file the import reads (csc-validator-be-903 config.py).
COLUMNS: dict[str, tuple[str, ...]] = {
    HEADER: ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    EPISODES: (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    UASC: ("CHILD", "SEX", "DOB", "DUC"),
    MISSING: ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    PLACED_FOR_ADOPTION: (
        "CHILD",
        "DOB",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "REASON_PLACED_CEASED",
    ),
    AD1: (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    PREVIOUS_PERMANENCE: ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    OC2: (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
}
REQUIRED_FILES = (HEADER, EPISODES)
# The columns each file needs; the rest may be absent from an extract.
NEEDED: dict[str, tuple[str, ...]] = {
    HEADER: ("CHILD", "SEX", "DOB", "ETHNIC"),
    EPISODES: ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC"),
    UASC: ("CHILD",),
    MISSING: ("CHILD", "MIS_START"),
    PLACED_FOR_ADOPTION: ("CHILD", "DATE_PLACED"),
    AD1: ("CHILD", "DATE_MATCH"),
    PREVIOUS_PERMANENCE: ("CHILD", "PREV_PERM"),
    OC2: ("CHILD",),
}
# Columns read by this module; every other column present is listed as not mapped.
USED: dict[str, frozenset[str]] = {
    HEADER: frozenset({"CHILD", "SEX", "DOB", "ETHNIC", "MOTHER"}),
    EPISODES: frozenset(
        {
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "HOME_POST",
            "PL_POST",
            "URN",
        }
    ),
    UASC: frozenset({"CHILD"}),
    MISSING: frozenset({"CHILD", "MIS_START"}),
    PLACED_FOR_ADOPTION: frozenset({"CHILD", "DATE_PLACED", "DATE_PLACED_CEASED"}),
    AD1: frozenset({"CHILD", "DATE_MATCH"}),
    PREVIOUS_PERMANENCE: frozenset({"CHILD", "PREV_PERM"}),
    OC2: frozenset({"CHILD", "SDQ_SCORE", "SUBSTANCE_MISUSE"}),
}

SEXES = {"1": "male", "2": "female", "M": "male", "F": "female", "U": "unknown"}
# Reasons for a new episode that change the placement (DfE RNE codes): P placement and
# carer, T placement with the same carer, B legal status and placement, U legal status
# and placement with the same carer. S starts a period of care, L changes only the
# legal status.
PLACEMENT_CHANGES = frozenset({"P", "T", "B", "U"})
SHORT_BREAKS = frozenset({"V3", "V4"})
PLACED_FOR_ADOPTION_PLACES = frozenset({"A3", "A4", "A5", "A6"})
# Where a child on each plan is in the placement the plan is for: placed, not waiting
# (docs/ssda903.md, "status"). U1/U4 long-term fostering with family or friends / other
# carers, U2/U5 fostering for adoption or concurrent planning, U1-U3 with relatives or
# friends, K2 children's home, R1 residential care home, P1 placed with parents.
PLACED_IN: dict[str, frozenset[str]] = {
    "long_term_foster": frozenset({"U1", "U4"}),
    "adoption": PLACED_FOR_ADOPTION_PLACES,
    "ffa": frozenset({"U2", "U5"}) | PLACED_FOR_ADOPTION_PLACES,
    "kinship": frozenset({"U1", "U2", "U3"}),
    "sgo": frozenset({"U1", "U2", "U3"}),
    "cao": frozenset({"U1", "U2", "U3"}),
    "residential": frozenset({"K2", "R1"}),
    "return_home": frozenset({"P1"}),
    "supported_living": frozenset(),
}
# A Strengths and Difficulties Questionnaire total of 17 or more is "a cause for
# concern" (DfE, Children looked after in England, methodology: SDQ bands).
SDQ_CONCERN = 17
PREVIOUS_PERMANENCE_ORDERS = {
    "P1": "adoption",
    "P2": "special guardianship order",
    "P3": "residence order or child arrangements order",
    "P4": "special guardianship order (from 2014)",
}

# Ofsted Annex A list 8, "What is the permanence plan for this child?": its answers (a
# letter prefix such as "b) " and case are ignored) and familyfinder's plan for each.
# None: the answer names no single plan, so a person records it (never guessed).
ANNEX_A_PLANS: dict[str, str | None] = {
    "return to family": "return_home",
    "return home": "return_home",
    "reunification": "return_home",
    "adoption": "adoption",
    "fostering for adoption": "ffa",
    "early permanence": "ffa",
    "long-term fostering": "long_term_foster",
    "long term fostering": "long_term_foster",
    "long-term foster care": "long_term_foster",
    "kinship care": "kinship",
    "family and friends": "kinship",
    "living with family or friends": "kinship",
    "special guardianship order": "sgo",
    "sgo": "sgo",
    "child arrangements order": "cao",
    "cao": "cao",
    "residence order": "cao",
    "sgo/cao": None,
    "special guardianship order/child arrangements order": None,
    "residential": "residential",
    "residential care": "residential",
    "residential placement": "residential",
    "supported living": "supported_living",
    "supported living in the community": "supported_living",
    "independent living": "supported_living",
    "semi-independent living": "supported_living",
    "other": None,
    "other (please specify)": None,
    "not yet decided": None,
    "plan not yet made": None,
}
ANNEX_A_PLAN_COLUMN = "What is the permanence plan for this child?"
ANNEX_A_ID_COLUMNS = ("Child Unique ID", "Child ID", "CHILD")
PLANS_FILE_COLUMNS = ("CHILD", "plan", "plan_date", "status")

_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@dataclass
class Ssda903Result:
    """The children built, the sibling links given, and what the import must report."""

    children: list[Child] = field(default_factory=list)
    links: list[SiblingLink] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    notes: list[Notice] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def parse_dfe_date(text: str) -> date:
    """DD/MM/YYYY (the return's form); ISO YYYY-MM-DD is accepted too."""
    match = _DATE.fullmatch(text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return csv_cells.parse_date(text)
    except (ValueError, csv_cells.CellError):
        raise csv_cells.CellError(f"{text!r} is not a date in the form DD/MM/YYYY") from None


def annex_a_plan(answer: str) -> tuple[bool, str | None]:
    """(known, plan) for an Annex A answer: unknown answers are refused by the caller."""
    key = re.sub(r"^[a-z]\)\s*", "", answer.strip().lower())
    key = re.sub(r"\s*/\s*", "/", re.sub(r"\s+", " ", key))
    if key == "":
        return True, None
    if key in ANNEX_A_PLANS:
        return True, ANNEX_A_PLANS[key]
    return False, None


@dataclass
class _Episode:
    line: int
    start: date
    end: date | None
    reason: str  # RNE
    legal: str  # LS
    place: str
    provider: str
    home_postcode: str
    placement_postcode: str
    urn: str


@dataclass
class _Plan:
    line: int
    plan: str | None
    plan_date: date | None
    status: str | None
    annex_a: str = ""  # the Annex A answer, when that is what the file held


class _Reader:
    def __init__(self, as_of: date, geocoder: Geocoder | None) -> None:
        self.as_of = as_of
        self.geocoder = geocoder
        self.problems: list[Problem] = []
        self.result = Ssda903Result()
        self.unknown_postcodes: dict[tuple[str, str], list[int]] = {}

    def list_unknown_postcodes(self) -> None:
        for (file, column), lines in self.unknown_postcodes.items():
            shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
            self.result.unmapped.append(
                f"{file}: {column} on {len(lines)} lines ({shown}) is not a postcode in the ONS "
                "Postcode Directory: that location is left empty"
            )

    def problem(self, file: str, line: int, column: str, reason: str) -> None:
        self.problems.append(Problem(file, line, column, reason))

    def table(self, file: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
        text, encoding = decode(data, file)
        self.result.encodings[file] = encoding
        header, rows = csv_rows(text, file)
        missing = [c for c in NEEDED.get(file, ()) if c not in header]
        if missing:
            self.problem(
                file, 1, missing[0], f"the DfE column {missing[0]!r} is missing from the header"
            )
            return []
        if file in USED:
            extra = [c for c in header if c not in USED[file]]
            if extra:
                self.result.unmapped.append(f"{file}: {', '.join(extra)} (not used by matching)")
        return rows

    def date(self, file: str, line: int, column: str, text: str) -> date | None:
        if not text:
            return None
        try:
            return parse_dfe_date(text)
        except csv_cells.CellError as error:
            self.problem(file, line, column, str(error))
            return None

    def locate(
        self, file: str, line: int, column: str, text: str
    ) -> tuple[float | None, float | None]:
        if not text or self.geocoder is None:
            return None, None
        located = self.geocoder.locate(text)
        if located is None:
            self.unknown_postcodes.setdefault((file, column), []).append(line)
            return None, None
        if located.precision != "postcode":
            self.result.notes.append(Notice(file, line, "note", f"{column}: {located.describe()}"))
        return located.lat, located.lon


def _by_child(
    rows: list[tuple[int, dict[str, str]]],
) -> dict[str, list[tuple[int, dict[str, str]]]]:
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        grouped.setdefault(row.get("CHILD", ""), []).append((line, row))
    return grouped


def read_plans(data: bytes, file: str, reader: _Reader) -> dict[str, _Plan]:
    """familyfinder's plans CSV, or an Annex A list 8 export, by child id."""
    text, encoding = decode(data, file)
    reader.result.encodings[file] = encoding
    header, rows = csv_rows(text, file)
    plans: dict[str, _Plan] = {}
    annex_a = ANNEX_A_PLAN_COLUMN in header
    id_column = next((c for c in ANNEX_A_ID_COLUMNS if c in header), None) if annex_a else "CHILD"
    if id_column is None or (not annex_a and not {"CHILD", "plan"} <= set(header)):
        reader.problem(
            file,
            1,
            "",
            "a plans file has the columns CHILD, plan (and optionally plan_date, status), or "
            f"is an Annex A list 8 export with {ANNEX_A_PLAN_COLUMN!r} and "
            f"{ANNEX_A_ID_COLUMNS[0]!r}",
        )
        return plans
    for line, row in rows:
        child_id = row.get(id_column, "")
        if not child_id:
            reader.problem(file, line, id_column, "a value is required here; the cell is empty")
            continue
        if child_id in plans:
            reader.problem(
                file,
                line,
                id_column,
                f"{child_id} already has a plan on line {plans[child_id].line}",
            )
            continue
        if annex_a:
            answer = row.get(ANNEX_A_PLAN_COLUMN, "")
            known, plan = annex_a_plan(answer)
            if not known:
                reader.problem(
                    file,
                    line,
                    ANNEX_A_PLAN_COLUMN,
                    f"{answer!r} is not an Annex A permanence plan this import knows; "
                    "see docs/ssda903.md for the table",
                )
                continue
            plans[child_id] = _Plan(line, plan, None, None, annex_a=answer)
            continue
        plan = row.get("plan") or None
        if plan is not None and plan not in vocab.PLANS:
            reader.problem(
                file,
                line,
                "plan",
                f"{plan!r} is not a permanence plan; expected one of " + ", ".join(vocab.PLANS),
            )
            continue
        status = row.get("status") or None
        if status is not None and status not in vocab.CHILD_STATUSES:
            reader.problem(
                file, line, "status",
                f"{status!r} is not a child status; expected waiting, matched or placed",
            )  # fmt: skip
            continue
        plan_date = reader.date(file, line, "plan_date", row.get("plan_date", ""))
        plans[child_id] = _Plan(line, plan, plan_date, status)
    return plans


def _period_start(episodes: list[_Episode], open_index: int) -> _Episode:
    """The first episode of the period of care the open episode belongs to."""
    index = open_index
    while index > 0:
        episode, before = episodes[index], episodes[index - 1]
        if episode.reason == "S" or before.end != episode.start:
            break
        index -= 1
    return episodes[index]


def _infer_status(plan: str, place: str, placed_for_adoption: bool, matched: bool) -> str:
    """The documented rule (docs/ssda903.md): placed when the child is in the placement
    the plan is for; an open placed-for-adoption record is placed; matched for adoption
    (AD1 DATE_MATCH) is matched; else waiting."""
    if placed_for_adoption and plan in ("adoption", "ffa"):
        return "placed"
    if place in PLACED_IN.get(plan, frozenset()):
        return "placed"
    if matched and plan in ("adoption", "ffa"):
        return "matched"
    return "waiting"


def read_ssda903(
    files: Mapping[str, bytes],
    *,
    plans: bytes | None,
    plans_name: str = "plans.csv",
    as_of: date,
    geocoder: Geocoder | None = None,
    known_child_ids: frozenset[str] = frozenset(),
) -> Ssda903Result:
    """Children looked after on `as_of`, built from the return's files (by DfE name).

    Raises ValidationError listing every problem (FILE:LINE: COLUMN: reason) when a file
    cannot be read as the return or the plans file; nothing is built then.
    """
    reader = _Reader(as_of, geocoder)
    result = reader.result
    for name in REQUIRED_FILES:
        if name not in files:
            reader.problem(name, 0, "", "required file of the SSDA903 return is missing")
    if reader.problems:
        raise ValidationError(reader.problems)
    tables = {name: reader.table(name, data) for name, data in files.items() if name in COLUMNS}
    for name in files:
        if name not in COLUMNS and name != vocab.LINKS_FILE:
            result.unmapped.append(f"{name}: the whole file (not used by matching)")
    plan_of = read_plans(plans, plans_name, reader) if plans is not None else {}
    if plans is None:
        result.unmapped.append(
            "permanence plans: no --plans file, so every child needs a plan recorded"
        )

    episodes_of = _by_child(tables.get(EPISODES, []))
    lists = {name: _by_child(tables.get(name, [])) for name in COLUMNS if name != HEADER}
    left_out = {"no longer looked after on the reference date": 0, "short breaks only (V3/V4)": 0,
                "18 or over on the reference date": 0}  # fmt: skip
    a_year_ago = as_of - timedelta(days=365)
    seen: set[str] = set()
    for line, row in tables.get(HEADER, []):
        child_id = row["CHILD"]
        if child_id in seen:
            reader.problem(HEADER, line, "CHILD", f"duplicate CHILD {child_id!r}")
            continue
        seen.add(child_id)
        for _column, reason in csv_checks.child_problems({"child_id": child_id}, as_of=as_of):
            reader.problem(HEADER, line, "CHILD", reason)
        born = reader.date(HEADER, line, "DOB", row["DOB"])
        sex = SEXES.get(row["SEX"].upper())
        if sex is None:
            reader.problem(HEADER, line, "SEX", f"{row['SEX']!r} is not 1, 2, M, F or U")
        ethnicity = row["ETHNIC"].upper()
        if ethnicity not in vocab.ETHNICITIES:
            reader.problem(HEADER, line, "ETHNIC", f"{row['ETHNIC']!r} is not a DfE ethnicity code")
        episodes: list[_Episode] = []
        for e_line, e in episodes_of.get(child_id, []):
            start = reader.date(EPISODES, e_line, "DECOM", e["DECOM"])
            end = reader.date(EPISODES, e_line, "DEC", e.get("DEC", ""))
            legal = e["LS"].upper()
            if legal and legal not in vocab.LEGAL_STATUSES:
                reader.problem(EPISODES, e_line, "LS", f"{e['LS']!r} is not a DfE legal status")
            if start is not None:
                episodes.append(
                    _Episode(
                        e_line,
                        start,
                        end,
                        e["RNE"].upper(),
                        legal,
                        e["PLACE"].upper(),
                        e.get("PLACE_PROVIDER", "").upper(),
                        e.get("HOME_POST", ""),
                        e.get("PL_POST", ""),
                        e.get("URN", ""),
                    )
                )
        if born is None or sex is None or ethnicity not in vocab.ETHNICITIES:
            continue
        episodes.sort(key=lambda x: x.start)
        open_index = next(
            (
                i
                for i, ep in enumerate(episodes)
                if ep.start <= as_of and (ep.end is None or ep.end > as_of)
            ),
            None,
        )
        if open_index is None:
            left_out["no longer looked after on the reference date"] += 1
            continue
        current = episodes[open_index]
        if current.legal in SHORT_BREAKS:
            left_out["short breaks only (V3/V4)"] += 1
            continue
        if age_on(born, as_of) > vocab.MAX_CHILD_AGE:
            left_out["18 or over on the reference date"] += 1
            continue
        first = _period_start(episodes, open_index)
        period = [ep for ep in episodes[episodes.index(first) : open_index + 1]]
        order = next((ep.start for ep in period if ep.legal == "E1"), None)
        moves = [ep for ep in period[1:] if ep.reason in PLACEMENT_CHANGES]
        facts = {
            "placement_type": current.place,
            "placement_provider": current.provider,
            "placement_urn": current.urn,
            "placement_postcode": current.placement_postcode,
            "placement_moves_12m": str(sum(1 for ep in moves if ep.start > a_year_ago)),
            "placement_moves_in_care": str(len(moves)),
        }
        needs: dict[str, int] = {}
        if lists[UASC].get(child_id):
            needs["uasc"] = 1
        missing = [
            d
            for m_line, m in lists[MISSING].get(child_id, [])
            if (d := reader.date(MISSING, m_line, "MIS_START", m["MIS_START"])) is not None
            and a_year_ago < d <= as_of
        ]
        if missing:
            needs["missing_episodes"] = 1
            facts["missing_12m"] = str(len(missing))
        for _p_line, p in lists[PREVIOUS_PERMANENCE].get(child_id, []):
            code = p["PREV_PERM"].upper()
            if code in PREVIOUS_PERMANENCE_ORDERS:
                facts["previous_permanence"] = f"{code} {PREVIOUS_PERMANENCE_ORDERS[code]}"
        if row.get("MOTHER", "") == "1":
            facts["young_mother"] = "yes"
        for _o_line, o in lists[OC2].get(child_id, []):
            if o.get("SUBSTANCE_MISUSE", "") == "1":
                needs["substance_misuse"] = 1
            score = o.get("SDQ_SCORE", "")
            if score.isdigit() and int(score) >= SDQ_CONCERN:
                needs["emotional_behavioural"] = 1
        placed_for_adoption = False
        for a_line, a in lists[PLACED_FOR_ADOPTION].get(child_id, []):
            placed = reader.date(PLACED_FOR_ADOPTION, a_line, "DATE_PLACED", a["DATE_PLACED"])
            ceased = reader.date(
                PLACED_FOR_ADOPTION, a_line, "DATE_PLACED_CEASED", a.get("DATE_PLACED_CEASED", "")
            )
            if placed is not None and placed <= as_of and (ceased is None or ceased > as_of):
                placed_for_adoption = True
        matched = any(
            reader.date(AD1, d_line, "DATE_MATCH", d["DATE_MATCH"]) is not None
            for d_line, d in lists[AD1].get(child_id, [])
        )
        home_lat, home_lon = reader.locate(
            EPISODES, current.line, "HOME_POST", current.home_postcode
        )
        chosen = plan_of.get(child_id)
        plan = chosen.plan if chosen is not None and chosen.plan else vocab.NO_PLAN
        if chosen is not None and chosen.plan is None and chosen.annex_a:
            result.notes.append(
                Notice(
                    plans_name,
                    chosen.line,
                    "note",
                    f"{child_id}: Annex A says {chosen.annex_a!r}, which names no single plan: "
                    "recorded as needing a permanence plan for a person to choose",
                )
            )
        if chosen is not None and chosen.status is not None:
            status = chosen.status
        elif plan == vocab.NO_PLAN:
            status = "waiting"
        else:
            status = _infer_status(plan, current.place, placed_for_adoption, matched)
        result.children.append(
            Child(
                child_id=child_id,
                date_of_birth=born,
                sex=sex,
                ethnicity=ethnicity,
                plan=plan,
                status=status,
                legal_status=current.legal or None,
                entered_care_on=first.start,
                plan_date=chosen.plan_date if chosen is not None else None,
                home_lat=home_lat,
                home_lon=home_lon,
                needs=needs,
                placement_order_on=order,
                facts={key: value for key, value in facts.items() if value},
            )
        )
    for child_id, chosen in plan_of.items():
        if child_id not in seen and child_id not in known_child_ids:
            result.unmapped.append(
                f"{plans_name}:{chosen.line}: CHILD {child_id} is not in header.csv"
            )
    if reader.problems:
        raise ValidationError(sorted(reader.problems, key=lambda p: (p.file, p.line)))
    reader.list_unknown_postcodes()
    result.left_out = {reason: n for reason, n in left_out.items() if n}
    return result


def read_links(data: bytes, child_ids: frozenset[str]) -> tuple[list[SiblingLink], str]:
    """A familyfinder sibling_links.csv given with the return (the return has none)."""
    file = vocab.LINKS_FILE
    text, encoding = decode(data, file)
    header, rows = csv_rows(text, file)
    problems: list[Problem] = []
    links = []
    for name in vocab.LINK_REQUIRED:
        if name not in header:
            problems.append(Problem(file, 1, name, f"required column {name!r} is missing"))
    for line, row in rows if not problems else []:
        values: dict[str, object] = {}
        for name in vocab.LINK_COLUMNS:
            cell = row.get(name, "")
            column = csv_cells.LINK_COLUMNS[name]
            try:
                values[name] = column.parse(cell) if cell else column.empty
            except csv_cells.CellError as error:
                problems.append(Problem(file, line, name, str(error)))
        found = csv_checks.link_problems(values)
        problems += [Problem(file, line, column, reason) for column, reason in found]
        for end in ("child_a", "child_b"):
            if values.get(end) and values[end] not in child_ids:
                problems.append(Problem(file, line, end, f"no child {values[end]!r} imported"))
        if not found:
            links.append(SiblingLink(**values))  # type: ignore[arg-type]
    if problems:
        raise ValidationError(problems)
    return links, encoding
