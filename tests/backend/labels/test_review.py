import pytest

from backend.labels.models import FrameLock, LabeledFrame, LabelHistory, ReviewComment
from tests.backend.labels.conftest import frame_url, make_todo, points, save
from tests.conftest import node_ids

pytestmark = pytest.mark.django_db


def _review(client, video, index, decision, comment="", **extra):
    body = {"decision": decision, "comment": comment, **extra}
    return client.post(frame_url(video, index, "review"), body, format="json")


def _submit(client, video, index, **body):
    return client.post(frame_url(video, index, "submit"), body, format="json")


def test_submit_moves_the_frame_to_submitted(client_for, video, bob):
    save(client_for(bob), video, 3, 0)
    response = _submit(client_for(bob), video, 3)
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_at"]
    assert LabelHistory.objects.filter(action="submit", user=bob).count() == 1


def test_submit_needs_labels(client_for, video, bob):
    make_todo(video, 3)
    response = _submit(client_for(bob), video, 3)
    assert response.status_code == 400
    assert "Label at least one instance" in response.json()["message"]
    assert _submit(client_for(bob), video, 4).status_code == 404


def test_submit_twice_is_refused(client_for, video, bob, submitted):
    response = _submit(client_for(bob), video, submitted)
    assert response.status_code == 400
    assert "already submitted" in response.json()["message"]


def test_submit_of_a_stale_version_is_409(client_for, video, bob):
    save(client_for(bob), video, 3, 0)
    assert _submit(client_for(bob), video, 3, version=0).status_code == 409


def test_submit_releases_my_lock(client_for, video, bob):
    save(client_for(bob), video, 3, 0)
    client_for(bob).post(frame_url(video, 3, "lock"))
    _submit(client_for(bob), video, 3)
    assert not FrameLock.objects.filter(frame_index=3).exists()


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("rita", 200), ("bob", 200), ("vic", 403), ("eve", 404)]
)
def test_who_may_submit(request, client_for, video, bob, who, status):
    save(client_for(bob), video, 3, 0)
    assert _submit(client_for(request.getfixturevalue(who)), video, 3).status_code == status


def test_approve(client_for, video, rita, submitted):
    response = _review(client_for(rita), video, submitted, "approve")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["latest_comment"]["decision"] == "approve"
    assert LabelHistory.objects.filter(action="approve", user=rita).exists()


def test_reject_needs_a_comment(client_for, video, rita, submitted):
    response = _review(client_for(rita), video, submitted, "reject", "   ")
    assert response.status_code == 400
    assert "needs a comment" in response.json()["message"]
    assert LabeledFrame.objects.get(frame_index=submitted).status == "submitted"


def test_reject_pins_the_comment_to_a_node(client_for, project, video, rita, submitted):
    snout = node_ids(project)[0]
    response = _review(client_for(rita), video, submitted, "reject", "Snout is off", node=snout)
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    comments = client_for(rita).get(frame_url(video, submitted, "comments")).json()
    assert [(c["text"], c["node"], c["resolved"]) for c in comments] == [
        ("Snout is off", snout, False)
    ]
    assert LabelHistory.objects.filter(action="reject").exists()


def test_comment_on_a_node_of_another_project_is_refused(client_for, video, rita, submitted):
    response = _review(client_for(rita), video, submitted, "reject", "x", node=999999)
    assert response.status_code == 400
    assert "not in this project's skeleton" in response.json()["message"]


@pytest.mark.parametrize("decision,message", [("maybe", "not a valid choice")])
def test_unknown_decision_is_400(client_for, video, rita, submitted, decision, message):
    response = _review(client_for(rita), video, submitted, decision)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_only_submitted_frames_can_be_reviewed(client_for, video, bob, rita):
    save(client_for(bob), video, 3, 0)
    response = _review(client_for(rita), video, 3, "approve")
    assert response.status_code == 400
    assert "Only submitted frames" in response.json()["message"]


def test_two_reviews_of_one_submission_do_not_both_win(client_for, video, rita, alice, submitted):
    assert _review(client_for(rita), video, submitted, "approve").status_code == 200
    assert _review(client_for(alice), video, submitted, "reject", "no").status_code == 400
    assert ReviewComment.objects.count() == 1


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("rita", 200), ("bob", 403), ("vic", 403), ("eve", 404)]
)
def test_who_may_review(request, client_for, video, submitted, who, status):
    response = _review(client_for(request.getfixturevalue(who)), video, submitted, "approve")
    assert response.status_code == status


def test_rejected_frame_goes_back_to_its_annotator(
    client_for, project, video, bob, rita, submitted
):
    _review(client_for(rita), video, submitted, "reject", "Left ear is the right ear")
    mine = client_for(bob).get(f"/api/projects/{project.id}/my-frames/").json()
    assert [(f["frame_index"], f["status"]) for f in mine] == [(submitted, "rejected")]
    assert mine[0]["latest_comment"]["text"] == "Left ear is the right ear"
    assert mine[0]["latest_comment"]["author"]["username"] == "rita"
    assert client_for(rita).get(f"/api/projects/{project.id}/my-frames/").json() == []
    nxt = client_for(bob).post(f"/api/projects/{project.id}/next-frame/").json()
    assert (nxt["frame_index"], nxt["reason"]) == (submitted, "rejected")


