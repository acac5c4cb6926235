"""Multi-animal loaders: a DLC project written here, and the real MontBlanc / centered-pair data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from ml_worker.multi_data import MultiAnimalLabels, load_dlc_multianimal, load_slp_as_labels

from .conftest import data_dir

MONTBLANC = "MontBlanc-Daniel-2019-12-16"
CENTERED_PAIR = "sleap-centered-pair"


def real(name: str) -> Path:
    path = data_dir() / name
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set POSEFORGE_DATA_DIR)")
    return path


def write_dlc_project(root: Path) -> None:
    """Two frames, two birds, nodes head/leftwing/rightwing; bird2 absent from the 2nd frame."""
    (root / "labeled-data" / "v").mkdir(parents=True)
    (root / "config.yaml").write_text(yaml.safe_dump({
        "multianimalproject": True, "individuals": ["bird1", "bird2"],
        "multianimalbodyparts": ["head", "leftwing", "rightwing"], "uniquebodyparts": [],
        "skeleton": [["head", "leftwing"], ["head", "rightwing"]], "bodyparts": "MULTI!",
    }))  # fmt: skip
    for name in ("img0.png", "img1.png"):
        Image.fromarray(np.full((20, 30, 3), 7, np.uint8)).save(root / "labeled-data/v" / name)
    cols = [(ind, part, c) for ind in ("bird1", "bird2")
            for part in ("head", "leftwing", "rightwing") for c in "xy"]
    header = ["scorer,", "individuals,", "bodyparts,", "coords,"]
    header = [h + ",".join(["me"] * len(cols)) if i == 0 else
              h + ",".join(c[i - 1] for c in cols) for i, h in enumerate(header)]
    rows = ["labeled-data/v/img0.png," + ",".join(str(v) for v in range(1, 13)),
            "labeled-data/v/img1.png,1,2,,,5,6" + ",,,,,,"]
    (root / "labeled-data/v/CollectedData_me.csv").write_text("\n".join(header + rows) + "\n")


def test_dlc_multianimal_csv_gives_one_instance_per_labeled_individual(tmp_path):
    write_dlc_project(tmp_path)
    labels = load_dlc_multianimal(tmp_path)
    assert labels.keys == ["labeled-data/v/img0.png", "labeled-data/v/img1.png"]
    assert labels.node_names == ["head", "leftwing", "rightwing"]
    assert labels.edges == [(0, 1), (0, 2)]
    assert labels.symmetries == [(1, 2)]
    assert labels.tracks == [["bird1", "bird2"], ["bird1"]]
    np.testing.assert_array_equal(labels.points[0][1], [[7, 8], [9, 10], [11, 12]])
    assert labels.points[1].shape == (1, 3, 2)
    assert np.isnan(labels.points[1][0, 1]).all()
    assert labels.images[0].shape == (20, 30, 3)


def test_gt_arrays_and_pose_dataset_keep_every_animal(tmp_path):
    write_dlc_project(tmp_path)
    labels = load_dlc_multianimal(tmp_path)
    points, vis = labels.gt_arrays()
    assert points.shape == (2, 2, 3, 2)
    assert vis[1].tolist() == [[2, 0, 2], [0, 0, 0]]
    dataset = labels.to_pose_dataset()
    assert [s.keypoints.shape for s in dataset.samples] == [(2, 3, 2), (1, 3, 2)]
    assert dataset.samples[0].tracks == ["bird1", "bird2"]
    assert dataset.symmetries == [(1, 2)]
    only = labels.subset(["labeled-data/v/img1.png"])
    assert isinstance(only, MultiAnimalLabels) and only.tracks == [["bird1"]]


def test_single_animal_dlc_projects_are_refused(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"bodyparts": ["a"]}))
    with pytest.raises(ValueError, match="not a multi-animal project"):
        load_dlc_multianimal(tmp_path)


def test_montblanc_has_42_frames_of_up_to_7_birds():
    labels = load_dlc_multianimal(real(MONTBLANC))
    assert len(labels) == 42
    assert labels.max_instances == 7
    assert labels.node_names == ["head", "tail", "leftwing", "rightwing"]
    assert labels.images[0].shape == (1080, 1920, 3)
    assert sum(len(p) for p in labels.points) == 164  # individuals with any labeled point
    assert all(np.isfinite(p).all(-1).any(-1).all() for p in labels.points)


def test_centered_pair_predictions_become_two_flies_per_frame():
    folder = real(CENTERED_PAIR)
    labels = load_slp_as_labels(folder / "centered_pair_predictions.slp", frames=[0, 25, 500],
                                min_instance_score=5.0)
    assert labels.keys == ["frame0", "frame25", "frame500"]
    assert labels.frame_indices == [0, 25, 500]
    assert len(labels.node_names) == 24
    assert (4, 5) in labels.symmetries  # wingL / wingR
    assert [len(p) for p in labels.points] == [2, 2, 2]  # frame 25's score-1.2 ghost is dropped
    assert labels.images[0].shape == (384, 384, 3)
    everything = load_slp_as_labels(folder / "centered_pair_predictions.slp", frames=[25],
                                    min_instance_score=0.0)
    assert len(everything.points[0]) == 3
