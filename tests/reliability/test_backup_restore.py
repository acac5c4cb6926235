"""Backup and restore round trip (issue 7.7): ``manage.py backup`` then ``restore`` onto an
emptied instance gives identical labels, history, review comments, models (rows and
files), videos and memberships."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.reliability.conftest import record

pytestmark = pytest.mark.django_db(transaction=True)


def _models():
    from django.contrib.auth import get_user_model

    from backend.inference.models import InferenceRun, Suggestion
    from backend.interchange.models import ImportExportJob
    from backend.labels.models import Instance, LabeledFrame, LabelHistory, ReviewComment
    from backend.projects.models import Membership, Node, Project
    from backend.training.models import LabelSnapshot, ModelVersion, TrainingJob
    from backend.videos.models import Video

    return [get_user_model(), Project, Membership, Node, Video, LabeledFrame, Instance,
            LabelHistory, ReviewComment, LabelSnapshot, TrainingJob, ModelVersion, InferenceRun,
            Suggestion, ImportExportJob]  # fmt: skip


def _rows() -> dict[str, list]:
    return {m._meta.label: serializers.serialize("python", m.objects.order_by("pk"))
            for m in _models()}  # fmt: skip


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith("cache/")
    }


def test_backup_then_restore_onto_an_empty_instance(world, tmp_path, client_for):
    lab, _ = world
    media = Path(settings.MEDIA_ROOT)
    before_rows, before_files = _rows(), _files(media)
    assert before_rows["labels.LabelHistory"] and before_rows["training.ModelVersion"]
    assert any(name.endswith("download.zip") for name in before_files)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))

    with pytest.raises(CommandError):  # never over a live instance
        call_command("restore", str(archive))
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media)
    call_command("restore", str(archive))

    after_rows, after_files = _rows(), _files(media)
    for label, rows in before_rows.items():
        diff = [(a, b) for a, b in zip(rows, after_rows[label], strict=False) if a != b]
        assert len(after_rows[label]) == len(rows) and not diff, f"{label}: {diff[:1]}"
    assert after_files == before_files
    record(backup_rows=sum(len(r) for r in before_rows.values()), backup_files=len(before_files),
           backup_bytes=archive.stat().st_size, restore_differences=0)  # fmt: skip
    # The restored instance works: frames decode, the model downloads, labels save.
    from django.contrib.auth import get_user_model

    from backend.projects.models import Project

    alice = get_user_model().objects.get(username="alice")
    client = client_for(alice)
    assert Project.objects.filter(pk=lab.project.id).exists()
    assert client.get(f"/api/videos/{lab.video.id}/frames/7.jpg").status_code == 200
    assert client.get(f"/api/model-versions/{lab.version.id}/download/").status_code == 200
    saved = client.put(f"/api/videos/{lab.video.id}/frames/0/labels/",
                       {"version": 1, "instances": []}, format="json")  # fmt: skip
    assert saved.status_code == 200 and saved.json()["version"] == 2
