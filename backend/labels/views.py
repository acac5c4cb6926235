from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.exceptions import ApplicationError
from backend.labels import services
from backend.labels.models import LabeledFrame
from backend.labels.serializers import (
    HistorySerializer,
    LabeledFrameSerializer,
    LabelsSaveSerializer,
)
from backend.projects.access import Role
from backend.videos.views import video_for_user


class LabeledFrameListView(APIView):
    @extend_schema(responses=LabeledFrameSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_for_user(request, video_id)
        frames = (
            LabeledFrame.objects.filter(video=video)
            .select_related("updated_by")
            .prefetch_related("instances")
        )
        return Response([services.labeled_frame_to_dict(f) for f in frames])


class FrameLabelsView(APIView):
    @extend_schema(responses=LabeledFrameSerializer)
    def get(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id)
        frame = services.labeled_frame_get(video=video, frame_index=index)
        if frame is None:
            raise ApplicationError("Frame not labeled yet", status_code=404)
        return Response(services.labeled_frame_to_dict(frame))

    @extend_schema(request=LabelsSaveSerializer, responses=LabeledFrameSerializer)
    def put(self, request: Request, video_id: int, index: int) -> Response:
        video = video_for_user(request, video_id, Role.ANNOTATOR)
        serializer = LabelsSaveSerializer(data=request.data)
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
