"""Stored files (exports, import jobs, frames) answer only to current project members.

Access is checked on every request against the membership as it is now: someone
removed from a project loses its files at once, even the export they started
themselves; everyone else's projects answer 404.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.interchange.models import ImportExportJob
from backend.projects.models import Membership
from backend.projects.services import project_create
from tests.backend.interchange.helpers import post_committed

pytestmark = pytest.mark.django_db




def _export(client, project) -> ImportExportJob:
    response = post_committed(client, f"/api/projects/{project.id}/exports/", {"format": "coco"}, "json")
    assert response.status_code == 202, response.data
    job = ImportExportJob.objects.get(pk=response.data["id"])
    assert job.status == "succeeded", job.error
    return job


def _remove(client_for, owner, project, user) -> None:
    membership = Membership.objects.get(project=project, user=user)
    url = f"/api/projects/{project.id}/members/{membership.id}/"
    assert client_for(owner).delete(url).status_code == 204


def _body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def test_removed_member_can_no_longer_download_their_own_export(
    project, video, alice, vic, client_for
):
    job = _export(client_for(vic), project)
    download = f"/api/import-export-jobs/{job.id}/download"
    assert client_for(vic).get(download).status_code == 200
    _remove(client_for, alice, project, vic)
    assert client_for(vic).get(f"/api/import-export-jobs/{job.id}/").status_code == 404
    assert client_for(vic).get(download).status_code == 404
    assert client_for(vic).get(download, HTTP_RANGE="bytes=0-99").status_code == 404
    assert client_for(alice).get(download).status_code == 200  # still the project's


def test_export_of_another_project_is_404_even_for_an_owner(project, video, alice, eve,
                                                            client_for):  # fmt: skip
    job = _export(client_for(alice), project)
    project_create(name="Eve's lab", owner=eve)  # eve owns something, just not this
    assert client_for(eve).get(f"/api/import-export-jobs/{job.id}/").status_code == 404
    assert client_for(eve).get(f"/api/import-export-jobs/{job.id}/download").status_code == 404


def test_import_job_without_a_project_is_its_creators_alone(alice, eve, client_for):
    upload = {"file": SimpleUploadedFile("mice.json", b'{"images": [], "annotations": []}')}
    response = post_committed(client_for(alice), "/api/imports/", upload, "multipart")
    assert response.status_code == 202
    job = ImportExportJob.objects.get(pk=response.data["id"])
    assert job.project_id is None and job.status == "failed"
    assert client_for(alice).get(f"/api/import-export-jobs/{job.id}/").status_code == 200
    assert client_for(eve).get(f"/api/import-export-jobs/{job.id}/").status_code == 404


def test_removed_member_loses_frames_and_thumbnails(project, video, alice, vic, client_for):
    from backend.videos.services import video_process

    video_process(video_id=video.id)  # the thumbnail, as the worker makes it
    frame = f"/api/videos/{video.id}/frames/3.jpg"
    thumb = f"/api/videos/{video.id}/thumbnail.jpg"
    assert client_for(vic).get(frame).status_code == 200
    assert client_for(vic).get(thumb).status_code == 200
    _remove(client_for, alice, project, vic)
    assert client_for(vic).get(frame).status_code == 404
    assert client_for(vic).get(thumb).status_code == 404
    cached = client_for(vic).get(frame, HTTP_IF_NONE_MATCH='"anything"')
    assert cached.status_code == 404  # no 304 shortcut before the membership check


def test_media_files_have_no_direct_url(project, video, alice, client_for):
    """Files are only served through the checked views: /media/<path> is not a file route."""
    job = _export(client_for(alice), project)
    response = client_for(alice).get(f"/media/{job.result_file.name}")
    assert not _body(response).startswith(b"PK")  # not the zip (the SPA page or a 404)
