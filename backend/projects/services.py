"""Project, membership and skeleton services (views stay thin; tests call these)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Count, QuerySet, Value, When

from backend.common import storage
from backend.common.exceptions import ApplicationError, ConflictError
from backend.projects.models import Edge, Membership, Node, Project, Symmetry, Track

User = get_user_model()

PALETTE = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3",
]  # fmt: skip


# Track colours (matplotlib tab10): distinct from each other on video and from the node palette's order.
TRACK_PALETTE = [
    "#ff7f0e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f",
]  # fmt: skip


@transaction.atomic
def project_create(
    *,
    name: str,
    description: str = "",
    owner: Any,
    allow_self_review: bool = False,
    max_instances: int | None = 1,
    tracks: list[dict[str, Any]] | None = None,
) -> Project:
    project = Project.objects.create(
        name=name,
        description=description,
        created_by=owner,
        allow_self_review=allow_self_review,
        max_instances=max_instances,
    )
    Membership.objects.create(project=project, user=owner, role=Membership.Role.OWNER)
    if tracks:
        tracks_replace(project=project, tracks=tracks)
    return project


@transaction.atomic
def tracks_replace(*, project: Project, tracks: list[dict[str, Any]]) -> list[Track]:
    """Make ``tracks`` (ordered ``{"id"?, "name", "color"?}``) the project's track list.

    Labels name their track, so an item with an existing track's ``id`` renames
    it and its instances with it, in this transaction (label versions and
    history stay: a rename moves no point). An item without an id keeps the
    track of that name if there is one. Deleting a track that instances use is
    refused: those labels could no longer be saved.
    """
    names = [t["name"] for t in tracks]
    if len(set(names)) != len(names):
        raise ApplicationError("Track names must be unique.")
    existing = {t.id: t for t in project.tracks.select_for_update()}
    kept = _tracks_kept(project, existing, tracks)
    removed = [t for t in existing.values() if t not in kept]
    _refuse_removing_used_tracks(project, removed)
    Track.objects.filter(pk__in=[t.id for t in removed]).delete()
    renamed = [(t, spec["name"]) for t, spec in zip(kept, tracks, strict=True)
               if t.pk and t.name != spec["name"]]  # fmt: skip
    _rename_instance_tracks(project, {t.name: new for t, new in renamed})
    # Park renamed tracks first so a swap of two names does not hit the unique constraint.
    for track, _ in renamed:
        track.name = f"__tmp_{track.pk}"
        track.save(update_fields=["name"])
    for position, (track, spec) in enumerate(zip(kept, tracks, strict=True)):
        default = track.color if track.pk else TRACK_PALETTE[position % len(TRACK_PALETTE)]
        track.name, track.position, track.color = spec["name"], position, spec.get("color") or default
        track.save()
    return kept


def _tracks_kept(
    project: Project, existing: dict[int, Track], tracks: list[dict[str, Any]]
) -> list[Track]:
    """For each item, the track it keeps (by id, else by a name no id claims) or a new one."""
    ids = [spec["id"] for spec in tracks if spec.get("id") is not None]
    unknown = sorted(set(ids) - existing.keys())
    if unknown:
        raise ApplicationError(f"Track id {unknown[0]} is not in this project.")
    if len(set(ids)) != len(ids):
        raise ApplicationError("Each track id may appear only once.")
    unclaimed = {t.name: t for t in existing.values() if t.id not in ids}
    return [
        existing[spec["id"]]
        if spec.get("id") is not None
        else unclaimed.pop(spec["name"], None) or Track(project=project)
        for spec in tracks
    ]


def _project_instances(project: Project) -> QuerySet:
    from backend.labels.models import Instance

    return Instance.objects.filter(labeled_frame__video__project=project)


def _refuse_removing_used_tracks(project: Project, removed: list[Track]) -> None:
    if not removed:
        return
    used = dict(
        _project_instances(project)
        .filter(track__in=[t.name for t in removed])
        .values_list("track")
        .annotate(n=Count("id"))
    )
    if used:
        described = "; ".join(
            f"track {name!r} is used by {n} instance{'' if n == 1 else 's'}"
            for name, n in sorted(used.items())
        )
        raise ApplicationError(
            f"Cannot delete: {described}. Rename it instead, or give those instances "
            "another track first.",
            {"instances_using": used},
        )


def _rename_instance_tracks(project: Project, renames: dict[str, str]) -> None:
    """One UPDATE, so every row is matched on its old name (a swap of two names works)."""
    if not renames:
        return
    new_name = Case(*(When(track=old, then=Value(new)) for old, new in renames.items()))
    _project_instances(project).filter(track__in=list(renames)).update(track=new_name)


def project_counts(project: Project) -> dict[str, Any]:
    from backend.labels.models import Instance, LabeledFrame

    by_status = dict.fromkeys(LabeledFrame.Status.values, 0)
    rows = (
        LabeledFrame.objects.filter(video__project=project).values("status").annotate(n=Count("id"))
    )
    for row in rows:
        by_status[row["status"]] = row["n"]
    return {
        "videos": project.videos.count(),
        "labeled_frames": sum(by_status.values()),
        "instances": Instance.objects.filter(labeled_frame__video__project=project).count(),
        "by_status": by_status,
    }


NOT_A_CANDIDATE = "No such user among people you share a project with; send an invite link instead."


def member_candidates(*, project: Project, actor: Any) -> QuerySet:
    """People ``actor`` already works with elsewhere who are not in ``project`` yet.

    This is the only user directory the API exposes: anyone else joins by invite link.
    """
    return (
        User.objects.filter(is_active=True, memberships__project__memberships__user=actor)
        .exclude(memberships__project=project)
        .distinct()
        .order_by("username")
    )


def member_add(*, project: Project, actor: Any, username: str, role: str) -> Membership:
    """Add a co-worker directly. Unknown and unrelated usernames get the same answer."""
    if project.memberships.filter(user__username=username).exists():
        raise ApplicationError(f"{username} is already a member of this project.")
    if role == Membership.Role.OWNER:
        # Ownership is never given without consent: add them first, then promote them.
        raise ApplicationError(
            "Add them with another role first; a member can be made owner once they have joined."
        )
    user = member_candidates(project=project, actor=actor).filter(username=username).first()
    if user is None:
        raise ApplicationError(NOT_A_CANDIDATE)
    return Membership.objects.create(project=project, user=user, role=role)


def _ensure_an_owner_remains(project: Project, excluding: Membership) -> None:
    owners = project.memberships.filter(role=Membership.Role.OWNER).exclude(pk=excluding.pk)
    if not owners.exists():
        raise ApplicationError("A project needs at least one owner.")


def member_update(*, membership: Membership, role: str) -> Membership:
    if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _ensure_an_owner_remains(membership.project, membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def member_remove(*, membership: Membership) -> None:
    if membership.role == Membership.Role.OWNER:
        _ensure_an_owner_remains(membership.project, membership)
    membership.delete()


# --- skeleton ---------------------------------------------------------------


def skeleton_to_dict(project: Project) -> dict[str, Any]:
    return {
        "nodes": [{"id": n.id, "name": n.name, "color": n.color} for n in project.nodes.all()],
        "edges": [[e.source_id, e.destination_id] for e in project.edges.all()],
        "symmetries": [[s.node_a_id, s.node_b_id] for s in project.symmetries.all()],
    }


def _labels_using_nodes(project: Project, node_ids: set[int]) -> int:
    from backend.labels.models import Instance

    count = 0
    instances = Instance.objects.filter(labeled_frame__video__project=project).only("points")
    for instance in instances.iterator():
        count += sum(1 for p in instance.points if p.get("node") in node_ids)
    return count


def _resolve_pairs(
    pairs: list[list[Any]], lookup: dict[Any, Node], what: str
) -> list[tuple[Node, Node]]:
    resolved = []
    for pair in pairs:
        if len(pair) != 2:
            raise ApplicationError(f"Each {what} must name exactly two nodes.")
        try:
            a, b = lookup[pair[0]], lookup[pair[1]]
        except KeyError as exc:
            raise ApplicationError(
                f"{what.capitalize()} refers to unknown node {exc.args[0]!r}."
            ) from None
        if a.pk == b.pk:
            raise ApplicationError(f"A {what} cannot join node {a.name!r} to itself.")
        resolved.append((a, b))
    return resolved


@transaction.atomic
def skeleton_update(
    *, project: Project, data: dict[str, Any], confirm: bool = False
) -> dict[str, Any]:
    """Replace the skeleton, keeping node ids (and so every label) for nodes that keep their id."""
    nodes_in = data.get("nodes", [])
    names = [str(n.get("name", "")).strip() for n in nodes_in]
    if any(not name for name in names):
        raise ApplicationError("Every node needs a name.")
    if len(set(names)) != len(names):
        raise ApplicationError("Node names must be unique.")
    existing = {n.id: n for n in project.nodes.select_for_update()}
    kept_ids = {n["id"] for n in nodes_in if n.get("id") is not None}
    unknown = kept_ids - existing.keys()
    if unknown:
        raise ApplicationError(f"Node id {sorted(unknown)[0]} is not in this project's skeleton.")
    removed = set(existing) - kept_ids
    if removed:
        n_labels = _labels_using_nodes(project, removed)
        if n_labels and not confirm:
            raise ConflictError(
                f"Deleting {len(removed)} node(s) removes {n_labels} labeled point(s). "
                "Send confirm=true to go ahead.",
                {"labels_removed": n_labels, "nodes": sorted(removed)},
            )
        _strip_points(project, removed)
        Node.objects.filter(pk__in=removed).delete()
    # Park names first so a swap of two names does not hit the unique constraint.
    for node in existing.values():
        if node.id in kept_ids:
            node.name = f"__tmp_{node.id}"
            node.save(update_fields=["name"])
    lookup: dict[Any, Node] = {}
    for position, (spec, name) in enumerate(zip(nodes_in, names, strict=True)):
        color = spec.get("color") or PALETTE[position % len(PALETTE)]
        if spec.get("id") is not None:
            node = existing[spec["id"]]
            node.name, node.color, node.position = name, color, position
            node.save()
        else:
            node = Node.objects.create(project=project, name=name, color=color, position=position)
        lookup[node.id] = node
        lookup[name] = node
    edges = _resolve_pairs(data.get("edges", []), lookup, "edge")
    symmetries = _resolve_pairs(data.get("symmetries", []), lookup, "symmetry")
    project.edges.all().delete()
    project.symmetries.all().delete()
    Edge.objects.bulk_create(Edge(project=project, source=a, destination=b) for a, b in edges)
    Symmetry.objects.bulk_create(
        Symmetry(project=project, node_a=a, node_b=b) for a, b in symmetries
    )
    return skeleton_to_dict(project)


def _strip_points(project: Project, node_ids: set[int]) -> None:
    from backend.labels.models import Instance

    instances = Instance.objects.filter(labeled_frame__video__project=project)
    for instance in instances.iterator():
        kept = [p for p in instance.points if p.get("node") not in node_ids]
        if len(kept) != len(instance.points):
            instance.points = kept
            instance.save(update_fields=["points"])


def project_delete(*, project: Project) -> None:
    """Delete a project and everything in it, its files included.

    Training jobs go first: a job PROTECTs its label snapshot, so deleting the
    project in one cascade would refuse (ProtectedError, a 500) once it has trained.
    Files go only once the rows are gone for good (on commit), so a failed delete
    leaves a whole project, never rows pointing at missing files.
    """
    folders = project_media_folders(project)
    with transaction.atomic():
        project.training_jobs.all().delete()
        project.delete()
        transaction.on_commit(lambda: _remove_folders(folders))


def project_media_folders(project: Project) -> list[str]:
    """Every storage folder (key prefix) that holds only this project's files."""
    from backend.inference.services import project_predictions_prefix
    from backend.interchange.models import job_folder
    from backend.training.services import project_models_prefix
    from backend.videos.models import project_media_prefix
    from backend.videos.services import frame_cache_prefix

    folders = [project_media_prefix(project.id), project_models_prefix(project.id),
               project_predictions_prefix(project.id)]  # fmt: skip
    folders += [frame_cache_prefix(video) for video in project.videos.all()]
    folders += [job_folder(uid) for uid in project.interchange_jobs.values_list("uid", flat=True)]
    return folders


def _remove_folders(folders: list[str]) -> None:
    for folder in folders:
        # storage.delete_prefix refuses the root and anything outside the store.
        storage.delete_prefix(folder)
