"""Active learning: which frames the model asks about, and turning an answer into a label.

After a run, ``suggestions_rank`` scores its frames with the project's weights
(by default low confidence, disagreement of augmented views and poses unlike the
project's labeled ones; MC-dropout variants, implausible jumps and diversity when
a project turns them on; on tracked runs the frames where identities may switch,
which come first; see ``ml_worker.active_learning``),
leaving out frames that already have labels and frames someone dismissed.
``suggestions_store`` keeps the top N, each with the reasons it was chosen, and
retires the pending suggestions of older runs on the same video.

``suggestion_accept`` adds the predicted instances (all, or the chosen ones; or
the user's corrected points) to the frame through ``labels_save`` with
optimistic concurrency. Other people's instances stay: an accepted instance
replaces only an earlier model-source one that matches it (same track, or the
nearest within an animal size; :mod:`backend.inference.matching`). Where the
label came from is recorded on the Suggestion and in the frame's history row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from backend.common import storage
from backend.common.exceptions import ApplicationError, ConflictError
from backend.inference.matching import replaced_instances
from backend.inference.models import (
    DEFAULT_WEIGHTS,
    SELECTIONS,
    ActiveLearningSettings,
    InferenceRun,
)
from backend.inference.models import Suggestion as SuggestionRow
from backend.inference.predictions import frame_instances
from backend.labels.models import Instance, LabeledFrame
from backend.labels.services import instance_to_dict, labeled_frame_get, labels_save
from backend.projects.access import Role, role_in_project
from backend.projects.models import Project, role_at_least

Pending = SuggestionRow.Status.PENDING
MAX_SUGGESTIONS = 500
MAX_MIN_GAP = 10_000
# The pose model needs the shape of the labels, not all of them.
MAX_POSE_MODEL_INSTANCES = 5000


# --- per-project settings ---------------------------------------------------


def al_settings_get(*, project: Project) -> ActiveLearningSettings:
    row = ActiveLearningSettings.objects.get_or_create(project=project)[0]
    # Settings saved before a strategy existed give it its default weight, as ranking does.
    row.weights = {**DEFAULT_WEIGHTS, **row.weights}
    return row


def _clean_weights(weights: Any) -> dict[str, float]:
    if not isinstance(weights, dict) or not weights:
        raise ApplicationError("weights must be an object of strategy -> weight.")
    unknown = sorted(set(weights) - DEFAULT_WEIGHTS.keys())
    if unknown:
        raise ApplicationError(
            f"Unknown strategy {unknown[0]!r}; use {', '.join(DEFAULT_WEIGHTS)}."
        )
    clean = {**{k: 0.0 for k in DEFAULT_WEIGHTS}, **weights}
    if not all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in clean.values()):
        raise ApplicationError("Each weight must be a number >= 0.")
    if not any(clean.values()):
        raise ApplicationError("At least one weight must be above 0.")
    return {k: float(v) for k, v in clean.items()}


def al_settings_update(
    *, project: Project, user: Any, data: dict[str, Any]
) -> ActiveLearningSettings:
    row = al_settings_get(project=project)
    if "weights" in data:
        row.weights = _clean_weights(data["weights"])
    if "n_suggestions" in data:
        row.n_suggestions = _bounded_int(data["n_suggestions"], "n_suggestions", MAX_SUGGESTIONS)
    if "min_gap" in data:
        row.min_gap = _bounded_int(data["min_gap"], "min_gap", MAX_MIN_GAP)
    if "selection" in data:
        if data["selection"] not in SELECTIONS:
            raise ApplicationError(f"selection must be one of {', '.join(SELECTIONS)}.")
        row.selection = data["selection"]
    row.updated_by = user
    row.save()
    return row


def _bounded_int(value: Any, name: str, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ApplicationError(f"{name} must be a whole number from 0 to {maximum}.")
    return value


# --- ranking ----------------------------------------------------------------


def frames_to_skip(*, run: InferenceRun) -> set[int]:
    """Frames of the run's video that already have labels, or that someone dismissed."""
    labeled = LabeledFrame.objects.filter(video=run.video_id, instances__isnull=False)
    dismissed = SuggestionRow.objects.filter(
        video=run.video_id, status=SuggestionRow.Status.DISMISSED, decided_by__isnull=False
    )
    return set(labeled.values_list("frame_index", flat=True)) | set(
        dismissed.values_list("frame_index", flat=True)
    )


