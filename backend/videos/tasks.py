"""Celery doors into video services: ids in, nothing out (state lives in the database)."""

from celery import shared_task

from backend.videos import services


@shared_task(name="videos.process", acks_late=True)
def video_process(video_id: int) -> None:
    services.video_process(video_id=video_id)
    # New footage is what encoder pretraining learns from (backend.training.unlabeled);
    # the import sits here, in the task layer, so video services never depend on training.
    from backend.training.unlabeled import pretrain_after_upload

    pretrain_after_upload(video_id=video_id)
