from __future__ import annotations

import json

import numpy as np

from backend.interchange import formats
from backend.interchange.services import project_export, project_import
from backend.labels.models import Instance
from backend.labels.services import labels_save
from tests.backend.interchange.helpers import (
    OPENFIELD,
    REACHING,
    by_image,
    openfield_subset,
    original_table,
    unzip,
)


def _by_name(project):
    names = dict(project.nodes.values_list("id", "name"))
    return sorted(
        (
            i.track,
            sorted(
                (names[p["node"]], round(p["x"], 3), round(p["y"], 3), p["visibility"])
                for p in i.points
            ),
        )  # fmt: skip
        for i in Instance.objects.filter(labeled_frame__video__project=project)
    )


def test_coco_round_trip_reaching(shared_data_dir, alice, tmp_path):
    project = project_import(path=shared_data_dir / REACHING, owner=alice)
    out = unzip(project_export(project=project, format="coco", dest=tmp_path), tmp_path / "o")
    doc = json.loads((out / "annotations.json").read_text())
    assert len(doc["images"]) == 55
    assert doc["categories"][0]["keypoints"] == [
        "Hand",
        "Finger1",
        "Tongue",
        "Joystick1",
        "Joystick2",
    ]
    original = by_image(original_table(shared_data_dir / REACHING,
                                       "labeled-data/reachingvideo1/CollectedData_Mackenzie.csv"))  # fmt: skip
    for image in doc["images"]:
        ann = [a for a in doc["annotations"] if a["image_id"] == image["id"]]
        kp = np.asarray(ann[0]["keypoints"], float).reshape(-1, 3)
        row = original[image["file_name"].rsplit("/", 1)[-1]].reshape(-1, 2)
        labeled = ~np.isnan(row).any(axis=1)
        assert np.array_equal(kp[:, 2] == 2, labeled)
        np.testing.assert_allclose(kp[labeled, :2], row[labeled], atol=1e-3)
    again = project_import(path=out, owner=alice, name="again")
    assert _by_name(again) == _by_name(project)
    assert again.edges.count() == 2


def test_coco_tracks_and_occlusion(project, video, alice, tmp_path):
    ids = list(project.nodes.values_list("id", flat=True))
    labels_save(video=video, frame_index=7, user=alice, version=0, instances=[
        {"track": "m1", "points": [{"node": ids[0], "x": 1.5, "y": 2.5, "visibility": 1}]},
        {"track": "m2", "points": [{"node": ids[1], "x": 3.5, "y": 4.5, "visibility": 2}]},
    ])  # fmt: skip
    out = unzip(project_export(project=project, format="coco", labels="all", dest=tmp_path),
                tmp_path / "o")  # fmt: skip
    again = project_import(path=out, owner=alice, name="again")
    assert _by_name(again) == _by_name(project)


def test_lightning_pose_round_trip(shared_data_dir, alice, tmp_path):
    root = openfield_subset(shared_data_dir, tmp_path, n=6)
    project = project_import(path=root, owner=alice)
    out = unzip(project_export(project=project, format="lightning_pose", dest=tmp_path / "x"),
                tmp_path / "o")  # fmt: skip
    assert formats.detect(out).name == "lightning_pose"
    original = by_image(original_table(shared_data_dir / OPENFIELD,
                                       "labeled-data/m4s1/CollectedData_Pranav.csv"))  # fmt: skip
    ours = by_image(original_table(out, "CollectedData.csv"))
    for name, row in ours.items():
        np.testing.assert_allclose(row, original[name], atol=1e-3)
    again = project_import(path=out, owner=alice, name="again")
    assert _by_name(again) == _by_name(project)
