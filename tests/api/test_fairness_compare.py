"""The fairness report compared under a second policy on the service (issue #16 item 1:
`--compare` beyond the CLI): GET /api/fairness?compare=NAME for a policy the service
knows, POST /api/fairness/compare for a policy file sent as the body, and the /fairness
page's form. The figures are the CLI's for the same policies; admin and oversight only;
a policy that does not validate is a 422 naming the line and the key; every comparison
is audited, and a sent file is never stored (its SHA-256 is in the audit row)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.limits import MAX_POLICY_BYTES
from api.services.audit import audit_trail
from matching.policy import default_policy_text
from matching.synthetic import generate_authority
from models.store import bump_data_version, upsert_authority
from tests.api.cli_support import run
from tests.api.conftest import TINY_AS_OF, ApiEnv, _new_database, build_env
from tests.api.test_pages_access import csrf_of, sign_in

AS_OF = TINY_AS_OF.isoformat()
TOML = {"Content-Type": "application/toml"}
OTHER_ROLES = ("family_finder", "recruitment", "panel", "decision_maker")


def policy_text(version: str, *, needs: str = "30.0", threshold: str = "0.8") -> str:
    """The shipped policy under another version, with the needs weight and the flag
    threshold changed."""
    text = (
        default_policy_text()
        .replace('version = "2026.2"', f'version = "{version}"')
        .replace("needs = 30.0 ", f"needs = {needs} ")
        .replace("\nthreshold = 0.8\n", f"\nthreshold = {threshold}\n")
    )
    assert f'version = "{version}"' in text and f"needs = {needs} " in text
    return text


NEEDS_HEAVY = policy_text("needs-heavy", needs="90.0", threshold="0.95")
# flags only a ratio whose whole interval lies below 0.1: clears every flag of the
# shipped policy on this authority (their intervals reach above 0.3)
FLAG_AT_TENTH = policy_text("flag-at-tenth", threshold="0.1")


@pytest.fixture
def compare_env(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """A synthetic authority big enough for groups to be compared (105 children
    waiting, flags under the shipped policy), and a folder of policies to compare
    holding a draft and a broken file."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "needs-heavy.toml").write_text(NEEDS_HEAVY, encoding="utf-8")
    (folder / "broken.toml").write_text('version = "x"\n[weights\n', encoding="utf-8")
    (folder / "notes.txt").write_text("not a policy", encoding="utf-8")
    url, drop = _new_database(database_url, tmp_path, "ff_compare")
    env = build_env(url, compare_policy_dir=folder)
    with Session(env.app.state.engine) as session:
        upsert_authority(session, generate_authority(300, 200, seed=11, as_of=TINY_AS_OF))
        bump_data_version(session)
        session.commit()
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


def compared(env: ApiEnv, role: str = "admin", **params: str) -> Any:
    return env.client.get("/api/fairness", params=params, headers=env.headers[role])


def sent(
    env: ApiEnv,
    body: bytes | str,
    role: str = "admin",
    headers: dict[str, str] = TOML,
    **params: str,
) -> Any:
    return env.client.post(
        "/api/fairness/compare",
        params=params,
        content=body.encode() if isinstance(body, str) else body,
        headers={**env.headers[role], **headers},
    )


def reads(env: ApiEnv, username: str) -> list[str]:
    with env.session() as session:
        events, _total = audit_trail(session, username=username)
    return [e.subject or "" for e in events if e.action == "read_fairness"]


