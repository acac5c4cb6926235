from __future__ import annotations

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from backend.interchange import formats
from backend.interchange.services import project_export, project_import
from backend.labels.models import Instance
from backend.labels.services import labels_save
from backend.projects.services import skeleton_update
from tests.backend.interchange.helpers import OPENFIELD, by_image, original_table, unzip

NODES = ["snout", "leftear", "rightear", "tailbase"]


def _read(root):
    nwb_files = list(root.glob("*.nwb"))
    assert len(nwb_files) == 1
    return NWBHDF5IO(str(nwb_files[0]), mode="r")


def test_nwb_is_an_export_format():
    assert "nwb" in formats.export_formats()
    assert formats.formats()["nwb"].load is None


def test_openfield_to_nwb_and_back(shared_data_dir, alice, tmp_path):
    project = project_import(path=shared_data_dir / OPENFIELD, owner=alice)
    nodes = [{"id": n.id, "name": n.name} for n in project.nodes.all()]
    edges = [["snout", "leftear"], ["snout", "rightear"], ["leftear", "tailbase"]]
    skeleton_update(project=project, data={"nodes": nodes, "edges": edges, "symmetries": []})
    root = unzip(project_export(project=project, format="nwb", dest=tmp_path), tmp_path / "o")
    original = by_image(original_table(shared_data_dir / OPENFIELD,
                                       "labeled-data/m4s1/CollectedData_Pranav.csv"))  # fmt: skip
    with _read(root) as io:
        nwb = io.read()
        behavior = nwb.processing["behavior"]
        (skeleton,) = behavior["Skeletons"].skeletons.values()
        assert list(skeleton.nodes[:]) == NODES
        assert [[NODES[a], NODES[b]] for a, b in skeleton.edges[:]] == edges
        # PoseEstimation: one container (a single untracked animal), a series per node.
        (pose,) = [v for k, v in behavior.data_interfaces.items() if k.startswith("PoseEst")]
        assert pose.skeleton.nodes[:].tolist() == NODES
        assert sorted(pose.pose_estimation_series) == sorted(NODES)  # HDF5 sorts names
        video = pose.source_video
        files = list(video.external_file[:])
        assert len(files) == 116 and all((root / f).is_file() for f in files)
        frames = np.rint(pose.pose_estimation_series["snout"].timestamps[:] * video.rate)
        xy = np.stack([pose.pose_estimation_series[n].data[:] for n in NODES], axis=1)
        assert xy.shape == (116, 4, 2)
        for frame, points in zip(frames.astype(int), xy, strict=True):
            image = files[frame].rsplit("_", 1)[-1]  # videos/m4s1/000037_img0037.png
            np.testing.assert_allclose(points.reshape(-1), original[image], atol=1e-3)
        assert np.all(pose.pose_estimation_series["snout"].confidence[:] == 1.0)
        # PoseTraining: the same human labels frame by frame, pointing into the video.
        training = behavior["PoseTraining"].training_frames.training_frames
        assert len(training) == 116
        for frame in list(training.values())[:5]:
            index = int(frame.source_video_frame_index)
            (inst,) = frame.skeleton_instances.skeleton_instances.values()
            image = frame.source_video.external_file[index].rsplit("_", 1)[-1]
            np.testing.assert_allclose(inst.node_locations[:].reshape(-1), original[image],
                                       atol=1e-3)  # fmt: skip


def test_nwb_tracks_missing_points_and_scores(project, video, alice, tmp_path):
    ids = list(project.nodes.values_list("id", flat=True))
    labels_save(video=video, frame_index=2, user=alice, version=0, instances=[
        {"track": "mouse1", "points": [
            {"node": ids[0], "x": 10.25, "y": 20.5, "visibility": 2},
            {"node": ids[1], "x": 30.125, "y": 40.0, "visibility": 1}]},
        {"track": "mouse2", "points": [{"node": ids[2], "x": 50.0, "y": 60.0, "visibility": 2}]},
    ])  # fmt: skip
    frame = labels_save(video=video, frame_index=5, user=alice, version=0, instances=[
        {"track": "mouse1", "points": [{"node": ids[0], "x": 11.0, "y": 21.0, "visibility": 2}]},
    ])  # fmt: skip
    model = Instance.objects.create(
        labeled_frame=frame,
        track="mouse2", source="model",
        points=[{"node": ids[2], "x": 5.5, "y": 6.5, "visibility": 2, "score": 0.625}],
    )  # fmt: skip
    assert model.pk
    root = unzip(project_export(project=project, format="nwb", labels="all", dest=tmp_path),
                 tmp_path / "o")  # fmt: skip
    names = list(project.nodes.values_list("name", flat=True))
    with _read(root) as io:
        behavior = io.read().processing["behavior"]
        poses = {k: v for k, v in behavior.data_interfaces.items() if k.startswith("PoseEst")}
        assert sorted(poses) == [
            f"PoseEstimation_{video.name.rsplit('.', 1)[0]}_{t}"
            for t in ("mouse1", "mouse2", "mouse2_model")
        ]
        by_track = {k.split("_", 2)[-1]: v for k, v in poses.items()}
        mouse1 = by_track["mouse1"].pose_estimation_series
        fps = by_track["mouse1"].source_video.rate
        np.testing.assert_allclose(mouse1[names[0]].timestamps[:] * fps, [2, 5])
        np.testing.assert_allclose(mouse1[names[0]].data[:], [[10.25, 20.5], [11.0, 21.0]])
        np.testing.assert_allclose(mouse1[names[1]].data[0], [30.125, 40.0])
        assert np.isnan(mouse1[names[1]].data[1]).all() and np.isnan(mouse1[names[2]].data[:]).all()
        predicted = by_track["mouse2_model"].pose_estimation_series[names[2]]
        np.testing.assert_allclose(predicted.data[:], [[5.5, 6.5]])
        assert predicted.confidence[:].tolist() == pytest.approx([0.625])
        assert by_track["mouse2_model"].scorer == "model"
