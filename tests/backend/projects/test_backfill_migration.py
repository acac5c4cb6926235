"""projects 0005: projects labeled before the multi-animal settings keep saving their labels.

The database is taken back to projects 0004 (the state right after the settings
appeared: every project single-animal, no tracks), rows are made with that
state's models, and the migration is run forward for real.
"""

from __future__ import annotations

import pytest

from tests.backend.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("projects", "0004_max_instances_tracks")]
AFTER = [("projects", "0005_backfill_animals_and_tracks")]


def _project_with_frames(apps, name: str, frames: list[list[str | None]], **fields):
    """A project whose video has one labeled frame per item, one instance per track name in it."""
    Project, Video = apps.get_model("projects", "Project"), apps.get_model("videos", "Video")
    LabeledFrame, Instance = apps.get_model("labels", "LabeledFrame"), apps.get_model("labels", "Instance")
    project = Project.objects.create(name=name, **fields)
    video = Video.objects.create(
        project=project, uid=f"uid-{name}", name=f"{name}.mp4", file=f"{name}.mp4", fps=30,
        frame_count=100, width=64, height=48, codec="h264",
    )  # fmt: skip
    for index, tracks in enumerate(frames):
        frame = LabeledFrame.objects.create(video=video, frame_index=index)
        Instance.objects.bulk_create(Instance(labeled_frame=frame, track=t) for t in tracks)
    return project


@pytest.fixture
def old_apps():
    yield migrate(BEFORE)
    migrate_to_latest()


def test_it_raises_the_cap_to_the_most_animals_on_a_frame_and_lists_used_tracks(old_apps):
    Track = old_apps.get_model("projects", "Track")
    herd = _project_with_frames(old_apps, "herd", [["B", "A"], ["A", None, "C"], [None]])
    single = _project_with_frames(old_apps, "single", [[None], [None]])
    uncapped = _project_with_frames(old_apps, "uncapped", [["x", "x"]], max_instances=None)
    kept = _project_with_frames(old_apps, "kept", [["A", "Z"]])
    Track.objects.create(project=kept, name="Z", color="#123456", position=0)

    new_apps = migrate(AFTER)
    Project = new_apps.get_model("projects", "Project")

    def settings(project):
        row = Project.objects.get(pk=project.pk)
        return row.max_instances, list(row.tracks.order_by("position").values_list("name", flat=True))

    assert settings(herd) == (3, ["A", "B", "C"])
    assert settings(single) == (1, [])
    assert settings(uncapped) == (None, ["x"])  # no cap stays no cap
    assert settings(kept) == (2, ["Z", "A"])  # tracks the owner had come first, unchanged
    z, a = Project.objects.get(pk=kept.pk).tracks.order_by("position")
    assert z.color == "#123456" and a.color != z.color


def test_frames_that_were_refused_save_again_after_it(old_apps, alice):
    from backend.common.exceptions import ApplicationError
    from backend.labels.services import labels_save
    from backend.projects.models import Node, Project

    legacy = _project_with_frames(old_apps, "legacy", [["mouse A", "mouse B"]])
    project = Project.objects.get(pk=legacy.pk)
    node = Node.objects.create(project=project, name="snout")
    point = {"node": node.id, "x": 1.0, "y": 2.0, "visibility": 2}
    instances = [{"track": t, "points": [point]} for t in ("mouse A", "mouse B")]

    def save():
        return labels_save(
            video=project.videos.get(), frame_index=0, user=alice, version=0, instances=instances
        )

    with pytest.raises(ApplicationError, match="one animal per frame"):
        save()
    migrate(AFTER)
    project.refresh_from_db()
    assert [i.track for i in save().instances.all()] == ["mouse A", "mouse B"]
