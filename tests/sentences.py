"""The sentence audit (issue #15): generated text must read as a person would write it.

`problems(text)` lists what a reader would trip over in a page's words or a command's
output: a plural after one ("1 places"), "fewer than 1", an article before an article
or the wrong one ("Shares the child's a language", "a apple"), a count glued to a label
("Children in the home 11"), raw codes (DfE ethnicity and legal status codes, solver
statuses, snake_case vocabulary codes, household kinds as `foster/long`, the what-if's
`key=value` grammar), coordinates, and ISO dates where a date is written out. The
page tests and the browser tests run it over every page they render.
"""

from __future__ import annotations

import html
import re

ETHNICITY_CODES = (
    "WBRI|WIRI|WIRT|WOTH|WROM|MWBC|MWBA|MWAS|MOTH|AIND|APKN|ABAN|AOTH|BCRB|BAFR|BOTH|CHNE"
    "|OOTH|REFU|NOBT"
)
PATTERNS: dict[str, re.Pattern[str]] = {
    "a plural after one": re.compile(
        r"(?<![\d.,])\b1 (places|vacancies|children|households|days|years|links|units|rules"
        r"|criteria|events|proposals|siblings|lists|seconds|problems|pairs|groups|needs)\b"
    ),
    "fewer than one": re.compile(r"\bfewer than 1\b"),
    "an article after a possessive": re.compile(r"'s (a|an|the) "),
    "two articles": re.compile(r"\b(a|an|the) (a|an|the)\b", re.I),
    "'a' before a vowel": re.compile(r"\ba (?!one\b|uni|use|usu|eu)[aeiou][a-z]+", re.I),
    "'an' before a consonant": re.compile(r"\ban (?!hour|honest)[bcdfgjklmnpqrstvwxyz][a-z]+"),
    "a count glued to a label": re.compile(r"\bChildren in the home \d"),
    "an ethnicity code": re.compile(rf"\b({ETHNICITY_CODES})\b"),
    "a legal status code": re.compile(r"\b(C1|C2|D1|E1|J1|J2|J3|L1|L2|L3|V2|V3|V4)\b"),
    "a solver status": re.compile(r"\b(OPTIMAL|FEASIBLE|INFEASIBLE)\b"),
    "a snake_case code": re.compile(r"\b[a-z]+_[a-z]+(_[a-z]+)*\b(?!\.csv)"),
    "coordinates": re.compile(r"-?\b\d{1,2}\.\d{2,}, ?-?\d{1,3}\.\d{2,}\b"),
    "a household kind code": re.compile(r"\b(foster|connected)/(short|long|both)\b"),
    "the what-if grammar": re.compile(r"\b(kind|ages|places|term|count|skills|near|radius)="),
    "an ISO date": re.compile(r"(?<!For example )(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])"),
}


def page_words(page: str) -> str:
    """What a person reads on an HTML page: no scripts, styles, tags or attributes, and
    no <code> (a record shown as stored, such as the audit trail's subject)."""
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<title>.*?</title>", " ", page, flags=re.S)  # the tab's title
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def problems(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """Each phrase in `text` a person would not write, with what is wrong with it.
    `names` are words that are names, not vocabulary (usernames such as family_finder)."""
    found = []
    for what, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            if match.group(0) in names:
                continue
            start = max(match.start() - 40, 0)
            found.append(f"{what}: ...{text[start : match.end() + 40]}...")
    return found
