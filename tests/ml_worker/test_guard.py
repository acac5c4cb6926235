"""The guarded child: over memory or time it is killed and the parent carries on with a message.

Entries run in a real child process (tests/ml_worker/guard_entries.py); this
test process plays the Celery worker and must survive every case.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ml_worker.guard import Cancelled, ChildFailed, GuardedChild, LimitExceeded, MemoryWatch, rss_mb

ENTRIES = "tests.ml_worker.guard_entries"
needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


@pytest.fixture
def payload(tmp_path) -> Path:
    path = tmp_path / "payload"
    path.write_text("frames")
    return path


def _child(entry: str, payload: Path, **limits) -> GuardedChild:
    limits = {"memory_limit_mb": None, "time_limit_s": 120, **limits}
    return GuardedChild(f"{ENTRIES}:{entry}", payload, **limits)


def test_a_result_and_progress_come_back_from_the_child(payload):
    seen = []
    result = _child("echo", payload).run(seen.append)
    assert result["payload"] == "frames" and result["pid"] != os.getpid()
    assert seen == [{"step": 1}]


@needs_proc
def test_a_child_over_the_memory_limit_is_killed_and_the_parent_lives_on(payload):
    limit = rss_mb(os.getpid()) + 300
    child = _child("grow", payload, memory_limit_mb=limit)
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as error:
        child.run()
    assert error.value.kind == "memory"
    assert "used more than" in str(error.value) and "lower crop size / filters / batch size" in (
        str(error.value)
    )
    assert time.monotonic() - started < 30  # long before the 3 GB the entry would reach
    # stopped within a few polls of crossing the limit (20 MB per 20 ms), not at 3 GB
    assert child.peak_mb is not None and child.peak_mb < limit + 250
    assert _child("echo", payload).run()["payload"] == "frames"  # and works again


def test_a_child_past_its_time_limit_is_killed(payload):
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="ran longer than") as error:
        _child("deaf", payload, time_limit_s=1.0).run()
    assert error.value.kind == "time"
    assert time.monotonic() - started < 15


def test_cancel_reaches_a_child_that_polls_should_stop(payload):
    steps = []
    with pytest.raises(Cancelled):
        _child("steps", payload).run(steps.append, lambda: len(steps) >= 3)
    assert 3 <= len(steps) < 30


def test_cancel_kills_a_child_stuck_in_a_phase_that_never_polls(payload):
    asked_at = time.monotonic() + 0.5
    with pytest.raises(Cancelled):
        GuardedChild(f"{ENTRIES}:deaf", payload, memory_limit_mb=None, time_limit_s=120,
                     cancel_grace=1.0).run(None, lambda: time.monotonic() > asked_at)
    assert time.monotonic() - asked_at < 5


def test_an_error_in_the_child_comes_back_with_its_traceback(payload):
    with pytest.raises(ChildFailed, match="ValueError: crop larger than the frame") as error:
        _child("fail", payload).run()
    assert "guard_entries.py" in str(error.value)


@needs_proc
def test_the_child_does_not_outlive_a_killed_worker(tmp_path):
    """SIGKILL the parent (what the kernel's OOM killer does): the child exits by itself."""
    payload = tmp_path / "pid"
    payload.write_text("")
    script = (
        "from pathlib import Path; from ml_worker.guard import GuardedChild; "
        f"GuardedChild('{ENTRIES}:deaf', Path({str(payload)!r}), memory_limit_mb=None, "
        "time_limit_s=600).run()"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    deadline = time.monotonic() + 60
    while not payload.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    child_pid = int(payload.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child_pid)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@needs_proc
def test_memory_watch_trips_for_in_process_work():
    with MemoryWatch(rss_mb(os.getpid()) + 100, every=0.05) as watch:
        held = b"x" * (200 * 2**20)
        time.sleep(0.3)
        assert watch.exceeded and watch.peak_mb > 200
        del held
    assert "used more than" in watch.message()


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc PSS")
def test_a_forked_child_does_not_count_the_shared_memory_twice():
    block = np.ones(200 * 1024 * 1024 // 8)  # 200 MB, touched: resident in this process
    before = rss_mb(os.getpid())
    pid = os.fork()
    if pid == 0:  # the child shares every page with the parent until it writes
        time.sleep(3)
        os._exit(0)
    try:
        time.sleep(0.5)
        during = rss_mb(os.getpid())
    finally:
        os.waitpid(pid, 0)
    assert block[-1] == 1.0
    assert during < before + 60, (before, during)  # summed resident sizes would add ~200 MB
