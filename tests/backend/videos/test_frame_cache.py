"""The frame index sidecar and the versioned JPEG cache of a stored video (on local disk
and, under PYTEST_MEDIA_STORAGE=s3, in an S3 bucket)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from backend.common import storage
from backend.videos import frame_index, media, services
from tests.backend.videos.helpers import SPECS, write_video

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def test_processing_writes_the_frame_index_and_the_exact_frame_count(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    assert storage.exists(frame_index.sidecar_key(video.file.name))
    assert video.status == "ready" and video.frame_count == 60
    assert len(frame_index.get(services.video_local_path(video))) == 60


def test_a_stale_sidecar_is_rebuilt(tmp_path):
    codec, pix_fmt, options = SPECS["h264-yuv420p-bf2.mp4"]
    source = write_video(tmp_path / "v.mp4", codec, pix_fmt, options, n_frames=30)
    storage.save_file("projects/1/videos/v.mp4", source)
    path = storage.local_path("projects/1/videos/v.mp4")
    frame_index.save(frame_index.FrameIndex(np.arange(5), np.array([0])), path)
    # the sidecar says 5 frames, but was written for this very file: it is trusted ...
    assert len(frame_index._load(path)) == 5
    # ... until the file changes under it
    storage.save_bytes("projects/1/videos/v.mp4", source.read_bytes() + b"\0")
    path = storage.local_path("projects/1/videos/v.mp4")
    assert frame_index._load(path) is None
    assert len(frame_index.get(path)) == 30
    assert len(frame_index._load(path)) == 30  # rebuilt and saved again


def test_videos_outside_media_get_no_sidecar(tmp_path):
    codec, pix_fmt, options = SPECS["h264-yuv420p-bf2.mp4"]
    (tmp_path / "outside").mkdir()
    path = write_video(tmp_path / "outside" / "v.mp4", codec, pix_fmt, options, n_frames=12)
    assert len(frame_index.get(path)) == 12
    assert not frame_index.sidecar_path(path).exists()  # shared data stays untouched
    with pytest.raises(ValueError):
        frame_index.save(frame_index.get(path), path)


def test_deleting_a_video_deletes_its_index_and_cache(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    key = video.file.name
    jpeg = services.frame_jpeg_key(video=video, index=20)
    services.video_delete(video=video)
    assert not storage.exists(key) and not storage.exists(frame_index.sidecar_key(key))
    assert not storage.exists(jpeg) and storage.list_keys(services.frame_cache_prefix(video)) == []


def _green_jpeg(key: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (0, 136, 0)).save(buffer, format="JPEG")
    storage.save_bytes(key, buffer.getvalue())


def test_jpegs_cached_by_an_older_version_are_never_served(client_for, video, alice):
    # where version 1 cached frame 17
    _green_jpeg(f"{services.frame_cache_prefix(video)}/0000017.jpg")
    response = client_for(alice).get(f"/api/videos/{video.id}/frames/17.jpg")
    assert response.status_code == 200
    image = np.asarray(Image.open(io.BytesIO(b"".join(response.streaming_content))))
    assert image.mean() > 90  # the synthetic floor is bright; the stale JPEG is dark green
    cached = services.frame_jpeg_key(video=video, index=17)
    assert cached.split("/")[-2] == f"v{services.FRAME_CACHE_VERSION}"


def test_purging_removes_old_jpegs_and_keeps_the_current_ones(video):
    services.video_process(video_id=video.id)
    video.refresh_from_db()
    prefix = services.frame_cache_prefix(video)
    _green_jpeg(f"{prefix}/0000017.jpg")
    _green_jpeg(f"{prefix}/v1/0000018.jpg")
    current = services.frame_jpeg_key(video=video, index=17)
    assert services.frame_cache_purge_stale(video=video) == 2
    assert storage.exists(current) and storage.exists(video.thumbnail)
    assert storage.list_keys(prefix) == sorted([current, f"{prefix}/thumbnail.jpg"])


def test_frame_jpeg_is_the_exact_frame(video, synthetic_video_file):
    path, _ = synthetic_video_file
    truth = dict(media.iter_frames(path))[33]
    key = services.frame_jpeg_key(video=video, index=33)
    jpeg = np.asarray(Image.open(io.BytesIO(storage.read_bytes(key)))).astype(int)
    assert np.abs(jpeg - truth).mean() < 3  # JPEG loss only
