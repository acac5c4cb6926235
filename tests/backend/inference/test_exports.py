"""A run's predictions download as DLC CSV/H5, SLEAP .slp and a labeled mp4 others can read."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def _download(client, run, fmt, **params) -> bytes:
    response = client.get(f"/api/inference-runs/{run.id}/export/{fmt}/", params)
    assert response.status_code == 200, getattr(response, "data", response)
    return b"".join(response.streaming_content)


def test_dlc_csv_reads_back_with_pandas(client_for, finished_run, vic):
    data = _download(client_for(vic), finished_run, "dlc-csv")
    table = pd.read_csv(io.BytesIO(data), header=[0, 1, 2], index_col=0)
    assert table.shape == (60, 9)
    assert list(table.columns.get_level_values(1).unique()) == ["snout", "left_ear", "right_ear"]
    assert list(table.columns.get_level_values(2)[:3]) == ["x", "y", "likelihood"]
    assert table.columns.names == ["scorer", "bodyparts", "coords"]


def test_dlc_h5_reads_back_under_df_with_missing(client_for, finished_run, vic, tmp_path):
    path = tmp_path / "pred.h5"
    path.write_bytes(_download(client_for(vic), finished_run, "dlc-h5"))
    table = pd.read_hdf(path, key="df_with_missing")
    assert table.shape == (60, 9)
    assert table.index.tolist() == list(range(60))


def test_slp_holds_predicted_instances_with_scores(client_for, finished_run, vic, tmp_path):
    import sleap_io as sio

    path = tmp_path / "pred.slp"
    path.write_bytes(_download(client_for(vic), finished_run, "slp"))
    labels = sio.load_slp(str(path))
    assert labels.skeleton.node_names == ["snout", "left_ear", "right_ear"]
    assert len(labels.labeled_frames) == 60
    instance = labels.labeled_frames[0].instances[0]
    assert isinstance(instance, sio.PredictedInstance)
    assert np.isfinite(instance.numpy()).all() and instance.score > 0


def test_labeled_video_decodes_and_seeks_with_range(client_for, finished_run, vic, tmp_path):
    import av

    client = client_for(vic)
    path = tmp_path / "labeled.mp4"
    path.write_bytes(_download(client, finished_run, "video"))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 60
    response = client.get(
        f"/api/inference-runs/{finished_run.id}/export/video/", HTTP_RANGE="bytes=10-19"
    )
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{path.stat().st_size}"
    assert b"".join(response.streaming_content) == path.read_bytes()[10:20]


def test_unknown_formats_and_unfinished_runs_are_refused(client_for, finished_run, vic):
    response = client_for(vic).get(f"/api/inference-runs/{finished_run.id}/export/xls/")
    assert response.status_code == 400
