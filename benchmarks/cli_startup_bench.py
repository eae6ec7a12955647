"""How long `familyfinder --help` (and a command's `--help`) takes to answer.

Runs the installed console script in a child process N times and reports the median
and the slowest wall time. Target: `familyfinder --help` under 0.5 s. The correctness
side (importing the CLI loads no numpy, SQLAlchemy, ...) is a test:
tests/api/test_cli_newcomer.py.

    .venv/bin/python benchmarks/cli_startup_bench.py
    .venv/bin/python benchmarks/cli_startup_bench.py --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

FAMILYFINDER = str(Path(sys.executable).parent / "familyfinder")
COMMANDS = (["--help"], ["import", "--help"], ["serve", "--help"], ["users", "add", "--help"])


def wall_times(command: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([FAMILYFINDER, *command], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    wall_times(["--help"], 2)  # warm the file cache
    print(f"{'command':<32}{'median s':>10}{'max s':>10}")
    for command in COMMANDS:
        times = wall_times(command, args.repeats)
        print(
            f"{' '.join(['familyfinder', *command]):<32}"
            f"{statistics.median(times):>10.3f}{max(times):>10.3f}"
        )


if __name__ == "__main__":
    main()
