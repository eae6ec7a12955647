"""The sentence audit over the tiny authority (issue #15): every page a family finder,
the panel, the agency decision maker and an administrator open through a proposal's
life, and the CLI's tables, read as a person would write them. The browser tests run
the same audit over the demo authority. The gap page is left to its own issue's work
(issue #15 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.cli_support import import_into, run
from tests.api.conftest import TINY_AS_OF, ApiEnv, finish_rounds
from tests.api.test_pages_access import csrf_of, sign_in
from tests.api.test_pages_work import propose_links, propose_through_check
from tests.sentences import page_words, problems

# The test users are named after their roles: names, not codes.
USERNAMES = ("family_finder", "decision_maker")


def audit(pages: dict[str, str]) -> list[str]:
    return [
        f"{path}: {p}"
        for path, page in pages.items()
        for p in problems(page_words(page), names=USERNAMES)
    ]


def test_every_page_through_a_proposals_life_reads_as_a_person_writes(api_env: ApiEnv) -> None:
    finder = sign_in(api_env, "family_finder")
    pages: dict[str, str] = {}

    def visit(client: object, path: str) -> str:
        response = client.get(path)  # type: ignore[attr-defined]
        assert response.status_code in (200, 404, 422), (path, response.status_code)
        pages[path] = response.text
        return str(response.text)

    for path in ("/children", "/children?plan=other", "/children?sort=age", "/rounds"):
        visit(finder, path)
    for child in ("C001", "C004", "C005", "C006"):
        page = visit(finder, f"/children/{child}")
        for link in propose_links(page)[:1]:
            visit(finder, link)
    for household in ("H001", "H002", "H003", "H004", "H005", "H006"):
        visit(finder, f"/households/{household}")
    run_id = re.search(r'name="run_id" value="(\d+)"', pages["/children/C006"])
    if run_id:
        visit(finder, f"/children/C006/compare?run_id={run_id.group(1)}&household=H005")

    paper = propose_through_check(finder, "C005")
    visit(finder, paper)
    visit(finder, f"{paper}/withdraw")
    panel = sign_in(api_env, "panel")
    visit(panel, "/panel")
    token = csrf_of(visit(panel, paper))
    panel.post(
        f"{paper}/recommendation",
        data={"csrf_token": token, "recommendation": "recommended", "reasons": "Needs met."},
    )
    decider = sign_in(api_env, "decision_maker")
    visit(decider, "/decisions")
    sheet = visit(decider, paper)
    decider.post(
        f"{paper}/decision",
        data={"csrf_token": csrf_of(sheet), "decision": "approved", "reasons": "Agreed."},
    )
    visit(decider, paper + "?recorded=decision")
    visit(finder, "/children/C005")

    started = finder.post(
        "/rounds",
        data={
            "csrf_token": csrf_of(pages["/rounds"]),
            "mode": "allocate",
            "per_unit": "3",
            "max_appearances": "3",
            "time_limit_s": "2",
        },
    )
    finish_rounds(api_env.app)
    visit(finder, started.headers["location"])

    admin = sign_in(api_env, "admin")
    for path in ("/admin", "/admin/import", "/admin/users", "/admin/audit", "/no/such/page"):
        visit(admin, path)
    assert len(pages) > 25
    assert audit(pages) == []


@pytest.mark.parametrize(
    "args",
    [
        ("shortlist", "C001"),
        ("shortlist", "C005", "--why-not", "H001"),
        ("shortlist", "C006", "--why-not", "H002"),
        ("round",),
        ("round", "--mode", "shortlist"),
        ("summary",),
    ],
    ids=lambda a: " ".join(a),
)
def test_the_cli_tables_read_as_a_person_writes(tiny: str, args: tuple[str, ...]) -> None:
    extra = () if args[0] == "summary" else ("--as-of", TINY_AS_OF.isoformat())
    result = run(*args, *extra)
    assert result.exit_code == 0, result.output
    # a file path and the database URL are names, not words
    text = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith(("database:",))
    )
    assert problems(text) == []


DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_AS_OF = "2026-11-01"


def test_the_cli_reads_well_on_the_demo_authority(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo authority has what the tiny one lacks: units no round can place, by
    every reason, and households of every kind."""
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    import_into(fresh_database_url, DEMO, as_of=DEMO_AS_OF)
    outputs = {}
    for args in (
        ("round", "--as-of", DEMO_AS_OF),
        ("shortlist", "C000592", "--as-of", DEMO_AS_OF, "--why-not", "H000001"),
        ("summary",),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
        outputs[" ".join(args)] = "\n".join(
            line for line in result.stdout.splitlines() if not line.startswith("database:")
        )
    assert "Without a household" in outputs[f"round --as-of {DEMO_AS_OF}"]
    assert {name: problems(text) for name, text in outputs.items() if problems(text)} == {}
