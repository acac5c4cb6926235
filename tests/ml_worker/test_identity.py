"""Identity models: when identities are learned, training, metrics, export and video output."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
import torch

from ml_worker.artifacts import ModelArtifact, predict_instances
from ml_worker.config import ConfigError, TrainConfig, preset
from ml_worker.dataset import PoseDataset, PoseSample, make_split
from ml_worker.export import export_onnx, export_torchscript
from ml_worker.identity import IdentityUNet, build_instance_net, identity_names, track_labels
from ml_worker.model import UNet, UNetConfig
from ml_worker.train import train

NODES = ["head", "left", "right", "tail"]
H, W = 96, 128
LOCAL = np.array([[10, 0], [3, -5], [3, 5], [-10, 0]], np.float32)
COLOURS = [(255, 255, 255), (255, 60, 60), (60, 255, 60), (60, 60, 255)]  # one per node
# the two animals differ in body colour and size; their keypoint markers are alike
LOOKS = {"female": ((120, 70, 20), 9.0), "male": ((20, 60, 120), 6.5)}


def draw_pair(rng: np.random.Generator, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A dark frame with one animal per name, at least 34 px apart: image and ``(I, K, 2)``."""
    centres: list[np.ndarray] = []
    while len(centres) < len(names):
        c = rng.uniform([18, 18], [W - 18, H - 18])
        if all(np.linalg.norm(c - o) > 34 for o in centres):
            centres.append(c)
    yy, xx = np.mgrid[0:H, 0:W]
    image = np.full((H, W, 3), 20, np.float32)
    points = np.zeros((len(names), len(NODES), 2), np.float32)
    for i, ((cx, cy), name) in enumerate(zip(centres, names, strict=True)):
        colour, size = LOOKS[name]
        angle = rng.uniform(0, 2 * np.pi)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        points[i] = LOCAL @ rot.T + [cx, cy]
        body = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * size**2))
        image += body[..., None] * np.array(colour, np.float32)
        for (x, y), node_colour in zip(points[i], COLOURS, strict=True):
            blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
            image += blob[..., None] * np.array(node_colour, np.float32)
    return np.clip(image, 0, 255).astype(np.uint8), points


def pair_dataset(seed: int, n_frames: int) -> PoseDataset:
    """Frames with both animals (in a random slot order) or one of them."""
    rng = np.random.default_rng(seed)
    samples = []
    for f in range(n_frames):
        names = list(rng.permutation(["female", "male"]))[: 1 if f % 5 == 4 else 2]
        image, points = draw_pair(rng, names)
        samples.append(PoseSample.from_points(image, points, f"s{seed}/f{f:03d}", tracks=names))
    return PoseDataset(samples, list(NODES), [(1, 2)])


def named(tracks_per_frame: list[list[str | None]]) -> PoseDataset:
    """A dataset of blank frames whose animals carry the given track names."""
    image = np.zeros((8, 8, 3), np.uint8)
    samples = [PoseSample.from_points(image, np.ones((len(t), len(NODES), 2)), f"f{i}", tracks=t)
               for i, t in enumerate(tracks_per_frame)]
    return PoseDataset(samples, list(NODES))


def test_consistent_track_names_are_identities_in_natural_order():
    ds = named([["bird10", "bird2"], ["bird2", "bird10"], ["bird10"], ["bird2", None]] * 5)
    assert identity_names(ds) == ["bird2", "bird10"]
    labels = track_labels(ds, ["bird2", "bird10"], 2)
    np.testing.assert_array_equal(labels[:4], [[1, 0], [0, 1], [1, -1], [0, -1]])


def test_tracker_fragments_repeated_or_missing_names_are_not_identities():
    fragments = named([[f"track_{2 * i}", f"track_{2 * i + 1}"] for i in range(20)])
    repeated = named([["a", "a"], ["a", "b"]] * 5)
    mostly_unnamed = named([["a", None], [None, "b"], [None, None]] * 5)
    one_name = named([["a"]] * 10)
    for ds in (fragments, repeated, mostly_unnamed, one_name):
        assert identity_names(ds) == []
    assert identity_names(mostly_unnamed, "on") == ["a", "b"]
    assert identity_names(repeated, "off") == []
    with pytest.raises(ValueError, match="at least two track names"):
        identity_names(one_name, "on")


def test_the_identity_option_is_validated_like_every_setting():
    assert TrainConfig.from_dict({"identity": "off"}).identity == "off"
    with pytest.raises(ConfigError, match="identity"):
        TrainConfig.from_dict({"identity": "maybe"})
    with pytest.raises(ConfigError, match="identity_loss_weight: must be from 0.01 to 100"):
        TrainConfig.from_dict({"identity_loss_weight": 0})


