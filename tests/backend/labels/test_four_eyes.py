"""Four-eyes review: nobody approves a frame they submitted or last edited, unless
the project allows it. Three people: rita (reviewer who labels too), alice (owner,
another reviewer, who toggles the setting), bob (annotator)."""

from __future__ import annotations

import pytest

from backend.labels.models import LabeledFrame, LabelHistory
from tests.backend.labels.conftest import frame_url, points, save

pytestmark = pytest.mark.django_db


def _review(client, video, index, decision="approve", comment=""):
    body = {"decision": decision, "comment": comment}
    return client.post(frame_url(video, index, "review"), body, format="json")


def _submit(client, video, index):
    return client.post(frame_url(video, index, "submit"), {}, format="json")


def _allow_self_review(client, project, allowed: bool):
    url = f"/api/projects/{project.id}/"
    return client.patch(url, {"allow_self_review": allowed}, format="json")


@pytest.fixture
def rita_submitted(client_for, video, rita):
    """Frame 3, labeled and submitted by rita, a reviewer."""
    assert save(client_for(rita), video, 3, 0).status_code == 200
    assert _submit(client_for(rita), video, 3).status_code == 200
    return 3


def test_a_reviewer_cannot_approve_their_own_submission(client_for, video, rita, rita_submitted):
    response = _review(client_for(rita), video, rita_submitted)
    assert response.status_code == 403
    assert "another reviewer has to approve it" in response.json()["message"]
    frame = LabeledFrame.objects.get(frame_index=rita_submitted)
    assert frame.status == "submitted"
    assert not LabelHistory.objects.filter(action="approve").exists()


def test_another_reviewer_can_approve_it(client_for, video, alice, rita_submitted):
    response = _review(client_for(alice), video, rita_submitted)
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_a_reviewer_may_still_reject_their_own_submission(client_for, video, rita, rita_submitted):
    response = _review(client_for(rita), video, rita_submitted, "reject", "ear is off")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"


def test_editing_someone_elses_submission_makes_it_your_own_work(
    client_for, project, video, bob, rita, alice
):
    save(client_for(bob), video, 3, 0)
    _submit(client_for(bob), video, 3)
    fixed = save(client_for(rita), video, 3, 1, project, [{"points": points(project, 7.0)}])
    assert fixed.json()["status"] == "submitted"  # still in review, now with rita's edit
    assert _review(client_for(rita), video, 3).status_code == 403
    assert _review(client_for(alice), video, 3).status_code == 200


def test_reopening_an_approved_frame_is_your_own_submission(
    client_for, project, video, rita, alice, rita_submitted
):
    assert _review(client_for(alice), video, rita_submitted).status_code == 200
    save(client_for(alice), video, rita_submitted, 1, project, [{"points": points(project, 3.0)}])
    assert _review(client_for(alice), video, rita_submitted).status_code == 403
    # rita submitted version 1, but the frame under review is alice's edit.
    assert _review(client_for(rita), video, rita_submitted).status_code == 200


def test_the_owner_can_allow_self_review(client_for, project, video, alice, rita, rita_submitted):
    response = _allow_self_review(client_for(alice), project, True)
    assert response.status_code == 200
    assert response.json()["allow_self_review"] is True
    assert _review(client_for(rita), video, rita_submitted).status_code == 200


def test_self_review_is_off_by_default(client_for, project, alice):
    assert (
        client_for(alice).get(f"/api/projects/{project.id}/").json()["allow_self_review"] is False
    )


@pytest.mark.parametrize("who,status", [("rita", 403), ("bob", 403), ("vic", 403), ("eve", 404)])
def test_only_the_owner_toggles_self_review(request, client_for, project, who, status):
    response = _allow_self_review(client_for(request.getfixturevalue(who)), project, True)
    assert response.status_code == status
    project.refresh_from_db()
    assert project.allow_self_review is False


def test_the_review_queue_says_who_submitted_and_last_edited(
    client_for, project, rita, rita_submitted
):
    queue = client_for(rita).get(f"/api/projects/{project.id}/review-queue/").json()
    assert queue[0]["submitted_by"]["username"] == "rita"
    assert queue[0]["updated_by"]["username"] == "rita"
