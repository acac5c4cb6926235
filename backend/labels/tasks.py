"""Celery doors into label services: ids in, nothing out (state lives on the job row)."""

from celery import shared_task

from backend.labels import picking


@shared_task(bind=True, name="labels.pick_frames", acks_late=True)
def frames_pick(self, job_id: int) -> None:
    picking.pick_job_run(
        job_id=job_id, worker=self.request.hostname or "", heartbeat=not self.request.is_eager
    )
