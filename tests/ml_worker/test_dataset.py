import time

import numpy as np
import pytest
import torch

from ml_worker.augment import (
    AugmentParams,
    affine_matrix,
    flip_permutation,
    photometric,
    transform_points,
    warp_images,
)
from ml_worker.dataset import (
    PoseDataset,
    PoseSample,
    dataset_from_snapshot,
    infer_symmetries,
    load_dlc_labeled_folder,
    make_split,
)
from ml_worker.guard import Cancelled


def test_split_is_deterministic_disjoint_and_order_independent():
    keys = [f"k{i}" for i in range(50)]
    a = make_split(keys, 0.2, seed=3)
    b = make_split(list(reversed(keys)), 0.2, seed=3)
    assert a == b
    assert len(a["val"]) == 10 and not set(a["train"]) & set(a["val"])
    assert make_split(keys, 0.2, seed=4) != a


def test_dataset_rejects_bad_shapes_with_the_sample_key():
    img = np.zeros((8, 8, 3), np.uint8)
    bad = PoseSample(img, np.zeros((3, 2), np.float32), np.full(3, 2, np.int8), "frame7")
    with pytest.raises(ValueError, match="frame7"):
        PoseDataset([bad], ["a", "b"])
    with pytest.raises(ValueError, match="symmetries"):
        PoseDataset([], ["a", "b"], symmetries=[(0, 5)])


def test_symmetries_are_guessed_from_left_right_names():
    assert infer_symmetries(["snout", "leftear", "rightear", "tailbase"]) == [(1, 2)]
    assert infer_symmetries(["Ear_L", "Ear_R", "wingL", "wingR", "Head"]) == [(0, 1), (2, 3)]


def test_flip_swaps_symmetric_nodes():
    assert flip_permutation(4, [(1, 2)]) == [0, 2, 1, 3]


def test_keypoints_follow_the_image_under_affine_warps():
    h, w = 60, 70
    points = torch.tensor([[[20.0, 15.0], [45.0, 40.0]]])
    image = torch.zeros(1, 1, h, w)
    for x, y in points[0].long():
        image[0, 0, y, x] = 1.0
    for flip in (False, True):
        m = affine_matrix(torch.tensor([[32.0, 28.0]]), torch.tensor([40.0, 40.0]),
                          torch.tensor([1.5]), torch.tensor([0.7]), torch.tensor([flip]))
        out = warp_images(image, m, 80, 80)
        moved = transform_points(points, m)[0]
        for x, y in moved:
            yy, xx = torch.meshgrid(torch.arange(80.0), torch.arange(80.0), indexing="ij")
            near = ((xx - x) ** 2 + (yy - y) ** 2) < 4
            assert out[0, 0][near].sum() > 0.5 * out[0, 0].sum() / 2


