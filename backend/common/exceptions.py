"""One error shape end to end: ``{"message": str, "extra": dict}`` with a 4xx status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A domain rule was broken; the message is shown to the user as is."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, message: str, extra: dict[str, Any] | None = None, *, status_code: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT


MAX_DB_INT = 2**63 - 1


def _out_of_range(exc: Exception) -> bool:
    """SQLite raises OverflowError for integers past 64 bits; PostgreSQL a DataError."""
    return isinstance(exc, OverflowError) or (
        isinstance(exc, DataError) and "out of range" in str(exc)
    )


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status_code)
    if _out_of_range(exc):
        # A number the database cannot hold: an id in the URL names nothing (404), a
        # number in the body is invalid (400). Never a 500.
        huge = any(isinstance(v, int) and abs(v) > MAX_DB_INT for v in context["kwargs"].values())
        if huge:
            exc = exceptions.NotFound()
        else:
            exc = exceptions.ValidationError("A number is out of range.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"message": _first_message(exc.detail), "extra": {"fields": fields}}
    else:
        detail = (
            response.data.get("detail", response.data)
            if isinstance(response.data, dict)
            else response.data
        )
        response.data = {"message": str(detail), "extra": {}}
    return response
