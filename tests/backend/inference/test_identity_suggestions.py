"""Suggestions on a tracked run: the frames that fix identities come first, with reasons.

The run is written in the npz contract (no model): two mice walk towards each other
on one line, meet at frame 4 and part; an identity model hesitates on frame 8.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from backend.common import storage
from backend.inference.models import DEFAULT_WEIGHTS, ActiveLearningSettings, InferenceRun
from backend.inference.suggestions import suggestions_generate
from tests.backend.inference.test_multi_instance import NAMES, SHAPE, version  # noqa: F401

pytestmark = pytest.mark.django_db
FRAMES = 10


def _crossing() -> dict[str, np.ndarray]:
    f = np.arange(FRAMES, dtype=np.float32)
    centres = np.stack(
        [np.stack([20 + 8 * f, 0 * f + 48], 1), np.stack([88 - 8 * f, 0 * f + 48], 1)], 1
    )
    points = (centres[:, :, None, :] + SHAPE).astype(np.float32)  # (F, 2, 3, 2)
    identity = np.tile(np.array([[0.9, 0.1], [0.1, 0.9]], np.float32), (FRAMES, 1, 1))
    identity[8, 1] = [0.45, 0.55]  # mouse-b, barely
    return {
        "points": points, "scores": np.full((FRAMES, 2, 3), 0.9, np.float32),
        "anchors": centres.astype(np.float32), "instance_scores": np.full((FRAMES, 2), 0.9),
        "track_ids": np.tile(np.array([0, 1], np.int32), (FRAMES, 1)),
        "identity_scores": identity, "identity_names": np.array(["mouse-a", "mouse-b"]),
    }  # fmt: skip


@pytest.fixture
def crossing_run(project, video, version, alice):  # noqa: F811
    meta = {"fps": 30.0, "frame_count": FRAMES, "width": 128, "height": 96,
            "node_names": NAMES, "track_names": ["mouse-a", "mouse-b"]}  # fmt: skip
    data = io.BytesIO()
    np.savez(data, frame_indices=np.arange(FRAMES), meta=np.array(json.dumps(meta)), **_crossing())
    key = storage.save_bytes(f"predictions/crossing-{video.id}.npz", data.getvalue())
    return InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=alice,
        status=InferenceRun.Status.SUCCEEDED, predictions_file=key,
        suggestions_config={"n": 3, "weights": dict(DEFAULT_WEIGHTS), "min_gap": 2},
    )  # fmt: skip


def test_the_crossing_and_the_hesitant_identity_are_suggested_first(crossing_run):
    rows = sorted(suggestions_generate(run=crossing_run), key=lambda s: -s.score)
    assert [s.frame_index for s in rows[:2]] == [4, 8]
    crossing, hesitant = rows[0], rows[1]
    assert crossing.reasons[0] == (
        "mouse-a and mouse-b come close and separate: identities may switch here"
    )
    assert crossing.subscores["swap_candidate"] == 1.0
    assert hesitant.reasons[0] == "identity of mouse-b is uncertain (0.55, next 0.45)"
    assert hesitant.subscores["identity_disagreement"] == pytest.approx(0.45)
    assert rows[2].score < 0.5 < hesitant.score


def test_settings_saved_before_the_identity_strategies_read_with_their_defaults(
    client_for, project, bob
):
    old = {k: 1.0 for k in ("uncertainty", "disagreement", "temporal", "diversity")}
    ActiveLearningSettings.objects.create(project=project, weights={**old, "temporal": 2.0})
    body = client_for(bob).get(f"/api/projects/{project.id}/active-learning-settings/").json()
    assert body["weights"] == {**DEFAULT_WEIGHTS, **old, "temporal": 2.0}
    assert body["weights"]["swap_candidate"] == body["weights"]["identity_disagreement"] == 1.0
