"""ml_worker.infer.iter_frames numbers frames exactly as the backend does.

Predictions are stored by frame index and shown on the backend's frames, so both
must call the same frame ``i``. Numbering by timestamps shifted every AVI by one
frame (AVI timestamps are decode order and start at 1) and scrambled AVIs with
B-frames; a seek decoded x264 < 151 4:4:4 videos solid green.
"""

from __future__ import annotations

import numpy as np
import pytest

from backend.videos import media
from ml_worker.infer import iter_frames
from tests.backend.videos.helpers import SPECS, write_video


@pytest.mark.parametrize("name", ["mpeg4-bf2.avi", "h264-bf2.avi", "h264-yuv420p-bf2.mp4"])
def test_frames_are_numbered_as_the_backend_numbers_them(tmp_path, name):
    codec, pix_fmt, options = SPECS[name]
    path = write_video(tmp_path / name, codec, pix_fmt, options, n_frames=40)
    truth = dict(media.iter_frames(path))
    ours = dict(iter_frames(path))
    assert sorted(ours) == sorted(truth) == list(range(40))
    assert all(np.array_equal(ours[i], truth[i]) for i in truth)
    window = dict(iter_frames(path, start=23, stop=31))
    assert sorted(window) == list(range(23, 31))
    assert all(np.array_equal(window[i], truth[i]) for i in window)
