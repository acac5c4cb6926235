"""DRF authentication: sessions for the browser, expiring tokens for scripts.

DRF takes the WWW-Authenticate header (and so 401 rather than 403) from the first
class in DEFAULT_AUTHENTICATION_CLASSES. The browser without a session keeps getting
403, as the SPA and the authorization matrix expect; a request that sent
``Authorization`` (a bad, revoked or expired token) gets 401 and ``WWW-Authenticate:
Token``, which tells a script to fetch a new token.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from backend.accounts.tokens import token_is_expired


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate_header(self, request: Request) -> str | None:
        if request.META.get("HTTP_AUTHORIZATION"):
            return ExpiringTokenAuthentication.keyword
        return None


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, Token]:
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            token.delete()
            raise AuthenticationFailed(
                "The API token has expired. Ask for a new one: POST /api/auth/token/."
            )
        return user, token


class SessionAuthenticationScheme(SessionScheme):
    """drf-spectacular documents the subclass as the cookie scheme it is."""

    target_class = "backend.accounts.authentication.SessionAuthentication"