def test_fix_and_resubmit_resolves_the_comment(client_for, video, bob, rita, submitted):
    _review(client_for(rita), video, submitted, "reject", "Fix the snout")
    assert save(client_for(bob), video, submitted, 1).json()["status"] == "in_progress"
    assert _submit(client_for(bob), video, submitted).status_code == 200
    assert ReviewComment.objects.get().resolved is True
    actions = LabelHistory.objects.values_list("action", flat=True)
    assert list(actions) == ["create", "submit", "reject", "update", "submit"]


def test_my_frames_lists_todo_in_progress_and_rejected(client_for, project, video, bob, rita):
    make_todo(video, 1, 2)
    client = client_for(bob)
    client.post(f"/api/projects/{project.id}/next-frame/")  # frame 1 becomes bob's todo
    save(client, video, 5, 0)
    save(client, video, 6, 0)
    _submit(client, video, 6)
    mine = client.get(f"/api/projects/{project.id}/my-frames/").json()
    assert [(f["frame_index"], f["status"]) for f in mine] == [(1, "todo"), (5, "in_progress")]


def test_review_queue_is_oldest_submission_first(client_for, project, video, bob, rita, clock):
    for index in (8, 2, 5):
        save(client_for(bob), video, index, 0)
        _submit(client_for(bob), video, index)
        clock.advance(10)
    queue = client_for(rita).get(f"/api/projects/{project.id}/review-queue/").json()
    assert [f["frame_index"] for f in queue] == [8, 2, 5]
    assert queue[0]["assignee"]["username"] == "bob"


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("rita", 200), ("bob", 403), ("vic", 403), ("eve", 404)]
)
def test_who_may_see_the_review_queue(request, client_for, project, who, status):
    user = request.getfixturevalue(who)
    response = client_for(user).get(f"/api/projects/{project.id}/review-queue/")
    assert response.status_code == status


@pytest.mark.parametrize("who,status", [("vic", 200), ("bob", 200), ("eve", 404)])
def test_comments_are_readable_by_members_only(request, client_for, video, submitted, who, status):
    user = request.getfixturevalue(who)
    assert client_for(user).get(frame_url(video, submitted, "comments")).status_code == status


def test_frame_json_keeps_old_keys_and_adds_team_keys(client_for, video, bob):
    frame = save(client_for(bob), video, 3, 0).json()
    old = {"id", "video", "frame_index", "status", "version", "updated_at", "updated_by"}
    team = {"assignee", "locked_by", "lock_expires_at", "latest_comment", "instances"}
    assert old | team <= set(frame)
    assert frame["assignee"]["username"] == "bob"


def test_dashboard_counts(client_for, project, video, alice, bob, rita, vic, submitted):
    make_todo(video, 40, 41)
    save(client_for(bob), video, 4, 0)
    save(client_for(rita), video, 5, 0)
    _submit(client_for(rita), video, 5)
    _review(client_for(alice), video, 5, "reject", "again")
    response = client_for(vic).get(f"/api/projects/{project.id}/dashboard/")
    assert response.status_code == 200
    board = response.json()
    assert board["by_status"] == {
        "todo": 2, "in_progress": 1, "submitted": 1, "approved": 0, "rejected": 1
    }  # fmt: skip
    people = {a["user"]["username"]: a for a in board["annotators"]}
    assert set(people) == {"alice", "bob", "rita"}
    assert (people["bob"]["labeled"], people["bob"]["submitted"]) == (2, 1)
    assert people["rita"]["rejected"] == 1
    assert board["videos"][0]["by_status"]["todo"] == 2


def test_dashboard_is_404_for_outsiders(client_for, project, eve):
    assert client_for(eve).get(f"/api/projects/{project.id}/dashboard/").status_code == 404


# --- edits after review (issue 12) -----------------------------------------


def test_editing_an_approved_frame_sends_it_back_to_review(
    client_for, project, video, bob, rita, submitted
):
    assert _review(client_for(rita), video, submitted, "approve").status_code == 200
    response = save(
        client_for(bob), video, submitted, 1, instances=[{"points": points(project, 30.0)}]
    )
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    actions = list(
        LabelHistory.objects.filter(labeled_frame__frame_index=submitted).values_list(
            "action", flat=True
        )
    )
    assert actions == ["create", "submit", "approve", "update", "reopen"]
    queue = client_for(rita).get(f"/api/projects/{project.id}/review-queue/").json()
    assert [f["frame_index"] for f in queue] == [submitted]
    # The reviewer decides on the edited version, not the approved one.
    assert _review(client_for(rita), video, submitted, "approve", version=1).status_code == 409
    assert _review(client_for(rita), video, submitted, "approve", version=2).status_code == 200


def test_editing_a_submitted_frame_keeps_it_in_review_at_the_new_version(
    client_for, project, video, bob, rita, submitted
):
    assert (
        save(
            client_for(bob), video, submitted, 1, instances=[{"points": points(project, 31.0)}]
        ).status_code
        == 200
    )
    frame = LabeledFrame.objects.get(frame_index=submitted)
    assert (frame.status, frame.version) == ("submitted", 2)
    assert not LabelHistory.objects.filter(action="reopen").exists()


def test_editing_a_rejected_frame_goes_back_to_in_progress(
    client_for, project, video, bob, rita, submitted
):
    _review(client_for(rita), video, submitted, "reject", "Ears swapped")
    assert save(client_for(bob), video, submitted, 1).status_code == 200
    assert LabeledFrame.objects.get(frame_index=submitted).status == "in_progress"
