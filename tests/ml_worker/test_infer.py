from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from ml_worker.artifacts import ModelArtifact, predict_frames
from ml_worker.config import preset
from ml_worker.infer import Cancelled, VideoPredictions, iter_frames, onnx_session, predict_video
from ml_worker.model import build_model
from ml_worker.pipeline import plan_geometry
from ml_worker.video_render import render_video

NODES = ["head", "left", "right", "tail"]
H, W, N_FRAMES = 64, 80, 24


def track(n: int = N_FRAMES) -> np.ndarray:
    """Known keypoints ``(n, 4, 2)`` of a figure circling the frame."""
    t = np.arange(n) / n * 2 * np.pi
    centre = np.stack([W / 2 + 18 * np.cos(t), H / 2 + 12 * np.sin(t)], axis=1)
    angle = t + np.pi / 2
    local = np.array([[10, 0], [3, -5], [3, 5], [-10, 0]], np.float64)
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x = local[None, :, 0] * cos - local[None, :, 1] * sin
    y = local[None, :, 0] * sin + local[None, :, 1] * cos
    return (np.stack([x, y], axis=-1) + centre[:, None, :]).astype(np.float32)


def write_video(path: Path, keypoints: np.ndarray, fps: int = 25) -> Path:
    """Bright disc with coloured keypoint blobs on a dark background, H.264."""
    yy, xx = np.mgrid[0:H, 0:W]
    colours = np.array([(255, 255, 255), (255, 60, 60), (60, 255, 60), (60, 60, 255)])
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "18"}
        for kp in keypoints:
            cx, cy = kp.mean(axis=0)
            img = np.full((H, W, 3), 20.0)
            img += 120 * (((xx - cx) ** 2 + (yy - cy) ** 2) < 9**2)[..., None]
            for (x, y), colour in zip(kp, colours, strict=True):
                img += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 4.5)[..., None] * colour
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), "rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def random_artifact(seed: int = 0) -> ModelArtifact:
    """An untrained but complete top-down model for 64x80 frames (built in milliseconds)."""
    import torch

    torch.manual_seed(seed)
    cfg = replace(preset("fast"), filters=8, max_crop_size=48)
    geometry = plan_geometry(cfg, track(), (H, W))
    state = {
        "centroid": build_model(geometry.centroid).state_dict(),
        "instance": build_model(geometry.instance).state_dict(),
    }
    return ModelArtifact(cfg, geometry, list(NODES), [(0, 1), (0, 2), (0, 3)], [(1, 2)], state)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "tiny.mp4", track())


@pytest.fixture(scope="module")
def artifact() -> ModelArtifact:
    return random_artifact()


def decoded(video: Path) -> np.ndarray:
    return np.stack([frame for _, frame in iter_frames(video)])


def test_predict_video_matches_predict_frames(video, artifact):
    preds = predict_video(artifact, video, batch_size=8, device="cpu")
    points, scores = predict_frames(artifact, decoded(video), batch_size=8, device="cpu")
    assert len(preds) == preds.frame_count == N_FRAMES
    assert (preds.width, preds.height, round(preds.fps)) == (W, H, 25)
    np.testing.assert_allclose(preds.points, points, atol=1e-4)
    np.testing.assert_allclose(preds.scores, scores, atol=1e-4)
    assert preds.anchors.shape == (N_FRAMES, 1, 2) and preds.features is None
    assert preds.node_names == NODES
    np.testing.assert_array_equal(preds.frame_indices, np.arange(N_FRAMES))


def test_a_range_is_the_same_rows_as_the_whole_video(video, artifact):
    whole = predict_video(artifact, video, batch_size=16)
    part = predict_video(artifact, video, batch_size=5, start=10, stop=21)
    np.testing.assert_array_equal(part.frame_indices, np.arange(10, 21))
    np.testing.assert_allclose(part.points, whole.points[10:21], atol=1e-4)


def test_features_are_pooled_bottleneck_activations(video, artifact):
    preds = predict_video(artifact, video, batch_size=8, with_features=True)
    depth_width = round(
        artifact.geometry.instance.filters
        * artifact.geometry.instance.filters_rate**artifact.geometry.instance.depth
    )
    assert preds.features.shape == (N_FRAMES, depth_width)
    assert preds.features.dtype == np.float16 and np.isfinite(preds.features).all()


def test_progress_is_reported_and_ends_at_one(video, artifact, monkeypatch):
    monkeypatch.setattr("ml_worker.infer.PROGRESS_INTERVAL_S", 0.0)
    calls = []
    predict_video(artifact, video, batch_size=8, on_progress=lambda f, n: calls.append((f, n)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and calls[-1] == (1.0, N_FRAMES)
    assert len(calls) >= N_FRAMES // 8


def test_should_stop_raises_cancelled_with_the_partial_result(video, artifact):
    polls = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) > 2

    with pytest.raises(Cancelled) as info:
        predict_video(artifact, video, batch_size=8, should_stop=stop, with_features=True)
    partial = info.value.partial
    assert len(partial) == 16 and partial.features.shape[0] == 16


def test_npz_round_trip_is_exact(video, artifact, tmp_path):
    preds = predict_video(artifact, video, batch_size=8, with_features=True, stop=12)
    path = preds.save_npz(tmp_path / "preds.npz")
    assert path.is_file() and not (tmp_path / "preds.npz.tmp").exists()
    loaded = VideoPredictions.load_npz(path)
    for name in ("points", "scores", "anchors", "features", "frame_indices", "instance_scores",
                 "track_ids"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(preds, name))
    assert (loaded.fps, loaded.frame_count, loaded.node_names) == (
        preds.fps,
        preds.frame_count,
        preds.node_names,
    )


def test_onnx_session_gives_the_same_predictions(video, artifact, tmp_path):
    session = onnx_session(artifact, tmp_path / "model.onnx", num_threads=1)
    via_onnx = predict_video(session, video, batch_size=8, with_features=True)
    via_torch = predict_video(artifact, video, batch_size=8, with_features=True)
    np.testing.assert_allclose(via_onnx.points, via_torch.points, atol=1e-2)
    np.testing.assert_allclose(via_onnx.anchors, via_torch.anchors, atol=1e-2)
    assert via_onnx.features.shape == via_torch.features.shape


def test_render_writes_a_playable_mp4_with_every_frame(video, artifact, tmp_path):
    preds = predict_video(artifact, video, batch_size=16)
    out = render_video(video, preds, tmp_path / "labeled.mp4", edges=artifact.edges)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.format.name == "yuv420p"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == N_FRAMES and frames[0].shape == (H, W, 3)
    assert not np.array_equal(frames[0], decoded(video)[0])  # something was drawn
