from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.interchange.models import ImportExportJob
from backend.labels.models import Instance
from backend.projects.models import Project
from tests.backend.interchange.helpers import (
    PAIR,
    media_files,
    openfield_subset,
    post_committed,
    zip_dir,
)

pytestmark = pytest.mark.media


def _upload(client, name: str, data: bytes):
    return post_committed(client, "/api/imports/", {"file": SimpleUploadedFile(name, data)}, "multipart")


def test_upload_pkg_slp_runs_job_and_creates_project(shared_data_dir, alice, eve, client_for):
    data = (shared_data_dir / PAIR / "minimal_instance.pkg.slp").read_bytes()
    response = _upload(client_for(alice), "minimal_instance.pkg.slp", data)
    assert response.status_code == 202, response.data
    job_id = response.data["id"]
    body = client_for(alice).get(f"/api/import-export-jobs/{job_id}/").data
    assert body["status"] == "succeeded", body
    assert body["progress"] == 1.0
    project = Project.objects.get(pk=body["project"])
    assert project.memberships.get().user == alice
    assert Instance.objects.filter(labeled_frame__video__project=project).count() == 2
    assert client_for(eve).get(f"/api/import-export-jobs/{job_id}/").status_code == 404
    assert client_for().get(f"/api/import-export-jobs/{job_id}/").status_code in (401, 403, 404)
    assert not ImportExportJob.objects.get(pk=job_id).input_file  # the upload is removed


def test_upload_dlc_zip(shared_data_dir, alice, client_for, tmp_path):
    root = openfield_subset(shared_data_dir, tmp_path, n=3)
    data = zip_dir(root, tmp_path / "p.zip").read_bytes()
    upload = {"file": SimpleUploadedFile("openfield.zip", data), "name": "  My mice  "}
    response = post_committed(client_for(alice), "/api/imports/", upload, "multipart")
    assert response.data["options"] == {"name": "My mice"}
    job = client_for(alice).get(f"/api/import-export-jobs/{response.data['id']}/").data
    assert job["status"] == "succeeded", job
    assert Instance.objects.filter(labeled_frame__video__project=job["project"]).count() == 3
    assert Project.objects.get(pk=job["project"]).name == "My mice"
    assert set(job) == {
        "id", "kind", "status", "progress", "message", "error", "project", "format", "options",
        "input_name", "created_at", "started_at", "finished_at", "download_url", "result",
    }  # fmt: skip


def test_bad_project_fails_job_with_message(shared_data_dir, alice, client_for, tmp_path):
    root = openfield_subset(shared_data_dir, tmp_path, n=2)
    (root / "config.yaml").unlink()
    response = _upload(client_for(alice), "p.zip", zip_dir(root, tmp_path / "p.zip").read_bytes())
    job = client_for(alice).get(f"/api/import-export-jobs/{response.data['id']}/").data
    assert job["status"] == "failed" and "config.yaml is missing" in job["error"]
    assert Project.objects.count() == 0
    assert [p for p in media_files() if "videos" in p.parts] == []


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(zipfile.ZipInfo(name), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"proj/config.yaml": b"x", "../evil.txt": b"x"}, "'..'"),
        ({"/etc/evil.txt": b"x"}, "absolute path"),
        ({"C:/evil.txt": b"x"}, "absolute path"),
        ({"bomb.bin": b"\0" * (3 * 1024 * 1024)}, "zip bomb"),
    ],
)
def test_hostile_zips_are_refused(alice, client_for, settings, entries, message, tmp_path):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    response = _upload(client_for(alice), "x.zip", _zip_bytes(entries))
    assert response.status_code == 400
    assert message in response.data["message"]
    assert ImportExportJob.objects.count() == 0
    assert media_files() == []
    assert not (tmp_path.parent / "evil.txt").exists()


def test_too_many_entries_and_not_a_zip(alice, client_for, settings):
    settings.INTERCHANGE_MAX_ZIP_ENTRIES = 3
    response = _upload(client_for(alice), "x.zip", _zip_bytes({f"f{i}": b"" for i in range(5)}))
    assert response.status_code == 400 and "entries" in response.data["message"]
    response = _upload(client_for(alice), "x.zip", b"not a zip at all")
    assert response.status_code == 400 and "not a valid zip" in response.data["message"]
    response = _upload(client_for(alice), "x.txt", b"hello")
    assert response.status_code == 400 and ".slp" in response.data["message"]
    assert media_files() == []


def test_export_permissions_and_download(project, video, alice, vic, eve, client_for):
    url = f"/api/projects/{project.id}/exports/"
    assert client_for(eve).post(url, {"format": "coco"}, format="json").status_code == 404
    bad = client_for(vic).post(url, {"format": "bogus"}, format="json")
    assert bad.status_code == 400 and "bogus" in bad.data["message"]
    response = post_committed(client_for(vic), url, {"format": "dlc", "approved_only": True}, "json")
    assert response.status_code == 202
    job = client_for(vic).get(f"/api/import-export-jobs/{response.data['id']}/").data
    assert job["status"] == "succeeded", job
    assert client_for(alice).get(f"/api/import-export-jobs/{job['id']}/").status_code == 200
    assert client_for(eve).get(f"/api/import-export-jobs/{job['id']}/").status_code == 404
    assert client_for(eve).get(f"/api/import-export-jobs/{job['id']}/download").status_code == 404
    download = client_for(vic).get(f"/api/import-export-jobs/{job['id']}/download")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert any(n.endswith("config.yaml") for n in archive.namelist())


def test_coco_json_without_images_fails_with_a_hint(alice, client_for):
    doc = {
        "images": [{"id": 1, "file_name": "img0.png", "width": 4, "height": 4}],
        "annotations": [],
        "categories": [{"id": 1, "name": "mouse", "keypoints": ["snout"], "skeleton": []}],
    }
    response = _upload(client_for(alice), "mice.json", json.dumps(doc).encode())
    assert response.status_code == 202 and response.data["format"] == "json"
    job = client_for(alice).get(f"/api/import-export-jobs/{response.data['id']}/").data
    assert job["status"] == "failed"
    assert "'img0.png' is referenced in mice.json" in job["error"]
    assert "together with its images" in job["error"]
    assert Project.objects.count() == 0
