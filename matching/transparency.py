"""The tool's algorithmic transparency record, in the shape of the UK Algorithmic
Transparency Recording Standard (ATRS): a tier 1 summary for the public, tier 2 detail.

    build_record(policy, policy_text, ...) -> Record
    to_markdown(record) / to_html(record) -> str

Everything that can drift is generated, never written out by hand: the hard rules from
the code's own table (`matching.rules.HARD_RULES`, each with its source from
`matching.rule_sources`), the criteria, weights and every other setting from the policy
in force (with the comments of the policy file, which name their sources), the data
fields from the domain types, the fairness figures from the fairness report. So a
changed weight, a new rule or a new field shows in the record the next time it is made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matching.domain import Child, Household, SiblingLink
from matching.labels import label
from matching.phrases import long_date
from matching.policy import Policy
from matching.rule_sources import RULE_SOURCES
from matching.rules import HARD_RULES

# Constraints between units, beyond the per-household rules of HARD_RULES.
# The kernel's constraints between units, with what each forbids in words.
ROUND_CONSTRAINTS: dict[str, str] = {
    "siblings_apart": "Two children assessed to live apart would share a household (rounds).",
    "co_placement": (
        "Two children would live together against one's requirements about other "
        "children, or with an unrelated younger child beside a complex safeguarding risk "
        "of the policy; adopters and Fostering for Adoption carers take one child or "
        "sibling group at a time (rounds and the gap report)."
    ),
}
NO_SOURCE = "Source not recorded"
STANDARD = "Algorithmic Transparency Recording Standard (ATRS), tier 1 and tier 2"


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """A section of the record: a title, paragraphs, then tables."""

    key: str  # a stable anchor (`owner`, `hard-rules`, ...)
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Record:
    title: str
    tier1: tuple[Section, ...]
    tier2: tuple[Section, ...]


@dataclass(frozen=True)
class Owner:
    """Who owns the tool where it runs (the service's settings); "" when not set."""

    organisation: str = ""
    team: str = ""
    contact: str = ""


@dataclass(frozen=True)
class FairnessFlag:
    """A group the policy and the pool serve less well: a ratio to the other children
    whose interval lies wholly below the threshold, and what drives it."""

    dimension: str
    group: str
    metric: str
    ratio: float
    interval: tuple[float, float]
    drivers: tuple[str, ...] = ()


@dataclass(frozen=True)
class FairnessSummary:
    """What the record shows of the fairness report (issue 16 item 1): its date, the
    threshold, how many groups were compared and the flags raised."""

    as_of: date
    policy_version: str
    threshold: float
    groups_compared: int
    flags: tuple[FairnessFlag, ...] = field(default_factory=tuple)

    @classmethod
    def from_report_json(cls, data: Mapping[str, Any]) -> FairnessSummary:
        """The summary of a fairness report's JSON (`familyfinder fairness --json`:
        `groups`, and `flags` of `{dimension, group, metric, ratio, interval, drivers}`)."""
        return cls(
            as_of=date.fromisoformat(str(data["as_of"])),
            policy_version=str(data.get("policy_version", "")),
            threshold=float(data.get("threshold", 0.8)),
            groups_compared=len(data.get("groups", ())),
            flags=tuple(
                FairnessFlag(
                    dimension=str(f["dimension"]),
                    group=str(f["group"]),
                    metric=str(f["metric"]),
                    ratio=float(f["ratio"]),
                    interval=(float(f["interval"][0]), float(f["interval"][1])),
                    drivers=tuple(_driver_words(d) for d in f.get("drivers", ())[:3]),
                )
                for f in data.get("flags", ())
            ),
        )


# ----------------------------------------------------------------------------- the policy


def policy_comments(text: str) -> dict[str, tuple[str, ...]]:
    """The comments of a policy file by what they describe: `section` for the lines just
    above a `[section]` header, `section.key` (or `key` at the top) for the lines just
    above a setting and its comment at the end of the line. A blank line ends a block."""
    found: dict[str, tuple[str, ...]] = {}
    block: list[str] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            block = []
        elif line.startswith("#"):
            block.append(line.lstrip("#").strip())
        elif line.startswith("["):
            section = line.strip("[]").strip()
            if block:
                found[section] = tuple(block)
            block = []
        elif "=" in line:
            key = line.split("=", 1)[0].strip()
            inline = _inline_comment(line.split("=", 1)[1])
            lines = [*block, *([inline] if inline else [])]
            if lines:
                found[f"{section}.{key}" if section else key] = tuple(lines)
            block = []
    return found


def _inline_comment(value: str) -> str:
    quote: str | None = None
    for i, char in enumerate(value):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return value[i + 1 :].strip()
    return ""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_value(v)}" for k, v in value.items()) or "none"
    return str(value)


