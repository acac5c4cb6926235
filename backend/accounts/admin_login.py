"""The Django admin's sign-in page behind the same guard as the API login.

``admin.site.login_form`` (set in ``AccountsConfig.ready``) checks passwords through
``login_authenticate``, so admin failures count towards the same per-address and
per-username lockouts; ``admin_login`` (routed at /admin/login/ ahead of the admin's
own URLs) turns a refusal into a plain 429 page with Retry-After.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled

from backend.accounts.throttling import login_authenticate


class GuardedAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = login_authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    try:
        return admin.site.login(request, extra_context)
    except Throttled as refused:
        response = HttpResponse(
            str(refused.detail), status=429, content_type="text/plain; charset=utf-8"
        )
        if refused.wait is not None:
            response["Retry-After"] = str(refused.wait)
        return response
