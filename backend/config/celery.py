"""The Celery app. Queues: ``default`` (light work, the job reaper) and ``gpu`` (training,
inference). Celery beat (``CELERY_BEAT_SCHEDULE``) sends the job reaper on a schedule."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("poseforge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("gpu"))
# Tasks live in the backend app that owns the job; ml_worker holds no Celery code.
app.autodiscover_tasks(
    ["backend.common", "backend.videos", "backend.labels", "backend.interchange",
     "backend.training", "backend.inference"]
)  # fmt: skip
