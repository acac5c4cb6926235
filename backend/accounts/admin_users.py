"""Site administration of accounts from the browser: how a lab's people get logins.

Staff users create accounts, deactivate and reactivate them, and set new
passwords. Deactivating keeps the user's labels and history (nothing is
deleted) and ends their sessions and API token. Two guards stop an admin
locking the site out: nobody deactivates or un-staffs themselves, and only a
superuser may change a superuser's account.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from backend.accounts.tokens import tokens_revoke
from backend.common.exceptions import ApplicationError

User = get_user_model()


def users_list() -> QuerySet:
    return User.objects.order_by("username")


def _validated_password(password: str, user: Any) -> str:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None
    return password


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", is_staff: bool = False) -> Any:
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(f"The username {username!r} is taken.")
    user = User(username=username, email=email, is_staff=is_staff)
    user.set_password(_validated_password(password, user))
    user.save()
    return user


def _check_may_change(*, admin: Any, user: Any) -> None:
    if user.is_superuser and not admin.is_superuser:
        raise ApplicationError(
            "Only a superuser may change a superuser's account.", status_code=403
        )


def user_update(
    *, admin: Any, user: Any, is_active: bool | None = None, is_staff: bool | None = None
) -> Any:
    _check_may_change(admin=admin, user=user)
    if user.pk == admin.pk and (is_active is False or is_staff is False):
        raise ApplicationError("You cannot deactivate yourself or remove your own admin rights.")
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            tokens_revoke(user=user)
    if is_staff is not None:
        user.is_staff = is_staff
    user.save(update_fields=["is_active", "is_staff"])
    return user


def user_set_password(*, admin: Any, user: Any, password: str = "") -> str | None:
    """Set ``password``, or a generated one when blank; return the generated one (shown once).

    A new password ends the user's other sessions (Django's session hash) and API token.
    """
    _check_may_change(admin=admin, user=user)
    generated = None if password else secrets.token_urlsafe(12)
    user.set_password(_validated_password(password or generated, user))
    user.save(update_fields=["password"])
    tokens_revoke(user=user)
    return generated
