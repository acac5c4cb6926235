"""/api/admin/users/…: the site-admin page's API, for staff users only (others get 403)."""

from __future__ import annotations

from django.contrib.auth import get_user_model, update_session_auth_hash
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import admin_users

User = get_user_model()


class AdminUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id", "username", "email", "is_active", "is_staff", "is_superuser",
            "date_joined", "last_login",
        ]  # fmt: skip


class AdminUserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+$", max_length=150,
        error_messages={"invalid": "Use letters, digits and @/./+/-/_ only."},
    )  # fmt: skip
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    is_staff = serializers.BooleanField(required=False, default=False)


class AdminUserUpdateSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)


class AdminPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, required=False, allow_blank=True, default=""
    )


class AdminPasswordSetSerializer(serializers.Serializer):
    generated_password = serializers.CharField(allow_null=True)


class _AdminView(APIView):
    permission_classes = [IsAdminUser]


class AdminUserListView(_AdminView):
    @extend_schema(responses=AdminUserSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(AdminUserSerializer(admin_users.users_list(), many=True).data)

    @extend_schema(request=AdminUserCreateSerializer, responses={201: AdminUserSerializer})
    def post(self, request: Request) -> Response:
        serializer = AdminUserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = admin_users.user_create(**serializer.validated_data)
        return Response(AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)


class AdminUserDetailView(_AdminView):
    @extend_schema(request=AdminUserUpdateSerializer, responses=AdminUserSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        serializer = AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = get_object_or_404(User, pk=user_id)
        admin_users.user_update(admin=request.user, user=user, **serializer.validated_data)
        return Response(AdminUserSerializer(user).data)


class AdminUserPasswordView(_AdminView):
    @extend_schema(request=AdminPasswordSerializer, responses=AdminPasswordSetSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        serializer = AdminPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = get_object_or_404(User, pk=user_id)
        generated = admin_users.user_set_password(
            admin=request.user, user=user, **serializer.validated_data
        )
        if user.pk == request.user.pk:
            update_session_auth_hash(request._request, user)  # keep the admin logged in
        return Response({"generated_password": generated})
