"""The layering contract (api → models → matching) is part of the test suite."""

from __future__ import annotations

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
