from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.projects import services
from backend.projects.access import Role, project_for_user, projects_for_user
from backend.projects.models import Membership, Project
from backend.projects.serializers import (
    MemberCreateSerializer,
    MembershipSerializer,
    MemberUpdateSerializer,
    ProjectSerializer,
    SkeletonPutSerializer,
    SkeletonSerializer,
    UserSerializer,
)


def _roles(request: Request) -> dict[int, str]:
    return dict(Membership.objects.filter(user=request.user).values_list("project_id", "role"))


class ProjectListView(APIView):
    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = projects_for_user(request.user)
        data = ProjectSerializer(projects, many=True, context={"roles": _roles(request)}).data
        return Response(data)

    @extend_schema(request=ProjectSerializer, responses={201: ProjectSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(owner=request.user, **serializer.validated_data)
        data = ProjectSerializer(project, context={"roles": {project.id: Role.OWNER}}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(responses=ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, role = project_for_user(request.user, project_id)
        return Response(ProjectSerializer(project, context={"roles": {project.id: role}}).data)

    @extend_schema(request=ProjectSerializer, responses=ProjectSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project, role = project_for_user(request.user, project_id, Role.OWNER)
        serializer = ProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tracks = serializer.validated_data.pop("tracks", None)
        serializer.save()
        if tracks is not None:
            services.tracks_replace(project=project, tracks=tracks)
        return Response(ProjectSerializer(project, context={"roles": {project.id: role}}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        services.project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(APIView):
    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        members = project.memberships.select_related("user").order_by("id")
        return Response(MembershipSerializer(members, many=True).data)

    @extend_schema(request=MemberCreateSerializer, responses={201: MembershipSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_add(
            project=project, actor=request.user, **serializer.validated_data
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberCandidatesView(APIView):
    """Whom an owner may add directly: people who already share a project with them."""

    @extend_schema(responses=UserSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        users = services.member_candidates(project=project, actor=request.user)
        return Response(UserSerializer(users, many=True).data)


class MemberDetailView(APIView):
    @extend_schema(request=MemberUpdateSerializer, responses=MembershipSerializer)
    def patch(self, request: Request, project_id: int, member_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        membership = _get_member(project, member_id)
        serializer = MemberUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.member_update(membership=membership, **serializer.validated_data)
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, member_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        services.member_remove(membership=_get_member(project, member_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _get_member(project: Project, member_id: int) -> Membership:
    return get_object_or_404(project.memberships.select_related("user"), pk=member_id)


class SkeletonView(APIView):
    @extend_schema(responses=SkeletonSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id)
        return Response(services.skeleton_to_dict(project))

    @extend_schema(
        request=SkeletonPutSerializer,
        responses=SkeletonSerializer,
        parameters=[OpenApiParameter("confirm", bool, description="Allow deleting labeled nodes")],
    )
    def put(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        serializer = SkeletonPutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confirm = request.query_params.get("confirm", "").lower() in ("1", "true", "yes")
        skeleton = services.skeleton_update(
            project=project, data=serializer.validated_data, confirm=confirm
        )
        return Response(skeleton)
