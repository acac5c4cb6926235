"""Import security (issue 11): no unpickling, no path outside the upload, bounded imports.

Each test builds the hostile input for real and checks both that it is refused with a
clear message and that the harm did not happen (no marker file, no outside file read).
"""

from __future__ import annotations

import io
import os
import pwd
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from backend.common.exceptions import ApplicationError
from backend.interchange import sandbox
from backend.interchange.models import ImportExportJob
from backend.interchange.services import project_import
from backend.projects.models import Project
from tests.backend.interchange.helpers import openfield_subset

pytestmark = pytest.mark.django_db


class _Exploit:
    """Unpickling this runs ``touch marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(path)
    return path


def _dlc_project(root: Path, rows: list[str]) -> Path:
    """A one-node DLC project whose table names ``rows`` as image paths."""
    (root / "labeled-data" / "v").mkdir(parents=True)
    (root / "config.yaml").write_text("Task: t\nscorer: me\nbodyparts: [nose]\n")
    _png(root / "labeled-data" / "v" / "inside.png")
    table = "scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\n"
    table += "".join(f"{row},1.0,2.0\n" for row in rows)
    (root / "labeled-data" / "v" / "CollectedData_me.csv").write_text(table)
    return root


def _refusal(path: Path, owner) -> str:
    with pytest.raises(ApplicationError) as caught:
        project_import(path=path, owner=owner)
    return caught.value.message


@pytest.fixture
def victim(tmp_path) -> Path:
    """Another project's frame on the server's disk, outside any upload."""
    return _png(tmp_path / "media" / "projects" / "99" / "frames" / "secret.png")


# --- 1. pickled HDF5 -------------------------------------------------------------------


def _pickled_h5(path: Path, marker: Path) -> None:
    cols = pd.MultiIndex.from_product([["me"], ["nose"], ["x", "y"]])
    df = pd.DataFrame([[1.0, 2.0]], index=["labeled-data/v/img0.png"], columns=cols)
    df[("me", "nose", "likelihood")] = pd.Series([_Exploit(marker)], index=df.index, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PerformanceWarning: object column pickled
        df.to_hdf(path, key="df_with_missing", mode="w")  # "fixed" format


def test_pickled_hdf5_table_runs_nothing_and_is_refused(alice, tmp_path):
    marker = tmp_path / "pwned"
    proof = tmp_path / "proof.h5"
    _pickled_h5(proof, marker)
    pd.read_hdf(proof, "df_with_missing")  # what the old importer did: it runs the payload
    assert marker.exists()
    marker.unlink()

    root = tmp_path / "proj"
    (root / "labeled-data" / "v").mkdir(parents=True)
    (root / "config.yaml").write_text("Task: t\nscorer: me\nbodyparts: [nose]\n")
    _png(root / "labeled-data" / "v" / "img0.png")
    _pickled_h5(root / "labeled-data" / "v" / "CollectedData_me.h5", marker)
    message = _refusal(root, alice)
    assert "contains pickled Python data" in message and "CSV" in message
    assert not marker.exists()
    assert Project.objects.count() == 0


def test_h5_only_real_tables_still_import(shared_data_dir, alice, tmp_path):
    """DeepLabCut's own "table" files (MontBlanc multi-animal) read without pandas.read_hdf."""
    src = shared_data_dir / "MontBlanc-Daniel-2019-12-16"
    from backend.interchange.formats._hdf5 import read_pandas_hdf

    h5 = src / "labeled-data/montblanc/CollectedData_Daniel.h5"
    ours = read_pandas_hdf(h5, "df_with_missing")
    theirs = pd.read_hdf(h5, "df_with_missing")  # trusted file: comparison only
    assert ours.columns.equals(theirs.columns) and ours.index.equals(theirs.index)
    np.testing.assert_array_equal(ours.to_numpy(float), theirs.to_numpy(float))
    root = openfield_subset(shared_data_dir, tmp_path, n=3, h5_only=True)  # "fixed" format
    project = project_import(path=root, owner=alice)
    assert project.videos.get().frame_count == 3


