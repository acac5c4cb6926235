"""Top-down with several animals per frame: peak finding, training, inference, export."""

import zipfile
from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
import torch

from ml_worker.artifacts import ModelArtifact, predict_instances
from ml_worker.config import preset
from ml_worker.dataset import PoseDataset, PoseSample, make_split
from ml_worker.export import export_onnx, export_torchscript
from ml_worker.heatmaps import find_local_peaks, make_confmaps, peak_focal_loss
from ml_worker.model import build_model
from ml_worker.pipeline import plan_geometry
from ml_worker.train import train

NODES = ["head", "left", "right", "tail"]
H, W = 96, 128
LOCAL = np.array([[10, 0], [3, -5], [3, 5], [-10, 0]], np.float32)
COLOURS = [(255, 255, 255), (255, 60, 60), (60, 255, 60), (60, 60, 255)]


def draw_frame(rng: np.random.Generator, n_animals: int) -> tuple[np.ndarray, np.ndarray]:
    """A dark frame with ``n_animals`` blob figures at least 30 px apart: image, ``(I, K, 2)``."""
    centres: list[np.ndarray] = []
    while len(centres) < n_animals:
        c = rng.uniform([16, 16], [W - 16, H - 16])
        if all(np.linalg.norm(c - o) > 30 for o in centres):
            centres.append(c)
    yy, xx = np.mgrid[0:H, 0:W]
    image = np.full((H, W, 3), 20, np.float32)
    points = np.zeros((n_animals, len(NODES), 2), np.float32)
    for i, (cx, cy) in enumerate(centres):
        angle = rng.uniform(0, 2 * np.pi)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        points[i] = LOCAL @ rot.T + [cx, cy]
        image += 90 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 8.0**2))[..., None]
        for (x, y), colour in zip(points[i], COLOURS, strict=True):
            blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
            image += blob[..., None] * np.array(colour)
    return np.clip(image, 0, 255).astype(np.uint8), points


def multi_dataset(seed: int, counts: list[int]) -> PoseDataset:
    rng = np.random.default_rng(seed)
    samples = []
    for f, n in enumerate(counts):
        image, points = draw_frame(rng, n)
        samples.append(PoseSample.from_points(image, points, f"s{seed}/f{f:03d}"))
    return PoseDataset(samples, list(NODES), [(1, 2)])


def test_local_peaks_find_every_animal_and_respect_the_minimum_distance():
    stride = 2
    centres = torch.tensor([[[20.0, 30.0], [60.0, 12.0], [63.6, 16.8], [float("nan")] * 2]])
    maps = make_confmaps(centres, 32, 48, stride, 2.0).amax(dim=1, keepdim=True)
    maps = torch.cat([maps, torch.zeros_like(maps)])  # second image: no animal
    points, scores = find_local_peaks(maps, stride, count=4, threshold=0.3, nms_radius=4)
    assert points.shape == (2, 4, 2) and scores.shape == (2, 4)
    found = points[0][scores[0] > 0]
    # (60, 12) and (63.6, 16.8) are closer than the suppression radius: one peak for both
    assert len(found) == 2
    first, second = sorted(found.tolist())
    assert np.allclose(first, [20.0, 30.0], atol=0.3)
    assert np.hypot(second[0] - 61.8, second[1] - 14.4) < 3
    assert torch.isnan(points[1]).all() and (scores[1] == 0).all()


def test_focal_loss_has_no_plateau_and_learns_empty_maps():
    target = make_confmaps(torch.tensor([[[10.0, 10.0]]]), 16, 16, 1, 1.5)
    empty = torch.zeros(1, 1, 16, 16)
    mask = torch.ones(1, 1)
    right = torch.where(target > 0.75, 5.0, -5.0)
    assert peak_focal_loss(right, target, mask) < 0.1 < peak_focal_loss(-right, target, mask)
    assert peak_focal_loss(torch.full_like(empty, -6.0), empty, mask) < peak_focal_loss(
        torch.full_like(empty, 0.0), empty, mask)