def test_photometric_keeps_range_and_is_seeded():
    x = torch.rand(2, 3, 8, 8)
    p = AugmentParams(brightness=0.3, contrast=0.3, noise_std=0.05)
    a = photometric(x, p, torch.Generator().manual_seed(1))
    b = photometric(x, p, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1


def test_dlc_loader_reads_the_openfield_project(openfield_dir):
    ds = load_dlc_labeled_folder(openfield_dir)
    assert len(ds) == 116
    assert ds.node_names == ["snout", "leftear", "rightear", "tailbase"]
    assert ds.symmetries == [(1, 2)]
    first = ds.samples[0]
    assert first.key == "labeled-data/m4s1/img0000.png"
    assert first.image.shape == (480, 640, 3)
    np.testing.assert_allclose(first.keypoints[0, 0], [21.521, 265.428], atol=1e-3)


def test_dlc_loader_accepts_three_column_index(tmp_path):
    from PIL import Image

    (tmp_path / "labeled-data" / "v1").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("bodyparts:\n- nose\n- tail\nskeleton:\n- [nose, tail]\n")
    Image.new("RGB", (20, 10)).save(tmp_path / "labeled-data" / "v1" / "img0.png")
    (tmp_path / "labeled-data" / "v1" / "CollectedData_me.csv").write_text(
        "scorer,,,me,me,me,me\nbodyparts,,,nose,nose,tail,tail\ncoords,,,x,y,x,y\n"
        "labeled-data,v1,img0.png,1.5,2.5,,\n")
    ds = load_dlc_labeled_folder(tmp_path)
    assert ds.keys == ["labeled-data/v1/img0.png"]
    assert ds.edges == [(0, 1)]
    np.testing.assert_allclose(ds.samples[0].keypoints[0, 0], [1.5, 2.5])
    assert ds.samples[0].visibility.tolist() == [[2, 0]]


def _snapshot(n_frames: int) -> dict:
    points = [[10.0, 12.0, 2], [14.0, 9.0, 2], None]
    return {
        "nodes": [{"id": i, "name": name} for i, name in enumerate(["snout", "left", "right"])],
        "edges": [[0, 1]],
        "symmetries": [[1, 2]],
        "frames": [{"video": 7, "frame_index": i, "instances": [{"track": None, "points": points}]}
                   for i in range(n_frames)],
    }


def test_a_snapshot_becomes_a_dataset_and_skips_frames_of_deleted_videos():
    frame = np.zeros((32, 40, 3), np.uint8)
    ds = dataset_from_snapshot(_snapshot(4), lambda video, index: None if index == 2 else frame)
    assert ds.keys == ["video7/frame0", "video7/frame1", "video7/frame3"]
    assert ds.samples[0].visibility.tolist() == [[2, 2, 0]]
    assert ds.symmetries == [(1, 2)]


def test_a_snapshot_keeps_every_instance_and_its_track():
    snap = _snapshot(2)
    second = [None, [30.0, 31.0, 1], [33.0, 35.0, 2]]
    snap["frames"][0]["instances"] = [{"track": "a", "points": snap["frames"][0]["instances"][0][
        "points"]}, {"track": "b", "points": second}, {"track": None, "points": [None] * 3}]
    ds = dataset_from_snapshot(snap, lambda video, index: np.zeros((40, 40, 3), np.uint8))
    first = ds.samples[0]
    assert first.keypoints.shape == (2, 3, 2) and first.tracks == ["a", "b"]
    assert first.visibility.tolist() == [[2, 2, 0], [0, 1, 2]]
    assert ds.max_instances == 2 and ds.keypoints().shape == (2, 2, 3, 2)
    assert np.isnan(ds.keypoints()[1, 1]).all() and ds.instance_keypoints().shape == (3, 3, 2)


def test_cancel_stops_decoding_within_a_frame():
    """Each frame takes 0.3 s to decode; a cancel after 0.5 s must not wait for all 100."""
    read = []

    def slow_read(video: int, index: int) -> np.ndarray:
        read.append(index)
        time.sleep(0.3)
        return np.zeros((32, 40, 3), np.uint8)

    started = time.monotonic()
    with pytest.raises(Cancelled):
        dataset_from_snapshot(_snapshot(100), slow_read,
                              should_stop=lambda: time.monotonic() - started > 0.5)
    assert time.monotonic() - started < 2
    assert len(read) <= 3


def test_dataset_save_load_round_trips_mixed_sizes_without_pickle(tmp_path):
    from ml_worker.dataset import PoseDataset, PoseSample, dataset_load, dataset_save

    rng = np.random.default_rng(0)
    samples = [
        PoseSample.from_points(rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
                               np.array([[1.5, 2.0], [np.nan, np.nan]], np.float32), f"f{i}")
        for i, (h, w) in enumerate([(20, 30), (17, 11)])
    ]  # fmt: skip
    original = PoseDataset(samples, ["a", "b"], symmetries=[(0, 1)], edges=[(0, 1)])
    dataset_save(original, tmp_path / "d.npz")
    back = dataset_load(tmp_path / "d.npz")
    assert back.keys == original.keys and back.node_names == ["a", "b"]
    assert back.symmetries == [(0, 1)] and back.edges == [(0, 1)]
    for a, b in zip(back.samples, original.samples, strict=True):
        assert np.array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        assert np.array_equal(a.visibility, b.visibility)


def test_dataset_save_load_keeps_instances_and_tracks(tmp_path):
    from ml_worker.dataset import PoseDataset, PoseSample, dataset_load, dataset_save

    two = np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [np.nan, np.nan]]], np.float32)
    image = np.zeros((10, 10, 3), np.uint8)
    original = PoseDataset([PoseSample.from_points(image, two, "two", tracks=["m1", None]),
                            PoseSample.from_points(image, two[:0], "none")], ["a", "b"])
    dataset_save(original, tmp_path / "d.npz")
    back = dataset_load(tmp_path / "d.npz")
    assert back.samples[0].tracks == ["m1", None] and back.samples[1].num_instances == 0
    np.testing.assert_array_equal(back.samples[0].keypoints, two)
    assert back.samples[0].visibility.tolist() == [[2, 2], [2, 0]]


def test_three_way_split_is_disjoint_and_keeps_the_old_train_val_split():
    keys = [f"k{i}" for i in range(40)]
    two = make_split(keys, 0.2, seed=3)
    three = make_split(keys, 0.2, seed=3, test_fraction=0.2)
    assert len(three["test"]) == 8 and len(three["val"]) == 8 and len(three["train"]) == 24
    parts = [set(three[p]) for p in ("train", "val", "test")]
    assert set().union(*parts) == set(keys) and sum(map(len, parts)) == len(keys)
    assert two["test"] == [] and make_split(keys, 0.2, seed=3) == two
    assert make_split(list(reversed(keys)), 0.2, seed=3, test_fraction=0.2) == three

