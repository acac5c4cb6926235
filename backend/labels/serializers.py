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


class LabeledFrameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)
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
