"""A training task bounded in memory and responsive to cancel in every phase (Celery eager).

The task runs in this test process as it would in a worker: the memory guard
must fail the job with a message and leave this process running, and a cancel
must act while labeled frames are still being decoded.
"""

from __future__ import annotations

import time

import pytest

from backend.common import storage
from backend.training import services
from backend.training.models import ModelVersion, TrainingJob
from backend.training.tasks import train_model

pytestmark = pytest.mark.django_db
TINY = {"max_seconds": 6.0, "max_crop_size": 64, "filters": 8}
# Every value is inside the limits; together they need gigabytes.
OVERSIZED = {"max_seconds": 60.0, "crop_size": 1024, "filters": 128, "filters_rate": 2.0,
             "batch_size": 64}  # fmt: skip


@pytest.fixture
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda job: None)


def test_a_job_over_the_memory_limit_fails_with_a_message_and_the_worker_lives_on(
    project, labeled_video, alice, no_enqueue, settings
):
    settings.TRAINING_MAX_MEMORY_MB = 900  # a tiny job peaks near 400 MB in its child
    job = services.training_job_start(
        project=project, user=alice, preset="fast", advanced=OVERSIZED
    )
    started = time.monotonic()
    train_model.apply(args=[job.id, 1])
    job.refresh_from_db()
    assert job.status == "failed"
    assert "used more than 900 MB of memory" in job.error
    assert "lower crop size / filters / batch size" in job.error
    assert job.memory_mb is not None and job.memory_mb > 900
    assert time.monotonic() - started < 120
    assert not ModelVersion.objects.exists()

    # The same process trains the next job.
    small = services.training_job_start(project=project, user=alice, preset="fast", advanced=TINY)
    train_model.apply(args=[small.id, 1])
    small.refresh_from_db()
    assert small.status == "succeeded", small.error
    assert 0 < small.memory_mb <= 900


def test_cancel_while_labeled_frames_are_decoded_acts_within_seconds(
    project, labeled_video, alice, no_enqueue, monkeypatch
):
    from backend.videos import services as video_services

    real_frame_rgb = video_services.frame_rgb
    decoded, cancelled_at = [], []

    def slow_frame_rgb(*, video, index):
        decoded.append(index)
        if len(decoded) == 2:  # the user clicks Cancel while frames are still being read
            services.job_cancel(job=TrainingJob.objects.get(pk=job.id))
            cancelled_at.append(time.monotonic())
        time.sleep(0.5)
        return real_frame_rgb(video=video, index=index)

    monkeypatch.setattr(video_services, "frame_rgb", slow_frame_rgb)
    job = services.training_job_start(project=project, user=alice, preset="fast", advanced=TINY)
    train_model.apply(args=[job.id, 1])
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert time.monotonic() - cancelled_at[0] < 3
    assert len(decoded) <= 5 < job.snapshot.frame_count  # it stopped decoding, not after it
    assert storage.list_keys(services.model_prefix(job)) == []  # training never started
