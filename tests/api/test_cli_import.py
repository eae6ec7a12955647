"""`familyfinder import`, `export`, `summary`, `db` and `--help`, run as a user would.

Each test gets its own empty database of the configured kind (a SQLite file, or a
throwaway PostgreSQL database), because the CLI commits for real.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.cli import app
from matching.domain import Authority
from matching.fingerprint import authority_fingerprint
from models.db import make_engine
from models.migrate import head_revision
from models.store import AuthorityCounts, authority_counts, load_authority

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = "2026-06-01"
PROBLEM_LINE = re.compile(r"^[\w.]+\.csv:\d+: [\w-]+: .+$")


@pytest.fixture
def cli_db(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_MAX_UPLOAD_BYTES", raising=False)
    return fresh_database_url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def stored(url: str) -> tuple[Authority, AuthorityCounts]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return load_authority(session), authority_counts(session)
    finally:
        engine.dispose()


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    return directory


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_import_tiny_then_summary_counts(cli_db: str) -> None:
    result = run("import", str(TINY), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert re.search(r"children\s+8\s+0", result.stdout)
    assert re.search(r"households\s+11\s+0", result.stdout)
    assert re.search(r"sibling links\s+4\s+0", result.stdout)

    summary = run("summary")
    assert summary.exit_code == 0, summary.output
    assert "children: 8" in summary.stdout
    # issue #15: plans, statuses and assessments in words
    assert (
        "by plan:       Adoption 1, Fostering for adoption 1, Kinship care 1, "
        "Long-term fostering 5" in summary.stdout
    )
    assert "households: 11 (13 vacancies in available households)" in summary.stdout
    assert "by status:     Available 10, On hold 1" in summary.stdout
    assert "by assessment: To live apart 1, To live together 3" in summary.stdout
    assert "imports: 1" in summary.stdout


def test_import_export_import_keeps_every_record(cli_db: str, tmp_path: Path) -> None:
    assert run("import", str(TINY), "--as-of", AS_OF).exit_code == 0
    before, _ = stored(cli_db)

    out = tmp_path / "exported"
    exported = run("export", str(out))
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in out.iterdir()) == [
        "children.csv",
        "households.csv",
        "sibling_links.csv",
    ]

    again = run("import", str(out), "--as-of", AS_OF)
    assert again.exit_code == 0, again.output
    assert re.search(r"children\s+0\s+8", again.stdout)
    assert re.search(r"sibling links\s+0\s+4", again.stdout)
    after, counts = stored(cli_db)
    assert after == before
    assert authority_fingerprint(after) == authority_fingerprint(before)
    assert counts.imports == 2


def test_broken_directory_reports_every_problem_and_writes_nothing(
    cli_db: str, tiny_copy: Path
) -> None:
    assert run("import", str(TINY), "--as-of", AS_OF).exit_code == 0
    before = stored(cli_db)

    children = tiny_copy / "children.csv"
    households = tiny_copy / "households.csv"
    links = tiny_copy / "sibling_links.csv"
    # A valid change that must not be saved because other rows are broken.
    replace_in(children, "C002,Ben,2018-07-01,male,WBRI", "C002,Benjamin,2018-07-01,male,WBRI")
    replace_in(children, "C003,Cal,2021-01-20,male,WBRI", "C003,Cal,2021-01-20,male,XXXX")
    replace_in(
        households,
        "H002,The Okafors,foster,both,ifa,850,10,17,2,1,1,",
        ("H002,The Okafors,foster,both,ifa,850,10,17,2,1,-1,"),
    )
    replace_in(links, "C005,C006,half,apart", "C005,C005,half,apart")

    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), result.stderr
    assert any(line.startswith("children.csv:4: ethnicity:") for line in lines)
    assert any(line.startswith("households.csv:3: vacancies:") for line in lines)
    assert any(line.startswith("sibling_links.csv:5:") for line in lines)
    assert "Traceback" not in result.output
    assert stored(cli_db) == before
    assert stored(cli_db)[0].child("C002").first_name == "Ben"


def test_missing_required_file_is_a_clear_error(cli_db: str, tiny_copy: Path) -> None:
    # Issue #14: a children-only import is allowed, so children.csv is the required file.
    (tiny_copy / "children.csv").unlink()
    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"children.csv:0: -: required file is missing from {tiny_copy}"
    )
    assert stored(cli_db)[1].children == 0


def test_a_children_only_import_is_allowed(cli_db: str, tiny_copy: Path) -> None:
    (tiny_copy / "households.csv").unlink()
    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert stored(cli_db)[1].children == 8 and stored(cli_db)[1].households == 0


def test_sibling_links_file_is_optional(cli_db: str, tiny_copy: Path) -> None:
    (tiny_copy / "sibling_links.csv").unlink()
    # Tiny's links name C005/C006 only through that file, so without it all is valid.
    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert stored(cli_db)[1].links == 0


def test_a_windows_1252_file_is_imported_and_says_so(cli_db: str, tiny_copy: Path) -> None:
    # Issue #14 changed this: a Windows-1252 file (Excel's CSV) used to be refused.
    children = tiny_copy / "children.csv"
    text = children.read_text(encoding="utf-8").replace("C001,Ava,", "C001,Zoë,")
    children.write_bytes(text.encode("cp1252"))
    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "read children.csv as Windows-1252" in result.stdout
    assert stored(cli_db)[0].child("C001").first_name == "Zoë"


def test_file_that_is_not_utf8_is_rejected(cli_db: str, tiny_copy: Path) -> None:
    # UTF-8 text on line 2, then a Latin-1 byte on line 3: neither encoding reads it all.
    children = tiny_copy / "children.csv"
    text = children.read_text(encoding="utf-8").replace("C001,Ava,", "C001,Zoë,")
    utf8, latin = text.encode("utf-8"), "C002,Bën,".encode("latin-1")
    children.write_bytes(utf8.replace(b"C002,Ben,", latin))
    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert re.search(r"^children\.csv:3: -: not UTF-8", result.stderr, re.MULTILINE), result.stderr
    assert stored(cli_db)[1].children == 0


def test_oversized_file_is_refused_before_reading(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_MAX_UPLOAD_BYTES", "1000")
    result = run("import", str(TINY), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "children.csv:0: -: file is" in result.stderr
    assert "over the limit of 1,000 bytes" in result.stderr
    assert "sibling_links.csv" not in result.stderr  # that one is small enough


def test_existing_ids_are_updated(cli_db: str, tiny_copy: Path) -> None:
    assert run("import", str(TINY), "--as-of", AS_OF).exit_code == 0
    # Keep one child and one household, changed; drop the links file.
    children = tiny_copy / "children.csv"
    header, *rows = children.read_text(encoding="utf-8").splitlines()
    c002 = next(r for r in rows if r.startswith("C002,")).replace(",waiting", ",matched")
    children.write_text(f"{header}\n{c002}\n", encoding="utf-8")
    households = tiny_copy / "households.csv"
    header, *rows = households.read_text(encoding="utf-8").splitlines()
    h004 = next(r for r in rows if r.startswith("H004,")).replace(",2,2,2,", ",2,2,0,")
    households.write_text(f"{header}\n{h004}\n", encoding="utf-8")
    (tiny_copy / "sibling_links.csv").unlink()

    result = run("import", str(tiny_copy), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert re.search(r"children\s+0\s+1", result.stdout)
    assert re.search(r"households\s+0\s+1", result.stdout)
    authority, counts = stored(cli_db)
    assert counts.children == 8 and counts.households == 11 and counts.links == 4
    assert authority.child("C002").status == "matched"
    assert next(h for h in authority.households if h.household_id == "H004").vacancies == 0
    assert counts.children_by_status == {"matched": 1, "waiting": 7}


def test_missing_directory_and_bad_date_are_usage_errors(cli_db: str, tmp_path: Path) -> None:
    missing = run("import", str(tmp_path / "nowhere"), "--as-of", AS_OF)
    assert missing.exit_code == 2
    assert "no directory" in missing.stderr
    bad_date = run("import", str(TINY), "--as-of", "1 June")
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in bad_date.output


def test_db_upgrade_and_downgrade(cli_db: str) -> None:
    up = run("db", "upgrade")
    assert up.exit_code == 0, up.output
    current = run("db", "current")
    assert f"current:  {head_revision()}" in current.stdout
    down = run("db", "downgrade", "base")
    assert down.exit_code == 0, down.output
    assert "current:  none" in run("db", "current").stdout


def test_unreachable_database_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    result = run("summary")
    assert result.exit_code == 6
    assert result.stderr.startswith("error: database:")
    assert "Traceback" not in result.output


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    # Typer ships its own copy of Click: walk the tree by duck typing, not isinstance.
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


def test_help_works_for_every_command() -> None:
    paths = list(_command_paths(typer.main.get_command(app)))
    for expected in [
        ("import",),
        ("export",),
        ("summary",),
        ("fixtures", "generate"),
        ("db", "upgrade"),
    ]:
        assert expected in paths
    for path in paths:
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.stdout


def test_generated_fixtures_import_cleanly(cli_db: str, tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    args = ["fixtures", "generate", str(out), "--children", "40", "--households", "25"]
    generated = run(*args, "--seed", "3", "--as-of", AS_OF)
    assert generated.exit_code == 0, generated.output
    assert "wrote 40 children, 25 households" in generated.stdout
    first = {p.name: p.read_bytes() for p in out.iterdir()}

    # Same seed, same files.
    assert run(*args, "--seed", "3", "--as-of", AS_OF).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first

    imported = run("import", str(out), "--as-of", AS_OF)
    assert imported.exit_code == 0, imported.output
    counts = stored(cli_db)[1]
    assert (counts.children, counts.households) == (40, 25)


SSDA903 = TINY.parent / "ssda903"


def test_an_ssda903_import_prints_what_it_left_out_and_what_needs_a_plan(cli_db: str) -> None:
    result = run(
        "import", str(SSDA903 / "return_2026_27"), "--format", "ssda903",
        "--plans", str(SSDA903 / "annex_a_list8.csv"), "--as-of", "2026-11-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "left out: 1 18 or over on the reference date" in result.stdout
    assert "needs a permanence plan recorded: 2 children (1009, 1010)" in result.stdout
    assert "not mapped: header.csv: UPN, MC_DOB" in result.stdout
    assert "annex_a_list8.csv:7: note: 1010: Annex A says 'c) SGO/CAO'" in result.stdout


def test_a_snapshot_prints_what_it_retired_and_asks_for_yes(cli_db: str, tiny_copy: Path) -> None:
    assert run("import", str(tiny_copy), "--as-of", AS_OF).exit_code == 0
    children = tiny_copy / "children.csv"
    children.write_text(
        "".join(x for x in children.read_text().splitlines(True) if not x.startswith("C004,"))
    )
    refused = run("import", str(tiny_copy), "--as-of", AS_OF, "--mode", "snapshot")
    assert refused.exit_code == 4
    assert "would retire 1 of 8 children" in refused.stderr and "--yes" in refused.stderr
    done = run("import", str(tiny_copy), "--as-of", AS_OF, "--mode", "snapshot", "--yes")
    assert done.exit_code == 0, done.output
    assert "retired (kept for the audit, out of matching): C004" in done.stdout
    assert stored(cli_db)[1].children == 7
