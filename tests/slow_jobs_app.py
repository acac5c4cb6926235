"""The Celery app for worker-kill tests: each job progress report is followed by a pause.

``celery -A tests.slow_jobs_app worker`` runs the real app and tasks; with
``TEST_JOB_PAUSE_SECONDS`` set, every :func:`backend.common.jobs.report` of a
fraction above 0 (the call all job types report progress through) sleeps that
long after writing. A
test can then wait until a job is running *and* has reported progress, and
SIGKILL the worker while the job is certainly mid-way, however fast the machine.
The heartbeat thread keeps beating during the pause, as it does in a long step.
"""

from __future__ import annotations

import os
import time

from celery.signals import worker_process_init

from backend.config.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _pause_after_each_report(**_: object) -> None:
    pause = float(os.environ.get("TEST_JOB_PAUSE_SECONDS", "0") or 0)
    if pause <= 0:
        return
    from backend.common import jobs

    real_report = jobs.report

    def report(*args: object, fraction: float, **kwargs: object) -> bool:
        stop = real_report(*args, fraction=fraction, **kwargs)
        if fraction > 0:
            time.sleep(pause)
        return stop

    jobs.report = report
