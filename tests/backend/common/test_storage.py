"""backend.common.storage on local disk and, under PYTEST_MEDIA_STORAGE=s3, on a real
S3-compatible server (moto's, over HTTP on 127.0.0.1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.test import RequestFactory

from backend.common import storage

pytestmark = pytest.mark.media


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_saves_reads_and_replaces_bytes_at_an_exact_key():
    storage.save_bytes("exports/a/b.bin", b"first")
    storage.save_bytes("exports/a/b.bin", b"second!")
    assert storage.exists("exports/a/b.bin")
    assert storage.read_bytes("exports/a/b.bin") == b"second!"
    assert storage.size("exports/a/b.bin") == 7
    assert storage.list_keys("exports") == ["exports/a/b.bin"]


def test_it_reports_a_missing_key():
    assert not storage.exists("videos/none.mp4")
    with pytest.raises(FileNotFoundError):
        storage.open("videos/none.mp4")
    with pytest.raises(FileNotFoundError):
        storage.local_path("videos/none.mp4")


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "a/./b", "a\x00b", "a/"]
)
def test_it_refuses_keys_that_leave_the_store(key):
    with pytest.raises(SuspiciousFileOperation):
        storage.save_bytes(key, b"x")


def test_a_local_copy_holds_the_content_and_is_reused_until_it_changes(tmp_path):
    source = tmp_path / "weights.pt"
    source.write_bytes(b"w" * 1000)
    storage.save_file("models/p/job-1/weights.pt", source)
    first = storage.local_path("models/p/job-1/weights.pt")
    assert first.read_bytes() == b"w" * 1000
    assert storage.key_of(first) == "models/p/job-1/weights.pt"
    mtime = first.stat().st_mtime_ns
    with storage.local_copy("models/p/job-1/weights.pt") as again:
        assert again == first and again.stat().st_mtime_ns == mtime  # no second download
    storage.save_bytes("models/p/job-1/weights.pt", b"v2")
    assert storage.local_path("models/p/job-1/weights.pt").read_bytes() == b"v2"


def test_the_local_path_is_the_stored_file_on_disk_and_a_cached_copy_on_s3(settings):
    storage.save_bytes("videos/x.bin", b"abc")
    where = settings.MEDIA_ROOT if storage.is_local() else settings.MEDIA_CACHE_DIR
    assert storage.local_path("videos/x.bin") == where / "videos" / "x.bin"


def test_key_of_knows_no_file_outside_the_store(tmp_path):
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"x")
    assert storage.key_of(outside) is None


def test_it_saves_a_folder_and_deletes_by_prefix_only_below_it(tmp_path):
    (tmp_path / "run" / "exports").mkdir(parents=True)
    (tmp_path / "run" / "predictions.npz").write_bytes(b"p")
    (tmp_path / "run" / "exports" / "a.csv").write_bytes(b"a")
    keys = storage.save_dir("predictions/project-1/run-1", tmp_path / "run")
    storage.save_bytes("predictions/project-1/run-10/predictions.npz", b"q")
    assert keys == [
        "predictions/project-1/run-1/exports/a.csv",
        "predictions/project-1/run-1/predictions.npz",
    ]
    assert storage.delete_prefix("predictions/project-1/run-1") == 2
    assert storage.list_keys("predictions") == ["predictions/project-1/run-10/predictions.npz"]
    with pytest.raises(SuspiciousFileOperation):
        storage.delete_prefix("..")


def test_it_serves_a_file_whole_and_by_byte_range():
    data = bytes(range(256)) * 20
    storage.save_bytes("predictions/p/run-1/labeled.mp4", data)
    get = RequestFactory().get

    whole = storage.serve(get("/"), "predictions/p/run-1/labeled.mp4", content_type="video/mp4",
                          filename="labeled.mp4")  # fmt: skip
    assert whole.status_code == 200 and _body(whole) == data
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Length"] == str(len(data))
    assert 'filename="labeled.mp4"' in whole["Content-Disposition"]

    part = storage.serve(get("/", HTTP_RANGE="bytes=100-1099"), "predictions/p/run-1/labeled.mp4",
                         content_type="video/mp4")  # fmt: skip
    assert part.status_code == 206 and _body(part) == data[100:1100]
    assert part["Content-Range"] == f"bytes 100-1099/{len(data)}"

    tail = storage.serve(get("/", HTTP_RANGE="bytes=-10"), "predictions/p/run-1/labeled.mp4",
                         content_type="video/mp4")  # fmt: skip
    assert _body(tail) == data[-10:]

    beyond = storage.serve(get("/", HTTP_RANGE=f"bytes={len(data)}-"),
                           "predictions/p/run-1/labeled.mp4", content_type="video/mp4")  # fmt: skip
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_the_etag_changes_with_the_content():
    storage.save_bytes("cache/frames/u/thumbnail.jpg", b"one")
    before = storage.etag("cache/frames/u/thumbnail.jpg")
    storage.save_bytes("cache/frames/u/thumbnail.jpg", b"two, longer")
    assert storage.etag("cache/frames/u/thumbnail.jpg") != before
