from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.interchange.models import ImportedFrameSource
from backend.interchange.services import project_export, project_import
from backend.labels.models import Instance, LabeledFrame
from backend.projects.models import Project
from backend.videos import media
from tests.backend.interchange.helpers import (
    MONTBLANC,
    OPENFIELD,
    REACHING,
    by_image,
    media_files,
    openfield_subset,
    original_table,
    unzip,
)


def _points(project) -> dict[str, list[dict]]:
    """Image file name -> list of (track, {node name: (x, y, vis)})."""
    names = dict(project.nodes.values_list("id", "name"))
    out: dict[str, list] = {}
    sources = {
        (s.video_id, s.frame_index): s.original_path for s in ImportedFrameSource.objects.all()
    }
    for inst in Instance.objects.filter(labeled_frame__video__project=project).select_related(
        "labeled_frame"
    ):
        key = sources[(inst.labeled_frame.video_id, inst.labeled_frame.frame_index)]
        pts = {names[p["node"]]: (p["x"], p["y"], p["visibility"]) for p in inst.points}
        out.setdefault(key.rsplit("/", 1)[-1], []).append((inst.track, pts))
    return out


@pytest.mark.media  # also on S3 (the other tests here parse, they store alike)
def test_import_openfield_frames_nodes_and_pixels(shared_data_dir, alice):
    project = project_import(path=shared_data_dir / OPENFIELD, owner=alice)
    assert [n.name for n in project.nodes.all()] == ["snout", "leftear", "rightear", "tailbase"]
    video = project.videos.get(name="m4s1.mkv")  # videos/m3v1mp4.mp4 is the other
    assert (video.frame_count, video.width, video.height) == (116, 640, 480)
    frames = LabeledFrame.objects.filter(video=video)
    assert frames.count() == 116
    assert all(len(i.points) == 4 for i in Instance.objects.filter(labeled_frame__video=video))
    assert Instance.objects.filter(labeled_frame__video=video).count() == 116
    source = ImportedFrameSource.objects.get(video=video, frame_index=37)
    assert source.original_path == "labeled-data/m4s1/img0037.png"
    # Frame-accurate and lossless: media.read_frame gives back the original image's pixels.
    for index in (37, 0, 115, 64):
        png = np.asarray(
            Image.open(
                shared_data_dir / OPENFIELD / f"labeled-data/m4s1/img{index:04d}.png"
            ).convert("RGB")
        )
        assert np.array_equal(media.read_frame(storage.local_path(video.file.name), index), png)
    original = by_image(original_table(shared_data_dir / OPENFIELD,
                                       "labeled-data/m4s1/CollectedData_Pranav.csv"))  # fmt: skip
    got = _points(project)
    for image, row in original.items():
        ((track, pts),) = got[image]
        assert track is None
        flat = [c for node in ["snout", "leftear", "rightear", "tailbase"] for c in pts[node][:2]]
        np.testing.assert_allclose(flat, row, atol=1e-9)


def test_reaching_mixed_sizes_and_missing_points(shared_data_dir, alice):
    project = project_import(path=shared_data_dir / REACHING, owner=alice)
    video = project.videos.get(name="reachingvideo1.mkv")
    assert (video.width, video.height) == (832, 747)
    points = sum(len(i.points) for i in Instance.objects.filter(labeled_frame__video=video))
    assert points == 233
    sizes = ImportedFrameSource.objects.filter(video=video)
    small = {s.original_path.rsplit("/", 1)[-1] for s in sizes if (s.width, s.height) == (640, 470)}
    assert small == {
        f"img{n:03d}.png"
        for n in (33, 38, 40, 46, 90, 116, 119, 141, 145, 152, 167, 179, 213, 231, 237)
    }
    assert sizes.filter(width=832, height=747).count() == 40
    small_one = sizes.get(original_path="labeled-data/reachingvideo1/img033.png")
    frame = media.read_frame(storage.local_path(video.file.name), small_one.frame_index)
    png = np.asarray(
        Image.open(shared_data_dir / REACHING / small_one.original_path).convert("RGB")
    )
    assert np.array_equal(frame[:470, :640], png)
    assert not frame[470:, :].any() and not frame[:, 640:].any()  # padded bottom/right


def test_dlc_round_trip_openfield_matches_original_csv_and_h5(shared_data_dir, alice, tmp_path):
    project = project_import(path=shared_data_dir / OPENFIELD, owner=alice)
    zip_path = project_export(project=project, format="dlc", dest=tmp_path)
    root = unzip(zip_path, tmp_path / "out")
    csv = root / "labeled-data" / "m4s1" / "CollectedData_Pranav.csv"
    ours = pd.read_csv(csv, header=[0, 1, 2], index_col=0)  # exactly how DeepLabCut reads it
    ours_h5 = pd.read_hdf(csv.with_suffix(".h5"), "df_with_missing")
    original = original_table(
        shared_data_dir / OPENFIELD, "labeled-data/m4s1/CollectedData_Pranav.csv"
    )
    assert list(ours.index) == list(original.index)
    assert list(ours.columns.get_level_values(1)) == list(original.columns.get_level_values(1))
    np.testing.assert_allclose(ours.to_numpy(float), original.to_numpy(float), atol=1e-3)
    np.testing.assert_allclose(ours_h5.to_numpy(float), original.to_numpy(float), atol=1e-3)
    png = root / "labeled-data/m4s1/img0005.png"
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")),
                          np.asarray(Image.open(shared_data_dir / OPENFIELD / "labeled-data/m4s1/img0005.png").convert("RGB")))  # fmt: skip
    again = project_import(path=root, owner=alice, name="again")
    assert _points(again) == _points(project)
    assert again.nodes.count() == 4


