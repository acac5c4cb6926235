from __future__ import annotations

from rest_framework import serializers


class PointSerializer(serializers.Serializer):
    node = serializers.IntegerField()
    x = serializers.FloatField()
    y = serializers.FloatField()
    visibility = serializers.ChoiceField(choices=[0, 1, 2], default=2)


class InstanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, read_only=True)
    track = serializers.CharField(max_length=100, allow_null=True, required=False)
    source = serializers.ChoiceField(choices=["human", "model"], default="human")
    points = PointSerializer(many=True)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer(allow_null=True)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    text = serializers.CharField(allow_blank=True)
    node = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    resolved = serializers.BooleanField()


class LabeledFrameSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)  # null: never labeled (no row yet)
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)
    assignee = UserRefSerializer(allow_null=True)
    locked_by = UserRefSerializer(allow_null=True)
    lock_expires_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    latest_comment = CommentSerializer(allow_null=True)
    instances = InstanceSerializer(many=True)


class LabelsSaveSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)
    instances = InstanceSerializer(many=True)


class HistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    version = serializers.IntegerField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class LockSerializer(serializers.Serializer):
    user = UserRefSerializer()
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    since = serializers.DateTimeField()
    expires = serializers.DateTimeField()


class NextFrameSerializer(serializers.Serializer):
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    lock_expires_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=["rejected", "todo", "unassigned"])


class SubmitSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, required=False)


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=True
    )
    node = serializers.IntegerField(allow_null=True, required=False, default=None)
    version = serializers.IntegerField(min_value=0, required=False)


class FrameSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField()
    video_name = serializers.CharField()
    frame_index = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    assignee = UserRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    latest_comment = CommentSerializer(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    by_status = serializers.DictField(child=serializers.IntegerField())
    annotators = serializers.ListField(child=serializers.DictField())
    videos = serializers.ListField(child=serializers.DictField())


class PickFramesSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["uniform", "random", "kmeans"])
    count = serializers.IntegerField(min_value=1)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )


class PickJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    video = serializers.IntegerField()
    method = serializers.CharField()
    count = serializers.IntegerField()
    seed = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running", "succeeded", "failed"])
    progress = serializers.FloatField()
    message = serializers.CharField()
    error = serializers.CharField()
    frames = serializers.ListField(child=serializers.IntegerField())
    created_frames = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
