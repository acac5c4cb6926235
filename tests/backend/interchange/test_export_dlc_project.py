"""A DeepLabCut project goes out as DeepLabCut made it, with the labels a team means.

- the scorer, Task and date of an imported project are written back (not "poseforge");
  a PoseForge project uses the exporting user's name and the project's creation date;
- config.yaml has ``project_path`` (the project folder inside the zip) and ``date``;
- by default only approved + submitted frames go out; in-progress and rejected ones
  only when asked for (``labels``: approved_submitted / approved / all);
- importing a DLC project zip brings in its ``videos/`` files as project videos, and
  says which files it could not read.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.interchange.models import ImportExportJob, ProjectOrigin
from backend.interchange.services import project_export, project_import
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.videos.models import Video
from tests.backend.interchange.helpers import (
    OPENFIELD,
    openfield_subset,
    post_committed,
    unzip,
    zip_dir,
)

pytestmark = [pytest.mark.django_db, pytest.mark.media]
Status = LabeledFrame.Status



def _config(root) -> dict:
    return yaml.safe_load((root / "config.yaml").read_text())


# --- scorer, project_path, date -------------------------------------------------------


def test_dlc_round_trip_keeps_scorer_task_and_date(shared_data_dir, alice, tmp_path):
    project = project_import(path=openfield_subset(shared_data_dir, tmp_path, n=3), owner=alice)
    assert ProjectOrigin.objects.get(project=project).scorer == "Pranav"
    root = unzip(project_export(project=project, format="dlc", dest=tmp_path / "x"),
                 tmp_path / "o")  # fmt: skip
    config = _config(root)
    assert (config["scorer"], config["Task"], config["date"]) == ("Pranav", "openfield", "Oct30")
    assert config["project_path"] == root.name  # the folder the zip unpacks to
    assert re.fullmatch(r"openfield-Pranav-\d{4}-\d\d-\d\d", root.name)
    table = root / "labeled-data/m4s1/CollectedData_Pranav.csv"
    assert pd.read_csv(table, header=[0, 1, 2], index_col=0).columns[0][0] == "Pranav"
    assert not list(root.rglob("CollectedData_poseforge*"))
    again = project_import(path=root, owner=alice, name="again")
    origin = ProjectOrigin.objects.get(project=again)
    assert (origin.scorer, origin.task, origin.date) == ("Pranav", "openfield", "Oct30")


def test_poseforge_project_exports_as_the_exporting_user(
    project, video, alice, vic, client_for, tmp_path
):
    _frames(project, video, alice, {1: Status.APPROVED})
    response = post_committed(client_for(vic), f"/api/projects/{project.id}/exports/",
                     {"format": "dlc"}, "json")  # fmt: skip
    job = ImportExportJob.objects.get(pk=response.data["id"])
    assert job.status == "succeeded", job.error
    root = _download_dlc(client_for(vic), job, tmp_path)
    config = _config(root)
    assert config["scorer"] == "vic" and config["Task"] == "Open field"
    created = project.created_at.date()
    assert config["date"] == created.strftime("%b") + str(created.day)  # "Oct30", "Mar5"
    assert config["project_path"] == root.name != ""
    assert (root / "labeled-data/synthetic/CollectedData_vic.h5").is_file()


def _download_dlc(client, job, dest):
    """The downloaded zip, unpacked: the project folder in it."""
    response = client.get(f"/api/import-export-jobs/{job.id}/download")
    assert response.status_code == 200
    (dest / "export.zip").write_bytes(b"".join(response.streaming_content))
    return unzip(dest / "export.zip", dest / "unpacked")


# --- which labels ---------------------------------------------------------------------


def _frames(project, video, user, statuses: dict[int, str]) -> None:
    snout = project.nodes.first().id
    for index, status in statuses.items():
        labels_save(video=video, frame_index=index, user=user, version=0, instances=[
            {"points": [{"node": snout, "x": 10.0 + index, "y": 5.0, "visibility": 2}]}])  # fmt: skip
        LabeledFrame.objects.filter(video=video, frame_index=index).update(status=status)


ALL = {1: Status.APPROVED, 2: Status.SUBMITTED, 3: Status.IN_PROGRESS, 4: Status.REJECTED}


def _exported_frames(client, project, body: dict, dest) -> set[int]:
    response = post_committed(client, f"/api/projects/{project.id}/exports/", {"format": "dlc", **body},
                     "json")  # fmt: skip
    assert response.status_code == 202, response.data
    job = ImportExportJob.objects.get(pk=response.data["id"])
    assert job.status == "succeeded", job.error
    (table,) = _download_dlc(client, job, dest).glob("labeled-data/*/CollectedData_*.csv")
    index = pd.read_csv(table, header=[0, 1, 2], index_col=0).index
    return {int(re.search(r"(\d+)\.png$", name).group(1)) for name in index}


def test_default_export_is_approved_and_submitted_only(
    project, video, alice, vic, client_for, tmp_path
):
    _frames(project, video, alice, ALL)
    assert _exported_frames(client_for(vic), project, {}, tmp_path) == {1, 2}


@pytest.mark.parametrize(
    ("body", "frames"),
    [({"labels": "approved_submitted"}, {1, 2}), ({"labels": "approved"}, {1}),
     ({"labels": "all"}, {1, 2, 3, 4}), ({"approved_only": True}, {1}),
     ({"approved_only": False}, {1, 2})],
)  # fmt: skip
def test_label_choice(project, video, alice, vic, client_for, body, frames, tmp_path):
    _frames(project, video, alice, ALL)
    assert _exported_frames(client_for(vic), project, body, tmp_path) == frames


def test_unknown_label_choice_is_refused(project, vic, client_for):
    response = client_for(vic).post(f"/api/projects/{project.id}/exports/",
                                    {"format": "dlc", "labels": "everything"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert ImportExportJob.objects.count() == 0


def test_service_default_matches_the_api(project, video, alice, tmp_path):
    _frames(project, video, alice, ALL)
    root = unzip(project_export(project=project, format="dlc", dest=tmp_path), tmp_path / "o")
    (table,) = root.glob("labeled-data/*/CollectedData_*.csv")
    assert len(pd.read_csv(table, header=[0, 1, 2], index_col=0)) == 2


# --- videos/ on import ----------------------------------------------------------------


def _openfield_zip(shared, tmp_path, extra: dict[str, bytes]) -> bytes:
    """A zip of a small open-field project with its real videos/m3v1mp4.mp4 (+ extra files)."""
    root = openfield_subset(shared, tmp_path, n=3)
    videos = root / "videos"
    videos.mkdir()
    shutil.copyfile(shared / OPENFIELD / "videos" / "m3v1mp4.mp4", videos / "m3v1mp4.mp4")
    for name, content in extra.items():
        (videos / name).write_bytes(content)
    return zip_dir(root, tmp_path / "openfield.zip").read_bytes()


def test_dlc_import_brings_in_the_projects_videos(shared_data_dir, alice, tmp_path):
    root = openfield_subset(shared_data_dir, tmp_path, n=3)
    (root / "videos").mkdir()
    shutil.copyfile(shared_data_dir / OPENFIELD / "videos/m3v1mp4.mp4", root / "videos/m3v1mp4.mp4")
    (root / "videos/broken.mp4").write_bytes(b"\0not a video" * 100)
    (root / "videos/notes.txt").write_text("recorded on day 3")
    report: dict = {}
    project = project_import(path=root, owner=alice, report=report)
    video = project.videos.get(name="m3v1mp4.mp4")
    assert (video.width, video.height) == (640, 480) and video.frame_count > 0
    assert report["videos_added"] == ["m3v1mp4.mp4"]
    skipped = {s["name"]: s["reason"] for s in report["videos_skipped"]}
    assert set(skipped) == {"videos/broken.mp4", "videos/notes.txt"}
    assert "not a video" in skipped["videos/broken.mp4"]
    assert "not a supported video file" in skipped["videos/notes.txt"]


def test_dlc_zip_upload_creates_the_video_and_reports_what_it_skipped(
    shared_data_dir, alice, client_for, tmp_path
):
    data = _openfield_zip(shared_data_dir, tmp_path, {"broken.avi": b"RIFF" + b"\0" * 500})
    response = post_committed(client_for(alice), "/api/imports/",
                     {"file": SimpleUploadedFile("openfield.zip", data)}, "multipart")  # fmt: skip
    assert response.status_code == 202, response.data
    job = client_for(alice).get(f"/api/import-export-jobs/{response.data['id']}/").data
    assert job["status"] == "succeeded", job
    video = Video.objects.get(project=job["project"], name="m3v1mp4.mp4")
    assert video.status == Video.Status.READY  # the upload's processing task ran on it
    assert job["result"]["videos_added"] == ["m3v1mp4.mp4"]
    assert [s["name"] for s in job["result"]["videos_skipped"]] == ["videos/broken.avi"]
    assert "Added 1 video(s)" in job["message"] and "videos/broken.avi" in job["message"]