@pytest.mark.media
def test_dlc_round_trip_reaching_keeps_nans_edges_and_sizes(shared_data_dir, alice, tmp_path):
    project = project_import(path=shared_data_dir / REACHING, owner=alice)
    root = unzip(project_export(project=project, format="dlc", dest=tmp_path), tmp_path / "o")
    original = original_table(shared_data_dir / REACHING,
                              "labeled-data/reachingvideo1/CollectedData_Mackenzie.csv")  # fmt: skip
    ours = pd.read_csv(root / "labeled-data/reachingvideo1/CollectedData_Mackenzie.csv",
                       header=[0, 1, 2], index_col=0)  # fmt: skip
    a, b = ours.to_numpy(float), original.to_numpy(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=1e-3)
    assert Image.open(root / "labeled-data/reachingvideo1/img033.png").size == (640, 470)
    assert Image.open(root / "labeled-data/reachingvideo1/img005.png").size == (832, 747)
    import yaml

    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["skeleton"] == [["Hand", "Finger1"], ["Joystick1", "Joystick2"]]
    assert config["bodyparts"] == ["Hand", "Finger1", "Tongue", "Joystick1", "Joystick2"]


def test_montblanc_multi_animal_round_trip(shared_data_dir, alice, tmp_path):
    project = project_import(path=shared_data_dir / MONTBLANC, owner=alice)
    instances = Instance.objects.filter(labeled_frame__video__project=project)
    assert instances.count() == 164
    assert set(instances.values_list("track", flat=True)) == {f"bird{i}" for i in range(1, 9)}
    assert sum(len(i.points) for i in instances) == 652
    source = ImportedFrameSource.objects.get(original_path="labeled-data/montblanc/img0792.png")
    empty = LabeledFrame.objects.get(video=source.video, frame_index=source.frame_index)
    assert empty.instances.count() == 0
    assert project.edges.count() == 6
    root = unzip(project_export(project=project, format="dlc", dest=tmp_path), tmp_path / "o")
    header = [0, 1, 2, 3]
    ours = pd.read_csv(
        root / "labeled-data/montblanc/CollectedData_Daniel.csv", header=header, index_col=0
    )
    ours_h5 = pd.read_hdf(
        root / "labeled-data/montblanc/CollectedData_Daniel.h5", "df_with_missing"
    )
    original = original_table(shared_data_dir / MONTBLANC,
                              "labeled-data/montblanc/CollectedData_Daniel.csv", 4)  # fmt: skip
    assert list(ours.columns.droplevel(0)) == list(original.columns.droplevel(0))
    for df in (ours, ours_h5):
        a, b = df.to_numpy(float), original.to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=1e-3)
    import yaml

    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["multianimalproject"] is True
    assert config["individuals"] == [f"bird{i}" for i in range(1, 9)]


@pytest.mark.parametrize("variant", ["three_col", "h5_only"])
def test_dlc_three_column_index_and_h5(shared_data_dir, alice, tmp_path, variant):
    root = openfield_subset(shared_data_dir, tmp_path, n=4, **{variant: True})
    project = project_import(path=root, owner=alice)
    assert LabeledFrame.objects.filter(video__project=project).count() == 4
    original = by_image(original_table(shared_data_dir / OPENFIELD,
                                       "labeled-data/m4s1/CollectedData_Pranav.csv"))  # fmt: skip
    for image, [(_, pts)] in _points(project).items():
        flat = [c for n in ["snout", "leftear", "rightear", "tailbase"] for c in pts[n][:2]]
        np.testing.assert_allclose(flat, original[image], atol=1e-9)


def _assert_nothing_imported():
    assert Project.objects.count() == 0
    assert media_files() == []


def test_missing_config_yaml(alice, tmp_path, shared_data_dir):
    root = openfield_subset(shared_data_dir, tmp_path, n=2)
    (root / "config.yaml").unlink()
    with pytest.raises(ApplicationError, match="config.yaml is missing"):
        project_import(path=root, owner=alice)
    _assert_nothing_imported()


def test_bodypart_not_in_skeleton(alice, tmp_path, shared_data_dir):
    root = openfield_subset(shared_data_dir, tmp_path, n=2)
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("- tailbase", "- tail_base"))
    with pytest.raises(ApplicationError, match="'tailbase'.*not in the skeleton"):
        project_import(path=root, owner=alice)
    _assert_nothing_imported()


def test_image_referenced_but_absent(alice, tmp_path, shared_data_dir):
    root = openfield_subset(shared_data_dir, tmp_path, n=3)
    (root / "labeled-data/m4s1/img0002.png").unlink()
    with pytest.raises(ApplicationError, match="img0002.png.*absent"):
        project_import(path=root, owner=alice)
    _assert_nothing_imported()


@pytest.mark.media
def test_failure_after_videos_stored_removes_files(alice, tmp_path, shared_data_dir, monkeypatch):
    root = openfield_subset(shared_data_dir, tmp_path, n=2)
    from backend.interchange import services

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.FrameSuggestion.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        project_import(path=root, owner=alice)
    _assert_nothing_imported()
