from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.inference import exports, predictions, retrack, services, suggestions
from backend.inference.models import InferenceRun, Suggestion
from backend.inference.serializers import (
    ActiveLearningSettingsSerializer,
    FramePredictionSerializer,
    InferenceRunCreateSerializer,
    InferenceRunSerializer,
    PredictionRangeSerializer,
    RetrackJobSerializer,
    RetrackSerializer,
    RetrainSerializer,
    SuggestionAcceptSerializer,
    SuggestionAssignSerializer,
    SuggestionSerializer,
)
from backend.projects.access import (
    Role,
    project_for_user,
    require_owner_or_starter,
    require_role,
    role_in_project,
)
from backend.training.models import ModelVersion
from backend.training.serializers import TrainingJobSerializer
from backend.videos.views import video_for_user

MAX_SUGGESTIONS_LISTED = 500


def _run_for_user(request: Request, run_id: int, minimum: str = Role.VIEWER) -> InferenceRun:
    run = get_object_or_404(
        InferenceRun.objects.select_related("model_version", "video", "created_by"), pk=run_id
    )
    require_role(role_in_project(request.user, run.project_id), minimum)
    return run


def _suggestion_for_user(request: Request, suggestion_id: int, minimum: str) -> Suggestion:
    suggestion = get_object_or_404(
        Suggestion.objects.select_related("run__model_version", "video__project"), pk=suggestion_id
    )
    require_role(role_in_project(request.user, suggestion.run.project_id), minimum)
    return suggestion


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "0").lower() in ("1", "true", "yes")


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ApplicationError(f"{name} must be a whole number.") from None


class InferenceRunListView(APIView):
    @extend_schema(responses=InferenceRunSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        runs = project.inference_runs.select_related(
            "model_version", "video", "created_by"
        ).prefetch_related("retrack_jobs__created_by")
        return Response(InferenceRunSerializer(runs[:100], many=True).data)

    @extend_schema(
        request=InferenceRunCreateSerializer, responses={201: InferenceRunSerializer(many=True)}
    )
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.ANNOTATOR)
        serializer = InferenceRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = ModelVersion.objects.filter(pk=data["model_version"], project=project).first()
        if version is None:
            raise ApplicationError("The model version does not exist in this project.")
        videos = list(project.videos.filter(pk__in=data["videos"]))
        if len(videos) != len(set(data["videos"])):
            raise ApplicationError("A video does not exist in this project.")
        runs = services.inference_run_start(
            project=project,
            user=request.user,
            model_version=version,
            videos=videos,
            smoothing=data.get("smoothing"),
            suggest_n=data.get("suggest"),
            render_video=data["render_video"],
            tracking=data.get("tracking"),
        )
        return Response(InferenceRunSerializer(runs, many=True).data, status.HTTP_201_CREATED)


