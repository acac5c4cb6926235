"""Several animals per frame: exports in each format's multi-animal layout, imports that train.

The project here holds two tracked mice on frame 3, a predicted mouse beside a
labeled one on frame 5, and DeepLabCut's ``single`` pseudo-animal where a
format has it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sleap_io as sio
import yaml

from backend.interchange.services import project_export, project_import
from backend.labels.models import Instance, LabeledFrame
from backend.labels.services import labels_save
from backend.training.services import snapshot_freeze
from tests.backend.interchange.helpers import MONTBLANC, unzip


def _label_two_mice(project, video, user) -> None:
    snout, left, right = project.nodes.values_list("id", flat=True)
    labels_save(video=video, frame_index=3, user=user, version=0, instances=[
        {"track": "mouse1", "points": [
            {"node": snout, "x": 10.25, "y": 20.5, "visibility": 2},
            {"node": left, "x": 30.125, "y": 40.0, "visibility": 2}]},
        {"track": "mouse2", "points": [
            {"node": snout, "x": 50.0, "y": 60.0, "visibility": 2},
            {"node": right, "x": 70.5, "y": 80.75, "visibility": 2}]},
    ])  # fmt: skip
    labels_save(video=video, frame_index=5, user=user, version=0, instances=[
        {"track": "mouse1", "points": [{"node": left, "x": 11.0, "y": 12.0, "visibility": 2}]},
    ])  # fmt: skip
    frame = LabeledFrame.objects.get(video=video, frame_index=5)
    Instance.objects.create(labeled_frame=frame, track="mouse2", source="model", points=[
        {"node": snout, "x": 90.5, "y": 91.5, "visibility": 2, "score": 0.75},
        {"node": right, "x": 92.0, "y": 93.0, "visibility": 2, "score": 0.5},
    ])  # fmt: skip


def _animals(project, sources: bool = True) -> list[tuple]:
    """(frame's rank, track, source, points sorted by node name) of every instance.

    Ranks, not frame numbers: image-sequence formats number the exported frames anew."""
    names = dict(project.nodes.values_list("id", "name"))
    rows = Instance.objects.filter(labeled_frame__video__project=project).select_related(
        "labeled_frame")  # fmt: skip
    rank = {f: r for r, f in enumerate(sorted({i.labeled_frame.frame_index for i in rows}))}
    return sorted(
        (rank[i.labeled_frame.frame_index], i.track, i.source if sources else "",
         tuple(sorted((names[p["node"]], p["x"], p["y"], p["visibility"]) for p in i.points)))
        for i in rows
    )  # fmt: skip


@pytest.fixture
def mice(project, video, alice):
    _label_two_mice(project, video, alice)
    return project


def _export(project, fmt: str, tmp_path):
    return unzip(project_export(project=project, format=fmt, labels="all", dest=tmp_path / fmt),
                 tmp_path / f"out-{fmt}")  # fmt: skip


@pytest.mark.parametrize("table", ["csv", "h5"])
def test_dlc_multi_animal_export_and_back(mice, alice, tmp_path, table):
    root = _export(mice, "dlc", tmp_path)
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["multianimalproject"] is True
    assert config["individuals"] == ["mouse1", "mouse2"]
    assert config["multianimalbodyparts"] == ["snout", "left_ear", "right_ear"]
    (csv,) = root.glob("labeled-data/*/CollectedData_*.csv")
    header = pd.read_csv(csv, header=None, nrows=4)[0].tolist()
    assert header == ["scorer", "individuals", "bodyparts", "coords"]
    if table == "h5":
        csv.unlink()  # the importer prefers the CSV; this reads the 4-level HDF5 index instead
    again = project_import(path=root, owner=alice, name="again")
    # DeepLabCut tables hold labels only: the prediction comes back as a label.
    assert _animals(again, sources=False) == _animals(mice, sources=False)
    assert again.max_instances == 2
    assert list(again.tracks.values_list("name", flat=True)) == ["mouse1", "mouse2"]


def test_dlc_untracked_animals_become_individuals(project, video, alice, tmp_path):
    snout = project.nodes.first().id
    labels_save(video=video, frame_index=2, user=alice, version=0, instances=[
        {"track": None, "points": [{"node": snout, "x": float(x), "y": 1.0, "visibility": 2}]}
        for x in (5, 6, 7)
    ])  # fmt: skip
    root = _export(project, "dlc", tmp_path)
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["individuals"] == ["individual1", "individual2", "individual3"]
    again = project_import(path=root, owner=alice, name="again")
    tracks = Instance.objects.filter(labeled_frame__video__project=again).order_by("track")
    assert [(i.track, i.points[0]["x"]) for i in tracks] == [
        ("individual1", 5.0), ("individual2", 6.0), ("individual3", 7.0)]


def test_dlc_unique_body_parts_round_trip(project, video, alice, tmp_path):
    snout, left, right = project.nodes.values_list("id", flat=True)
    labels_save(video=video, frame_index=1, user=alice, version=0, instances=[
        {"track": "mouse1", "points": [{"node": snout, "x": 1.0, "y": 2.0, "visibility": 2},
                                       {"node": left, "x": 3.0, "y": 4.0, "visibility": 2}]},
        {"track": "single", "points": [{"node": right, "x": 5.0, "y": 6.0, "visibility": 2}]},
    ])  # fmt: skip
    root = _export(project, "dlc", tmp_path)
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert (config["multianimalbodyparts"], config["uniquebodyparts"]) == (
        ["snout", "left_ear"], ["right_ear"])
    assert config["individuals"] == ["mouse1"]
    again = project_import(path=root, owner=alice, name="again")
    assert _animals(again) == _animals(project)


def test_sleap_tracks_and_predicted_instances_round_trip(mice, alice, tmp_path):
    root = _export(mice, "slp", tmp_path)
    labels = sio.load_slp(str(next(root.glob("*.slp"))), open_videos=False)
    assert [t.name for t in labels.tracks] == ["mouse1", "mouse2"]
    by_frame = {lf.frame_idx: lf for lf in labels.labeled_frames}
    assert [i.track.name for i in by_frame[3].user_instances] == ["mouse1", "mouse2"]
    (predicted,) = by_frame[5].predicted_instances
    assert predicted.track.name == "mouse2"
    assert predicted.points["score"][[0, 2]].tolist() == pytest.approx([0.75, 0.5])
    again = project_import(path=next(root.glob("*.slp")), owner=alice, name="again")
    assert _animals(again) == _animals(mice)
    assert again.max_instances == 2
    scores = Instance.objects.get(labeled_frame__video__project=again, source="model").points
    assert [p["score"] for p in scores] == pytest.approx([0.75, 0.5])


def test_coco_one_annotation_per_animal_round_trip(mice, alice, tmp_path):
    root = _export(mice, "coco", tmp_path)
    doc = json.loads((root / "annotations.json").read_text())
    assert len(doc["images"]) == 2 and len(doc["annotations"]) == 4
    assert sorted(a["attributes"]["track_id"] for a in doc["annotations"]) == [
        "mouse1", "mouse1", "mouse2", "mouse2"]
    again = project_import(path=root, owner=alice, name="again")
    assert _animals(again) == _animals(mice)
    assert list(again.tracks.values_list("name", flat=True)) == ["mouse1", "mouse2"]


def test_single_animal_export_keeps_the_single_animal_layout(project, video, alice, tmp_path):
    snout = project.nodes.first().id
    labels_save(video=video, frame_index=0, user=alice, version=0, instances=[
        {"points": [{"node": snout, "x": 1.0, "y": 2.0, "visibility": 2}]}])  # fmt: skip
    root = _export(project, "dlc", tmp_path)
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["multianimalproject"] is False and "individuals" not in config
    (csv,) = root.glob("labeled-data/*/CollectedData_*.csv")
    assert pd.read_csv(csv, header=None, nrows=3)[0].tolist() == ["scorer", "bodyparts", "coords"]
    again = project_import(path=root, owner=alice, name="again")
    assert again.max_instances == 1 and not again.tracks.exists()


def test_montblanc_imports_several_birds_per_frame_and_trains_directly(shared_data_dir, alice):
    project = project_import(path=shared_data_dir / MONTBLANC, owner=alice)
    birds = [f"bird{i}" for i in range(1, 9)]
    assert list(project.tracks.values_list("name", flat=True)) == birds
    per_frame = [f.instances.count() for f in LabeledFrame.objects.filter(video__project=project)]
    assert project.max_instances == max(per_frame) > 1
    snapshot = snapshot_freeze(project=project, user=alice, include_unreviewed=False)
    crowded = [f for f in snapshot.content["frames"] if len(f["instances"]) > 1]
    assert crowded, "the snapshot keeps every bird of a frame"
    for frame in crowded:
        tracks = [i["track"] for i in frame["instances"]]
        assert set(tracks) <= set(birds) and len(set(tracks)) == len(tracks)
    assert sum(len(f["instances"]) for f in snapshot.content["frames"]) == 164
