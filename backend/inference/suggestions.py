"""Active learning: which frames the model asks about, and turning an answer into a label.

After a run, ``suggestions_rank`` scores its frames (low confidence,
disagreement, implausible jumps, diversity; see ``ml_worker.active_learning``),
leaving out frames that already have labels and frames someone dismissed.
``suggestions_store`` keeps the top N, each with the reasons it was chosen, and
retires the pending suggestions of older runs on the same video.

``suggestion_accept`` saves the prediction (or the user's corrected points)
through ``labels_save`` with optimistic concurrency, then records where the
label came from on the Suggestion and in the frame's history row.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.common.exceptions import ApplicationError, ConflictError
from backend.inference.models import DEFAULT_WEIGHTS, ActiveLearningSettings, InferenceRun
from backend.inference.models import Suggestion as SuggestionRow
from backend.inference.predictions import frame_points
from backend.labels.models import Instance, LabeledFrame
from backend.labels.services import instance_to_dict, labeled_frame_get, labels_save
from backend.projects.access import Role, role_in_project
from backend.projects.models import Project, role_at_least

Pending = SuggestionRow.Status.PENDING
MAX_SUGGESTIONS = 500
MAX_MIN_GAP = 10_000


# --- per-project settings ---------------------------------------------------


def al_settings_get(*, project: Project) -> ActiveLearningSettings:
    return ActiveLearningSettings.objects.get_or_create(project=project)[0]


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
    return rank(
        predictions,
        n=config["n"],
        weights=config.get("weights", DEFAULT_WEIGHTS),
        exclude=frames_to_skip(run=run),
        min_gap=config.get("min_gap", 0),
        artifact=artifact,
        video_path=Path(run.video.file.path),
        read_frames=read_frames,
    )


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
        predictions = load_predictions(Path(settings.MEDIA_ROOT) / run.predictions_file)
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
) -> SuggestionRow:
    """Turn the suggested frame's prediction (or the user's corrected points) into a label.

    ``version`` is the frame's label version the user saw; without it the
    current version is used, but a frame that gained labels meanwhile is a 409.
    """
    with transaction.atomic():
        row = _pending(suggestion)
        corrected = points_override is not None
        predicted = frame_points(row.run, row.frame_index)
        if corrected:
            points, source = points_override, Instance.Source.HUMAN
        else:
            points = [{**p, "visibility": 2} for p in predicted]
            source = Instance.Source.MODEL
        if not points:
            raise ApplicationError("There are no points to save on this frame.")
        current = labeled_frame_get(video=row.video, frame_index=row.frame_index)
        if version is None:
            if current is not None and current.instances.exists():
                raise ConflictError(
                    "This frame was labeled since the suggestion was made; "
                    "reload it and accept again with its version.",
                    {"version": current.version},
                )
            version = current.version if current is not None else 0
        frame = labels_save(
            video=row.video,
            frame_index=row.frame_index,
            user=user,
            version=version,
            instances=[{"points": points, "source": source}],
        )
        provenance = _provenance(row, user, corrected)
        _record_provenance(frame, predicted if not corrected else None, provenance)
        row.status, row.decided_by, row.decided_at = (
            SuggestionRow.Status.ACCEPTED,
            user,
            timezone.now(),
        )
        row.labeled_frame, row.provenance = frame, provenance
        row.save()
    return row


def _record_provenance(
    frame: LabeledFrame, predicted: list[dict[str, Any]] | None, provenance: dict[str, Any]
) -> None:
    """Keep model scores on the saved points, and say in the history row where they came from."""
    instance = frame.instances.get()
    if predicted is not None:
        scores = {p["node"]: p["score"] for p in predicted}
        instance.points = [{**p, "score": scores.get(p["node"])} for p in instance.points]
        instance.save(update_fields=["points"])
    history = frame.history.order_by("-id").first()
    history.action = "accept_suggestion"
    history.after = [{**instance_to_dict(instance), "provenance": provenance}]
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
