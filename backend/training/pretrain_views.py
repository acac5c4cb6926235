"""API of encoder pretraining: list and start a project's pretraining jobs, cancel one."""

from __future__ import annotations

from typing import TypedDict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.schema import typed_json
from backend.projects.access import (
    Role,
    project_for_user,
    require_owner_or_starter,
    require_role,
    role_in_project,
)
from backend.training import unlabeled
from backend.training.models import PretrainJob


class PretrainResult(TypedDict):
    """What a finished pretraining reported (ml_worker.pretrain.pretrain_payload)."""

    status: str
    steps: int
    seconds: float
    initial_loss: float | None
    final_loss: float | None
    frames: int


class PretrainJobSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )
    config = typed_json(dict, read_only=True)
    result = typed_json(PretrainResult, name="PretrainResult", read_only=True, allow_null=True)

    class Meta:
        model = PretrainJob
        fields = [
            "id", "project", "status", "progress", "eta_seconds", "message", "error",
            "cancel_requested", "config", "result", "created_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: PretrainJob) -> dict:
        data = super().to_representation(instance)
        data["result"] = instance.result or None  # {} until it succeeded
        return data


class PretrainJobCreateSerializer(serializers.Serializer):
    max_seconds = serializers.FloatField(
        min_value=unlabeled.SECONDS_RANGE[0], max_value=unlabeled.SECONDS_RANGE[1],
        default=unlabeled.DEFAULT_SECONDS,
    )  # fmt: skip
    frames = serializers.IntegerField(
        min_value=unlabeled.FRAMES_RANGE[0], max_value=unlabeled.FRAMES_RANGE[1],
        default=unlabeled.DEFAULT_FRAMES,
    )  # fmt: skip
    preset = serializers.ChoiceField(
        choices=["fast", "balanced", "accurate"], default="balanced",
        help_text="Training jobs with this preset's network widths can start from it.",
    )  # fmt: skip
    filters = serializers.IntegerField(min_value=1, max_value=128, required=False,
                                       allow_null=True, help_text="Overrides the preset's.")


class PretrainJobListView(APIView):
    @extend_schema(responses=PretrainJobSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        jobs = project.pretrain_jobs.select_related("created_by")[:20]
        return Response(PretrainJobSerializer(jobs, many=True).data)

    @extend_schema(request=PretrainJobCreateSerializer, responses={201: PretrainJobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.ANNOTATOR)
        serializer = PretrainJobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        job = unlabeled.pretrain_job_start(
            project=project, user=request.user, preset_name=data.pop("preset"), **data
        )
        return Response(PretrainJobSerializer(job).data, status=status.HTTP_201_CREATED)


class PretrainJobCancelView(APIView):
    @extend_schema(request=None, responses=PretrainJobSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(PretrainJob, pk=job_id)
        require_role(role_in_project(request.user, job.project_id), Role.ANNOTATOR)
        require_owner_or_starter(request.user, job.project_id, job.created_by_id, "pretraining job")
        return Response(PretrainJobSerializer(unlabeled.pretrain_job_cancel(job=job)).data)
