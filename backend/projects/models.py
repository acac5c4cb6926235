"""Projects, team membership and the skeleton (nodes, edges, symmetric pairs).

Nodes have stable database ids; labels refer to those ids, so renaming or
reordering a node never touches a label.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Four-eyes review: off means nobody approves a frame they submitted or last edited.
    allow_self_review = models.BooleanField(default=False)
    # Animals a frame may hold; null means "unknown" (no cap). 1 keeps the single-animal workspace.
    max_instances = models.PositiveSmallIntegerField(null=True, blank=True, default=1)
    # Pinned test set: labeled frames no training run sees, only scored once it is over.
    test_frames = models.ManyToManyField("labels.LabeledFrame", blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        REVIEWER = "reviewer"
        ANNOTATOR = "annotator"
        VIEWER = "viewer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="unique_member_per_project")
        ]


# Roles in increasing power; each role can do what the ones before it can.
ROLE_ORDER = [
    Membership.Role.VIEWER,
    Membership.Role.ANNOTATOR,
    Membership.Role.REVIEWER,
    Membership.Role.OWNER,
]


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_ORDER.index(role) >= ROLE_ORDER.index(minimum)


class _NamedInProject(models.Model):
    """A project's ordered, coloured list item with a unique name (nodes, tracks);
    subclasses declare ``project`` with their own related name."""

    project: models.ForeignKey
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#e6194b")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="unique_%(class)s_name_per_project"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Node(_NamedInProject):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nodes")


class Edge(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    destination = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]


class Symmetry(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="symmetries")
    node_a = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    node_b = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]


class Track(_NamedInProject):
    """An animal's identity in a project; instances refer to it by name (``Instance.track``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tracks")


class Invitation(models.Model):
    """A one-time link that makes whoever accepts it a member with ``role``.

    Only the SHA-256 of the token is stored: the link is shown once, to the
    owner who made it, and a database dump cannot be turned back into links.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"
        EXPIRED = "expired"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def state_at(self, now) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        return self.State.EXPIRED if self.expires_at <= now else self.State.PENDING
