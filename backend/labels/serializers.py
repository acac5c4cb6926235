from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.jobs import JobStatus
from backend.common.schema import typed_json
from backend.labels.models import FramePickJob, LabeledFrame
from backend.projects.serializers import FrameStatusCounts


class PointSerializer(serializers.Serializer):
    node = serializers.IntegerField()
    x = serializers.FloatField()
    y = serializers.FloatField()
    visibility = serializers.ChoiceField(choices=[0, 1, 2], default=2)


class InstanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, read_only=True)
    track = serializers.CharField(max_length=100, allow_null=True, default=None)
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


def _frame_status() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=LabeledFrame.Status.choices)


class LabeledFrameSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)  # null: never labeled (no row yet)
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    status = _frame_status()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)
    assignee = UserRefSerializer(allow_null=True)
    locked_by = UserRefSerializer(allow_null=True)
    lock_expires_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = UserRefSerializer(allow_null=True)
    latest_comment = CommentSerializer(allow_null=True)
    instances = InstanceSerializer(many=True)


class LabelsVersionSerializer(serializers.Serializer):
    """What the save view parses with DRF: the instances are checked once, by clean_instances."""

    version = serializers.IntegerField(min_value=0)


class LabelsSaveSerializer(LabelsVersionSerializer):
    """The save request as documented (the schema); see LabelsVersionSerializer."""

    instances = InstanceSerializer(many=True)


@extend_schema_field(InstanceSerializer(many=True, allow_null=True))
class InstancesJSONField(serializers.JSONField):
    """The instances of a frame as stored with a history row (null: none, e.g. created)."""


class HistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    version = serializers.IntegerField()
    before = InstancesJSONField(allow_null=True)
    after = InstancesJSONField(allow_null=True)


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
    status = _frame_status()
    version = serializers.IntegerField()
    assignee = UserRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = UserRefSerializer(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)
    latest_comment = CommentSerializer(allow_null=True)


def _status_counts() -> serializers.JSONField:
    return typed_json(FrameStatusCounts, name="FrameStatusCounts")


class DashboardAnnotatorSerializer(serializers.Serializer):
    user = UserRefSerializer()
    labeled = serializers.IntegerField()
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()


class DashboardVideoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    frame_count = serializers.IntegerField()
    by_status = _status_counts()


class DashboardSerializer(serializers.Serializer):
    by_status = _status_counts()
    annotators = DashboardAnnotatorSerializer(many=True)
    videos = DashboardVideoSerializer(many=True)


class PickFramesSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=FramePickJob.Method.choices)
    count = serializers.IntegerField(min_value=1)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )


class PickJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    video = serializers.IntegerField()
    method = serializers.ChoiceField(choices=FramePickJob.Method.choices)
    count = serializers.IntegerField()
    seed = serializers.IntegerField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.FloatField()
    message = serializers.CharField()
    error = serializers.CharField()
    frames = serializers.ListField(child=serializers.IntegerField())
    created_frames = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
