"""Bottom-up model: PAF targets, grouping on hand-made maps, and a short real fit.

The fit tests train one small model for about 50 s on synthetic frames with
two or three "animals" (four coloured blobs on a body, the same colours for
every animal, so only the part affinity fields can tell which blobs belong
together) and check grouping, empty frames and touching animals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from ml_worker.bottomup import BottomUpModel, fit, plan_bottomup, predict
from ml_worker.config import TrainConfig
from ml_worker.paf import complete_edges, find_all_peaks, group_maps, make_multi_confmaps, make_pafs

NODES = ["head", "left", "right", "tail"]
EDGES = [(0, 1), (0, 2), (0, 3)]
SYMMETRIES = [(1, 2)]
LOCAL = np.array([[9, 0], [2, -5], [2, 5], [-10, 0]], np.float32)
COLOURS = np.array([(255, 255, 255), (255, 60, 60), (60, 255, 60), (60, 60, 255)], np.float32)


def animal(centre: np.ndarray, angle: float) -> np.ndarray:
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return (LOCAL @ rot.T + centre).astype(np.float32)


def render(animals: list[np.ndarray], size: int = 96) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.full((size, size, 3), 20, np.float32)
    for kp in animals:
        for t in np.linspace(0, 1, 12):  # body: a soft bar from tail to head
            x, y = kp[3] + t * (kp[0] - kp[3])
            image += 50 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.5**2))[..., None]
        for (x, y), colour in zip(kp, COLOURS, strict=True):
            image += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))[..., None] * colour
    return image.clip(0, 255).astype(np.uint8)


def scene(rng: np.random.Generator, count: int, min_dist: float, size: int = 96) -> np.ndarray:
    centres: list[np.ndarray] = []
    while len(centres) < count:
        c = rng.uniform(14, size - 14, 2)
        if all(np.linalg.norm(c - o) >= min_dist for o in centres):
            centres.append(c)
    out = [animal(c, rng.uniform(0, 2 * math.pi)) for c in centres]
    return np.stack(out) if out else np.zeros((0, 4, 2), np.float32)


def dataset(seed: int, n: int, counts: tuple[int, ...] = (2, 3),
            min_dist: float = 26.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    points = [scene(rng, int(rng.choice(counts)), min_dist) for _ in range(n)]
    return [render(list(p)) for p in points], points


def grouped_right(pred: np.ndarray, truth: np.ndarray, tol: float = 3.0) -> int:
    """Ground-truth animals that one predicted instance finds whole (every node within tol)."""
    found = 0
    for gt in truth:
        err = np.linalg.norm(pred - gt[None], axis=-1)  # (I, K)
        found += bool((np.nan_to_num(err, nan=np.inf) <= tol).all(-1).any())
    return found


# ------------------------------------------------------------------------ unit tests


def test_complete_edges_builds_a_spanning_tree_without_edges() -> None:
    points = [np.stack([animal(np.array([40.0, 40.0]), 0.3)])]
    edges = complete_edges([], points, 4)
    assert len(edges) == 3
    # left and right are 8.6 px from the head; the tail is 13 px from either side, 19 from the head
    assert {frozenset((0, 1)), frozenset((0, 2))} <= {frozenset(e) for e in edges}
    assert any(set(e) in ({1, 3}, {2, 3}) for e in edges)


def test_complete_edges_keeps_a_connected_skeleton_and_joins_a_loose_node() -> None:
    points = [np.stack([animal(np.array([40.0, 40.0]), 0.0)])]
    assert complete_edges(EDGES, points, 4) == EDGES
    # the tail is nearer the left (13 px) than the head (19 px)
    assert complete_edges([(0, 1), (0, 2)], points, 4) == [(0, 1), (0, 2), (1, 3)]


def test_pafs_point_along_each_limb_and_vanish_away_from_it() -> None:
    pts = torch.tensor([[[[10.0, 10.0], [30.0, 10.0]]]])  # one animal, edge 0 -> 1 along +x
    pafs, weight = make_pafs(pts, torch.tensor([[0, 1]]), 24, 48, 1, 1.5)
    assert pafs.shape == (1, 2, 24, 48)
    assert torch.allclose(pafs[0, :, 10, 20], torch.tensor([1.0, 0.0]))
    assert pafs[0, 0, 10, 12:29].min() > 0.99
    assert weight[0, 0, 20, 20] < 1e-6 and pafs[0, :, 10, 40].abs().max() < 1e-6
    assert float(pafs[0, 0, 11, 20]) == pytest.approx(math.exp(-1 / (2 * 1.5**2)), rel=1e-5)


def test_pafs_of_reversed_edge_point_the_other_way() -> None:
    pts = torch.tensor([[[[10.0, 10.0], [10.0, 20.0]]]])
    pafs, _ = make_pafs(pts, torch.tensor([[1, 0]]), 32, 32, 1, 1.0)
    assert torch.allclose(pafs[0, :, 15, 10], torch.tensor([0.0, -1.0]))


def test_peaks_are_found_per_animal_and_refined_to_subpixel() -> None:
    pts = torch.tensor([[[[10.3, 7.6]], [[20.8, 15.1]]]])  # two instances, one node
    maps = make_multi_confmaps(pts, 32, 32, 1, 1.5)
    peaks = find_all_peaks(maps, 0.2)
    order = np.argsort(peaks.xy[:, 0])
    assert np.allclose(peaks.xy[order], [[10.3, 7.6], [20.8, 15.1]], atol=1e-3)
    assert (peaks.score > 0.8).all()


def test_grouping_on_hand_made_maps_keeps_touching_animals_apart() -> None:
    a = animal(np.array([30.0, 30.0]), 0.0)
    b = animal(np.array([30.0, 44.0]), math.pi)  # head to tail, 14 px apart
    pts = torch.from_numpy(np.stack([a, b]))[None]
    edges = torch.tensor(EDGES)
    maps = make_multi_confmaps(pts, 64, 64, 1, 1.5)
    pafs, _ = make_pafs(pts, edges, 64, 64, 1, 1.5)
    peaks, asm = group_maps(maps, pafs.numpy(), EDGES, [15.0] * 3)
    assert len(asm.score) == 2
    got = peaks.xy[asm.peak_ids]  # (2, K, 2)
    assert grouped_right(got, np.stack([a, b]), tol=0.05) == 2
    assert (asm.score > 0.9).all()


def test_grouping_of_empty_maps_gives_no_instance() -> None:
    peaks, asm = group_maps(torch.zeros(2, 4, 16, 16), np.zeros((2, 6, 16, 16), np.float32),
                            EDGES, [10.0] * 3)
    assert len(peaks.node) == 0 and asm.peak_ids.shape == (0, 4)


def test_plan_scales_big_animals_down_and_keeps_small_ones() -> None:
    cfg = TrainConfig()
    big = [np.stack([animal(np.array([200.0, 200.0]), 0.0) * 5 - 800])]
    small = [np.stack([animal(np.array([40.0, 40.0]), 0.0)])]
    common = {"node_names": NODES, "edges": EDGES, "symmetries": SYMMETRIES}
    assert plan_bottomup(cfg, big, frame_hw=(1080, 1920), **common).input_scale == 0.5
    g = plan_bottomup(cfg, small, frame_hw=(96, 96), **common)
    assert g.input_scale == 1.0 and g.patch_size == 64  # three animals wide


def test_model_rebuilds_from_its_dict_and_traces() -> None:
    g = plan_bottomup(TrainConfig(filters=4), [np.stack([animal(np.array([40.0, 40.0]), 0.0)])],
                      node_names=NODES, edges=[], symmetries=SYMMETRIES, frame_hw=(96, 96))
    model = BottomUpModel(g).eval()
    copy = BottomUpModel.from_dict(model.to_dict()).eval()
    copy.load_state_dict(model.state_dict())
    frames = torch.from_numpy(np.stack([render([animal(np.array([40.0, 40.0]), 0.0)])] * 2))
    traced = torch.jit.trace(copy, frames)
    conf, pafs = model(frames)
    assert conf.shape == (2, 4, 48, 48) and pafs.shape == (2, 6, 48, 48)
    for mine, theirs in zip((conf, pafs), traced(frames), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-5)


# ------------------------------------------------------------------------ one real fit


@pytest.fixture(scope="module")
def trained() -> Iterator[BottomUpModel]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the test machine is shared: one thread gets more steps done
    images, points = dataset(0, 48)
    images += [render([])] * 4  # frames with no animal teach background too
    points += [np.zeros((0, 4, 2), np.float32)] * 4
    # no flips: these animals' left and right differ by colour, which a mirror does not swap
    cfg = TrainConfig(seed=0, filters=8, batch_size=8, learning_rate=1e-2, aug_flip=False)
    try:
        yield fit(images, points, node_names=NODES, edges=EDGES, symmetries=SYMMETRIES, cfg=cfg,
                  budget_s=50.0, device=torch.device("cpu"), val=dataset(1, 8))
    finally:
        torch.set_num_threads(threads)


def test_fit_groups_the_right_points_per_animal(trained: BottomUpModel) -> None:
    images, points = dataset(2, 12)
    pred, scores, inst = predict(trained, np.stack(images))
    assert pred.shape[0] == 12 and pred.shape[2:] == (4, 2)
    whole = sum(grouped_right(pred[i], points[i]) for i in range(12))
    assert whole >= 0.6 * sum(len(p) for p in points)
    assert np.isfinite(inst[:, 0]).all() and (inst[:, 0] > 0.5).all()


def test_frames_without_animals_give_no_confident_instance(trained: BottomUpModel) -> None:
    _, _, inst = predict(trained, np.stack([render([])] * 4))
    assert not (np.nan_to_num(inst, nan=0.0) > 0.5).any()


def test_touching_animals_are_mostly_counted_right(trained: BottomUpModel) -> None:
    images, points = dataset(3, 12, counts=(2, 3), min_dist=15.0)
    _, _, inst = predict(trained, np.stack(images))
    counts = (np.nan_to_num(inst, nan=0.0) > 0.5).sum(1)
    assert np.mean(counts == [len(p) for p in points]) >= 0.75