# --- 2. paths outside the upload ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["absolute", "drive", "dotdot", "unc"])
def test_dlc_row_paths_outside_the_project_are_refused_alike(alice, tmp_path, victim, kind):
    rel_victim = os.path.relpath(victim, tmp_path / "proj")
    name = {"absolute": str(victim), "drive": "C:" + str(victim), "dotdot": rel_victim,
            "unc": "\\\\server" + str(victim).replace("/", "\\")}[kind]  # fmt: skip
    ghost = name.replace("secret.png", "ghost.png")
    seen = _refusal(_dlc_project(tmp_path / "proj", [name]), alice)
    unseen = _refusal(_dlc_project(tmp_path / "proj2", [ghost]), alice)
    assert "absent" in seen
    assert seen.replace("secret.png", "P") == unseen.replace("ghost.png", "P")
    assert Project.objects.count() == 0


def test_symlinked_image_to_other_media_is_refused(alice, tmp_path, victim):
    root = _dlc_project(tmp_path / "proj", ["labeled-data/v/secret.png"])
    (root / "labeled-data" / "v" / "secret.png").symlink_to(victim)
    message = _refusal(root, alice)
    assert "'labeled-data/v/secret.png' is referenced" in message and "absent" in message


def test_images_beside_labeled_ones_never_come_from_links(alice, tmp_path, victim):
    root = _dlc_project(tmp_path / "proj", ["labeled-data/v/inside.png"])
    (root / "labeled-data" / "v" / "zz-link.png").symlink_to(victim)
    project = project_import(path=root, owner=alice)
    assert project.videos.get().frame_count == 1  # inside.png only


def test_lightning_pose_absolute_path_is_refused(alice, tmp_path, victim):
    root = tmp_path / "lp"
    _png(root / "labeled-data" / "inside.png")
    (root / "CollectedData.csv").write_text(
        f"scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\n{victim},1.0,2.0\n"
    )
    message = _refusal(root, alice)
    assert repr(str(victim)) in message and "absent" in message


def _slp(path: Path, video: str) -> Path:
    import sleap_io as sio

    skeleton = sio.Skeleton(["nose", "tail"])
    movie = sio.Video(filename=video, open_backend=False)
    instance = sio.Instance.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]), skeleton)
    frame = sio.LabeledFrame(video=movie, frame_idx=0, instances=[instance])
    sio.save_slp(sio.Labels(labeled_frames=[frame], videos=[movie], skeletons=[skeleton]),
                 str(path))  # fmt: skip
    return path


def test_sleap_video_outside_the_upload_is_never_opened(alice, tmp_path, synthetic_video_file):
    outside = synthetic_video_file[0]  # exists, on the server, outside the upload
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    seen = _refusal(_slp(tmp_path / "a" / "labels.slp", str(outside)), alice)
    unseen = _refusal(_slp(tmp_path / "b" / "labels.slp", str(outside.with_name("x.mp4"))), alice)
    assert "absent" in seen
    assert seen.replace(outside.name, "V") == unseen.replace("x.mp4", "V")


def test_sleap_video_is_found_by_name_inside_the_upload(alice, tmp_path, synthetic_video_file):
    outside = synthetic_video_file[0]
    folder = tmp_path / "up"
    folder.mkdir()
    (folder / outside.name).write_bytes(outside.read_bytes())
    windows = "D:\\lab\\videos\\" + outside.name  # written on another machine
    project = project_import(path=_slp(folder / "labels.slp", windows), owner=alice)
    assert project.videos.get().name == outside.name


