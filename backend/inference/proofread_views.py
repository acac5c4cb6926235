"""The track proofreading API under /api/inference-runs/{id}/tracks/: viewers read,
annotators and up edit; people outside the project get a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.inference import proofread, proofread_accept, proofread_locks, proofread_timeline
from backend.inference.models import InferenceRun, TrackEdit
from backend.inference.proofread_serializers import (
    TrackAcceptRequestSerializer,
    TrackAcceptSerializer,
    TrackEditListSerializer,
    TrackEditRequestSerializer,
    TrackEditResponseSerializer,
    TrackLockRequestSerializer,
    TrackLockSerializer,
    TracksTimelineSerializer,
)
from backend.projects.access import Role, require_role, role_in_project


def _run(request: Request, run_id: int, minimum: str = Role.VIEWER) -> InferenceRun:
    run = get_object_or_404(InferenceRun.objects.select_related("model_version", "video"), pk=run_id)
    require_role(role_in_project(request.user, run.project_id), minimum)
    return run


def _edit_response(edit: TrackEdit, code: int = status.HTTP_201_CREATED) -> Response:
    return Response({"version": edit.version, "edit": proofread.edit_to_dict(edit)}, status=code)


class TracksTimelineView(APIView):
    @extend_schema(responses=TracksTimelineSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id)
        return Response(proofread_timeline.tracks_timeline(run=run, user=request.user))


class TrackEditsView(APIView):
    @extend_schema(responses=TrackEditListSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        return Response({"edits": proofread.edits_list(run=_run(request, run_id))})

    @extend_schema(request=TrackEditRequestSerializer, responses={201: TrackEditResponseSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id, Role.ANNOTATOR)
        serializer = TrackEditRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        op = dict(serializer.validated_data)
        version = op.pop("version")
        edit = proofread.track_edit_apply(run=run, user=request.user, op=op, version=version)
        return _edit_response(edit)


class TrackUndoView(APIView):
    @extend_schema(request=None, responses={201: TrackEditResponseSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id, Role.ANNOTATOR)
        return _edit_response(proofread.track_edit_undo(run=run, user=request.user))


class TrackLockView(APIView):
    @extend_schema(request=TrackLockRequestSerializer, responses=TrackLockSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id, Role.ANNOTATOR)
        serializer = TrackLockRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lock = proofread_locks.track_lock_take(run=run, user=request.user, **serializer.validated_data)
        return Response({"lock": proofread_locks.lock_to_dict(lock)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id, Role.ANNOTATOR)
        proofread_locks.track_lock_release(run=run, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrackAcceptView(APIView):
    @extend_schema(request=TrackAcceptRequestSerializer, responses=TrackAcceptSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = _run(request, run_id, Role.ANNOTATOR)
        serializer = TrackAcceptRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        frames = proofread_accept.accept_frames(
            run=run, frames=data.get("frames"), start=data.get("start"), stop=data.get("stop")
        )
        return Response(proofread_accept.tracks_accept(run=run, user=request.user, frames=frames))
