import pytest

from backend.labels.models import FramePickJob, LabeledFrame
from tests.backend.labels.conftest import make_todo, save

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture
def pick(client_for, alice, video, django_capture_on_commit_callbacks):
    def run(method, count, user=None, **extra):
        client = client_for(user or alice)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/videos/{video.id}/pick-frames/",
                {"method": method, "count": count, **extra},
                format="json",
            )
        return response

    return run


def _job(client, response):
    return client.get(f"/api/pick-jobs/{response.json()['id']}/").json()


@pytest.mark.parametrize("method", ["uniform", "random", "kmeans"])
def test_each_method_picks_n_distinct_frames(client_for, alice, video, pick, method):
    response = pick(method, 8, seed=3)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    job = _job(client_for(alice), response)
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0
    assert len(set(job["frames"])) == 8
    assert all(0 <= i < video.frame_count for i in job["frames"])
    todo = LabeledFrame.objects.filter(video=video, status="todo", version=0)
    assert sorted(todo.values_list("frame_index", flat=True)) == job["frames"]


def test_kmeans_picks_differ_from_uniform(client_for, alice, pick):
    uniform = _job(client_for(alice), pick("uniform", 6))["frames"]
    kmeans = _job(client_for(alice), pick("kmeans", 6, seed=0))["frames"]
    assert len(kmeans) == 6 and kmeans != uniform


def test_kmeans_reports_progress_while_reading(monkeypatch, client_for, alice, pick):
    from backend.labels import picking

    seen, real = [], picking._progress_saver

    def spy(job_id):
        save = real(job_id)
        return lambda fraction, message: (seen.append(fraction), save(fraction, message))

    monkeypatch.setattr(picking, "_progress_saver", spy)
    job = _job(client_for(alice), pick("kmeans", 4, seed=1))
    assert any(0 < p < 1 for p in seen) and seen == sorted(seen)
    assert job["progress"] == 1.0 and job["message"].startswith("Picked 4 frames")


def test_picked_frames_keep_existing_labels(client_for, alice, bob, video, pick):
    save(client_for(bob), video, 5, 0)
    job = _job(client_for(alice), pick("uniform", 6))
    assert 5 in job["frames"]
    assert job["created_frames"] == 5
    labeled = LabeledFrame.objects.get(frame_index=5)
    assert (labeled.status, labeled.version) == ("in_progress", 1)


def test_same_seed_same_random_frames(client_for, alice, pick):
    first = _job(client_for(alice), pick("random", 5, seed=42))["frames"]
    assert _job(client_for(alice), pick("random", 5, seed=42))["frames"] == first


@pytest.mark.parametrize(
    "body,message",
    [
        ({"method": "psychic", "count": 3}, "method"),
        ({"method": "uniform", "count": 0}, "count"),
        ({"method": "uniform", "count": 61}, "between 1 and 60"),
    ],
)
def test_bad_requests_are_400(client_for, alice, video, body, message):
    response = client_for(alice).post(f"/api/videos/{video.id}/pick-frames/", body, format="json")
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not FramePickJob.objects.exists()


@pytest.mark.parametrize(
    "who,status", [("alice", 202), ("rita", 202), ("bob", 403), ("vic", 403), ("eve", 404)]
)
def test_who_may_pick_frames(request, pick, who, status):
    assert pick("uniform", 3, user=request.getfixturevalue(who)).status_code == status


@pytest.mark.parametrize("who,status", [("vic", 200), ("bob", 200), ("eve", 404)])
def test_who_may_see_a_pick_job(request, client_for, pick, who, status):
    job_id = pick("uniform", 3).json()["id"]
    user = request.getfixturevalue(who)
    assert client_for(user).get(f"/api/pick-jobs/{job_id}/").status_code == status


def test_a_failed_pick_says_why(monkeypatch, client_for, alice, pick):
    from backend.videos import picking

    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(picking, "pick_uniform", broken)
    job = _job(client_for(alice), pick("uniform", 3))
    assert job["status"] == "failed"
    assert "disk on fire" in job["error"]


# --- saving a picked frame -------------------------------------------------


def test_first_save_of_a_picked_frame_takes_version_0_to_1(client_for, video, bob):
    make_todo(video, 9)
    response = save(client_for(bob), video, 9, 0)
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["status"], body["assignee"]["username"]) == (
        1,
        "in_progress",
        "bob",
    )
    assert LabeledFrame.objects.count() == 1


def test_two_first_saves_of_a_picked_frame_do_not_both_win(client_for, video, bob, rita):
    make_todo(video, 9)
    assert save(client_for(bob), video, 9, 0).status_code == 200
    conflict = save(client_for(rita), video, 9, 0)
    assert conflict.status_code == 409
    assert conflict.json()["extra"]["current"]["version"] == 1


def test_picked_frame_reads_as_todo_with_version_0(client_for, video, vic):
    make_todo(video, 9)
    body = client_for(vic).get(f"/api/videos/{video.id}/frames/9/labels/").json()
    assert (body["status"], body["version"], body["instances"]) == ("todo", 0, [])
