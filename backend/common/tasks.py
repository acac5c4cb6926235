"""The job reaper as a Celery task, sent by Celery beat every ``JOB_REAPER_SECONDS``.

It ends or requeues running jobs whose worker stopped sending heartbeats (see
:func:`backend.common.jobs.reap`); no GET view reaps any more.
"""

from __future__ import annotations

import logging

from celery import shared_task

from backend.common import jobs

log = logging.getLogger(__name__)


@shared_task(name="common.reap_jobs", ignore_result=True)
def reap_jobs() -> dict[str, list[int]]:
    reaped = jobs.reap()
    if reaped:
        log.warning("reaped jobs whose worker stopped: %s", reaped)
    return reaped
