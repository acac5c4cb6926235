"""Run a heavy job in a child process under a memory and wall-clock guard.

Why: a training job with settings that are each in range can still need more
memory than the machine has; the kernel then kills the whole worker and the
job is lost (and, before this module, retried). Here the job runs in a child
Python process; the parent (the Celery task) watches it and stays small:

1. the parent writes the job's inputs to ``payload`` (JSON and .npz, never pickle) and starts
   ``python -m ml_worker.guard ENTRY PAYLOAD``; ``ENTRY`` is a
   ``"module:function"`` called as ``function(payload, emit, should_stop)``;
2. the child reports with ``emit(dict)``: one JSON line per message on a
   private pipe (stray prints go to stderr); its ``should_stop()`` turns True
   when the parent writes ``stop`` on its stdin, and the child exits at once
   when stdin closes (the parent died), so it never outlives its worker;
3. every :data:`POLL_SECONDS` the parent reads the child's resident memory
   (``/proc``), forwards its messages, and asks ``should_stop()``. Over the
   memory limit or past the time limit the child is killed and
   :class:`LimitExceeded` raised with a message that says what to lower; a
   cancel is passed on, and a child that does not stop within
   ``cancel_grace`` seconds is killed (:class:`Cancelled`).

No Django, no torch: the web process may import this module, and so may a
job on a machine without ``/proc`` (the memory guard is then off).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

POLL_SECONDS = 0.2
REPO_ROOT = Path(__file__).resolve().parents[1]
Emit = Callable[[dict[str, Any]], None]
StopFn = Callable[[], bool]


class Cancelled(Exception):
    """The job was cancelled (between steps, frames or phases)."""


class LimitExceeded(Exception):
    """The job used more memory or time than allowed; the message is for the user."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind  # "memory" or "time"


class ChildFailed(Exception):
    """The child raised or died; the message carries its error and traceback tail."""


def memory_message(limit_mb: float, used_mb: float | None = None) -> str:
    """What a user reads when a job hit the memory limit."""
    used = f" ({_size(used_mb)} at the last check)" if used_mb else ""
    return (
        f"The job used more than {_size(limit_mb)} of memory{used} and was stopped; "
        "lower crop size / filters / batch size (or max crop size) and try again."
    )


