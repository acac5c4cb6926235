"""A run's predictions download as NWB (ndx-pose): one PoseEstimation per track, with the
tracks as proofread. The run is the two tracked mice of
:mod:`tests.backend.inference.test_multi_instance` (mouse-a walks right from x=20,
mouse-b stands at x=80 and is missing on frame 3)."""

from __future__ import annotations

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from backend.inference.models import InferenceRun
from tests.backend.inference.test_multi_instance import (  # noqa: F401
    NAMES,
    _two_mice,
    _write,
    version,
)

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture
def mice_run(project, video, version, alice):  # noqa: F811
    return InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=alice,
        status=InferenceRun.Status.SUCCEEDED,
        predictions_file=_write(f"mice-{video.id}", ["mouse-a", "mouse-b"], **_two_mice()),
    )  # fmt: skip


def _nwb(client, run, tmp_path, name="run.nwb"):
    response = client.get(f"/api/inference-runs/{run.id}/export/nwb/")
    assert response.status_code == 200, getattr(response, "data", response)
    assert response["Content-Disposition"].endswith('.nwb"')
    path = tmp_path / name
    path.write_bytes(b"".join(response.streaming_content))
    return path


def _tracks(path, fps: float) -> dict[str, tuple[list[int], np.ndarray, np.ndarray]]:
    """Per PoseEstimation: (frame indices, snout x, snout confidence)."""
    with NWBHDF5IO(str(path), mode="r") as io:
        nwb = io.read()
        (module,) = [m for name, m in nwb.processing.items() if name.startswith("SLEAP_VIDEO_000")]
        out = {}
        for name, pose in module.data_interfaces.items():
            assert sorted(pose.pose_estimation_series) == sorted(NAMES)
            assert list(pose.skeleton.nodes[:]) == NAMES
            assert pose.skeleton.edges[:].tolist() == [[0, 1], [0, 2]]
            snout = pose.pose_estimation_series["snout"]
            frames = np.rint(snout.timestamps[:] * fps).astype(int).tolist()
            for node in NAMES[1:]:  # the timestamps are stored once, linked from every node
                series = pose.pose_estimation_series[node]
                assert series.timestamps[:].tolist() == snout.timestamps[:].tolist()
            out[name] = (frames, snout.data[:, 0], snout.confidence[:])
        return out


def test_the_run_is_offered_as_nwb(client_for, mice_run, vic):
    body = client_for(vic).get(f"/api/inference-runs/{mice_run.id}/").json()
    assert body["exports"]["nwb"] == f"/api/inference-runs/{mice_run.id}/export/nwb/"


def test_each_track_is_a_pose_estimation_with_the_proofread_identities(
    client_for, mice_run, video, bob, vic, tmp_path
):
    before = _tracks(_nwb(client_for(vic), mice_run, tmp_path, "before.nwb"), video.fps)
    assert sorted(before) == ["track=mouse-a", "track=mouse-b"]
    frames, x, confidence = before["track=mouse-a"]
    assert frames == list(range(10)) and x.tolist() == [20 + f for f in range(10)]
    np.testing.assert_allclose(confidence, 0.9, rtol=1e-6)
    assert before["track=mouse-b"][0] == [0, 1, 2, 4, 5, 6, 7, 8, 9]  # missing on frame 3

    swap = {"op": "swap", "tracks": ["mouse-a", "mouse-b"], "start": 5, "version": 0}
    response = client_for(bob).post(f"/api/inference-runs/{mice_run.id}/tracks/edits/", swap,
                                    format="json")  # fmt: skip
    assert response.status_code == 201, response.json()

    after = _tracks(_nwb(client_for(vic), mice_run, tmp_path, "after.nwb"), video.fps)
    frames, x, _ = after["track=mouse-a"]
    assert frames == list(range(10))
    assert x.tolist() == [20, 21, 22, 23, 24, 80, 80, 80, 80, 80]
    frames, x, _ = after["track=mouse-b"]
    assert frames == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert x.tolist() == [80, 80, 80, 80, 25, 26, 27, 28, 29]


def test_sleap_io_reads_the_file_back(client_for, mice_run, vic, tmp_path):
    import sleap_io as sio

    labels = sio.load_nwb(str(_nwb(client_for(vic), mice_run, tmp_path)))
    assert labels.skeleton.node_names == NAMES
    assert len(labels.labeled_frames) == 10
    by_frame = {lf.frame_idx: sorted(i.numpy()[0, 0] for i in lf.instances)
                for lf in labels.labeled_frames}  # fmt: skip
    assert by_frame[7] == [27.0, 80.0] and by_frame[3] == [23.0]
    assert all(isinstance(i, sio.PredictedInstance) for i in labels.labeled_frames[0].instances)
