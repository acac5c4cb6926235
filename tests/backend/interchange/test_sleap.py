from __future__ import annotations

import numpy as np
import pytest
import sleap_io as sio

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.interchange.models import ImportedFrameSource
from backend.interchange.services import project_export, project_import
from backend.labels.models import Instance, LabeledFrame
from backend.labels.services import labels_save
from backend.projects.models import Project
from backend.videos import media
from tests.backend.interchange.helpers import PAIR, media_files, unzip

pytestmark = pytest.mark.media


def _coords(labels, user=True):
    out = []
    for lf in sorted(labels.labeled_frames, key=lambda f: f.frame_idx):
        insts = lf.user_instances if user else lf.predicted_instances
        for inst in insts:
            out.append((lf.frame_idx, inst.track.name if inst.track else None, inst.numpy()))
    return out


def _assert_same(a, b, atol=1e-3):
    assert len(a) == len(b)
    for (fa, ta, pa), (fb, tb, pb) in zip(a, b, strict=True):
        assert (fa, ta) == (fb, tb)
        assert np.array_equal(np.isnan(pa), np.isnan(pb))
        np.testing.assert_allclose(pa[~np.isnan(pa)], pb[~np.isnan(pb)], atol=atol)


def test_minimal_instance_slp_import_and_round_trip(shared_data_dir, alice, tmp_path):
    src = shared_data_dir / PAIR / "minimal_instance.slp"
    project = project_import(path=src, owner=alice)
    assert [n.name for n in project.nodes.all()] == ["A", "B"]
    assert project.edges.count() == 1
    video = project.videos.get()
    assert video.frame_count == 1100 and not ImportedFrameSource.objects.exists()
    instances = Instance.objects.filter(labeled_frame__video=video)
    assert instances.count() == 2 and {i.source for i in instances} == {"human"}
    out = unzip(project_export(project=project, format="slp", dest=tmp_path), tmp_path / "o")
    ours = sio.load_slp(str(next(out.glob("*.slp"))))
    original = sio.load_slp(str(src))
    assert ours.skeletons[0].node_names == ["A", "B"] and ours.skeletons[0].edge_inds == [(0, 1)]
    _assert_same(_coords(ours), _coords(original))
    assert ours.videos[0].shape[0] == 1100  # the video travels in the zip and opens


def test_pkg_slp_embedded_frame_round_trip(shared_data_dir, alice, tmp_path):
    src = shared_data_dir / PAIR / "minimal_instance.pkg.slp"
    original = sio.load_slp(str(src))
    project = project_import(path=src, owner=alice)
    video = project.videos.get()
    source = ImportedFrameSource.objects.get(video=video)
    assert (source.frame_index, source.original_frame_index, source.grayscale) == (0, 0, True)
    assert Instance.objects.filter(labeled_frame__video=video).count() == 2
    embedded = original.labeled_frames[0].image[:, :, 0]
    assert np.array_equal(media.read_frame(storage.local_path(video.file.name), 0)[:, :, 0], embedded)
    out = unzip(project_export(project=project, format="pkg.slp", dest=tmp_path), tmp_path / "o")
    pkg = next(out.glob("*.pkg.slp"))
    assert not (out / ".frames").exists()
    ours = sio.load_slp(str(pkg))
    _assert_same(_coords(ours), _coords(original))
    assert ours.labeled_frames[0].frame_idx == 0
    assert np.array_equal(ours.labeled_frames[0].image[:, :, 0], embedded)
    again = project_import(path=pkg, owner=alice, name="again")
    assert Instance.objects.filter(labeled_frame__video__project=again).count() == 2


def _scores(labels):
    """Per-point scores of every predicted instance, in (frame, track) order."""
    out = []
    for lf in sorted(labels.labeled_frames, key=lambda f: f.frame_idx):
        for inst in lf.predicted_instances:
            xy = np.asarray(inst.points["xy"], float)
            labeled = np.asarray(inst.points["visible"], bool) & ~np.isnan(xy).any(axis=1)
            scores = np.where(labeled, np.asarray(inst.points["score"], float), np.nan)
            out.append((lf.frame_idx, inst.track.name if inst.track else None, scores))
    return out


