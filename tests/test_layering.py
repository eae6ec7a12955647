"""The layering contract (api → models → matching) is part of the test suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    # lint-imports sits beside the interpreter in the virtualenv; fall back to PATH.
    beside = Path(sys.executable).with_name("lint-imports")
    executable = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert executable, "lint-imports not found: pip install -e '.[dev]'"
    result = subprocess.run([executable], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 broken." in result.stdout, result.stdout


# A page, a route and a command that reach the store directly: each must break the
# "only through services" contract of pyproject.toml.
PROBES = {
    "api/pages/_probe.py": "from models.store import list_round_runs\n",
    "api/routes/_probe.py": "import models.record_store\n",
    "api/commands/_probe.py": "from models.accounts import ROLES\n",
}


def test_a_door_that_reaches_the_store_breaks_the_contract(tmp_path: Path) -> None:
    beside = Path(sys.executable).with_name("lint-imports")
    executable = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert executable, "lint-imports not found: pip install -e '.[dev]'"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("api", "models", "matching"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, text in PROBES.items():
        (tmp_path / path).write_text(text, encoding="utf-8")
    # The copy comes first on the path, before the installed (editable) packages.
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [executable], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "reach the store only through services BROKEN" in output
    for module in ("api.pages._probe", "api.routes._probe", "api.commands._probe"):
        assert module in output, output
