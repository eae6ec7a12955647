"""`familyfinder transparency` and the /transparency page (issue 16, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.cli_support import run
from tests.api.conftest import ROLES, ApiEnv
from tests.api.test_pages_access import START, client_for, sign_in


def test_the_command_writes_markdown_or_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_TRANSPARENCY_ORGANISATION", "Anytown Council")
    result = run("transparency")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Algorithmic transparency record: familyfinder")
    assert "Organisation: Anytown Council." in result.output
    assert "### Hard rules and their source" in result.output

    out = tmp_path / "record.html"
    result = run("transparency", "--format", "html", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")

    policy = tmp_path / "policy.toml"
    from matching.policy import default_policy_text

    policy.write_text(default_policy_text().replace("ffa_duty = 10.0", "ffa_duty = 20.0"))
    result = run("transparency", "--policy", str(policy))
    assert "| Fostering for adoption duty | 20 |" in result.output

    report = tmp_path / "fairness.json"
    report.write_text(json.dumps({"as_of": "2026-11-01", "groups": [], "flags": []}))
    result = run("transparency", "--fairness", str(report))
    assert "0 groups compared with the other children; 0 flagged" in result.output
    report.write_text("{}")
    result = run("transparency", "--fairness", str(report))
    assert result.exit_code == 1 and "not a fairness report" in result.output


def test_every_signed_in_user_reads_the_record(api_env: ApiEnv) -> None:
    assert client_for(api_env).get("/transparency").status_code == 303  # signed out
    for role in ROLES:
        client = sign_in(api_env, role)
        page = client.get("/transparency")
        assert page.status_code == 200, role
        assert "Hard rules and their source" in page.text
        # the fairness report of the authority held (the tiny one), not a placeholder
        assert "groups compared with the other children" in page.text
        assert "Not yet computed" not in page.text
        # every page's footer links to it
        assert 'href="/transparency"' in client.get(START[role]).text