def random_multi_artifact(max_instances: int = 3) -> ModelArtifact:
    torch.manual_seed(0)
    cfg = replace(preset("fast"), filters=8, max_crop_size=48)
    _, points = draw_frame(np.random.default_rng(0), 2)
    geometry = plan_geometry(cfg, points, (H, W), max_instances=max_instances)
    state = {"centroid": build_model(geometry.centroid).state_dict(),
             "instance": build_model(geometry.instance).state_dict()}
    return ModelArtifact(cfg, geometry, list(NODES), [(0, 1)], [(1, 2)], state)


def test_the_multi_instance_graph_exports_with_a_fixed_instance_axis(tmp_path):
    artifact = random_multi_artifact(3)
    frames = np.stack([draw_frame(np.random.default_rng(s), 2)[0] for s in range(3)])
    ref = predict_instances(artifact, frames, device="cpu")
    assert ref.points.shape == (3, 3, 4, 2) and ref.instance_scores.shape == (3, 3)
    o_points, o_scores, o_inst = ort.InferenceSession(
        str(export_onnx(artifact, tmp_path / "m.onnx"))).run(None, {"frames": frames})
    np.testing.assert_allclose(o_points, ref.points, atol=0.5)  # NaN slots match too
    np.testing.assert_allclose(o_inst, ref.instance_scores, atol=1e-2)
    ts = torch.jit.load(str(export_torchscript(artifact, tmp_path / "m.ts")))
    with torch.no_grad():
        t_points = ts(torch.from_numpy(frames))[0].numpy()
    np.testing.assert_allclose(t_points, ref.points, atol=0.5)


