"""Hostile uploads (issue 7.3): a generated corpus against the video upload and import endpoints.

Every file must get a clear 4xx with a message, or be accepted and end as a
failed video / failed import job with a message. Never a 5xx; never a file
written outside MEDIA_ROOT (a private temp tree and the repository are
watched; the temp tree sits several levels deep so a ``../`` escape from an
extraction folder would land inside it); MEDIA_ROOT's disk usage back where it
was afterwards. The fast subset (one file per kind) runs in the normal suite;
the whole corpus (>= 200 files) under ``make reliability``.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.conftest import REPO
from tests.reliability.conftest import record
from tests.reliability.corpus import H5_MARKER, MUST_FAIL, Item, corpus, fast_subset

pytestmark = pytest.mark.django_db

# Concurrently edited by people (not by this test) or written by every run: not watched.
UNWATCHED = {".git", ".venv", "node_modules", "var", "__pycache__", ".pytest_cache", ".ruff_cache",
             "frontend", "ml_worker", "inference", "docs", "bench", "tests", "dist",
             ".hypothesis"}  # fmt: skip


def _tree(root: Path, prune: set[str] = frozenset()) -> dict[str, tuple[int, int]]:
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in prune]
        for name in files:
            path = Path(folder) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            out[str(path)] = (st.st_size, st.st_mtime_ns)
    return out


def _du(root: Path) -> int:
    return sum(size for size, _ in _tree(root).values()) if root.exists() else 0


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p, meta in after.items() if before.get(p) != meta)


class Watch:
    """Snapshots of every place a hostile file could land outside MEDIA_ROOT."""

    def __init__(self, private_root: Path, media_root: Path):
        self.private_root, self.media_root = private_root, media_root
        self.escapes = [Path("/tmp/escape.mp4"), Path("/tmp/escape.txt"),
                        Path("/tmp/poseforge-yaml-pwned"), Path("/etc/cron.d/escape.mp4"),
                        Path(H5_MARKER)]  # fmt: skip
        self.before = self._snap()

    def _snap(self):
        return (
            _tree(self.private_root),
            _tree(REPO, UNWATCHED),
            {str(p) for p in self.escapes if p.exists()},
        )

    def outside(self) -> list[str]:
        temp, repo, escapes = self._snap()
        leaks = _changed(self.before[0], temp) + _changed(self.before[1], repo)
        leaks += sorted(escapes - self.before[2])
        media = str(self.media_root)
        return [p for p in leaks if not p.startswith(media) and "test-db-" not in p]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch, settings):
    """tempfile (uploads, extraction folders) inside tmp_path/watch/a/b/c/tmp."""
    watch_root = tmp_path / "watch"
    deep = watch_root / "a" / "b" / "c" / "tmp"
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    settings.FILE_UPLOAD_TEMP_DIR = str(deep)
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024  # the bombs are 30-60 MB: test the guard cheaply
    return watch_root


def _send(client: APIClient, item: Item, project_id: int, capture) -> tuple[int, str, object]:
    upload = SimpleUploadedFile(item.name, item.data, content_type="application/octet-stream")
    url = f"/api/projects/{project_id}/videos/" if item.target == "video" else "/api/imports/"
    with capture(execute=True):
        response = client.post(url, {"file": upload}, format="multipart")
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, (body.get("message") if isinstance(body, dict) else "") or "", body


def _outcome(status: int, message: str, body, item: Item) -> tuple[str, str | None]:
    """('rejected'|'failed'|'accepted', problem or None)."""
    from backend.interchange.models import ImportExportJob
    from backend.videos.models import Video

    if status >= 500:
        return "5xx", f"{status}"
    if 400 <= status < 500:
        return "rejected", None if message.strip() else "4xx without a message"
    if item.target == "video" and status == 201:
        video = Video.objects.get(pk=body["id"])
        if video.status == Video.Status.FAILED:
            return "failed", None if video.error else "failed video without a message"
        return "accepted", None  # decodable after all (e.g. a few flipped bytes): deleted below
    if item.target == "import" and status == 202:
        job = ImportExportJob.objects.get(pk=body["id"])
        if job.status == ImportExportJob.Status.FAILED:
            return "failed", None if (job.message or job.error) else "failed job without a message"
        if job.status == ImportExportJob.Status.SUCCEEDED:
            return "accepted", None
        return "stuck", f"job is {job.status}"
    return "unexpected", f"status {status}"


def run_corpus(items, project, alice, capture, media_root: Path, watch_root: Path) -> dict:
    from backend.interchange.models import ImportExportJob
    from backend.projects.models import Project
    from backend.projects.services import project_delete
    from backend.videos.models import Video
    from backend.videos.services import video_delete

    client = APIClient(raise_request_exception=False)
    client.force_authenticate(alice)
    media_root.mkdir(parents=True, exist_ok=True)
    projects_before = set(Project.objects.values_list("id", flat=True))
    videos_before = set(Video.objects.values_list("id", flat=True))
    du_before = _du(media_root)
    watch = Watch(watch_root, media_root)
    outcomes: Counter = Counter()
    problems = []
    for item in items:
        status, message, body = _send(client, item, project.id, capture)
        outcome, problem = _outcome(status, message, body, item)
        if outcome == "accepted" and item.kind in MUST_FAIL:
            problem = "imported, but it names files outside the upload or is hostile"
        outcomes[outcome] += 1
        if problem:
            problems.append(f"{item!r}: {outcome}: {problem} {message[:200]}")
    # Clean up what was accepted (as a person would) and check the disk is back.
    for video in Video.objects.exclude(pk__in=videos_before):
        video_delete(video=video)
    for new in Project.objects.exclude(pk__in=projects_before):
        for video in new.videos.all():
            video_delete(video=video)
        project_delete(project=new)
    ImportExportJob.objects.filter(kind="import").delete()
    du_after = _du(media_root)
    outside = watch.outside()
    leftovers = _changed({}, _tree(media_root)) if du_after != du_before else []
    return {"files": len(items), "outcomes": dict(outcomes), "problems": problems,
            "outside": outside, "du_before": du_before, "du_after": du_after,
            "leftovers": leftovers[:20]}  # fmt: skip


def _check(result: dict) -> None:
    outcomes = result["outcomes"]
    record(upload_files=result["files"], upload_5xx=outcomes.get("5xx", 0),
           upload_rejected_4xx=outcomes.get("rejected", 0),
           upload_failed_with_message=outcomes.get("failed", 0),
           upload_accepted=outcomes.get("accepted", 0),
           writes_outside_media=len(result["outside"]),
           media_bytes_left=result["du_after"] - result["du_before"])  # fmt: skip
    assert not result["problems"], "\n".join(result["problems"])
    assert not result["outside"], f"files written outside MEDIA_ROOT: {result['outside']}"
    assert result["du_after"] == result["du_before"], (
        f"MEDIA_ROOT grew by {result['du_after'] - result['du_before']} bytes: {result['leftovers']}"
    )


@pytest.fixture
def hostile(synthetic_video_file):
    return corpus(synthetic_video_file[0].read_bytes())


def test_hostile_uploads_fast_subset(hostile, project, alice, settings, private_tmp,
                                     django_capture_on_commit_callbacks):  # fmt: skip
    items = fast_subset(hostile)
    settings.MAX_VIDEO_UPLOAD_MB = 1
    items.append(Item("video", "oversized.mp4", os.urandom(1_100_000), "oversized"))
    result = run_corpus(items, project, alice, django_capture_on_commit_callbacks,
                        Path(settings.MEDIA_ROOT), private_tmp)  # fmt: skip
    _check(result)


@pytest.mark.reliability
def test_hostile_uploads_full_corpus(hostile, project, alice, settings, private_tmp,
                                     django_capture_on_commit_callbacks):  # fmt: skip
    settings.MAX_VIDEO_UPLOAD_MB = 3
    items = [*hostile, Item("video", "oversized.mp4", os.urandom(3_200_000), "oversized"),
             Item("video", "oversized.mkv", b"\x1a\x45\xdf\xa3" + os.urandom(4_000_000), "oversized")]  # fmt: skip
    assert len(items) >= 200
    result = run_corpus(items, project, alice, django_capture_on_commit_callbacks,
                        Path(settings.MEDIA_ROOT), private_tmp)  # fmt: skip
    _check(result)


# --- malicious pickles posing as model weights ------------------------------------------


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_weights_pickle_is_refused(tmp_path):
    """ml_worker loads weights with torch.load(weights_only=True): a pickle that runs code
    (os.system via __reduce__) is refused and runs nothing, in every loading path."""
    pytest.importorskip("torch")
    import torch

    from ml_worker.artifacts import ModelArtifact
    from ml_worker.model import build_model
    from tests.ml_worker.test_infer import random_artifact

    marker = tmp_path / "pwned"
    artifact = random_artifact()
    root = artifact.save(tmp_path / "model")
    ModelArtifact.from_dir(root)  # the genuine artifact loads
    payloads = {
        "raw pickle": pickle.dumps({"centroid": _Exploit(marker)}),
        "torch zip": None,
    }
    torch.save({"centroid": _Exploit(marker), "instance": {}}, tmp_path / "evil.pt")
    payloads["torch zip"] = (tmp_path / "evil.pt").read_bytes()
    for kind, payload in payloads.items():
        (root / "weights.pt").write_bytes(payload)
        with pytest.raises(Exception) as caught:  # noqa: PT011 - UnpicklingError or RuntimeError
            ModelArtifact.from_dir(root)
        assert "weights_only" in str(caught.value) or "Unsupported" in str(caught.value), kind
        with pytest.raises(Exception):  # noqa: B017, PT011
            build_model(artifact.geometry.centroid, weights_path=root / "weights.pt")
        assert not marker.exists(), f"{kind}: the pickle ran code"
    record(malicious_pickles_refused=len(payloads))
