from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponseBase, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common import storage
from backend.projects.access import Role, project_for_user, require_role, with_role
from backend.videos import services
from backend.videos.models import Video
from backend.videos.serializers import VideoSerializer, VideoUploadSerializer


def video_for_user(request: Request, video_id: int, minimum: str = Role.VIEWER) -> Video:
    videos = with_role(Video.objects.select_related("project"), request.user, "project_id")
    video = get_object_or_404(videos, pk=video_id)
    require_role(video.my_role if request.user.is_authenticated else None, minimum)
    return video


class VideoListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(responses=VideoSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(VideoSerializer(project.videos.all(), many=True).data)

    @extend_schema(request=VideoUploadSerializer, responses={201: VideoSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        serializer = VideoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        video = services.video_upload(project=project, upload=serializer.validated_data["file"])
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)


class VideoDetailView(APIView):
    @extend_schema(responses=VideoSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        return Response(VideoSerializer(video_for_user(request, video_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, video_id: int) -> Response:
        services.video_delete(video=video_for_user(request, video_id, Role.OWNER))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _jpeg_response(request: Request, key: str) -> HttpResponseBase:
    try:
        version = storage.etag(key)
    except FileNotFoundError:
        raise Http404 from None
    digest = hashlib.blake2s(f"{key}:{version}".encode(), digest_size=12).hexdigest()
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = storage.serve(request, key, content_type="image/jpeg")
    response["ETag"] = etag
    # Frames of a stored video never change; only members may fetch them.
    response["Cache-Control"] = "private, max-age=604800, immutable"
    return response


class FrameImageView(APIView):
    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponseBase:
        video = video_for_user(request, video_id)
        return _jpeg_response(request, services.frame_jpeg_key(video=video, index=index))


class ThumbnailView(APIView):
    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int) -> HttpResponseBase:
        video = video_for_user(request, video_id)
        if not video.thumbnail:
            raise Http404
        return _jpeg_response(request, video.thumbnail)
