"""The demo project a new user finds after `make run`: ready to label and to train."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from backend.common import storage
from backend.demo import synthetic
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.projects.models import Project
from backend.projects.services import project_create, skeleton_update
from backend.videos.models import Video
from backend.videos.services import video_create_from_path

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "poseforge-demo"
DEMO_PROJECT = "Demo: synthetic mouse"
LABELED_FRAMES = [0, 20, 45, 70, 95, 120, 150, 180, 210, 240, 270, 295]


def demo_user():
    """The embedded mode's first person: site staff, so they can add the lab's people."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=DEMO_USERNAME)
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
    user.is_staff = True
    user.save()
    return user


def demo_seed(*, n_frames: int = 300) -> Project:
    """Create the demo user and project once; later calls return the existing project."""
    user = demo_user()
    existing = Project.objects.filter(name=DEMO_PROJECT, memberships__user=user).first()
    if existing is not None:
        return existing
    with tempfile.TemporaryDirectory() as tmp:
        video = synthetic.write_synthetic_video(
            Path(tmp) / "synthetic-mouse.mp4", n_frames=n_frames
        )
        with transaction.atomic():
            project = project_create(
                name=DEMO_PROJECT,
                description="A synthetic articulated mouse with known ground truth. "
                "Label a few more frames, then train.",
                owner=user,
            )
            skeleton = skeleton_update(
                project=project,
                data={
                    "nodes": [
                        {"name": n, "color": c}
                        for n, c in zip(synthetic.NODE_NAMES, synthetic.COLORS, strict=True)
                    ],
                    "edges": [list(e) for e in synthetic.EDGES],
                    "symmetries": [list(s) for s in synthetic.SYMMETRIES],
                },
            )
            stored = video_create_from_path(project=project, path=video.path)
            _label_ground_truth(stored, video.keypoints, [n["id"] for n in skeleton["nodes"]], user)
        _save_ground_truth(stored, video.keypoints)
    return project


def _label_ground_truth(video: Video, keypoints, node_ids: list[int], user) -> None:
    for index in [i for i in LABELED_FRAMES if i < len(keypoints)]:
        points = [
            {"node": node_id, "x": round(float(x), 3), "y": round(float(y), 3), "visibility": 2}
            for node_id, (x, y) in zip(node_ids, keypoints[index], strict=True)
        ]
        labels_save(
            video=video,
            frame_index=index,
            user=user,
            version=0,
            instances=[{"track": None, "source": "human", "points": points}],
        )
    LabeledFrame.objects.filter(video=video).update(status=LabeledFrame.Status.APPROVED)


def _save_ground_truth(video: Video, keypoints) -> None:
    """Keep every frame's true keypoints beside the video (for checking trained models)."""
    key = video.file.name.rsplit(".", 1)[0] + ".groundtruth.json"
    truth = {"node_names": synthetic.NODE_NAMES, "keypoints": keypoints.round(3).tolist()}
    storage.save_bytes(key, json.dumps(truth).encode())
