"""Waiting for a `familyfinder serve` child process to answer, without a clock.

A slow or busy machine may take any time to start the server (issue #13: a 30-second
deadline failed a correct change), so the wait lasts until the server answers or the
process ends; when it ends, the error shows the server's own log.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_serving(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Return once `base`/api/health answers 200; AssertionError with the log if the
    process exits first."""
    while True:
        code = process.poll()
        if code is not None:
            raise AssertionError(
                f"familyfinder serve exited with status {code} before answering; its log:\n"
                + log.read_text(errors="replace")
            )
        try:
            # a short timeout only so that the process is looked at again: a slow
            # answer is asked for again, never a failure
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet, or not answering yet
        time.sleep(0.1)
