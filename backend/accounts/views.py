"""Session login for the SPA (CSRF-protected) and expiring tokens for scripts.

Every password check goes through ``throttling.login_authenticate`` (rate limit and
lockouts, 429); signing out ends the session and revokes the user's API token.
"""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.throttling import login_authenticate
from backend.accounts.tokens import token_expires_at, token_issue, tokens_revoke
from backend.common.exceptions import ApplicationError
from backend.projects.serializers import SessionUserSerializer as UserSerializer


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class MeSerializer(serializers.Serializer):
    user = UserSerializer(allow_null=True)


class LoginSerializer(serializers.Serializer):
    user = UserSerializer()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField()


def _authenticate(request: Request):
    serializer = CredentialsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = login_authenticate(request._request, **serializer.validated_data)
    if user is None:
        raise ApplicationError("Wrong username or password.")
    return user


@method_decorator(ensure_csrf_cookie, name="dispatch")
class MeView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user if request.user.is_authenticated else None
        return Response({"user": UserSerializer(user).data if user else None})


@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=CredentialsSerializer, responses=LoginSerializer)
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        login(request._request, user)
        return Response({"user": UserSerializer(user).data})


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        tokens_revoke(user=request.user)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(APIView):
    """POST: the caller's API token for these credentials; DELETE: revoke it."""

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(request=CredentialsSerializer, responses=TokenSerializer)
    def post(self, request: Request) -> Response:
        token = token_issue(user=_authenticate(request))
        return Response({"token": token.key, "expires": token_expires_at(token)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
