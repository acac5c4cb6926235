from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from backend.projects.models import Membership, Project
from backend.projects.services import project_counts

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


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
