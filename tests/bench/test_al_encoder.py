"""bench-al trains as the app does: every round starts from an encoder pretrained on the
pool's video, and that encoder never saw a test frame."""

import argparse

import numpy as np
import pytest

from bench import active_learning
from bench.al_pools import BLOCK, Pool, pretrain_frames
from ml_worker.dataset import PoseDataset, PoseSample


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    from backend.demo.synthetic import write_synthetic_video

    path = tmp_path_factory.mktemp("al-video") / "pool.mp4"
    write_synthetic_video(path, n_frames=300, width=64, height=64)
    return path


def pool_of(video, test_frames: list[int]) -> Pool:
    image = np.zeros((64, 64, 3), np.uint8)
    keys = [f"frame{f}/fly0" for f in (*test_frames, 10, 280)]
    samples = [PoseSample.from_points(image, np.full((2, 2), 30.0, np.float32), k) for k in keys]
    ds = PoseDataset(samples, ["a", "b"], [], [])
    return Pool("pool", ds, keys[: len(test_frames)], keys[len(test_frames) :],
                {k: i for i, k in enumerate(keys)}, video=video)  # fmt: skip


def test_pretraining_frames_stay_a_block_away_from_every_test_frame(video):
    indices, frames = pretrain_frames(pool_of(video, [150, 160]), 40)
    assert len(indices) == len(frames) > 30
    assert all(abs(i - t) > BLOCK for i in indices for t in (150, 160))
    assert indices[0] == 0 and indices[-1] >= 290  # spread over the whole video
    assert frames[0].shape == (64, 64, 3) and frames[0].std() > 0  # decoded pictures


def test_the_pool_encoder_is_pretrained_once_and_reused(video, tmp_path, monkeypatch):
    pool = pool_of(video, [150])
    args = argparse.Namespace(pretrain_steps=2, pretrain_frames=8, out=tmp_path)
    path, meta = active_learning.pool_encoder(pool, args)
    assert path and meta["steps"] == 2 and len(meta["video_frames"]) == 8
    assert not list(tmp_path.glob("*.tmp"))

    def refuse(*_a, **_k):
        raise AssertionError("pretrained again")

    monkeypatch.setattr(active_learning, "pretrain_encoder", refuse)
    assert active_learning.pool_encoder(pool, args)[0] == path
    with pytest.raises(AssertionError, match="again"):  # other settings: a new encoder
        active_learning.pool_encoder(pool, argparse.Namespace(**{**vars(args),
                                                                 "pretrain_frames": 6}))  # fmt: skip
    assert active_learning.pool_encoder(pool, argparse.Namespace(**{**vars(args),
                                                                    "pretrain_steps": 0})) == (None, {})
