from __future__ import annotations

from typing import TypedDict

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.schema import json_shape, returns
from backend.projects.models import Invitation, Membership, Project, Track
from backend.projects.services import project_counts

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class SessionUserSerializer(UserSerializer):
    """The logged-in user as the SPA sees them: is_staff shows the site-admin link."""

    class Meta(UserSerializer.Meta):
        fields = ["id", "username", "is_staff"]


# Labeled frames per review status (labels.LabeledFrame.Status, which sits above this app).
FrameStatusCounts = TypedDict(
    "FrameStatusCounts",
    {s: int for s in ("todo", "in_progress", "submitted", "approved", "rejected")},
)


class ProjectCounts(TypedDict):
    videos: int
    labeled_frames: int
    instances: int
    by_status: FrameStatusCounts


# The labels API's own cap (labels.services.MAX_INSTANCES_PER_FRAME, which sits above this app).
MAX_INSTANCES_LIMIT = 64


class TrackSerializer(serializers.ModelSerializer):
    """An animal identity: instances name it in their ``track``; drawn in ``color``.

    Sent back with its ``id``: an item with an id renames that track (and its labels).
    """

    id = serializers.IntegerField(required=False, allow_null=True, help_text="Absent: a new track.")
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)

    class Meta:
        model = Track
        fields = ["id", "name", "color"]


class ProjectSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    max_instances = serializers.IntegerField(
        min_value=1, max_value=MAX_INSTANCES_LIMIT, allow_null=True, required=False,
        help_text="Animals a frame may hold; null: unknown (no cap). 1: single-animal.",
    )  # fmt: skip
    # Written through services.tracks_replace (views pop it): the whole ordered list at once.
    tracks = TrackSerializer(many=True, required=False)

    class Meta:
        model = Project
        fields = [
            "id", "name", "description", "created_at", "my_role", "counts", "allow_self_review",
            "max_instances", "tracks",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "my_role", "counts"]

    # Projects are only ever sent to their members (views pass their roles in).
    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices))
    def get_my_role(self, project: Project) -> str | None:
        return self.context.get("roles", {}).get(project.id)

    @returns(ProjectCounts, name="ProjectCounts")
    def get_counts(self, project: Project) -> dict:
        return project_counts(project)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role"]


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class NodeSerializer(serializers.Serializer):
    """A node in a skeleton PUT: new nodes have no id yet."""

    id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


@extend_schema_field(json_shape(list[list[int | str]]))
class NodePairsField(serializers.ListField):
    """Pairs of node ids, or of names for nodes new in the same request."""

    child = serializers.ListField(child=serializers.JSONField())


class SkeletonPutSerializer(serializers.Serializer):
    nodes = NodeSerializer(many=True)
    edges = NodePairsField(default=list)
    symmetries = NodePairsField(default=list)


class SkeletonNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField(help_text="#rrggbb")


@extend_schema_field(json_shape(list[tuple[int, int]]))
class NodeIdPairsField(serializers.ListField):
    pass


class SkeletonSerializer(serializers.Serializer):
    """A project's skeleton as sent (services.skeleton_to_dict): pairs are node ids."""

    nodes = SkeletonNodeSerializer(many=True)
    edges = NodeIdPairsField()
    symmetries = NodeIdPairsField()


class InvitationSerializer(serializers.ModelSerializer):
    """A pending invite as owners see it (the token itself is never shown again)."""

    created_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "role", "created_by", "created_at", "expires_at"]


class InvitationCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class InvitationCreatedSerializer(InvitationSerializer):
    token = serializers.CharField(read_only=True)

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token"]


class InvitePreviewSerializer(serializers.Serializer):
    """What the person holding a link sees before accepting."""

    project_name = serializers.CharField(source="project.name")
    role = serializers.CharField()
    invited_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    expires_at = serializers.DateTimeField()


class InviteAcceptSerializer(serializers.Serializer):
    """Empty when logged in; a new account's username and password when not."""

    username = serializers.RegexField(
        r"^[\w.@+-]+$", max_length=150, required=False,
        error_messages={"invalid": "Use letters, digits and @/./+/-/_ only."},
    )  # fmt: skip
    password = serializers.CharField(max_length=256, trim_whitespace=False, required=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class InviteAcceptedSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    role = serializers.CharField()
    user = SessionUserSerializer()
