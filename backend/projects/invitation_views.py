"""Invite links: owners create, list and revoke them; anyone holding one may open and accept it.

The two token endpoints are public (the invitee may have no account yet), CSRF
protected like the login form, and throttled under the ``invite`` scope.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backend.common.exceptions import ApplicationError
from backend.projects import invitations
from backend.projects.access import Role, project_for_user
from backend.projects.serializers import (
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    InviteAcceptedSerializer,
    InviteAcceptSerializer,
    InvitePreviewSerializer,
)


class InvitationListView(APIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        pending = invitations.invitations_pending(project=project)
        return Response(InvitationSerializer(pending, many=True).data)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationCreatedSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, token = invitations.invitation_create(
            project=project, created_by=request.user, **serializer.validated_data
        )
        invitation.token = token
        return Response(
            InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class InvitationDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, invitation_id: int) -> Response:
        project, _ = project_for_user(request.user, project_id, Role.OWNER)
        invitation = get_object_or_404(project.invitations, pk=invitation_id)
        invitations.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _InviteTokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "invite"


class InvitePreviewView(_InviteTokenView):
    @extend_schema(responses=InvitePreviewSerializer)
    def get(self, request: Request, token: str) -> Response:
        invitation = invitations.invitation_for_token(token=token)
        return Response(InvitePreviewSerializer(invitation).data)


@method_decorator(csrf_protect, name="dispatch")
class InviteAcceptView(_InviteTokenView):
    @extend_schema(request=InviteAcceptSerializer, responses=InviteAcceptedSerializer)
    def post(self, request: Request, token: str) -> Response:
        serializer = InviteAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if request.user.is_authenticated:
            membership = invitations.invitation_accept(token=token, user=request.user)
        else:
            membership = self._accept_as_new_account(request, token, serializer.validated_data)
        return Response(InviteAcceptedSerializer(membership).data)

    def _accept_as_new_account(self, request: Request, token: str, data: dict):
        if not data.get("username") or not data.get("password"):
            # Check the link first, so a dead link says so before asking for a password.
            invitations.invitation_for_token(token=token)
            raise ApplicationError("Pick a username and a password to create your account.")
        user, membership = invitations.invitation_accept_new_account(token=token, **data)
        login(request._request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return membership
