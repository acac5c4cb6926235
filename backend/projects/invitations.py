"""Joining a project by invite link: the only way in for someone who shares nothing yet.

Flow: an owner calls ``invitation_create`` and gets a random token once (only
its SHA-256 is stored). Whoever opens ``/invite/<token>`` sees the project and
role (``invitation_for_token``) and either accepts while logged in
(``invitation_accept``) or creates an account on the spot
(``invitation_accept_new_account``). A link works once, until it expires
(``INVITE_TTL_HOURS``) or its owner revokes it. Unknown, used, expired and
revoked tokens all get the same answer, so a token can never be probed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.common.exceptions import ApplicationError, ConflictError
from backend.projects.models import Invitation, Membership, Project

User = get_user_model()

INVALID_LINK = (
    "This invite link is no longer valid: it was already used, has expired or was revoked. "
    "Ask a project owner for a new one."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, project: Project, role: str, created_by: Any) -> tuple[Invitation, str]:
    """Return the invitation and its token; the token is not stored and cannot be shown again."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        role=role,
        token_hash=_hash(token),
        created_by=created_by,
        expires_at=timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS),
    )
    return invitation, token


def invitations_pending(*, project: Project) -> QuerySet[Invitation]:
    return project.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("created_by")


def invitation_for_token(*, token: str) -> Invitation:
    """The pending invitation behind ``token``, or the one neutral 404."""
    invitation = (
        Invitation.objects.select_related("project", "created_by")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None or invitation.state_at(timezone.now()) != Invitation.State.PENDING:
        raise ApplicationError(INVALID_LINK, status_code=404)
    return invitation


def _claim(invitation: Invitation, user: Any) -> Membership:
    """Mark the invitation used and add the member; the conditional UPDATE makes it one-time."""
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if claimed != 1:
        raise ApplicationError(INVALID_LINK, status_code=404)
    return Membership.objects.create(project=invitation.project, user=user, role=invitation.role)


@transaction.atomic
def invitation_accept(*, token: str, user: Any) -> Membership:
    invitation = invitation_for_token(token=token)
    current = Membership.objects.filter(project=invitation.project, user=user).first()
    if current is not None:
        # The link stays unused so the owner can still give it to the person it was meant for.
        raise ConflictError(
            f"You are already a member of {invitation.project.name} (as {current.role}).",
            {"project": invitation.project_id},
        )
    return _claim(invitation, user)


def _check_new_account(username: str, password: str, email: str) -> Any:
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(
            "That username is taken. Pick another, or log in first and accept the invite."
        )
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None
    user.set_password(password)
    return user


@transaction.atomic
def invitation_accept_new_account(
    *, token: str, username: str, password: str, email: str = ""
) -> tuple[Any, Membership]:
    """Create an account and its membership in one step; nothing is created if either fails."""
    # The link is checked first: without a valid token nobody can probe which usernames exist.
    invitation = invitation_for_token(token=token)
    user = _check_new_account(username, password, email)
    user.save()
    return user, _claim(invitation, user)


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.state_at(timezone.now()) == Invitation.State.ACCEPTED:
        raise ApplicationError("This invite was already accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
