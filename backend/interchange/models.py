"""Import/export jobs and what an import needs to remember to export the same files again."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.jobs import Job
from backend.projects.models import Project
from backend.videos.models import Video


def job_folder(uid: str) -> str:
    """Folder (relative to MEDIA_ROOT) of one job's input and result files."""
    return f"interchange/jobs/{uid}"


def job_input_path(instance: ImportExportJob, filename: str) -> str:
    # The user's file name never reaches the file system; only a known suffix does.
    lower = (filename or "").lower()
    suffix = next((s for s in (".pkg.slp", ".slp", ".zip", ".json") if lower.endswith(s)), ".bin")
    return f"{job_folder(instance.uid)}/input{suffix}"


def job_result_path(instance: ImportExportJob, filename: str) -> str:
    return f"{job_folder(instance.uid)}/export.zip"


class ImportExportJob(Job):
    """An import or export on the worker; the lifecycle fields come from :class:`Job`.

    A job whose worker died is failed by the reaper with a message (never rerun: an
    import may have half-written its project's files); its upload is deleted then.
    """

    job_label = "import/export job"

    class Kind(models.TextChoices):
        IMPORT = "import"
        EXPORT = "export"

    uid = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="interchange_jobs"
    )
    format = models.CharField(max_length=32, blank=True, default="")
    options = models.JSONField(default=dict, blank=True)
    input_name = models.CharField(max_length=255, blank=True, default="")
    input_file = models.FileField(upload_to=job_input_path, max_length=500, blank=True)
    result_file = models.FileField(upload_to=job_result_path, max_length=500, blank=True)
    # What a finished job has to report beyond its message, e.g. an import's
    # {"videos_added": [...], "videos_skipped": [{"name", "reason"}]}.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def on_given_up(self) -> None:
        if self.input_file:
            self.input_file.delete(save=False)
            type(self).objects.filter(pk=self.pk).update(input_file="")


class ProjectOrigin(models.Model):
    """What an imported project was called where it came from, so exports can say it again.

    DeepLabCut keys its label files by scorer (``CollectedData_<scorer>.csv``) and
    dates its project (``date: Oct30``); an export writes the original values back
    instead of inventing new ones. Empty strings mean the source format had none.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="origin")
    format = models.CharField(max_length=32, blank=True, default="")
    scorer = models.CharField(max_length=100, blank=True, default="")
    task = models.CharField(max_length=200, blank=True, default="")
    date = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class ImportedFrameSource(models.Model):
    """Frame ``frame_index`` of ``video`` was the image ``original_path`` (of this size)."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="imported_frames")
    frame_index = models.PositiveIntegerField()
    original_path = models.CharField(max_length=500)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    grayscale = models.BooleanField(default=False)
    original_frame_index = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["video_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "frame_index"], name="unique_imported_frame_source"
            )
        ]


class FrameSuggestion(models.Model):
    """A frame suggested for labeling (SLEAP suggestions), kept so exports can write it back."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="frame_suggestions")
    frame_index = models.PositiveIntegerField()
    group = models.IntegerField(default=0)

    class Meta:
        ordering = ["video_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(fields=["video", "frame_index"], name="unique_frame_suggestion")
        ]
