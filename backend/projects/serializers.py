from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from backend.projects.models import Invitation, Membership, Project
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


class ProjectSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "name", "description", "created_at", "my_role", "counts"]
        read_only_fields = ["id", "created_at", "my_role", "counts"]

    def get_my_role(self, project: Project) -> str | None:
        return self.context.get("roles", {}).get(project.id)

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
    id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


class SkeletonSerializer(serializers.Serializer):
    nodes = NodeSerializer(many=True)
    edges = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()), default=list
    )
    symmetries = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()), default=list
    )


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
