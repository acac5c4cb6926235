"""Celery doors into interchange services: ids in, nothing out (state lives on the job row)."""

from celery import shared_task

from backend.interchange import services


@shared_task(bind=True, name="interchange.import", acks_late=True)
def import_project(self, job_id: int) -> None:
    services.import_job_run(
        job_id=job_id, worker=self.request.hostname or "", heartbeat=not self.request.is_eager
    )


@shared_task(bind=True, name="interchange.export", acks_late=True)
def export_project(self, job_id: int) -> None:
    services.export_job_run(
        job_id=job_id, worker=self.request.hostname or "", heartbeat=not self.request.is_eager
    )