def suggestions_rank(
    *, run: InferenceRun, predictions: Any, artifact: Any = None
) -> list[dict[str, Any]]:
    """The run's top frames as ``{frame_index, score, subscores, reasons}`` (no writes).

    ``artifact`` (the loaded model, on the worker) enables the disagreement score.
    """
    from backend.videos.media import read_frames
    from ml_worker.inference_run import rank

    config = run.suggestions_config
    if not config.get("n"):
        return []
    # Settings saved before a strategy existed give it its default weight.
    weights = {**DEFAULT_WEIGHTS, **config.get("weights", {})}
    poses = None
    if weights.get("pose_outlier", 0) > 0:
        poses = labeled_poses(project=run.project, node_names=list(predictions.node_names))
    return rank(
        predictions,
        n=config["n"],
        weights=weights,
        labeled_poses=poses,
        expected_instances=getattr(run.project, "max_instances", None),
        exclude=frames_to_skip(run=run),
        min_gap=config.get("min_gap", 0),
        # Runs queued before the setting existed rank as they always did.
        selection=config.get("selection", "greedy"),
        artifact=artifact,
        # Only the disagreement score decodes frames: the web side never fetches the video.
        video_path=storage.local_path(run.video.file.name) if artifact is not None else None,
        read_frames=read_frames,
    )


def labeled_poses(*, project: Project, node_names: list[str]) -> np.ndarray:
    """``(N, K, 2)`` every labeled instance of the project, nodes in ``node_names`` order
    (the model's; NaN where unlabeled), for the pose-plausibility model."""
    ids = dict(project.nodes.values_list("name", "id"))
    column = {ids[name]: k for k, name in enumerate(node_names) if name in ids}
    rows = Instance.objects.filter(labeled_frame__video__project=project)
    poses = []
    for points in rows.values_list("points", flat=True)[:MAX_POSE_MODEL_INSTANCES]:
        pose = np.full((len(node_names), 2), np.nan)
        for p in points:
            if p.get("node") in column:
                pose[column[p["node"]]] = p["x"], p["y"]
        poses.append(pose)
    return np.array(poses).reshape(-1, len(node_names), 2)


@transaction.atomic
def suggestions_store(*, run: InferenceRun, ranked: list[dict[str, Any]]) -> list[SuggestionRow]:
    SuggestionRow.objects.filter(video=run.video_id, status=Pending).exclude(run=run).update(
        status=SuggestionRow.Status.SUPERSEDED, decided_at=timezone.now()
    )
    return SuggestionRow.objects.bulk_create(
        SuggestionRow(run=run, video_id=run.video_id, **item) for item in ranked
    )


def suggestions_generate(*, run: InferenceRun, predictions: Any = None) -> list[SuggestionRow]:
    """Rank a succeeded run's frames again (e.g. after labeling more) and store the top N."""
    from ml_worker.inference_run import load_predictions

    if run.status != InferenceRun.Status.SUCCEEDED and predictions is None:
        raise ApplicationError("Suggestions need a run that succeeded.")
    if predictions is None:
        predictions = load_predictions(storage.local_path(run.predictions_file))
    ranked = suggestions_rank(run=run, predictions=predictions)
    with transaction.atomic():
        run.suggestions.filter(status=Pending).delete()
        taken = set(run.suggestions.values_list("frame_index", flat=True))
        return suggestions_store(
            run=run, ranked=[r for r in ranked if r["frame_index"] not in taken]
        )