def test_without_identities_the_instance_net_is_the_plain_unet():
    cfg = UNetConfig(out_channels=4, filters=4, max_stride=8)
    plain = build_instance_net(cfg, [])
    assert type(plain) is UNet
    torch.manual_seed(0)
    with_head = build_instance_net(cfg, ["a", "b", "c"])
    assert isinstance(with_head, IdentityUNet) and with_head.num_identities == 3
    plain.load_state_dict({k: v for k, v in with_head.state_dict().items()
                           if not k.startswith("identity_head")})
    x = torch.rand(2, 3, 32, 32)
    maps, logits = with_head(x)
    assert logits.shape == (2, 3)
    torch.testing.assert_close(plain(x), maps)  # the head reads the net, it changes nothing


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    ds = pair_dataset(0, 30)
    # a fixed step count, not a time budget, so a busy machine cannot make it flaky;
    # about 30 s on an idle 2-core CPU
    cfg = replace(preset("fast"), max_seconds=None, max_steps=160, batch_size=8, filters=8,
                  num_threads=2, centroid_time_fraction=0.3, centroid_downsample=2,
                  early_stopping_patience=50)
    return train(cfg, ds, make_split(ds.keys, 0.2, seed=0), tmp_path_factory.mktemp("identity"))


def test_a_tiny_run_learns_who_is_who_well_above_chance(trained):
    artifact = trained.artifact
    assert artifact.identity_names == ["female", "male"]
    metrics = artifact.metrics
    assert metrics["identity_names"] == ["female", "male"] and metrics["identity_frames"] == 6
    assert metrics["identity_matched_instances"] >= 9
    # chance: 0.5 per animal, 0.25-0.5 per frame
    assert metrics["identity_accuracy"] >= 0.9, metrics
    assert metrics["identity_frame_accuracy"] >= 0.8, metrics
    # on new frames too
    test = pair_dataset(1, 10)
    frames = np.stack([s.image for s in test.samples])
    preds = predict_instances(artifact, frames, device="cpu")
    assert preds.identity_scores.shape == (10, 2, 2)
    right = total = 0
    for f, sample in enumerate(test.samples):
        for points, name in zip(sample.keypoints, sample.tracks, strict=True):
            found = preds.instance_scores[f] > 0
            dist = np.linalg.norm(preds.points[f] - points, axis=-1).mean(-1)
            slot = int(np.nanargmin(np.where(found, dist, np.nan)))
            right += artifact.identity_names[int(preds.identity_scores[f, slot].argmax())] == name
            total += 1
    assert right / total >= 0.85, (right, total)


def test_identity_survives_reload_and_both_exports(trained, tmp_path):
    loaded = ModelArtifact.from_dir(trained.out_dir)
    assert loaded.identity_names == ["female", "male"]
    frames = np.stack([s.image for s in pair_dataset(2, 3).samples])
    ref = predict_instances(trained.artifact, frames, device="cpu")
    again = predict_instances(loaded, frames, device="cpu")
    np.testing.assert_allclose(again.identity_scores, ref.identity_scores, atol=1e-5)
    session = ort.InferenceSession(str(export_onnx(loaded, tmp_path / "m.onnx")))
    assert [o.name for o in session.get_outputs()][-1] == "identity_scores"
    o_points, _, _, o_identity = session.run(None, {"frames": frames})
    np.testing.assert_allclose(o_points, ref.points, atol=0.5)
    np.testing.assert_allclose(o_identity, ref.identity_scores, atol=1e-3)
    ts = torch.jit.load(str(export_torchscript(loaded, tmp_path / "m.ts")))
    with torch.no_grad():
        t_identity = ts(torch.from_numpy(frames))[3].numpy()
    np.testing.assert_allclose(t_identity, ref.identity_scores, atol=1e-3)


def test_video_predictions_carry_identities_and_tracks_are_named_after_them(trained, tmp_path):
    from ml_worker.infer import VideoPredictions, onnx_session, predict_video
    from ml_worker.inference_run import read_prediction_arrays, track

    from .test_multi_topdown import write_video

    frames = np.stack([s.image for s in pair_dataset(3, 6).samples])
    video = write_video(tmp_path / "pair.mp4", frames)
    preds = predict_video(trained.artifact, video, batch_size=4, with_features=True)
    assert preds.identity_scores.shape == (6, 2, 2) and preds.identity_names == ["female", "male"]
    session = onnx_session(trained.artifact, tmp_path / "s.onnx")
    via_onnx = predict_video(session, video, batch_size=4, with_features=True)
    np.testing.assert_allclose(via_onnx.identity_scores, preds.identity_scores, atol=1e-3)
    path = preds.save_npz(tmp_path / "p.npz")
    back = VideoPredictions.load_npz(path)
    np.testing.assert_array_equal(back.identity_scores, preds.identity_scores)
    assert back.identity_names == ["female", "male"]
    arrays = read_prediction_arrays(path)
    assert arrays["identity_names"] == ["female", "male"]
    tracked, summary = track(back, {"identity_window": 0})
    assert tracked.track_names == ["female", "male"] and summary["tracks"] == 2
    found = back.instance_scores > 0
    best = back.identity_scores.argmax(-1)
    both = found.all(1)  # frames with two animals: distinct identities, each the likelier one
    assert (np.sort(tracked.track_ids[both], axis=1) == [0, 1]).all()
    assert (tracked.track_ids[found & ~both[:, None]] == best[found & ~both[:, None]]).all()