def test_predictions_are_model_instances_and_round_trip(shared_data_dir, alice, tmp_path):
    src = shared_data_dir / PAIR / "centered_pair_predictions.slp"
    project = project_import(path=src, owner=alice)
    instances = Instance.objects.filter(labeled_frame__video__project=project)
    assert instances.count() == 2274
    assert set(instances.values_list("source", flat=True)) == {"model"}
    assert LabeledFrame.objects.filter(video__project=project).count() == 1100
    assert (
        LabeledFrame.objects.filter(
            video__project=project, status=LabeledFrame.Status.IN_PROGRESS
        ).count()
        == 1100
    )  # predictions are not reviewed labels
    assert set(instances.values_list("track", flat=True)) == {str(i) for i in range(1, 28)}
    # The tracker's identities become the project's tracks; the cap is the most seen in a frame.
    assert set(project.tracks.values_list("name", flat=True)) == {str(i) for i in range(1, 28)}
    most = max(len(lf.predicted_instances) for lf in sio.load_slp(str(src)).labeled_frames)
    assert project.max_instances == most
    out = unzip(project_export(project=project, format="slp", labels="all", dest=tmp_path),
                tmp_path / "o")  # fmt: skip
    ours = sio.load_slp(str(next(out.glob("*.slp"))), open_videos=False)
    original = sio.load_slp(str(src), open_videos=False)
    assert _coords(ours, user=True) == []
    _assert_same(_coords(ours, user=False), _coords(original, user=False))
    assert ours.skeletons[0].node_names == original.skeletons[0].node_names
    assert ours.skeletons[0].edge_inds == original.skeletons[0].edge_inds
    # Per-point prediction scores are kept in the point dicts and written back.
    first = original.labeled_frames[0].predicted_instances[0]
    stored = Instance.objects.filter(
        labeled_frame__frame_index=original.labeled_frames[0].frame_idx,
        labeled_frame__video__project=project, track=first.track.name,
    ).get()  # fmt: skip
    names = dict(project.nodes.values_list("id", "name"))
    want = dict(zip(original.skeletons[0].node_names, first.points["score"], strict=True))
    assert {names[p["node"]]: p["score"] for p in stored.points} == pytest.approx(
        {n: want[n] for n in (names[p["node"]] for p in stored.points)}, abs=1e-4
    )
    assert all("score" in p for i in instances for p in i.points)
    _assert_same(_scores(ours), _scores(original), atol=1e-4)
    assert all(0 < i.score <= 1 for lf in ours.labeled_frames for i in lf.predicted_instances)


def test_multiview_session_videos_and_mixed_sources(shared_data_dir, alice):
    src = shared_data_dir / "sleap-min-session-multiview" / "min_session_user_labeled.slp"
    project = project_import(path=src, owner=alice)
    assert project.videos.count() == 8
    instances = Instance.objects.filter(labeled_frame__video__project=project)
    assert instances.filter(source="human").count() == 42
    assert instances.filter(source="model").count() == 42
    assert set(instances.values_list("track", flat=True)) <= {"track_0", "track_1", None}


def test_symmetries_visibility_and_tracks_round_trip(project, video, alice, tmp_path):
    ids = list(project.nodes.values_list("id", flat=True))
    labels_save(video=video, frame_index=3, user=alice, version=0, instances=[
        {"track": "mouse1", "points": [
            {"node": ids[0], "x": 10.25, "y": 20.5, "visibility": 2},
            {"node": ids[1], "x": 30.125, "y": 40.0, "visibility": 1}]},
        {"track": "mouse2", "points": [{"node": ids[2], "x": 50.0, "y": 60.0, "visibility": 2}]},
    ])  # fmt: skip
    for fmt, name in (("slp", "*.slp"), ("pkg.slp", "*.pkg.slp")):
        out = unzip(
            project_export(project=project, format=fmt, labels="all", dest=tmp_path / fmt),
            tmp_path / f"o{fmt}",
        )
        labels = sio.load_slp(str(next(out.glob(name))))
        skel = labels.skeletons[0]
        assert [sorted(n.name for n in s.nodes) for s in skel.symmetries] == [
            ["left_ear", "right_ear"]
        ]
        again = project_import(path=next(out.glob(name)), owner=alice, name=f"again {fmt}")
        assert [(a.node_a.name, a.node_b.name) for a in again.symmetries.all()] == [
            ("left_ear", "right_ear")
        ]
        names = dict(again.nodes.values_list("id", "name"))
        got = {
            i.track: sorted((names[p["node"]], p["x"], p["y"], p["visibility"]) for p in i.points)
            for i in Instance.objects.filter(labeled_frame__video__project=again)
        }
        assert got == {
            "mouse1": [("left_ear", 30.125, 40.0, 1), ("snout", 10.25, 20.5, 2)],
            "mouse2": [("right_ear", 50.0, 60.0, 2)],
        }
        frame = LabeledFrame.objects.get(video__project=again)
        if fmt == "slp":  # the video itself travels: same frame number
            assert frame.frame_index == 3
        else:  # embedded frames become an image sequence that remembers the frame number
            source = ImportedFrameSource.objects.get(
                video=frame.video, frame_index=frame.frame_index
            )
            assert source.original_frame_index == 3


def test_unsupported_slp_file_is_refused(alice, tmp_path):
    bad = tmp_path / "old.slp"
    bad.write_text('{"version": "1.0", "labels": []}')  # SLEAP's old JSON format
    with pytest.raises(ApplicationError, match="unsupported SLEAP version or format"):
        project_import(path=bad, owner=alice)
    assert Project.objects.count() == 0 and media_files() == []


def test_slp_whose_video_is_missing_names_it(shared_data_dir, alice, tmp_path):
    import shutil

    copy = tmp_path / "minimal_instance.slp"
    shutil.copyfile(shared_data_dir / PAIR / "minimal_instance.slp", copy)
    with pytest.raises(ApplicationError, match="centered_pair_low_quality.mp4.*absent"):
        project_import(path=copy, owner=alice)
    assert Project.objects.count() == 0