# --- decisions --------------------------------------------------------------


def _pending(suggestion: SuggestionRow) -> SuggestionRow:
    """The row locked for this transaction; 400 if someone already decided it."""
    row = SuggestionRow.objects.select_for_update().get(pk=suggestion.pk)
    if row.status != Pending:
        raise ApplicationError(f"This suggestion was already {row.status}.")
    return row


def _provenance(row: SuggestionRow, user: Any, corrected: bool) -> dict[str, Any]:
    version = row.run.model_version
    verb = "corrected" if corrected else "accepted"
    return {
        "suggestion": row.id,
        "run": row.run_id,
        "model_version": version.id,
        "model_version_number": version.number,
        "corrected": corrected,
        "by": user.username,
        "note": f"from model v{version.number}, {verb} by {user.username}",
    }


def suggestion_accept(
    *,
    suggestion: SuggestionRow,
    user: Any,
    points_override: list[dict[str, Any]] | None = None,
    version: int | None = None,
    instances: list[int] | None = None,
) -> SuggestionRow:
    """Add the suggested frame's predicted instances (or the user's corrected points) as labels.

    ``instances`` picks predicted instances by their index in the frame's
    prediction (default: all). ``points_override`` saves one human instance
    instead (with the track of the one chosen prediction, if any). ``version`` is
    the frame's label version the user saw; without it the current version is
    used, but a frame that gained labels meanwhile is a 409.
    """
    with transaction.atomic():
        row = _pending(suggestion)
        corrected = points_override is not None
        accepted = _accepted(row, points_override, instances)
        current = labeled_frame_get(video=row.video, frame_index=row.frame_index)
        version = _version_seen(current, version)
        kept = _kept(current, accepted, corrected=corrected)
        _check_room(row.video.project, kept, accepted)
        frame = labels_save(
            video=row.video,
            frame_index=row.frame_index,
            user=user,
            version=version,
            instances=kept + accepted,
        )
        provenance = _provenance(row, user, corrected)
        _record_provenance(frame, kept + accepted, len(kept), provenance)
        row.status, row.decided_by, row.decided_at = (
            SuggestionRow.Status.ACCEPTED,
            user,
            timezone.now(),
        )
        row.labeled_frame, row.provenance = frame, provenance
        row.save()
    return row


def _accepted(
    row: SuggestionRow, points_override: list[dict[str, Any]] | None, chosen: list[int] | None
) -> list[dict[str, Any]]:
    """The instances to add, as labels_save takes them (model ones keep their point scores)."""
    predicted = frame_instances(row.run, row.frame_index)
    if chosen is not None:
        if not chosen or any(not 0 <= i < len(predicted) for i in chosen):
            raise ApplicationError(
                f"instances must pick from the {len(predicted)} predicted on this frame."
            )
        predicted = [predicted[i] for i in dict.fromkeys(chosen)]
    if points_override is not None:
        track = predicted[0]["track"] if len(predicted) == 1 else None
        accepted = [{"track": track, "source": Instance.Source.HUMAN, "points": points_override}]
    else:
        accepted = [
            {
                "track": inst["track"],
                "source": Instance.Source.MODEL,
                "points": [{**p, "visibility": 2} for p in inst["points"]],
            }
            for inst in predicted
        ]
    if not any(inst["points"] for inst in accepted):
        raise ApplicationError("There are no points to save on this frame.")
    return [inst for inst in accepted if inst["points"]]


def _kept(
    current: LabeledFrame | None, accepted: list[dict[str, Any]], *, corrected: bool = False
) -> list[dict[str, Any]]:
    """The frame's instances that stay: all but the model ones the accepted replace.

    The workspace saves a correction before accepting it, so on a corrected accept the
    human instance holding exactly the corrected points is that same instance, not
    someone else's: it is replaced (and gains the suggestion's provenance).
    """
    existing = [instance_to_dict(i) for i in current.instances.all()] if current else []
    replaced = replaced_instances(existing, accepted)
    if corrected:
        replaced |= {i for i, inst in enumerate(existing)
                     if any(_same_points(inst["points"], a["points"]) for a in accepted)}
    return [
        {"track": inst["track"], "source": inst["source"], "points": inst["points"]}
        for i, inst in enumerate(existing)
        if i not in replaced
    ]