def _size(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` and its children in MB; None without ``/proc``.

    Each process counts its proportional share (PSS) where the kernel gives it: a
    child forked for a moment shares its parent's pages, and adding two resident
    sizes would count those pages twice (a 400 MB job read as 900 MB).
    """
    total = _own_rss_mb(pid)
    if total is None:
        return None
    for child in _children(pid):
        total += _own_rss_mb(child) or 0.0
    return total


def _own_rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return 0.0  # a zombie has no VmRSS line


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


class MemoryWatch:
    """A thread that samples this process's memory; ``exceeded`` once it passed the limit.

    For work that stays in-process (decoding frames, inference): the loops that
    already poll ``should_stop()`` also stop when this trips.
    """

    def __init__(self, limit_mb: float | None, *, every: float = 0.5) -> None:
        self.limit_mb = limit_mb
        self.every = every
        self.peak_mb: float | None = None
        self.exceeded = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> float | None:
        """Read the memory now and update ``peak_mb`` / ``exceeded``."""
        used = rss_mb(os.getpid())
        if used is not None:
            self.peak_mb = max(self.peak_mb or 0.0, used)
            self.exceeded = self.exceeded or bool(self.limit_mb and used > self.limit_mb)
        return used

    def message(self) -> str:
        return memory_message(self.limit_mb or 0, self.peak_mb)

    def __enter__(self) -> MemoryWatch:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every * 4)


class GuardedChild:
    """One run of ``ENTRY`` in a child process; see the module docstring.

    Attributes:
        peak_mb: the highest memory seen so far (None until measured).
    """

    def __init__(self, entry: str, payload: Path, *, memory_limit_mb: float | None,
                 time_limit_s: float | None, cancel_grace: float = 5.0) -> None:
        self.entry = entry
        self.payload = payload
        self.memory_limit_mb = memory_limit_mb
        self.time_limit_s = time_limit_s
        self.cancel_grace = cancel_grace
        self.peak_mb: float | None = None
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._ended = False

    def run(self, on_message: Emit | None = None, should_stop: StopFn | None = None) -> Any:
        """Start the child, watch it to the end, return what ``ENTRY`` returned.

        Raises:
            Cancelled: ``should_stop()`` turned True.
            LimitExceeded: over the memory or time limit (the child was killed).
            ChildFailed: the child raised, or died without a result.
        """
        with tempfile.TemporaryFile("w+") as stderr:
            proc = self._start(stderr)
            try:
                outcome = self._watch(proc, on_message, should_stop)
            finally:
                _kill(proc)
            return self._result(proc, outcome, stderr)

    def _start(self, stderr: IO[str]) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "ml_worker.guard", self.entry, str(self.payload)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()
        return proc

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with contextlib.suppress(ValueError):
                self._messages.put(json.loads(line))
        self._messages.put(None)

    def _watch(self, proc: subprocess.Popen, on_message: Emit | None,
               should_stop: StopFn | None) -> dict[str, Any]:
        started, stop_asked, outcome = time.monotonic(), None, {}
        while True:
            self._drain(on_message, outcome)
            if self._ended and proc.poll() is not None:
                return outcome
            used = rss_mb(proc.pid)
            if used is not None:
                self.peak_mb = max(self.peak_mb or 0.0, used)
            if used is not None and self.memory_limit_mb and used > self.memory_limit_mb:
                _kill(proc)
                raise LimitExceeded(memory_message(self.memory_limit_mb, used), kind="memory")
            if self.time_limit_s and time.monotonic() - started > self.time_limit_s:
                _kill(proc)
                raise LimitExceeded(
                    f"The job ran longer than {self.time_limit_s:.0f} s (its time budget plus "
                    "room to evaluate and export) and was stopped; lower max seconds or the "
                    "model size.", kind="time")
            if stop_asked is None and should_stop is not None and should_stop():
                stop_asked = time.monotonic()
                _write(proc, "stop\n")
            if stop_asked is not None and time.monotonic() - stop_asked > self.cancel_grace:
                _kill(proc)
                raise Cancelled()

    def _drain(self, on_message: Emit | None, outcome: dict[str, Any]) -> None:
        """Forward the child's queued messages (waits up to one poll for the first)."""
        if self._ended:
            time.sleep(POLL_SECONDS)  # output closed; the process is still exiting
            return
        try:
            message = self._messages.get(timeout=POLL_SECONDS)
            while True:
                if message is None:
                    self._ended = True
                    return
                if "progress" in message:
                    if on_message is not None:
                        on_message(message["progress"])
                else:
                    outcome.update(message)
                message = self._messages.get_nowait()
        except queue.Empty:
            return

    def _result(self, proc: subprocess.Popen, outcome: dict[str, Any], stderr: IO[str]) -> Any:
        if "result" in outcome:
            return outcome["result"]
        if outcome.get("cancelled"):
            raise Cancelled()
        if "error" in outcome:
            raise ChildFailed(outcome["error"])
        stderr.seek(0)
        tail = stderr.read()[-3000:]
        code = proc.returncode
        if code == -signal.SIGKILL:
            raise ChildFailed(
                "The job's process was killed (signal 9), most likely by the system for using "
                "too much memory; lower crop size / filters / batch size.\n\n" + tail)
        raise ChildFailed(f"The job's process exited with code {code} and no result.\n\n{tail}")


def _write(proc: subprocess.Popen, text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        proc.stdin.write(text)
        proc.stdin.flush()


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    with contextlib.suppress(OSError, ValueError):
        proc.stdin.close()


# --- the child side -----------------------------------------------------------------


def _child_main(entry: str, payload: str) -> int:
    # Messages go on a private copy of stdout; anything else printed lands on stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    lock, stop = threading.Lock(), threading.Event()

    def emit(message: dict[str, Any]) -> None:
        with lock:
            channel.write(json.dumps(message, default=_jsonable) + "\n")

    threading.Thread(target=_listen, args=(stop,), daemon=True).start()
    module, _, name = entry.partition(":")
    try:
        function = getattr(importlib.import_module(module), name)
        result = function(Path(payload), lambda info: emit({"progress": info}), stop.is_set)
    except Cancelled:
        emit({"cancelled": True})
        return 0
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        emit({"error": f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}"})
        return 1
    emit({"result": result})
    return 0


def _listen(stop: threading.Event) -> None:
    """``stop`` from the parent sets the flag; end of input means the parent is gone."""
    for line in sys.stdin:
        if line.strip() == "stop":
            stop.set()
    os._exit(3)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


if __name__ == "__main__":
    # Run the imported module's copy, so entries raise the same ``Cancelled`` it catches.
    from ml_worker.guard import _child_main as child_main

    sys.exit(child_main(sys.argv[1], sys.argv[2]))
