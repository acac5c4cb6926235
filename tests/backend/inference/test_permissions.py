"""Outsiders get 404 everywhere, viewers read only, annotators run and decide."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _urls(run, suggestion, project):
    return {
        "list": f"/api/projects/{project.id}/inference-runs/",
        "detail": f"/api/inference-runs/{run.id}/",
        "predictions": f"/api/inference-runs/{run.id}/predictions/",
        "frame": f"/api/videos/{run.video_id}/predictions/3/",
        "export": f"/api/inference-runs/{run.id}/export/dlc-csv/",
        "suggestions": f"/api/projects/{project.id}/suggestions/",
        "settings": f"/api/projects/{project.id}/active-learning-settings/",
    }


def test_outsiders_see_nothing(client_for, finished_run, project, eve):
    suggestion = finished_run.suggestions.first()
    client = client_for(eve)
    for url in _urls(finished_run, suggestion, project).values():
        assert client.get(url).status_code == 404, url
    for action in ("accept", "dismiss", "assign"):
        url = f"/api/suggestions/{suggestion.id}/{action}/"
        assert client.post(url, {"username": "eve"}, format="json").status_code == 404
    assert client.post(f"/api/inference-runs/{finished_run.id}/cancel/").status_code == 404


def test_viewers_read_but_do_not_change(client_for, finished_run, project, model_version, vic):
    suggestion = finished_run.suggestions.first()
    client = client_for(vic)
    for url in _urls(finished_run, suggestion, project).values():
        assert client.get(url).status_code == 200, url
    create = client.post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": model_version.id, "videos": [finished_run.video_id]},
        format="json",
    )
    assert create.status_code == 403
    for action in ("accept", "dismiss"):
        url = f"/api/suggestions/{suggestion.id}/{action}/"
        assert client.post(url, {}, format="json").status_code == 403
    assert client.post(f"/api/inference-runs/{finished_run.id}/retrain/").status_code == 403
    settings_url = f"/api/projects/{project.id}/active-learning-settings/"
    assert client.put(settings_url, {"min_gap": 1}, format="json").status_code == 403


def test_owner_and_annotator_decide(client_for, finished_run, alice, bob):
    first, second = finished_run.suggestions.all()[:2]
    assert client_for(alice).post(f"/api/suggestions/{first.id}/dismiss/").status_code == 200
    assert client_for(bob).post(f"/api/suggestions/{second.id}/dismiss/").status_code == 200
