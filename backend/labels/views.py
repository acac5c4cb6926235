from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.labels import locks, picking, review, services
from backend.labels.models import FramePickJob
from backend.labels.serializers import (
    CommentSerializer,
    DashboardSerializer,
    FrameSummarySerializer,
    HistorySerializer,
    LabeledFrameSerializer,
    LabelsSaveSerializer,
    LabelsVersionSerializer,
    LockSerializer,
    NextFrameSerializer,
    PickFramesSerializer,
    PickJobSerializer,
    ReviewSerializer,
    SubmitSerializer,
)
from backend.projects.access import Role, project_for_user, require_role, role_in_project
from backend.videos.views import video_for_user


class LabeledFrameListView(APIView):
    @extend_schema(responses=LabeledFrameSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_for_user(request, video_id)
        frames = services.labeled_frames_query().filter(video=video)
        return Response(services.labeled_frames_to_dicts(frames))


class FrameLabelsView(APIView):
    @extend_schema(responses=LabeledFrameSerializer)
    def get(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id)
        frame = services.labeled_frame_get(video=video, frame_index=index)
        if frame is None:
            # Opening a frame is normal, not an error: empty at version 0, and no row made.
            return Response(services.unlabeled_frame_to_dict(video=video, frame_index=index))
        return Response(services.labeled_frame_to_dict(frame))

    @extend_schema(request=LabelsSaveSerializer, responses=LabeledFrameSerializer)
    def put(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.ANNOTATOR)
        serializer = LabelsVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        frame = services.labels_save(
            video=video,
            frame_index=index,
            user=request.user,
            version=serializer.validated_data["version"],
            instances=request.data.get("instances"),
        )
        return Response(services.labeled_frame_to_dict(frame))


class FrameHistoryView(APIView):
    @extend_schema(responses=HistorySerializer(many=True))
    def get(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id)
        return Response(services.history_for_frame(video=video, frame_index=index))


class FrameLockView(APIView):
    @extend_schema(request=None, responses=LockSerializer)
    def post(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.ANNOTATOR)
        frame = locks.frame_lock(video=video, frame_index=index, user=request.user)
        return Response(locks.lock_to_dict(frame))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.ANNOTATOR)
        locks.frame_unlock(video=video, frame_index=index, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NextFrameView(APIView):
    @extend_schema(request=None, responses={200: NextFrameSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.ANNOTATOR)
        claimed = locks.next_frame_claim(project=project, user=request.user)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        frame, lock, reason = claimed
        return Response(
            {
                "video": frame.video_id,
                "frame_index": frame.frame_index,
                "lock_expires_at": lock.expires_at.isoformat(),
                "reason": reason,
            }
        )


class PresenceView(APIView):
    @extend_schema(responses=LockSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(locks.presence_list(project=project))


class FrameSubmitView(APIView):
    @extend_schema(request=SubmitSerializer, responses=LabeledFrameSerializer)
    def post(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.ANNOTATOR)
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        frame = review.frame_submit(
            video=video, frame_index=index, user=request.user, **serializer.validated_data
        )
        return Response(services.labeled_frame_to_dict(frame))


class FrameReviewView(APIView):
    @extend_schema(request=ReviewSerializer, responses=LabeledFrameSerializer)
    def post(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.REVIEWER)
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        frame = review.frame_review(
            video=video, frame_index=index, user=request.user, **serializer.validated_data
        )
        return Response(services.labeled_frame_to_dict(frame))


class FrameCommentsView(APIView):
    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id)
        return Response(review.comments_for_frame(video=video, frame_index=index))


class ReviewQueueView(APIView):
    @extend_schema(responses=FrameSummarySerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.REVIEWER)
        return Response(review.review_queue(project=project))


class MyFramesView(APIView):
    @extend_schema(responses=FrameSummarySerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(review.my_frames(project=project, user=request.user))


class DashboardView(APIView):
    @extend_schema(responses=DashboardSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(review.project_dashboard(project=project))


class PickFramesView(APIView):
    @extend_schema(request=PickFramesSerializer, responses={202: PickJobSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        video = video_for_user(request, video_id, Role.REVIEWER)
        serializer = PickFramesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = picking.pick_job_create(video=video, user=request.user, **serializer.validated_data)
        return Response(picking.pick_job_to_dict(job), status=status.HTTP_202_ACCEPTED)


class PickJobView(APIView):
    @extend_schema(responses=PickJobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(FramePickJob, pk=job_id)
        require_role(role_in_project(request.user, job.project_id), Role.VIEWER)
        return Response(picking.pick_job_to_dict(job))