def test_the_service_compares_as_the_cli_does(
    compare_env: ApiEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = compared(compare_env, as_of=AS_OF, compare="needs-heavy")
    assert named.status_code == 200, named.text
    by_body = sent(compare_env, NEEDS_HEAVY, as_of=AS_OF)
    assert by_body.status_code == 200, by_body.text

    draft = tmp_path / "draft.toml"
    draft.write_text(NEEDS_HEAVY, encoding="utf-8")
    out = tmp_path / "cli.csv"
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", compare_env.url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    cli = run("fairness", "--as-of", AS_OF, "--json", "--compare", str(draft), "--csv", str(out))
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)

    # one implementation: the same two reports, side by side, whichever door
    assert named.json() == printed
    assert by_body.json() == printed
    assert printed["policy_version"] == "2026.2"
    assert printed["compare"]["policy_version"] == "needs-heavy"
    # and the comparison is not of two equal reports: the weights move the best scores
    # and the stricter threshold raises flags
    now = {(g["dimension"], g["group"]): g["metrics"] for g in printed["groups"]}
    then = {(g["dimension"], g["group"]): g["metrics"] for g in printed["compare"]["groups"]}
    assert any(
        now[k]["best_score_median"] != then[k]["best_score_median"]
        for k in now
        if now[k]["best_score_median"] is not None
    )
    assert len(printed["compare"]["flags"]) > len(printed["flags"])

    # the CSV download is the CLI's --csv, figure for figure
    as_csv = compared(compare_env, as_of=AS_OF, compare="needs-heavy", format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text == out.read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    row = next(
        r for r in rows if r["figure"] == "best_score_median" and r["value"] and r["compare_value"]
    )
    group = next(
        g
        for g in printed["compare"]["groups"]
        if (g["dimension"], g["group"]) == (row["dimension"], row["group"])
    )
    assert float(row["compare_value"]) == group["metrics"]["best_score_median"]
    assert sent(compare_env, NEEDS_HEAVY, as_of=AS_OF, format="csv").text == as_csv.text

    # each read audited, naming where the compared policy came from; the sent text is
    # not kept, its digest is
    subjects = reads(compare_env, "admin")
    digest = hashlib.sha256(NEEDS_HEAVY.encode()).hexdigest()
    assert any("compare=named:needs-heavy" in s for s in subjects)
    assert sum(f"compare=sent:sha256={digest}" in s for s in subjects) == 2
    assert all("[weights]" not in s for s in subjects)


def test_admin_and_oversight_may_compare_and_no_one_else(api_env: ApiEnv) -> None:
    shipped = policy_text("draft")
    for role in ("admin", "oversight"):
        assert compared(api_env, role, compare="shipped").status_code == 200, role
        answer = sent(api_env, shipped, role)
        assert answer.status_code == 200, answer.text
        assert answer.json()["compare"]["policy_version"] == "draft"
        listed = api_env.client.get("/api/fairness/policies", headers=api_env.headers[role])
        assert listed.status_code == 200
        assert listed.json()["policies"][0]["name"] == "shipped"
    for role in OTHER_ROLES:
        assert compared(api_env, role, compare="shipped").status_code == 403, role
        assert sent(api_env, shipped, role).status_code == 403, role
        listed = api_env.client.get("/api/fairness/policies", headers=api_env.headers[role])
        assert listed.status_code == 403, role
        assert reads(api_env, role) == []
    # oversight compares today's report only, as it reads it
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert sent(api_env, shipped, "oversight", as_of=yesterday).status_code == 403
    assert sent(api_env, shipped, "admin", as_of=yesterday).status_code == 200
    unsigned = api_env.client.post("/api/fairness/compare", content=shipped, headers=TOML)
    assert unsigned.status_code == 401


def _line(text: str, start: str, occurrence: int = 1) -> int:
    """The number of the `occurrence`-th line of `text` that starts with `start`."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return found[occurrence - 1]


NEGATIVE_NEEDS = default_policy_text().replace("needs = 30.0 ", "needs = -5.0 ")
UNKNOWN_KEY = default_policy_text().replace("threshold = 0.8\n", "threshold = 0.8\ncolour = 1\n")
TWICE = default_policy_text().replace("[fairness]", "[fairness]\nthreshold = 0.8", 1)
UNKNOWN_TIER = default_policy_text().replace('name = "kinship"', 'name = "nearest"')


@pytest.mark.parametrize(
    ("body", "line", "key", "reason"),
    [
        ('version = "x" = 2\n', 1, "", "is not valid TOML"),
        ("\n\n[weights\nneeds = 1\n", 3, "", "is not valid TOML"),
        (NEGATIVE_NEEDS, _line(NEGATIVE_NEEDS, "needs = -5.0"), "weights.needs", "must be >= 0"),
        (UNKNOWN_KEY, _line(UNKNOWN_KEY, "colour = 1"), "fairness.colour", "unknown key"),
        (TWICE, _line(TWICE, "threshold = 0.8", 2), "", "Cannot overwrite a value"),
        (UNKNOWN_TIER, _line(UNKNOWN_TIER, "[[tiers]]"), "tiers.0", "unknown tier 'nearest'"),
        ('version = "only"\n', 0, "min_round_score", "missing"),
    ],
)
def test_a_policy_that_does_not_validate_is_refused_with_its_line(
    api_env: ApiEnv, body: str, line: int, key: str, reason: str
) -> None:
    answer = sent(api_env, body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()["problems"][0]
    assert (problem["file"], problem["line"], problem["column"]) == ("policy", line, key)
    assert reason in problem["reason"]
    assert answer.json()["detail"].startswith(f"policy:{line}: ")
    assert reads(api_env, "admin") == []  # nothing was read


def test_what_is_not_a_policy_file_is_refused_before_it_is_read(api_env: ApiEnv) -> None:
    refused = {
        "not UTF-8": sent(api_env, b'version = "\xff"\n'),
        "empty": sent(api_env, b"  \n"),
        "nested": sent(api_env, "a = " + "[" * 5000 + "]" * 5000),
    }
    for what, answer in refused.items():
        assert answer.status_code == 422, what
        assert answer.json()["problems"][0]["file"] == "policy", what
    assert "UTF-8" in refused["not UTF-8"].json()["detail"]
    assert "nested too deeply" in refused["nested"].json()["detail"]
    too_big = sent(api_env, "#" * (MAX_POLICY_BYTES + 1))
    assert too_big.status_code == 413
    assert f"{MAX_POLICY_BYTES:,} bytes" in too_big.json()["detail"]
    as_json = sent(api_env, policy_text("draft"), headers={"Content-Type": "application/json"})
    assert as_json.status_code == 415
    assert "application/toml" in as_json.json()["detail"]
    as_text = sent(api_env, policy_text("draft"), headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 200


def test_a_named_policy_is_one_the_service_knows(compare_env: ApiEnv) -> None:
    listed = compare_env.client.get("/api/fairness/policies", headers=compare_env.headers["admin"])
    assert listed.status_code == 200
    body = listed.json()
    by_name = {p["name"]: p for p in body["policies"]}
    assert set(by_name) == {"shipped", "needs-heavy", "broken"}  # notes.txt is no policy
    assert by_name["needs-heavy"] == {
        "name": "needs-heavy",
        "policy_version": "needs-heavy",
        "problem": None,
    }
    assert by_name["broken"]["policy_version"] is None
    assert by_name["broken"]["problem"].startswith("broken.toml, line 2: is not valid TOML")
    assert body["max_policy_bytes"] == MAX_POLICY_BYTES

    unknown = compared(compare_env, compare="draft-2030")
    assert unknown.status_code == 422
    assert "shipped, broken, needs-heavy" in unknown.json()["detail"]
    assert compared(compare_env, compare="../needs-heavy").status_code == 422  # a name only
    broken = compared(compare_env, compare="broken")
    assert broken.status_code == 422
    assert broken.json()["problems"][0]["file"] == "broken.toml"
    assert broken.json()["problems"][0]["line"] == 2
    assert reads(compare_env, "admin") == []


def test_the_page_compares_with_a_named_policy(compare_env: ApiEnv) -> None:
    client = sign_in(compare_env, "oversight")
    page = client.get("/fairness")
    assert page.status_code == 200
    assert '<option value="needs-heavy">needs-heavy (policy needs-heavy)</option>' in page.text
    unusable = page.text.split('id="unusable-policies"')[1].split("</ul>")[0]
    assert "broken: broken.toml, line 2: is not valid TOML" in unusable
    assert 'id="comparison"' not in page.text

    shown = client.get("/fairness?compare=needs-heavy")
    assert shown.status_code == 200
    text = shown.text
    assert "Under needs-heavy (policy needs-heavy)" in text
    assert '<table class="govuk-table ff-stack" id="figures-changed">' in text
    assert "Flags the change would raise" in text and 'id="flags-raised"' in text
    assert '<option value="needs-heavy" selected>' in text
    download = client.get("/fairness/download.csv?compare=needs-heavy")
    assert download.status_code == 200 and "compare_value" in download.text.splitlines()[0]

    unknown = client.get("/fairness?compare=nothing")
    assert unknown.status_code == 422
    assert 'href="#compare"' in unknown.text
    assert "Choose a policy the service knows: none is called &#39;nothing&#39;" in unknown.text
    assert 'id="compare-error"' in unknown.text
    broken = client.get("/fairness?compare=broken")
    assert broken.status_code == 422
    assert "That policy cannot be used: broken.toml, line 2: is not valid TOML" in broken.text


def test_the_page_compares_with_an_uploaded_file(compare_env: ApiEnv) -> None:
    client = sign_in(compare_env, "admin")
    token = csrf_of(client.get("/fairness").text)
    form = {"csrf_token": token, "as_of": AS_OF}
    files = {"policy": ("flag-at-tenth.toml", FLAG_AT_TENTH.encode(), "application/toml")}
    shown = client.post("/fairness/compare", data=form, files=files)
    assert shown.status_code == 200, shown.text[:2000]
    text = shown.text
    assert "Under the policy file you sent (policy flag-at-tenth)" in text
    # a lower threshold clears flags and raises none; the figures are the same
    cleared = text.split('<ul class="govuk-list govuk-list--bullet" id="flags-cleared">')[1]
    assert cleared.split("</ul>")[0].count("<li>") >= 1
    assert "None: no group is flagged under the compared policy" in text
    assert "No figure changes under the compared policy." in text

    # the download carries the file's bytes back, not a copy kept on the server
    carried = csrf_of(text)
    sent_value = text.split('name="policy_sent" value="')[1].split('"')[0]
    download = client.post(
        "/fairness/compare",
        data={"csrf_token": carried, "as_of": AS_OF, "policy_sent": sent_value, "format": "csv"},
    )
    assert download.status_code == 200
    header = download.text.splitlines()[0]
    assert "compare_flagged" in header
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {r["compare_value"] == r["value"] for r in rows if r["figure"] != "decisions"} == {True}
    assert any(r["flagged"] == "yes" and r["compare_flagged"] == "no" for r in rows)

    broken = client.post(
        "/fairness/compare",
        data=form,
        files={"policy": ("draft.toml", b"\n[weights\n", "application/toml")},
    )
    assert broken.status_code == 422
    assert 'href="#policy-file"' in broken.text
    assert "draft.toml, line 2: is not valid TOML" in broken.text
    assert "govuk-file-upload--error" in broken.text or "govuk-form-group--error" in broken.text
    nothing = client.post("/fairness/compare", data=form)
    assert nothing.status_code == 422 and "Choose a policy file to compare with" in nothing.text
    forged = client.post("/fairness/compare", data={"as_of": AS_OF}, files=files)
    assert forged.status_code == 403
    finder = sign_in(compare_env, "family_finder")
    assert finder.post("/fairness/compare", data=form, files=files).status_code == 403
