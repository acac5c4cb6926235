from __future__ import annotations

import re
from typing import Any, TypedDict

from django.http import Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.common.schema import typed_json
from backend.interchange import formats, services
from backend.interchange.export_options import DEFAULT_LABEL_SET, LABEL_SETS
from backend.interchange.models import ImportExportJob
from backend.projects.access import Role, project_for_user, require_role, role_in_project


class SkippedVideo(TypedDict):
    name: str
    reason: str


class ImportResult(TypedDict, total=False):
    """A finished import's report (import_extras): videos/ files it added or skipped."""

    videos_added: list[str]
    videos_skipped: list[SkippedVideo]


class JobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    # Export: {"labels": ...}; import: {"name": ...} when a project name was given.
    options = typed_json(dict[str, Any], read_only=True)
    result = typed_json(ImportResult, name="ImportResult", read_only=True)

    class Meta:
        model = ImportExportJob
        fields = [
            "id", "kind", "status", "progress", "message", "error", "project", "format",
            "options", "input_name", "created_at", "started_at", "finished_at", "download_url",
            "result",
        ]  # fmt: skip
        read_only_fields = fields  # output only: jobs are made by the services

    def get_download_url(self, job: ImportExportJob) -> str | None:
        if job.kind == job.Kind.EXPORT and job.status == job.Status.SUCCEEDED:
            return f"/api/import-export-jobs/{job.id}/download"
        return None


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.CharField()
    labels = serializers.ChoiceField(
        choices=list(LABEL_SETS),
        required=False,
        help_text="approved_submitted (default): approved + submitted frames; approved: "
        "approved only; all: also in-progress and rejected frames.",
    )
    approved_only = serializers.BooleanField(
        required=False, help_text="Older spelling of labels=approved."
    )

    def validate(self, attrs: dict) -> dict:
        if "labels" not in attrs:
            attrs["labels"] = "approved" if attrs.get("approved_only") else DEFAULT_LABEL_SET
        return attrs


def job_for_user(request: Request, job_id: int) -> ImportExportJob:
    """The job if the user may see it now; 404 otherwise.

    A job with a project belongs to the project: only its current members see it
    (and download its file), so someone removed from the project loses it too, even
    the person who started it. A job without one (an import that has not made its
    project, or failed) is its creator's alone.
    """
    job = ImportExportJob.objects.filter(pk=job_id).first()
    if job is None or not request.user.is_authenticated:
        raise Http404
    if job.project_id is not None:
        require_role(role_in_project(request.user, job.project_id), Role.VIEWER)
        return job
    if job.created_by_id == request.user.id:
        return job
    raise Http404


class ImportView(APIView):
    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ImportUploadSerializer, responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.import_job_create(
            user=request.user,
            upload=serializer.validated_data["file"],
            project_name=serializer.validated_data.get("name") or None,
        )
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.VIEWER)
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.export_job_create(
            user=request.user,
            project=project,
            format=serializer.validated_data["format"],
            labels=serializer.validated_data["labels"],
        )
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class FormatSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    # "import" is a Python keyword: declared in __init__ below.
    export = serializers.BooleanField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import"] = serializers.BooleanField()


class FormatListView(APIView):
    @extend_schema(responses=FormatSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response([
            {"name": f.name, "label": f.label, "import": f.load is not None,
             "export": f.save is not None}
            for f in formats.formats().values()
        ])  # fmt: skip


class JobDetailView(APIView):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(JobSerializer(job_for_user(request, job_id)).data)


class JobDownloadView(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, job_id: int) -> HttpResponseBase:
        job = job_for_user(request, job_id)
        if job.kind != ImportExportJob.Kind.EXPORT:
            raise ApplicationError("Only export jobs have a file to download.", status_code=404)
        if job.status != ImportExportJob.Status.SUCCEEDED or not job.result_file:
            raise ApplicationError(f"The export is {job.status}; nothing to download yet.",
                                   status_code=409)  # fmt: skip
        project = job.project.name if job.project else "project"
        slug = re.sub(r"[^\w\-]+", "_", project).strip("_") or "project"
        name = f"{slug}-{job.format.replace('.', '_')}.zip"
        return storage.serve(request, job.result_file.name, content_type="application/zip",
                             filename=name, as_attachment=True)  # fmt: skip
