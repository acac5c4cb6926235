"""Projects labeled before multi-animal settings existed keep saving their labels.

0004 gave every project ``max_instances=1`` and an empty track list, but labels
made before it may hold several instances per frame and track names; those
frames would be refused on their next save. Each project's cap is raised to
the most instances on any of its frames, and every track name its instances
use joins its track list (after the tracks it has, by name, palette colours).
Nothing is lowered or removed, so running it again, or after owners have
edited the settings, changes nothing they chose.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Count

# services.TRACK_PALETTE as of this migration (frozen: migrations must not follow later edits).
TRACK_PALETTE = [
    "#ff7f0e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f",
]  # fmt: skip


def _most_instances_per_project(Instance) -> dict[int, int]:
    rows = (
        Instance.objects.values("labeled_frame_id", "labeled_frame__video__project_id")
        .annotate(n=Count("id"))
        .values_list("labeled_frame__video__project_id", "n")
    )
    most: dict[int, int] = defaultdict(int)
    for project_id, n in rows:
        most[project_id] = max(most[project_id], n)
    return most


def _track_names_per_project(Instance) -> dict[int, set[str]]:
    rows = (
        Instance.objects.exclude(track=None)
        .exclude(track="")
        .values_list("labeled_frame__video__project_id", "track")
        .distinct()
    )
    names: dict[int, set[str]] = defaultdict(set)
    for project_id, track in rows:
        names[project_id].add(track)
    return names


def backfill(apps, schema_editor):
    Instance = apps.get_model("labels", "Instance")
    Project = apps.get_model("projects", "Project")
    Track = apps.get_model("projects", "Track")
    for project_id, n in _most_instances_per_project(Instance).items():
        if n > 1:
            # A null cap (no limit) already allows them; only a lower number is raised.
            Project.objects.filter(pk=project_id, max_instances__lt=n).update(max_instances=n)
    for project_id, used in _track_names_per_project(Instance).items():
        have = list(Track.objects.filter(project_id=project_id).values_list("name", flat=True))
        missing = sorted(used - set(have))
        Track.objects.bulk_create(
            Track(project_id=project_id, name=name, position=position,
                  color=TRACK_PALETTE[position % len(TRACK_PALETTE)])
            for position, name in enumerate(missing, start=len(have))
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_max_instances_tracks"),
        ("labels", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
