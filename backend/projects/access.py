"""The one access check: who may see or change what in a project.

Everything a user is not a member of answers 404, never 403, so ids of other
labs' projects, videos and frames do not leak. A member whose role is too low
gets 403 with a message naming the role needed.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.projects.models import Membership, Project, role_at_least

Role = Membership.Role


def projects_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def role_in_project(user: AbstractBaseUser | AnonymousUser, project_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(project_id=project_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def with_role(
    queryset: QuerySet, user: AbstractBaseUser | AnonymousUser, project: str = "pk"
) -> QuerySet:
    """Annotate ``my_role`` (None if not a member), so the access check rides on the
    query that loads the object: one query per request instead of two. ``project``
    names the column holding the project id (``"pk"`` for projects themselves)."""
    member = Membership.objects.filter(project=OuterRef(project), user_id=user.pk)
    return queryset.annotate(my_role=Subquery(member.values("role")[:1]))


def require_role(role: str | None, minimum: str) -> None:
    if role is None:
        raise Http404
    if not role_at_least(role, minimum):
        raise PermissionDenied(f"This needs the {minimum} role or higher in this project.")


def project_for_user(
    user: AbstractBaseUser | AnonymousUser, project_id: int, minimum: str = Role.VIEWER
) -> tuple[Project, str]:
    project = with_role(Project.objects.all(), user).filter(pk=project_id).first()
    role = project.my_role if project is not None and user.is_authenticated else None
    require_role(role, minimum)
    return project, role  # type: ignore[return-value]


def require_owner_or_starter(
    user: AbstractBaseUser | AnonymousUser, project_id: int, started_by_id: int | None, what: str
) -> None:
    """Stopping someone's long-running job is theirs or a project owner's call, not any member's."""
    role = role_in_project(user, project_id)
    require_role(role, Role.VIEWER)
    if role != Role.OWNER and (started_by_id is None or started_by_id != user.pk):
        raise PermissionDenied(
            f"Only the person who started this {what} or a project owner can cancel it."
        )
