"""Identity models through the API (issue #15): the training option, the metrics, the tracker."""

import pytest

from backend.common.exceptions import ApplicationError
from backend.inference.tracking import tracking_validate
from backend.training import services
from backend.training.models import TrainingJob

pytestmark = pytest.mark.django_db

IDENTITY_METRICS = {
    "rmse_px": 2.0, "map_oks": 0.6, "identity_accuracy": 0.95, "identity_top1_accuracy": 0.9,
    "identity_frame_accuracy": 0.9, "identity_matched_instances": 20, "identity_frames": 10,
    "identity_names": ["female", "male"],
}


@pytest.fixture
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda job: None)


def test_the_identity_option_is_accepted_and_a_bad_one_named(
    client_for, project, labeled_video, bob, no_enqueue
):
    url = f"/api/projects/{project.id}/training-jobs/"
    ok = client_for(bob).post(url, {"preset": "fast", "advanced": {"identity": "off"}},
                              format="json")
    assert ok.status_code == 201, ok.json()
    assert TrainingJob.objects.get().config["identity"] == "off"
    bad = client_for(bob).post(url, {"preset": "fast", "advanced": {"identity": "maybe"}},
                               format="json")
    assert bad.status_code == 400
    assert bad.json()["extra"]["fields"]["advanced"].keys() == {"identity"}


def test_a_published_version_reports_its_identity_accuracy(
    client_for, project, labeled_video, alice, no_enqueue
):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w")
    version = services.job_publish(job_id=job.id, metrics=IDENTITY_METRICS,
                                   config={"identity_names": ["female", "male"]}, download=None)
    body = client_for(alice).get(f"/api/model-versions/{version.id}/").json()
    assert body["metrics"]["identity_accuracy"] == 0.95
    assert body["metrics"]["identity_names"] == ["female", "male"]
    assert body["config"]["identity_names"] == ["female", "male"]


def test_tracker_identity_settings_are_bounded():
    settings = tracking_validate({"identity_window": 0}, max_tracks=2)
    assert settings["identity"] is True and settings["identity_window"] == 0
    assert tracking_validate({"identity": False}, max_tracks=2)["identity"] is False
    with pytest.raises(ApplicationError, match="identity_window"):
        tracking_validate({"identity_window": -1}, max_tracks=2)
    with pytest.raises(ApplicationError, match="identity must be true or false"):
        tracking_validate({"identity": "yes"}, max_tracks=2)