def test_coco_absolute_file_name_is_refused_alike(alice, tmp_path, victim):
    import json

    def coco(folder: Path, name: str) -> Path:
        folder.mkdir()
        doc = {"images": [{"id": 1, "file_name": name, "width": 8, "height": 8}],
               "annotations": [], "categories": [{"id": 1, "keypoints": ["nose"]}]}  # fmt: skip
        (folder / "annotations.json").write_text(json.dumps(doc))
        return folder

    ghost = str(victim.with_name("ghost.png"))
    seen = _refusal(coco(tmp_path / "a", str(victim)), alice)
    unseen = _refusal(coco(tmp_path / "b", ghost), alice)
    assert "absent" in seen
    assert seen.replace("secret.png", "P") == unseen.replace("ghost.png", "P")


# --- 5. resource limits -------------------------------------------------------------------


def _zip(entries: dict[str, bytes], info_mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if info_mode is not None:
                info.external_attr = info_mode << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _upload(client, name: str, data: bytes, capture):
    with capture(execute=True):
        return client.post("/api/imports/", {"file": SimpleUploadedFile(name, data)},
                           format="multipart")  # fmt: skip


def test_zip_bomb_under_the_size_cap_is_refused_by_ratio(
    alice, client_for, django_capture_on_commit_callbacks
):
    data = _zip({"proj/labeled-data/v/CollectedData_me.csv": b"\0" * 50_000_000})
    assert len(data) < 100_000  # 50 MB from < 100 kB: far under the 2 GiB cap
    response = _upload(client_for(alice), "bomb.zip", data, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "zip bomb" in response.data["message"]
    assert ImportExportJob.objects.count() == 0


def test_zip_over_the_uncompressed_cap_is_refused(
    alice, client_for, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    data = _zip({f"proj/f{i}.bin": os.urandom(600_000) for i in range(4)})  # incompressible
    response = _upload(client_for(alice), "big.zip", data, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "2 MB" in response.data["message"]


def test_symlink_zip_entry_to_other_media_is_refused(
    alice, client_for, victim, django_capture_on_commit_callbacks
):
    import stat

    data = _zip({"proj/labeled-data/v/img0.png": str(victim).encode()}, stat.S_IFLNK | 0o777)
    response = _upload(client_for(alice), "link.zip", data, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "link" in response.data["message"]


def test_third_concurrent_import_is_refused(
    alice, bob, client_for, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_CONCURRENT_PER_USER = 2
    for status in (ImportExportJob.Status.QUEUED, ImportExportJob.Status.RUNNING):
        ImportExportJob.objects.create(uid=f"busy-{status}", kind="import", created_by=alice,
                                       status=status, format="zip")  # fmt: skip
    response = _upload(client_for(alice), "x.json", b"{}", django_capture_on_commit_callbacks)
    assert response.status_code == 429 and "at most 2" in response.data["message"]
    assert ImportExportJob.objects.filter(created_by=alice).count() == 2
    other = _upload(client_for(bob), "x.json", b"{}", django_capture_on_commit_callbacks)
    assert other.status_code == 202  # limits are per user


# --- the parse sandbox -----------------------------------------------------------------------


def test_parse_runs_in_a_child_without_root(tmp_path, shared_data_dir, settings):
    work = tmp_path / "work"
    root = openfield_subset(shared_data_dir, work / "x", n=2)
    data = sandbox.parse(work, root.relative_to(work).as_posix(), lambda *_: None)
    assert len(data.frames) == 2 and data.videos[0].path.is_file()
    owner = (work / "out" / "result.json").stat().st_uid
    if os.geteuid() == 0:  # the worker is root here (embedded mode, CI): the child was not
        assert owner == pwd.getpwnam(settings.IMPORT_RUN_AS_USER).pw_uid != 0
    else:
        assert owner == os.geteuid()


def test_parse_refuses_when_the_run_as_user_is_missing(tmp_path, settings):
    if os.geteuid() != 0:
        pytest.skip("privileges are only dropped by a root worker")
    settings.IMPORT_RUN_AS_USER = "no-such-user-poseforge"
    (tmp_path / "x").mkdir()
    with pytest.raises(sandbox.ParseError, match="IMPORT_RUN_AS_USER"):
        sandbox.parse(tmp_path, "x", lambda *_: None)