def match_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Largest mean node error after matching each ground-truth animal to its nearest prediction."""
    worst = 0.0
    for animal in gt:
        errors = np.linalg.norm(pred - animal[None], axis=-1).mean(axis=-1)
        worst = max(worst, float(np.nanmin(errors)))
    return worst


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    counts = [2, 3, 2, 3, 1, 2, 3, 0] * 4
    ds = multi_dataset(0, counts)
    # a fixed step count (not a time budget) so a busy machine cannot make the test flaky;
    # about 40 s on an idle 2-core CPU; 160 steps left seed-to-seed worst errors of 2.5-4.7 px
    # against the 4 px bar, 240 steps 1.2-2.6 px
    cfg = replace(preset("fast"), max_seconds=None, max_steps=240, batch_size=8, filters=8,
                  num_threads=2, centroid_time_fraction=0.3, centroid_downsample=2,
                  early_stopping_patience=50)
    split = make_split(ds.keys, 0.2, seed=0)
    return train(cfg, ds, split, tmp_path_factory.mktemp("multi"))


def test_training_finds_every_animal_and_none_on_empty_frames(trained):
    artifact = trained.artifact
    assert artifact.max_instances == 3 and artifact.geometry.multi_instance
    assert {"map_oks", "rmse_px", "missed_instances"} <= set(artifact.metrics)
    test = multi_dataset(1, [2, 3, 2, 3, 0, 0])
    frames = np.stack([s.image for s in test.samples])
    preds = predict_instances(artifact, frames, device="cpu")
    # the centroid threshold was chosen on the validation frames, among the candidates
    table = artifact.extra["centroid_thresholds"]
    assert artifact.geometry.centroid_threshold in {row["threshold"] for row in table}
    assert max(row["f1"] for row in table) > 0.9
    for f, sample in enumerate(test.samples):
        confident = preds.instance_scores[f] > 0  # slots below the threshold are empty (0)
        assert confident.sum() == sample.num_instances, (f, preds.instance_scores[f])
        if sample.num_instances:
            assert match_error(preds.points[f][confident], sample.keypoints) < 4.0
    # an artifact reloaded from disk predicts the same
    again = predict_instances(ModelArtifact.from_dir(trained.out_dir), frames, device="cpu")
    np.testing.assert_allclose(again.points, preds.points, atol=1e-4)


def test_bottom_up_trains_saves_predicts_and_exports_through_the_same_entry_points(tmp_path):
    from ml_worker.export import write_download_zip

    ds = multi_dataset(2, [2, 3, 1, 0, 2, 3, 2, 2, 3, 1])
    cfg = replace(preset("fast"), model_kind="bottom_up", max_seconds=12.0, filters=8,
                  num_threads=2, batch_size=4)
    result = train(cfg, ds, make_split(ds.keys, 0.2, seed=0), tmp_path / "bu")
    assert result.status == "completed" and result.steps > 0
    loaded = ModelArtifact.from_dir(tmp_path / "bu")
    assert loaded.model_kind == "bottom_up" and loaded.max_instances == 3
    assert loaded.geometry is None and {"map_oks", "rmse_px"} <= set(loaded.metrics)
    frames = np.stack([s.image for s in ds.samples[:4]])
    preds = predict_instances(loaded, frames, device="cpu")
    assert preds.points.shape == (4, 3, 4, 2) and preds.instance_scores.shape == (4, 3)
    assert np.isfinite(preds.scores).all() and np.isfinite(preds.instance_scores).all()
    with zipfile.ZipFile(write_download_zip(tmp_path / "bu", tmp_path / "bu.zip")) as zf:
        assert {"weights.ts", "model.onnx", "config.json"} <= set(zf.namelist())
        assert "pafs" in zf.read("README.md").decode()
    # the platform's video path: inference_run.predict (torch, no features) and its summary
    from ml_worker.inference_run import predict, summarize

    video = write_video(tmp_path / "bu.mp4", frames)
    on_video = predict(loaded, video, lambda *_: None, lambda: False)
    assert on_video.points.shape == (4, 3, 4, 2) and on_video.features is None
    assert on_video.node_names == NODES and summarize(on_video, 1.0)["frames"] == 4


def write_video(path, frames: np.ndarray):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "18"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")))
        container.mux(stream.encode(None))
    return path


def test_video_inference_keeps_the_instance_axis_with_torch_and_onnx(trained, tmp_path):
    from ml_worker.infer import VideoPredictions, iter_frames, onnx_session, predict_video

    frames = np.stack([s.image for s in multi_dataset(3, [2, 3, 0, 2, 1, 3]).samples])
    video = write_video(tmp_path / "multi.mp4", frames)
    decoded = np.stack([f for _, f in iter_frames(video)])
    preds = predict_video(trained.artifact, video, batch_size=4, with_features=True)
    direct = predict_instances(trained.artifact, decoded, device="cpu")
    assert preds.points.shape == (6, 3, 4, 2) and preds.features.shape[0] == 6
    np.testing.assert_allclose(preds.points, direct.points, atol=1e-3)
    np.testing.assert_allclose(preds.instance_scores, direct.instance_scores, atol=1e-4)
    assert (preds.track_ids == -1).all()
    back = VideoPredictions.load_npz(preds.save_npz(tmp_path / "p.npz"))
    np.testing.assert_array_equal(back.instance_scores, preds.instance_scores)
    session = onnx_session(trained.artifact, tmp_path / "m.onnx", num_threads=1)
    via_onnx = predict_video(session, video, batch_size=4, with_features=True)
    np.testing.assert_allclose(via_onnx.points, preds.points, atol=1e-2)
    np.testing.assert_allclose(via_onnx.features, preds.features, atol=1e-2)


def test_predictions_without_an_instance_axis_read_as_one_animal(tmp_path):
    from ml_worker.infer import VideoPredictions

    points = np.random.default_rng(0).uniform(0, 50, (5, 4, 2)).astype(np.float32)
    old = {"points": points, "scores": np.full((5, 4), 0.9, np.float32),
           "anchors": points.mean(axis=1), "frame_indices": np.arange(5),
           "meta": np.array('{"fps": 25, "frame_count": 5, "width": 80, "height": 64, '
                            '"node_names": ["a", "b", "c", "d"]}')}
    np.savez(tmp_path / "old.npz", **old)
    preds = VideoPredictions.load_npz(tmp_path / "old.npz")
    assert preds.points.shape == (5, 1, 4, 2) and preds.anchors.shape == (5, 1, 2)
    np.testing.assert_allclose(preds.instance_scores, 0.9)
    assert (preds.track_ids == -1).all() and preds.track_names == []


def test_model_kind_and_max_instances_are_validated():
    from ml_worker.config import ConfigError, TrainConfig

    assert TrainConfig.from_dict({"model_kind": "bottom_up", "max_instances": 4}).max_instances == 4
    for bad, name in (({"model_kind": "sideways"}, "model_kind"),
                      ({"max_instances": 0}, "max_instances"),
                      ({"max_instances": 2.5}, "max_instances")):
        with pytest.raises(ConfigError) as error:
            TrainConfig.from_dict(bad)
        assert error.value.field == name
