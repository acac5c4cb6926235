"""Requests and responses of the track proofreading API (see backend/common/schema.py)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from rest_framework import serializers

from backend.common.schema import typed_json
from ml_worker.tracking.edits import USER_OPS


class TrackRow(TypedDict):
    track: str
    frames: int  # frames the track is seen on
    mean_score: float | None
    segments: list[list[int]]  # [start, stop) frame ranges where it is seen; gaps between
    low_confidence: list[list[int]]  # [start, stop) ranges seen below low_score


class SuspiciousSpot(TypedDict):
    frame: int
    kind: Literal["spawn", "end", "jump", "swap_candidate", "identity"]
    tracks: list[str]


class TrackLockInfo(TypedDict):
    user: str
    start: int
    stop: int  # exclusive
    since: str
    expires: str


class TrackEditInfo(TypedDict):
    id: int
    version: int  # the tracks version this edit made
    user: str | None
    op: dict[str, Any]  # the edit as applied ({"op": ..., ...}, instance resolved to slot)
    start: int  # frames changed: [start, stop)
    stop: int
    undoes: int | None  # the edit this one undid
    undone: bool
    created_at: str


class AcceptedFrame(TypedDict):
    frame_index: int
    labeled_frame: int
    version: int


class SkippedFrame(TypedDict):
    frame_index: int
    reason: str


class TracksTimelineSerializer(serializers.Serializer):
    version = serializers.IntegerField()  # send it with each edit
    frames = serializers.ListField(child=serializers.IntegerField())  # [first, last + 1]
    low_score = serializers.FloatField()
    tracks = typed_json(list[TrackRow])
    suspicious = typed_json(list[SuspiciousSpot])  # sorted by frame
    suspicious_total = serializers.IntegerField()  # the list stops at 2000
    locks = typed_json(list[TrackLockInfo])
    can_undo = serializers.BooleanField()


class TrackEditRequestSerializer(serializers.Serializer):
    """One edit; which fields it needs depends on ``op`` (ml_worker.tracking.edits)."""

    op = serializers.ChoiceField(choices=list(USER_OPS))
    version = serializers.IntegerField(min_value=0)  # the tracks version the edit was made on
    tracks = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                   min_length=2, max_length=2)  # swap  # fmt: skip
    start = serializers.IntegerField(min_value=0, required=False)  # swap
    stop = serializers.IntegerField(min_value=1, required=False, allow_null=True)  # swap; null: on
    frame = serializers.IntegerField(min_value=0, required=False)  # assign, split, delete
    # assign, delete: the instance's position in the frame's predicted instances
    instance = serializers.IntegerField(min_value=0, required=False)
    track = serializers.CharField(max_length=100, required=False, allow_null=True)
    into = serializers.CharField(max_length=100, required=False)  # merge
    new_track = serializers.CharField(max_length=100, required=False)  # split
    to = serializers.CharField(max_length=100, required=False)  # rename


class TrackEditResponseSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    edit = typed_json(TrackEditInfo, name="TrackEditInfo")


class TrackLockRequestSerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0)
    stop = serializers.IntegerField(min_value=1)  # exclusive


class TrackLockSerializer(serializers.Serializer):
    lock = typed_json(TrackLockInfo, name="TrackLockInfo")


class TrackAcceptRequestSerializer(serializers.Serializer):
    frames = serializers.ListField(child=serializers.IntegerField(min_value=0), required=False,
                                   min_length=1, max_length=500)  # fmt: skip
    start = serializers.IntegerField(min_value=0, required=False)  # or a range [start, stop)
    stop = serializers.IntegerField(min_value=1, required=False)


class TrackAcceptSerializer(serializers.Serializer):
    accepted = typed_json(list[AcceptedFrame])
    skipped = typed_json(list[SkippedFrame])


class TrackEditListSerializer(serializers.Serializer):
    edits = typed_json(list[TrackEditInfo])
