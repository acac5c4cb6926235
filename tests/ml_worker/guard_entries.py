"""Child-process entries for tests/ml_worker/test_guard.py (imported by ``ml_worker.guard``).

Kept apart from the test module so the child imports neither pytest nor fixtures.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ml_worker.guard import Cancelled


def echo(payload: Path, emit: Any, should_stop: Any) -> dict[str, Any]:
    emit({"step": 1})
    return {"payload": payload.read_text(), "pid": os.getpid()}


def grow(payload: Path, emit: Any, should_stop: Any) -> None:
    """Touch 20 MB more memory every 20 ms, up to 3 GB: what an oversized model does."""
    held = []
    for _ in range(150):
        held.append(b"x" * (20 * 2**20))
        time.sleep(0.02)
    raise AssertionError("the guard let 3 GB through")


def steps(payload: Path, emit: Any, should_stop: Any) -> str:
    """A training loop that honours cancel between steps."""
    for step in range(10_000):
        if should_stop():
            raise Cancelled()
        emit({"step": step})
        time.sleep(0.05)
    return "finished"


def deaf(payload: Path, emit: Any, should_stop: Any) -> None:
    """A phase that never polls ``should_stop`` (e.g. one long allocation or export)."""
    payload.write_text(str(os.getpid()))
    time.sleep(600)


def fail(payload: Path, emit: Any, should_stop: Any) -> None:
    raise ValueError("crop larger than the frame")
