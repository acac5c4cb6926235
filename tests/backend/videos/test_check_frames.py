"""``manage.py check_frames`` finds the work done on frames the old reader decoded wrongly.

The video is an AVI with B-frames, where the old reader returned the previous
frame for most indices (it computed timestamps from the frame rate, but AVI
timestamps are decode order); a few of its frames (keyframe starts) came out right.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import call_command

from backend.common import storage
from backend.inference.models import InferenceRun, Suggestion
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.training.models import ModelVersion, TrainingJob
from backend.training.services import snapshot_freeze
from backend.videos import frame_check, media, services
from tests.backend.videos.helpers import SPECS, write_video
from tests.conftest import node_ids

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture
def avi_video(project, tmp_path):
    codec, pix_fmt, options = SPECS["mpeg4-bf2.avi"]
    path = write_video(tmp_path / "reaching.avi", codec, pix_fmt, options, n_frames=40)
    video = services.video_create_from_path(project=project, path=path)
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    return video


def _old_reader_was_right(video, index: int) -> bool:
    path = storage.local_path(video.file.name)
    return np.array_equal(frame_check.legacy_read_frame(path, index), media.read_frame(path, index))


def _label(video, index: int, user) -> LabeledFrame:
    points = [{"node": n, "x": 10.0, "y": 20.0, "visibility": 2} for n in node_ids(video.project)]
    labels_save(
        video=video, frame_index=index, user=user, version=0, instances=[{"points": points}]
    )
    return LabeledFrame.objects.get(video=video, frame_index=index)


@pytest.fixture
def work(avi_video, alice):
    """Frames 0 (decoded right before) and 5, 7 (decoded wrong) labeled; 5 approved;
    a snapshot of them; a suggestion on frame 9 (wrong) and one on frame 0."""
    assert _old_reader_was_right(avi_video, 0)
    assert not any(_old_reader_was_right(avi_video, i) for i in (5, 7, 9))
    frames = {i: _label(avi_video, i, alice) for i in (0, 5, 7)}
    LabeledFrame.objects.filter(pk=frames[5].pk).update(status=LabeledFrame.Status.APPROVED)
    snapshot = snapshot_freeze(project=avi_video.project, user=alice)
    job = TrainingJob.objects.create(project=avi_video.project, snapshot=snapshot, created_by=alice,
                                     preset="fast", config={}, status="succeeded")  # fmt: skip
    version = ModelVersion.objects.create(project=avi_video.project, job=job, number=1, config={})
    run = InferenceRun.objects.create(project=avi_video.project, model_version=version,
                                      video=avi_video, created_by=alice, render_video=False)  # fmt: skip
    for index in (9, 0):
        Suggestion.objects.create(run=run, video=avi_video, frame_index=index, score=0.5)
    return frames, snapshot


def _check(*args: str) -> str:
    out = io.StringIO()
    call_command("check_frames", *args, stdout=out)
    return out.getvalue()


def test_it_lists_the_labels_snapshots_and_suggestions_made_from_wrong_frames(avi_video, work):
    frames, snapshot = work
    bad = frame_check.video_frames_check(video=avi_video)
    assert [b.frame_index for b in bad] == [5, 7, 9]
    assert bad[0].uses == [f"labeled frame #{frames[5].id} (approved)", f"snapshot #{snapshot.id}"]
    assert bad[2].uses[0].startswith("suggestion #")
    output = _check("--video", str(avi_video.id))
    assert "frame 5:" in output and "frame 9:" in output and "frame 0:" not in output
    assert "3 frames in use were decoded wrongly" in output


def test_it_changes_nothing_without_flag(avi_video, work):
    _check()
    assert LabeledFrame.objects.get(video=avi_video, frame_index=5).status == "approved"
    assert not LabeledFrame.objects.filter(review_comments__isnull=False).exists()


def test_flag_sends_wrong_labeled_frames_back_for_re_review_once(avi_video, work):
    frames, _ = work
    assert "2 labeled frames flagged" in _check("--flag")
    approved = LabeledFrame.objects.get(pk=frames[5].pk)
    assert approved.status == "rejected"
    comment = approved.review_comments.get()
    assert comment.decision == "reject" and "check_frames" in comment.text
    assert approved.history.filter(action="reject").exists()
    untouched = LabeledFrame.objects.get(pk=frames[0].pk)
    assert untouched.status == frames[0].status and not untouched.review_comments.exists()
    # a second run does not pile up comments on frames not yet fixed
    assert "0 labeled frames flagged" in _check("--flag")
    assert approved.review_comments.count() == 1


def test_it_deletes_jpegs_an_older_version_cached(avi_video, work):
    stale = f"{services.frame_cache_prefix(avi_video)}/0000005.jpg"
    storage.save_bytes(stale, b"\xff\xd8 old green frame")
    assert "1 stale cached frames deleted" in _check("--project", str(avi_video.project_id))
    assert not storage.exists(stale)
