"""The SSDA903 fixtures stay valid returns: the DfE return's own validator
(csc-validator-be-903, MIT) finds no invalid code or date in them.

The validator pins numpy<1.25 and pandas<2, which this project's environment cannot
share, so it runs in its own: `make validator-env` builds `.venv-903` (or point
FAMILYFINDER_903_VALIDATOR_PYTHON at a Python that has it). Without it the test skips.
Rules about the content of a year's return (a collection year's windows, the 12-month
items of the OC2 file, ...) are not asserted: fixtures/ssda903/README.md lists what they
report and why.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "ssda903" / "return_2026_27"
# The validator's rules that a code or a date is not valid (their messages say so).
VALIDITY_RULES = frozenset(
    [
        "1004",
        "1005",
        "1006",
        "1008",
        "1009",
        "101",
        "102",
        "103",
        "104",
        "105",
        "112",
        "113",
        "114",
        "115",
        "116",
        "120",
        "131",
        "132",
        "133",
        "141",
        "143",
        "144",
        "145",
        "146",
        "147",
        "149",
        "164",
        "165",
        "166",
        "167",
        "168",
        "169",
        "171",
        "175",
        "176",
        "177",
        "178",
        "179",
        "180",
        "196",
        "227",
        "228",
        "392c",
        "446",
        "631",
        "632",
        "633",
        "700",
        "701",
    ]
)


def _validator_python() -> Path | None:
    configured = os.environ.get("FAMILYFINDER_903_VALIDATOR_PYTHON")
    candidate = Path(configured) if configured else ROOT / ".venv-903" / "bin" / "python"
    return candidate if candidate.exists() else None


@pytest.mark.slow
def test_the_2026_27_fixture_has_no_invalid_code_or_date() -> None:
    python = _validator_python()
    if python is None:
        pytest.skip("the DfE validator's environment is not built (make validator-env)")
    output = subprocess.run(
        [str(python), str(ROOT / "tools" / "run_903_validator.py"), str(FIXTURE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    report = json.loads(output.strip().splitlines()[-1])
    assert VALIDITY_RULES.isdisjoint(report["errors"]), report["errors"]
