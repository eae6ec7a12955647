"""Run the DfE return's open-source validator (csc-validator-be-903) on a directory of
SSDA903 CSV files and print, as JSON, the rules that found errors: {rule code: count}.

Run with the validator's own Python (it pins numpy<1.25 and pandas<2, which this
project's environment cannot share): `make validator-env` builds `.venv-903`, and
tests/matching/test_ssda903_validator.py runs this script with it when it is there.

    .venv-903/bin/python tools/run_903_validator.py DIR [--ruleset lac2026_27] [--year 2027]
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
from pathlib import Path

from lac_validator import lac_validator
from lac_validator.utils import process_uploaded_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--ruleset", default="lac2026_27")
    parser.add_argument("--year", default="2027")
    parser.add_argument("--la", default="E06000047")  # County Durham
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    paths = sorted(p for p in args.directory.glob("*.csv") if p.name != "sibling_links.csv")
    handles = [path.open("rt", encoding="utf-8") for path in paths]
    files = process_uploaded_files({"This year": handles})
    registry = importlib.import_module(f"lac_validator.rules.{args.ruleset}").registry
    validator = lac_validator.LacValidator(
        metadata={"collectionYear": args.year, "localAuthority": args.la},
        files=files,
        registry=registry,
    )
    errors: dict[str, int] = {}
    for table in validator.ds_results.values():
        if not hasattr(table, "columns"):
            continue  # metadata, not a table
        for column in table.columns:
            if column.startswith("ERR_"):
                count = int(table[column].fillna(False).astype(bool).sum())
                if count:
                    errors[column[4:]] = errors.get(column[4:], 0) + count
    print(json.dumps({"errors": errors, "failed_to_run": validator.fails}, sort_keys=True))


if __name__ == "__main__":
    main()
