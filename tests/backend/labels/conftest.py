"""Helpers for the team-labeling tests: saving labels, making todo frames, a clock to move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.labels.models import LabeledFrame
from tests.conftest import node_ids


def points(project, x: float = 12.5) -> list[dict]:
    return [{"node": n, "x": x, "y": 40.0, "visibility": 2} for n in node_ids(project)]


def save(client, video, index: int, version: int, project=None, instances=None):
    if instances is None:
        instances = [{"points": points(project or video.project)}]
    return client.put(
        f"/api/videos/{video.id}/frames/{index}/labels/",
        {"version": version, "instances": instances},
        format="json",
    )


def make_todo(video, *indices: int) -> None:
    LabeledFrame.objects.bulk_create(
        LabeledFrame(video=video, frame_index=i, status=LabeledFrame.Status.TODO, picked=True)
        for i in indices
    )


def frame_url(video, index: int, action: str) -> str:
    return f"/api/videos/{video.id}/frames/{index}/{action}/"


class Clock:
    """Stands in for django.utils.timezone.now, so lock expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def submitted(client_for, video, bob):
    """Frame 3, labeled and submitted by bob."""
    client = client_for(bob)
    assert save(client, video, 3, 0).status_code == 200
    assert client.post(frame_url(video, 3, "submit"), {}, format="json").status_code == 200
    return 3
