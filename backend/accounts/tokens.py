"""API tokens for scripts: issued for API_TOKEN_TTL_HOURS, revoked on sign-out.

DRF keeps one token per user. A token is good until ``created + API_TOKEN_TTL_HOURS``;
asking for a token returns the current one, or a fresh one once it has expired.
Signing out (session or token) and ``DELETE /api/auth/token/`` revoke it, so a
leaked key stops working as soon as its owner signs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from rest_framework.authtoken.models import Token


def token_expires_at(token: Token) -> datetime:
    return token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_is_expired(token: Token) -> bool:
    return timezone.now() >= token_expires_at(token)


def token_issue(*, user: AbstractBaseUser) -> Token:
    token = Token.objects.filter(user=user).first()
    if token is not None and token_is_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


def tokens_revoke(*, user: AbstractBaseUser) -> int:
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
