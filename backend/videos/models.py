"""Videos in storage. Frames are decoded on demand; only frames that matter get a row (labels)."""

from __future__ import annotations

from django.db import models

from backend.projects.models import Project


def project_media_prefix(project_id: int) -> str:
    """Folder (relative to MEDIA_ROOT) of a project's uploaded videos."""
    return f"projects/{project_id}"


def video_upload_path(instance: Video, filename: str) -> str:
    # The user's file name never reaches the file system: it could hold "../".
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    suffix = "".join(c for c in suffix if c.isalnum())[:8] or "bin"
    return f"{project_media_prefix(instance.project_id)}/videos/{instance.uid}.{suffix}"


class Video(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="videos")
    uid = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=video_upload_path, max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    fps = models.FloatField()
    frame_count = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    codec = models.CharField(max_length=50)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    error = models.TextField(blank=True, default="")
    thumbnail = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
