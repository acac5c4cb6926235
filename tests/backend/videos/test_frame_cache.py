"""The frame index sidecar and the versioned JPEG cache of a stored video."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from backend.videos import frame_index, media, services
from tests.backend.videos.helpers import SPECS, write_video

pytestmark = pytest.mark.django_db


def test_processing_writes_the_frame_index_and_the_exact_frame_count(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    path = Path(video.file.path)
    sidecar = frame_index.sidecar_path(path)
    assert sidecar.is_file()
    assert video.status == "ready" and video.frame_count == 60
    assert len(frame_index.get(path)) == 60


def test_a_stale_sidecar_is_rebuilt():
    codec, pix_fmt, options = SPECS["h264-yuv420p-bf2.mp4"]
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    path = write_video(Path(settings.MEDIA_ROOT) / "v.mp4", codec, pix_fmt, options, n_frames=30)
    frame_index.save(frame_index.FrameIndex(np.arange(5), np.array([0])), path)
    # the sidecar says 5 frames, but was written for this very file: it is trusted ...
    assert len(frame_index._load(path)) == 5
    # ... until the file changes under it
    path.write_bytes(path.read_bytes() + b"\0")
    assert frame_index._load(path) is None
    assert len(frame_index.get(path)) == 30
    assert len(frame_index._load(path)) == 30  # rebuilt and saved again


def test_videos_outside_media_get_no_sidecar(tmp_path):
    codec, pix_fmt, options = SPECS["h264-yuv420p-bf2.mp4"]
    (tmp_path / "outside").mkdir()
    path = write_video(tmp_path / "outside" / "v.mp4", codec, pix_fmt, options, n_frames=12)
    assert len(frame_index.get(path)) == 12
    assert not frame_index.sidecar_path(path).exists()  # shared data stays untouched


def test_deleting_a_video_deletes_its_index_and_cache(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    path = Path(video.file.path)
    jpeg = services.frame_jpeg_path(video=video, index=20)
    services.video_delete(video=video)
    assert not frame_index.sidecar_path(path).exists()
    assert not jpeg.exists() and not services.frame_cache_dir(video).exists()


def _green_jpeg(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (160, 120), (0, 136, 0)).save(path, format="JPEG")


def test_jpegs_cached_by_an_older_version_are_never_served(client_for, video, alice):
    _green_jpeg(services.frame_cache_dir(video) / "0000017.jpg")  # where version 1 cached frame 17
    response = client_for(alice).get(f"/api/videos/{video.id}/frames/17.jpg")
    assert response.status_code == 200
    image = np.asarray(Image.open(io.BytesIO(b"".join(response.streaming_content))))
    assert image.mean() > 90  # the synthetic floor is bright; the stale JPEG is dark green
    cached = services.frame_jpeg_path(video=video, index=17)
    assert cached.parent.name == f"v{services.FRAME_CACHE_VERSION}"


def test_purging_removes_old_jpegs_and_keeps_the_current_ones(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    _green_jpeg(services.frame_cache_dir(video) / "0000017.jpg")
    _green_jpeg(services.frame_cache_dir(video) / "v1" / "0000018.jpg")
    current = services.frame_jpeg_path(video=video, index=17)
    assert services.frame_cache_purge_stale(video=video) == 2
    assert current.is_file()
    assert (Path(settings.MEDIA_ROOT) / video.thumbnail).is_file()
    assert sorted(p.name for p in services.frame_cache_dir(video).iterdir()) == [
        "thumbnail.jpg", f"v{services.FRAME_CACHE_VERSION}",
    ]  # fmt: skip


def test_frame_jpeg_is_the_exact_frame(video, synthetic_video_file):
    path, _ = synthetic_video_file
    truth = dict(media.iter_frames(path))[33]
    jpeg = np.asarray(Image.open(services.frame_jpeg_path(video=video, index=33))).astype(int)
    assert np.abs(jpeg - truth).mean() < 3  # JPEG loss only