def _same_points(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def key(points: list[dict[str, Any]]) -> dict[int, tuple[float, float]]:
        return {p["node"]: (round(float(p["x"]), 3), round(float(p["y"]), 3)) for p in points}

    return bool(a) and key(a) == key(b)


def _version_seen(current: LabeledFrame | None, version: int | None) -> int:
    """The version to save on: a stale one, or none on a frame labeled meanwhile, is a 409."""
    now = current.version if current is not None else 0
    if version is None and current is not None and current.instances.exists():
        raise ConflictError(
            "This frame was labeled since the suggestion was made; "
            "reload it and accept again with its version.",
            {"version": now},
        )
    if version is not None and version != now:
        raise ConflictError(
            f"This frame changed since you loaded it (your version {version}, current {now}); "
            "reload it and accept again.",
            {"version": now},
        )
    return now


def _check_room(project: Project, kept: list[Any], accepted: list[Any]) -> None:
    """People's instances stay, so a frame at the project's animal count takes no more."""
    cap = getattr(project, "max_instances", None)
    if cap is not None and len(kept) + len(accepted) > cap:
        raise ApplicationError(
            f"This frame already holds {len(kept)} labeled instance(s) and the project allows "
            f"{cap} per frame; accepting would add {len(accepted)}. Edit the frame's labels "
            "instead, or choose fewer instances."
        )


def _record_provenance(
    frame: LabeledFrame,
    saved: list[dict[str, Any]],
    n_kept: int,
    provenance: dict[str, Any],
) -> None:
    """Keep point scores on the saved instances (labels_save drops them), and say in
    the history row which instances came from the suggestion."""
    created = list(frame.instances.all())  # in the order saved: kept, then accepted
    for instance, item in zip(created, saved, strict=True):
        scores = {p["node"]: p["score"] for p in item["points"] if "score" in p}
        if scores:
            instance.points = [{**p, "score": scores.get(p["node"])} for p in instance.points]
            instance.save(update_fields=["points"])
    history = frame.history.exclude(action="reopen").order_by("-id").first()
    history.action = "accept_suggestion"
    history.after = [
        {**instance_to_dict(inst), **({"provenance": provenance} if i >= n_kept else {})}
        for i, inst in enumerate(created)
    ]
    history.save(update_fields=["action", "after"])


def suggestion_dismiss(*, suggestion: SuggestionRow, user: Any) -> SuggestionRow:
    with transaction.atomic():
        row = _pending(suggestion)
        row.status, row.decided_by, row.decided_at = (
            SuggestionRow.Status.DISMISSED,
            user,
            timezone.now(),
        )
        row.save(update_fields=["status", "decided_by", "decided_at"])
    return row


def suggestion_assign(*, suggestion: SuggestionRow, user: Any, assignee: Any) -> SuggestionRow:
    """Give a pending suggestion to a member; annotators may only take it themselves."""
    project_id = suggestion.run.project_id
    for_self = assignee == user or (assignee is None and suggestion.assignee_id == user.id)
    if not for_self and not role_at_least(role_in_project(user, project_id), Role.REVIEWER):
        raise ApplicationError(
            "Only reviewers and owners assign frames to others.", status_code=403
        )
    if assignee is not None and not role_at_least(
        role_in_project(assignee, project_id), Role.ANNOTATOR
    ):
        raise ApplicationError(f"{assignee.username} is not an annotator in this project.")
    with transaction.atomic():
        row = _pending(suggestion)
        row.assignee = assignee
        row.save(update_fields=["assignee"])
    return row
