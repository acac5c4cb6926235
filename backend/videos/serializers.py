from __future__ import annotations

from rest_framework import serializers

from backend.videos.models import Video


class VideoSerializer(serializers.ModelSerializer):
    thumbnail_url = serializers.SerializerMethodField()
    labeled_frames = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id", "project", "name", "size_bytes", "fps", "frame_count", "width", "height",
            "codec", "status", "error", "thumbnail_url", "created_at", "labeled_frames",
        ]  # fmt: skip
        read_only_fields = fields

    def get_thumbnail_url(self, video: Video) -> str | None:
        return f"/api/videos/{video.id}/thumbnail.jpg" if video.thumbnail else None

    def get_labeled_frames(self, video: Video) -> int:
        return video.labeled_frames.count()


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