def _words(text: str) -> str:
    """Codes written as words (`margin_years` -> `margin years`), for people to read."""
    return text.replace("`", "").replace("_", " ")


def _setting_name(path: str) -> str:
    """`priority.first_threshold_days` -> `Priority: first threshold days`."""
    words = _words(path).replace(".", ": ")
    return words[:1].upper() + words[1:]


def _settings_rows(
    prefix: str, values: Mapping[str, Any], comments: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            rows.extend(_settings_rows(path, value, comments))
        else:
            why = _words(" ".join(comments.get(path, ()))) or "-"
            rows.append((_setting_name(path), _words(_value(value)), why))
    return rows


# ----------------------------------------------------------------------------- the record


def _first_line(text: str | None) -> str:
    return _words(text.strip().splitlines()[0]) if text else ""


def _fields(cls: type) -> str:
    return ", ".join(f.name.replace("_", " ") for f in dataclasses.fields(cls))


def _owner_section(owner: Owner) -> Section:
    def said(value: str, setting: str) -> str:
        return value or f"Not recorded (set FAMILYFINDER_TRANSPARENCY_{setting})"

    return Section(
        "owner",
        "Owner and responsibility",
        (
            f"Organisation: {said(owner.organisation, 'ORGANISATION')}.",
            f"Team and senior responsible owner: {said(owner.team, 'TEAM')}.",
            f"Contact: {said(owner.contact, 'CONTACT')}.",
            "Supplier: familyfinder is open-source software run by the organisation "
            "itself; no third party processes the children's data.",
        ),
    )


def _rules_section() -> Section:
    rows = []
    for name in (*HARD_RULES, *ROUND_CONSTRAINTS):
        rule = HARD_RULES.get(name)
        what = _first_line(rule.__doc__) if rule is not None else ROUND_CONSTRAINTS[name]
        source = RULE_SOURCES.get(name)
        rows.append(
            (
                label("rule", name),
                what,
                source.kind if source else "-",
                source.source if source else NO_SOURCE,
            )
        )
    return Section(
        "hard-rules",
        "Hard rules and their source",
        (
            "A household that fails any hard rule is left out for the child, and the "
            "rule is named on the shortlist, the round and the panel paper. Hard rules are "
            "not weights: no score can outweigh them. They are the code's own table "
            "(matching/rules.py), listed here from it.",
        ),
        (
            Table(
                "Hard rules", ("Rule", "Excludes a household when", "Kind", "Source"), tuple(rows)
            ),
        ),
    )


def _criteria_section(policy: Policy, comments: Mapping[str, tuple[str, ...]]) -> Section:
    weights = policy.weights.model_dump()
    total = sum(weights.values()) or 1.0
    rows = tuple(
        (
            label("criterion", name),
            f"{weight:g}",
            f"{100 * weight / total:.0f}%",
            _words(" ".join(comments.get(f"weights.{name}", ()))) or "-",
        )
        for name, weight in weights.items()
    )
    return Section(
        "criteria",
        "Criteria and weights",
        (
            f"Each household that passes the hard rules is scored out of 100 under policy "
            f"{policy.version}: the sum of named, weighted contributions, each explained "
            "in words on the shortlist. Only the criteria that apply to a child count, "
            "rescaled to 100. Connected (family and friends) households rank first "
            "whatever their score. The share is of the weights when every criterion applies.",
            "Identity (ethnicity, religion, language) is considered and never a bar on its own.",
        ),
        (
            Table(
                "Criteria",
                ("Criterion", "Weight", "Share", "What it rewards, and its source"),
                rows,
            ),
        ),
    )


def _settings_section(
    policy: Policy, policy_text: str, comments: Mapping[str, tuple[str, ...]]
) -> Section:
    values = policy.model_dump(mode="json")
    values.pop("weights")
    digest = hashlib.sha256(policy_text.encode("utf-8")).hexdigest()
    return Section(
        "settings",
        "Every other setting of the policy",
        (
            f"Policy version {policy.version}; the text of the policy file has SHA-256 "
            f"{digest[:16]}. Every stored shortlist and round keeps the text it used.",
        ),
        (
            Table(
                "Policy settings",
                ("Setting", "Value", "Why, and its source"),
                tuple(_settings_rows("", values, comments)),
            ),
        ),
    )


def _driver_words(driver: Any) -> str:
    """A driver of the report's JSON in words (text kept as it is)."""
    from matching.fairness import Driver, driver_phrase

    if isinstance(driver, Mapping):
        return driver_phrase(Driver.model_validate(driver))
    return _words(str(driver))


def _fairness_section(fairness: FairnessSummary | None) -> Section:
    if fairness is None:
        return Section(
            "fairness",
            "Fairness report figures",
            (
                "Not yet computed: no fairness report is available to this record. The "
                "fairness report compares, for groups of waiting children (ethnicity, sex, "
                "age band, disability, sibling group, unaccompanied), what the policy and "
                "the pool give them against the other children.",
            ),
        )
    rows = tuple(
        (
            f"{label('fairness_dimension', f.dimension)}: {f.group}",
            label("fairness_metric", f.metric),
            f"{f.ratio:.2f}",
            f"{f.interval[0]:.2f} to {f.interval[1]:.2f}",
            "; ".join(f.drivers) or "-",
        )
        for f in fairness.flags
    )
    said = (
        f"As of {long_date(fairness.as_of)}, under policy {fairness.policy_version}: "
        f"{fairness.groups_compared} groups compared with the other children; "
        f"{len(fairness.flags)} flagged (a 95% interval of the ratio wholly below "
        f"{fairness.threshold:g})."
    )
    tables = (
        (Table("Flags", ("Group", "Measure", "Ratio", "95% interval", "Driven by"), rows),)
        if rows
        else ()
    )
    return Section("fairness", "Fairness report figures", (said,), tables)


def build_record(
    policy: Policy,
    policy_text: str,
    *,
    owner: Owner,
    release: str,
    retention_days: int,
    fairness: FairnessSummary | None = None,
) -> Record:
    """The transparency record of familyfinder as configured: `policy` (with the text it
    was read from, whose comments give the sources), the code's rule table, `owner` from
    the settings, the replay retention and the latest fairness summary (or None)."""
    comments = policy_comments(policy_text)
    rules = len(HARD_RULES) + len(ROUND_CONSTRAINTS)
    tier1 = (
        Section(
            "summary",
            "Tier 1: summary",
            (
                "Name: familyfinder, family finding and matching for looked-after children.",
                "What it does: for a child (or brothers and sisters to be placed together) "
                "who needs a foster or adoptive family, it lists the approved households "
                f"that pass {rules} hard rules of law and guidance, ranked by a score that "
                "is the sum of named, weighted criteria, with a reason for every rank and "
                "every household left out. A matching round does this for every waiting "
                "child at once, so that children are not all offered the same few carers. "
                "A needs-gap report tells the recruitment team which carers are lacking, "
                "without identifying any child.",
                "Why: to find every household that could meet a child's needs, quickly and "
                "the same way for every child, and to show the reasons.",
                "What it does not do: it decides nothing. It proposes; family finders "
                "choose whom to propose, the fostering or adoption panel recommends, and "
                "the agency decision maker decides (UK GDPR Article 22: a meaningful human "
                "decision). No match is made without them.",
                f"Version: familyfinder {release}, scoring policy {policy.version}.",
            ),
        ),
    )
    tier2 = (
        _owner_section(owner),
        Section(
            "scope",
            "What it does and does not decide",
            (
                "It does: apply the hard rules; score and rank the households that pass; "
                "propose allocations in a matching round; report the gaps in the pool.",
                "It does not: approve carers, assess children, choose a match, recommend a "
                "match to panel or decide one. It does not set a child's plan, judge "
                "whether siblings live together (a person's Together and Apart assessment "
                "does), or use any data beyond the records listed below.",
            ),
        ),
        Section(
            "oversight",
            "Human oversight",
            (
                "A family finder reads the ranked list with every criterion's reasons and "
                "the questions to ask, and chooses whether to propose a household. The "
                "proposal freezes the rationale as shown; the panel reads it (the panel "
                "paper, with the alternatives and why they ranked lower) and recommends; "
                "the agency decision maker decides, with reasons, and may depart from the "
                "panel. The corporate parenting panel oversees the pattern through the "
                "fairness report.",
                "Every read of a child's data is audited (who, when, what). Every stored "
                "shortlist and round keeps its inputs (the data as it was, the policy "
                f"text, the seed) for {retention_days} days, or as long as a proposal "
                "made from it, so it can be replayed to show exactly how it was produced.",
                "Appeals and review: a child, a parent or a carer can challenge a "
                "decision through the authority's representations and complaints "
                "procedure (Children Act 1989 s.26(3)); the frozen panel paper and the "
                "replay of its run show how the proposal was produced.",
            ),
        ),
        Section(
            "data",
            "Data used and its sources",
            (
                "Children: the authority's case records, from its children-looked-after "
                "return (DfE SSDA903) or a CSV export, with each child's permanence plan; "
                f"fields: {_fields(Child)}.",
                f"Households: the authority's register of approved carers; fields: "
                f"{_fields(Household)}.",
                f"Sibling relationships and Together and Apart assessments: fields: "
                f"{_fields(SiblingLink)}.",
                "Postcodes are placed with the ONS Postcode Directory (Open Government "
                "Licence). No data leaves the organisation; the needs-gap report for "
                "recruitment suppresses small counts and names no child.",
            ),
        ),
        _rules_section(),
        _criteria_section(policy, comments),
        _settings_section(policy, policy_text, comments),
        _fairness_section(fairness),
        Section(
            "risks",
            "Risks and mitigations",
            (
                "Impact assessments: the organisation's data protection impact assessment "
                "(UK GDPR Article 35) and equality impact assessment (the public sector "
                "equality duty, Equality Act 2010 s.149) belong with this record.",
            ),
            tables=(
                Table(
                    "Risks",
                    ("Risk", "Mitigation"),
                    (
                        (
                            "A score stands in for a person's judgement about a family.",
                            "The tool proposes only; people decide at three stages, and "
                            "every score is shown as its criteria with reasons.",
                        ),
                        (
                            "The policy or the pool serves some groups of children less "
                            "well (older children, disabled children, some ethnic groups).",
                            "The fairness report compares groups and flags a ratio below "
                            "the threshold with the criteria and rules that drive it; a "
                            "changed policy can be compared before it is used.",
                        ),
                        (
                            "Identity is scored and could act as a bar.",
                            "Identity is one weighted criterion among many and is never a "
                            "hard rule.",
                        ),
                        (
                            "Records are wrong or out of date.",
                            "Imports are validated and rejected whole with every problem "
                            "named; contradictions are reported, never guessed; each "
                            "result names the data fingerprint it used.",
                        ),
                        (
                            "A past result cannot be explained once the data has changed.",
                            "Every run keeps its inputs and can be replayed (`familyfinder "
                            "replay`), identical or with the differences in words.",
                        ),
                        (
                            "A child is identified from published figures.",
                            "Counts from 1 to 5 are suppressed, with secondary "
                            "suppression, and published reports are rounded.",
                        ),
                        (
                            "Children's data is read by people who do not need it.",
                            "Roles limit what each person sees; every read is audited.",
                        ),
                    ),
                ),
            ),
        ),
    )
    return Record(
        title="Algorithmic transparency record: familyfinder",
        tier1=tier1,
        tier2=tier2,
    )


# ----------------------------------------------------------------------------- rendering


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(record: Record) -> str:
    """The record as Markdown (GitHub tables)."""
    lines = [f"# {record.title}", "", f"In the shape of the {STANDARD}.", ""]
    for tier, sections in (("", record.tier1), ("Tier 2: detail", record.tier2)):
        if tier:
            lines.extend([f"## {tier}", ""])
        for section in sections:
            lines.extend([f"{'##' if not tier else '###'} {section.title}", ""])
            for paragraph in section.paragraphs:
                lines.extend([paragraph, ""])
            for table in section.tables:
                lines.append("| " + " | ".join(table.header) + " |")
                lines.append("|" + "---|" * len(table.header))
                lines.extend(
                    "| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in table.rows
                )
                lines.append("")
    return "\n".join(lines)


def to_html(record: Record) -> str:
    """The record as a standalone HTML document."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(record.title)}</title></head><body>",
        f"<h1>{e(record.title)}</h1>",
        f"<p>In the shape of the {e(STANDARD)}.</p>",
    ]
    for tier, sections in (("", record.tier1), ("Tier 2: detail", record.tier2)):
        if tier:
            parts.append(f"<h2>{e(tier)}</h2>")
        for section in sections:
            level = "h2" if not tier else "h3"
            parts.append(f'<{level} id="{e(section.key)}">{e(section.title)}</{level}>')
            parts.extend(f"<p>{e(p)}</p>" for p in section.paragraphs)
            for table in section.tables:
                parts.append(f"<table><caption>{e(table.caption)}</caption><thead><tr>")
                parts.extend(f'<th scope="col">{e(h)}</th>' for h in table.header)
                parts.append("</tr></thead><tbody>")
                for row in table.rows:
                    parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
                parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
