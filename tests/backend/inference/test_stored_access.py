"""Predictions, their exports, the labeled video and model zips answer only to current members.

Removing someone from a project takes its files away from them on the next request,
whatever they started there; Range requests are checked the same way.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from backend.common import storage
from backend.projects.models import Membership

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def _model_zip(version) -> str:
    """The version's download zip (the tiny test model may not have written one)."""
    if not version.download:
        rel = f"{version.artifact_dir}/download.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("README.md", "model")
        storage.save_bytes(rel, buffer.getvalue())
        version.download = rel
        version.save(update_fields=["download"])
    return f"/api/model-versions/{version.id}/download/"


def _urls(run) -> dict[str, str]:
    return {
        "predictions": f"/api/inference-runs/{run.id}/predictions/",
        "frame prediction": f"/api/videos/{run.video_id}/predictions/3/",
        "dlc-csv": f"/api/inference-runs/{run.id}/export/dlc-csv/",
        "slp": f"/api/inference-runs/{run.id}/export/slp/",
        "model version": f"/api/model-versions/{run.model_version_id}/",
        "model zip": _model_zip(run.model_version),
        "frame": f"/api/videos/{run.video_id}/frames/3.jpg",
    }


def test_removed_member_loses_predictions_exports_and_model(
    client_for, finished_run, project, alice, bob
):
    urls = _urls(finished_run)  # bob (annotator) started the run
    for name, url in urls.items():
        assert client_for(bob).get(url).status_code == 200, name
    membership = Membership.objects.get(project=project, user=bob)
    assert (
        client_for(alice).delete(f"/api/projects/{project.id}/members/{membership.id}/").status_code
        == 204
    )
    for name, url in urls.items():
        assert client_for(bob).get(url).status_code == 404, name
        assert client_for(bob).get(url, HTTP_RANGE="bytes=0-9").status_code == 404, name
    assert client_for(alice).get(urls["model zip"]).status_code == 200  # still the project's


def test_model_zip_of_another_project_is_404(client_for, finished_run, eve):
    from backend.projects.services import project_create

    project_create(name="Eve's lab", owner=eve)
    assert client_for(eve).get(_model_zip(finished_run.model_version)).status_code == 404
