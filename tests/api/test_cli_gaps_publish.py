"""`familyfinder gaps --publish`: an administrator publishes the recruitment team's
report for a date, once."""

from __future__ import annotations

import json

import pytest

from tests.api.cli_support import AS_OF, TINY, import_into, run


def test_publish_a_date_once(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import_into(fresh_database_url, TINY)
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)

    published = run("gaps", "--publish", "--as-of", AS_OF, "--json")
    assert published.exit_code == 0, published.output
    document = json.loads(published.stdout)
    assert document["as_of"] == AS_OF and document["suppressed"] is True
    assert "rounded to the nearest 10" in document["method"]["suppression"]
    assert "by cli" in document["method"]["publication"]

    again = run("gaps", "--publish", "--as-of", AS_OF)
    assert again.exit_code == 4  # a conflict: one report per date, never replaced
    assert "already published" in again.stderr

    exact = run("gaps", "--publish", "--no-suppress", "--as-of", "2026-06-02")
    assert exact.exit_code == 2 and "always suppressed" in exact.output

    readable = run("gaps", "--publish", "--as-of", "2026-06-02")
    assert readable.exit_code == 0, readable.output
    assert "published gap report" in readable.stdout and "as of 2026-06-02" in readable.stdout
