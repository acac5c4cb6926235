"""Random access gives exactly the frame sequential decoding gives, for every kind of video.

Frame ``i`` is defined as the ``i``-th frame ``media.iter_frames`` yields; a frame
decoded alone (``read_frame``) or in a batch (``read_frames``) must equal it pixel
for pixel, in generated videos of many codecs and GOP shapes and in every video of
the shared sample data (DeepLabCut's m3v1mp4.mp4 came back solid green from frame
182 on before the fix).
"""

from __future__ import annotations

import random
from pathlib import Path

import av
import numpy as np
import pytest

from backend.videos import frame_index, media
from tests.backend.videos.helpers import SPECS, encoder_available, write_video

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


@pytest.fixture(scope="module", params=sorted(SPECS))
def generated(request, tmp_path_factory) -> Path:
    codec, pix_fmt, options = SPECS[request.param]
    if not encoder_available(codec):
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    return write_video(tmp_path_factory.mktemp("codecs") / request.param, codec, pix_fmt, options)


def _interesting_indices(frames: frame_index.FrameIndex, rng: random.Random) -> list[int]:
    """Every keyframe and its neighbours, the last frame, and some random frames."""
    around = {k + d for k in frames.keyframes.tolist() for d in (-1, 0, 1)}
    picks = around | {len(frames) - 1} | set(rng.sample(range(len(frames)), 12))
    return sorted(i for i in picks if 0 <= i < len(frames))


def _sequential(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    """``media.iter_frames``, converting only the frames asked for and stopping after the last."""
    wanted: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if i in indices:
                wanted[i] = frame.to_ndarray(format="rgb24")
            if len(wanted) == len(indices):
                break
    return wanted


def test_the_reference_decode_is_iter_frames(generated):
    every = dict(media.iter_frames(generated))
    assert sorted(every) == list(range(72))
    some = _sequential(generated, {0, 33, 71})
    assert all(np.array_equal(some[i], every[i]) for i in some)


def test_generated_video_frames_match_sequential_decoding(generated):
    frames = frame_index.get(generated)
    assert len(frames) == 72
    assert len(frames.keyframes) >= 2 or generated.suffix == ".avi"  # AVI: often one keyframe
    indices = _interesting_indices(frames, random.Random(generated.name))
    truth = _sequential(generated, set(indices))
    for index in indices:
        with media.FrameReader(generated) as reader:
            assert np.array_equal(reader.read(index), truth[index]), index
            # the fast path did it: the fallback would hide a broken seek
            assert reader.fallbacks == 0, index


def test_batched_reads_in_any_order_match_sequential_decoding(generated):
    indices = list(range(0, 72, 7)) + [71, 3, 40, 40, 0]
    random.Random(1).shuffle(indices)
    truth = _sequential(generated, set(indices))
    batch = media.read_frames(generated, indices)
    assert all(np.array_equal(rgb, truth[i]) for i, rgb in zip(indices, batch, strict=True))


def test_frames_past_the_end_raise_index_error(generated):
    with pytest.raises(IndexError):
        media.read_frame(generated, 72)
    with pytest.raises(IndexError):
        media.read_frame(generated, -1)


def test_a_lying_index_falls_back_to_decoding_from_the_start(tmp_path):
    codec, pix_fmt, options = SPECS["h264-yuv420p-bf2.mp4"]
    path = write_video(tmp_path / "v.mp4", codec, pix_fmt, options)
    honest = frame_index.build(path)
    # Swap the timestamps of frames 45 and 46: a seek can no longer recognise them.
    pts = honest.pts.copy()
    pts[[45, 46]] = pts[[46, 45]]
    lying = frame_index.FrameIndex(pts, honest.keyframes)
    truth = _sequential(path, {46})
    with media.FrameReader(path, frames=lying) as reader:
        assert np.array_equal(reader.read(46), truth[46])
        assert reader.fallbacks == 1


def _shared_videos() -> list[Path]:
    from django.conf import settings

    root = Path(settings.POSEFORGE_DATA_DIR)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)


@pytest.mark.realdata
@pytest.mark.parametrize("path", _shared_videos() or [None], ids=lambda p: p.name if p else "none")
def test_shared_sample_videos_match_sequential_decoding(path, shared_data_dir):
    if path is None:
        pytest.skip(f"no videos in {shared_data_dir}")
    frames = frame_index.get(path)
    rng = random.Random(path.name)
    indices = sorted(set(rng.sample(range(len(frames)), min(15, len(frames)))) | {len(frames) - 1})
    truth = _sequential(path, set(indices))
    decoded = media.read_frames(path, indices)
    mismatched = [
        i for i, rgb in zip(indices, decoded, strict=True) if not np.array_equal(rgb, truth[i])
    ]
    assert mismatched == []


@pytest.mark.realdata
def test_x264_444_video_is_not_green_from_its_second_gop(shared_data_dir):
    path = shared_data_dir / "openfield-Pranav-2018-10-30/videos/m3v1mp4.mp4"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert frame_index.get(path).keyframes.tolist()[:2] == [0, 182]
    truth = _sequential(path, {182, 183})
    for index in (182, 183):
        rgb = media.read_frame(path, index)
        assert rgb[..., 0].mean() > 100  # the open-field floor is bright grey, not green
        assert np.array_equal(rgb, truth[index])