class InferenceRunDetailView(APIView):
    @extend_schema(responses=InferenceRunSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(InferenceRunSerializer(_run_for_user(request, run_id)).data)


class InferenceRunCancelView(APIView):
    @extend_schema(request=None, responses=InferenceRunSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = _run_for_user(request, run_id, Role.ANNOTATOR)
        require_owner_or_starter(request.user, run.project_id, run.created_by_id, "inference run")
        run = services.run_cancel(run=run)
        return Response(InferenceRunSerializer(run).data)


class InferenceRunPredictionsView(APIView):
    @extend_schema(responses=PredictionRangeSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = _run_for_user(request, run_id)
        data = predictions.frames_range(
            run,
            start=_int_param(request, "start", 0),
            stop=_int_param(request, "stop", None),
            smoothed=_flag(request, "smoothed"),
        )
        return Response(data)


class VideoFramePredictionView(APIView):
    @extend_schema(responses=FramePredictionSerializer)
    def get(self, request: Request, video_id: int, frame_index: int) -> Response:
        video = video_for_user(request, video_id)
        run = services.latest_run_for_video(video=video)
        if run is None:
            # Normal before the first model: an empty answer, not an error in the console.
            return Response(predictions.no_prediction(frame_index))
        return Response(predictions.frame_prediction(run, frame_index))


class InferenceRunExportView(APIView):
    @extend_schema(
        responses={
            (code, media): OpenApiTypes.BINARY
            for code in (200, 206)
            for media in sorted({media for _, media in exports.FORMATS.values()})
        }
    )
    def get(self, request: Request, run_id: int, fmt: str) -> HttpResponseBase:
        run = _run_for_user(request, run_id)
        smoothed = _flag(request, "smoothed")
        key = exports.export_key(run=run, fmt=fmt, smoothed=smoothed)
        name = exports.download_name(run, fmt, smoothed)
        return storage.serve(request, key, content_type=exports.FORMATS[fmt][1], filename=name)


class InferenceRunRetrainView(APIView):
    @extend_schema(request=RetrainSerializer, responses={201: TrainingJobSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = _run_for_user(request, run_id, Role.ANNOTATOR)
        serializer = RetrainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.retrain_from_run(run=run, user=request.user, **serializer.validated_data)
        return Response(TrainingJobSerializer(job).data, status=status.HTTP_201_CREATED)


class InferenceRunRetrackView(APIView):
    @extend_schema(request=RetrackSerializer, responses={202: RetrackJobSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = _run_for_user(request, run_id, Role.ANNOTATOR)
        serializer = RetrackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = retrack.retrack_start(
            run=run, user=request.user, tracking=serializer.validated_data.get("tracking")
        )
        return Response(RetrackJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class SuggestionListView(APIView):
    @extend_schema(responses=SuggestionSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        rows = Suggestion.objects.filter(
            run__project=project, status=request.query_params.get("status", "pending")
        ).select_related("video", "run__model_version", "assignee", "decided_by")
        video = _int_param(request, "video", None)
        if video is not None:
            rows = rows.filter(video_id=video)
        if request.query_params.get("assignee") == "me":
            rows = rows.filter(assignee=request.user)
        rows = rows.order_by("-score", "id")[:MAX_SUGGESTIONS_LISTED]
        return Response(SuggestionSerializer(rows, many=True).data)


class SuggestionAcceptView(APIView):
    @extend_schema(request=SuggestionAcceptSerializer, responses=SuggestionSerializer)
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = _suggestion_for_user(request, suggestion_id, Role.ANNOTATOR)
        serializer = SuggestionAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        points = serializer.validated_data.get("points")
        row = suggestions.suggestion_accept(
            suggestion=suggestion,
            user=request.user,
            points_override=[dict(p) for p in points] if points is not None else None,
            version=serializer.validated_data.get("version"),
            instances=serializer.validated_data.get("instances"),
        )
        return Response(SuggestionSerializer(row).data)


class SuggestionDismissView(APIView):
    @extend_schema(request=None, responses=SuggestionSerializer)
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = _suggestion_for_user(request, suggestion_id, Role.ANNOTATOR)
        row = suggestions.suggestion_dismiss(suggestion=suggestion, user=request.user)
        return Response(SuggestionSerializer(row).data)


class SuggestionAssignView(APIView):
    @extend_schema(request=SuggestionAssignSerializer, responses=SuggestionSerializer)
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = _suggestion_for_user(request, suggestion_id, Role.ANNOTATOR)
        serializer = SuggestionAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        assignee = None
        if username:
            assignee = get_user_model().objects.filter(username=username).first()
            if assignee is None:
                raise ApplicationError(f"There is no user {username!r}.")
        row = suggestions.suggestion_assign(
            suggestion=suggestion, user=request.user, assignee=assignee
        )
        return Response(SuggestionSerializer(row).data)


class ActiveLearningSettingsView(APIView):
    @extend_schema(responses=ActiveLearningSettingsSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        row = suggestions.al_settings_get(project=project)
        return Response(ActiveLearningSettingsSerializer(row).data)

    @extend_schema(
        request=ActiveLearningSettingsSerializer, responses=ActiveLearningSettingsSerializer
    )
    def put(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.REVIEWER)
        if not isinstance(request.data, dict):
            raise ApplicationError("Send an object with weights, n_suggestions and/or min_gap.")
        row = suggestions.al_settings_update(
            project=project, user=request.user, data=dict(request.data)
        )
        return Response(ActiveLearningSettingsSerializer(row).data)
