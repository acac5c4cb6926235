from __future__ import annotations

from django.http import Http404, HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.projects.access import (
    Role,
    project_for_user,
    require_owner_or_starter,
    require_role,
    role_in_project,
)
from backend.training import services, testset
from backend.training.models import ModelVersion, TrainingJob
from backend.training.serializers import (
    ModelVersionSerializer,
    TestSetPinSerializer,
    TestSetSerializer,
    TrainingJobCreateSerializer,
    TrainingJobSerializer,
    TrainingPresetsSerializer,
)


def _job_for_user(request: Request, job_id: int, minimum: str = Role.VIEWER) -> TrainingJob:
    job = get_object_or_404(TrainingJob.objects.select_related("snapshot", "created_by"), pk=job_id)
    require_role(role_in_project(request.user, job.project_id), minimum)
    return job


def _version_for_user(request: Request, version_id: int) -> ModelVersion:
    version = get_object_or_404(ModelVersion, pk=version_id)
    require_role(role_in_project(request.user, version.project_id), Role.VIEWER)
    return version


class TrainingJobListView(APIView):
    @extend_schema(responses=TrainingJobSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        jobs = project.training_jobs.select_related("snapshot", "created_by", "model_version")[:50]
        return Response(TrainingJobSerializer(jobs, many=True).data)

    @extend_schema(request=TrainingJobCreateSerializer, responses={201: TrainingJobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.ANNOTATOR)
        serializer = TrainingJobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        parent = None
        if data.get("parent_version"):
            parent = ModelVersion.objects.filter(pk=data["parent_version"], project=project).first()
            if parent is None:
                raise ApplicationError("The parent model version does not exist in this project.")
        job = services.training_job_start(
            project=project,
            user=request.user,
            preset=data["preset"],
            advanced=data["advanced"],
            parent_version=parent,
            include_unreviewed=data["include_unreviewed"],
        )
        return Response(TrainingJobSerializer(job).data, status=status.HTTP_201_CREATED)


class TrainingJobDetailView(APIView):
    @extend_schema(responses=TrainingJobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(TrainingJobSerializer(_job_for_user(request, job_id)).data)


class TrainingJobCancelView(APIView):
    @extend_schema(request=None, responses=TrainingJobSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = _job_for_user(request, job_id, Role.ANNOTATOR)
        require_owner_or_starter(request.user, job.project_id, job.created_by_id, "training job")
        job = services.job_cancel(job=job)
        return Response(TrainingJobSerializer(job).data)


class ModelVersionListView(APIView):
    @extend_schema(responses=ModelVersionSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(ModelVersionSerializer(project.model_versions.all(), many=True).data)


class ModelVersionDetailView(APIView):
    @extend_schema(responses=ModelVersionSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        return Response(ModelVersionSerializer(_version_for_user(request, version_id)).data)


class ModelVersionDownloadView(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, version_id: int) -> HttpResponseBase:
        version = _version_for_user(request, version_id)
        if not version.download or not storage.exists(version.download):
            raise Http404
        name = f"{version.project.name[:40]}-v{version.number}.zip".replace(" ", "_").replace(
            "/", "_"
        )
        return storage.serve(
            request, version.download, content_type="application/zip", filename=name,
            as_attachment=True,
        )  # fmt: skip


class TrainingPresetsView(APIView):
    @extend_schema(responses=TrainingPresetsSerializer)
    def get(self, request: Request) -> Response:
        from ml_worker.config import PRESETS, preset

        return Response({name: preset(name).to_dict() for name in PRESETS})


class TestSetView(APIView):
    """A project's pinned test set: frames training never sees, scored on every new model."""

    @extend_schema(responses=TestSetSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(testset.testset_to_dict(project))

    @extend_schema(request=TestSetPinSerializer, responses=TestSetSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        serializer = TestSetPinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(testset.testset_pin(project=project, **serializer.validated_data))

    @extend_schema(responses=TestSetSerializer)
    def delete(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        return Response(testset.testset_clear(project=project))


class TestSetFrameView(APIView):
    """Pin one labeled frame (PUT) or unpin it (DELETE)."""

    @extend_schema(request=None, responses=TestSetSerializer)
    def put(self, request: Request, project_id: int, frame_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        return Response(testset.testset_frame_set(project=project, frame_id=frame_id, pinned=True))

    @extend_schema(responses=TestSetSerializer)
    def delete(self, request: Request, project_id: int, frame_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        return Response(
            testset.testset_frame_set(project=project, frame_id=frame_id, pinned=False)
        )
