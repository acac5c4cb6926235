"""Concurrent annotators over real HTTP (issue 7.4).

A real threaded server (backend.common.server.make_server) on loopback; N
annotator threads and a few reviewer threads hammer a small set of shared
frames: read, save with the version they read (PUT .../labels/), sometimes
deliberately with a stale version, submit, review. Afterwards, from the
database:

- lost acknowledged saves: a 200 whose (frame, version, payload) is not in the
  frame's LabelHistory, or the frame's final instances are not the payload of
  its last acknowledged save;
- stale saves applied: a 200 to a save sent with a version known to be stale,
  or a break in a frame's history chain (version k+1's ``before`` != version k's
  ``after``: a save applied on top of data it never saw);
- LabelHistory create/update rows must equal accepted saves, and
  submit/approve/reject rows the accepted submits and reviews.

20 s in the normal suite; RELIABILITY_ANNOTATOR_SECONDS (180 under make
reliability) in the ``reliability`` variant. PostgreSQL when DATABASE_URL is
set, else SQLite.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from tests.reliability.conftest import record

pytestmark = pytest.mark.django_db(transaction=True)
SHARED_FRAMES = 8
REVIEWERS = 3


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list = field(default_factory=list)  # (frame, version, track, sent_at)
    save_ms: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    stale_applied: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def add(self, **kw):
        with self.lock:
            for key, value in kw.items():
                getattr(self, key).append(value)

    def count(self, name: str, n: int = 1):
        with self.lock:
            self.counts[name] += n


@pytest.fixture
def server():
    from backend.common.server import make_server

    httpd = make_server("127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def _points(nodes, seed: int):
    rng = random.Random(seed)
    return [{"node": n, "x": rng.uniform(0, 150), "y": rng.uniform(0, 110), "visibility": 2}
            for n in nodes]  # fmt: skip


def annotator(base, token, name, video_id, nodes, stop, ledger: Ledger, seed):
    rng = random.Random(seed)
    http = _session(token)
    seq = 0
    while not stop.is_set():
        frame = rng.randrange(SHARED_FRAMES) * 3
        url = f"{base}/api/videos/{video_id}/frames/{frame}/labels/"
        try:
            got = http.get(url, timeout=60)
            version = got.json()["version"] if got.status_code == 200 else 0
            stale = version > 0 and rng.random() < 0.15
            sent_version = version - 1 if stale else version
            seq += 1
            track = f"{name}-{seq}"
            body = {"version": sent_version,
                    "instances": [{"track": track, "points": _points(nodes, seq)}]}  # fmt: skip
            started = time.perf_counter()
            put = http.put(url, json=body, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if put.status_code == 200:
                ledger.add(acked=(frame, put.json()["version"], track, started), save_ms=elapsed)
                ledger.count("saves")
                if stale:
                    ledger.add(stale_applied=(frame, sent_version, track))
            elif put.status_code == 409:
                ledger.count("conflicts")
                current = put.json()["extra"]["current"]
                if current and any(i["track"] == track for i in current["instances"]):
                    ledger.add(errors=f"409 but our payload {track} is the current state")
            else:
                ledger.add(errors=f"PUT {url}: {put.status_code} {put.text[:200]}")
            if rng.random() < 0.1:
                now = http.get(url, timeout=60).json()
                sub = http.post(url.replace("/labels/", "/submit/"), json={"version": now["version"]},
                                timeout=60)  # fmt: skip
                _tally(ledger, sub, "submits")
        except (requests.RequestException, KeyError, ValueError) as exc:
            ledger.add(errors=f"{name}: {exc!r}")


def _tally(ledger: Ledger, response, what: str) -> None:
    """Count an accepted submit/review; a refusal (400/409: the frame moved on) is expected."""
    if response.status_code == 200:
        ledger.count(what)
    elif response.status_code not in (400, 409):
        ledger.add(errors=f"{what}: {response.status_code} {response.text[:200]}")


def reviewer(base, token, name, video_id, stop, ledger: Ledger, seed):
    rng = random.Random(seed)
    http = _session(token)
    while not stop.is_set():
        frame = rng.randrange(SHARED_FRAMES) * 3
        url = f"{base}/api/videos/{video_id}/frames/{frame}/"
        try:
            got = http.get(url + "labels/", timeout=60)
            if got.status_code != 200 or got.json()["status"] != "submitted":
                time.sleep(0.05)
                continue
            decision = rng.choice(["approve", "reject"])
            body = {"decision": decision, "comment": f"{name}: fix the ears" if decision == "reject"
                    else "", "version": got.json()["version"]}  # fmt: skip
            review = http.post(url + "review/", json=body, timeout=60)
            _tally(ledger, review, "reviews")
        except (requests.RequestException, KeyError, ValueError) as exc:
            ledger.add(errors=f"{name}: {exc!r}")


def run_annotators(server, project, video, seconds: float, n_annotators: int) -> dict:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from backend.labels.models import LabeledFrame, LabelHistory
    from backend.projects.models import Membership

    nodes = list(project.nodes.values_list("id", flat=True))
    User = get_user_model()
    people = []
    for i in range(n_annotators + REVIEWERS):
        role = "annotator" if i < n_annotators else "reviewer"
        user = User.objects.create_user(username=f"{role}{i}", password="x-password-123")
        Membership.objects.create(project=project, user=user, role=role)
        people.append((user.username, role, Token.objects.create(user=user).key))
    ledger, stop = Ledger(), threading.Event()
    threads = [
        threading.Thread(target=annotator, args=(server, key, name, video.id, nodes, stop, ledger, i))
        if role == "annotator" else
        threading.Thread(target=reviewer, args=(server, key, name, video.id, stop, ledger, i))
        for i, (name, role, key) in enumerate(people)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(120)

    history = {}
    for row in LabelHistory.objects.filter(labeled_frame__video=video).order_by("id"):
        history.setdefault(row.labeled_frame.frame_index, []).append(row)
    saves = [r for rows in history.values() for r in rows if r.action in ("create", "update")]
    by_key = {(r.labeled_frame.frame_index, r.version): r for r in saves}
    lost = []
    for frame, version, track, _ in ledger.acked:
        row = by_key.get((frame, version))
        if row is None or [i["track"] for i in row.after] != [track]:
            lost.append((frame, version, track))
    last_acked = {}
    for frame, version, track, _ in ledger.acked:
        if version > last_acked.get(frame, (0, ""))[0]:
            last_acked[frame] = (version, track)
    for frame, (version, track) in last_acked.items():
        current = LabeledFrame.objects.get(video=video, frame_index=frame)
        tracks = list(current.instances.values_list("track", flat=True))
        if current.version != version or tracks != [track]:
            lost.append((frame, "final", track, current.version, tracks))
    chain_breaks = []
    for frame, rows in history.items():
        frame_saves = sorted((r for r in rows if r.action in ("create", "update")),
                             key=lambda r: r.version)  # fmt: skip
        if [r.version for r in frame_saves] != list(range(1, len(frame_saves) + 1)):
            chain_breaks.append((frame, "versions", [r.version for r in frame_saves]))
        for prev, nxt in zip(frame_saves, frame_saves[1:], strict=False):
            if [i["track"] for i in nxt.before] != [i["track"] for i in prev.after]:
                chain_breaks.append((frame, nxt.version))
    decided = sum(1 for rows in history.values() for r in rows if r.action in ("approve", "reject"))
    submitted = sum(1 for rows in history.values() for r in rows if r.action == "submit")
    ms = sorted(ledger.save_ms)
    return {
        "annotators": n_annotators, "reviewers": REVIEWERS, "seconds": seconds,
        "saves": ledger.counts["saves"], "conflicts": ledger.counts["conflicts"],
        "submits": ledger.counts["submits"], "reviews": ledger.counts["reviews"],
        "history_saves": len(saves), "history_submits": submitted, "history_reviews": decided,
        "lost": lost, "stale": ledger.stale_applied + chain_breaks, "errors": ledger.errors,
        "p50": statistics.median(ms) if ms else None,
        "p95": ms[int(0.95 * (len(ms) - 1))] if ms else None,
    }  # fmt: skip


def _check(result: dict) -> None:
    from django.db import connection

    record(annotators=result["annotators"], annotator_seconds=result["seconds"],
           saves=result["saves"], conflicts_409=result["conflicts"],
           submits=result["submits"], reviews=result["reviews"],
           history_save_rows=result["history_saves"], lost_saves=len(result["lost"]),
           stale_saves_applied=len(result["stale"]),
           save_p50_ms=round(result["p50"] or 0, 1), save_p95_ms=round(result["p95"] or 0, 1),
           annotator_db=connection.vendor)  # fmt: skip
    assert not result["errors"], result["errors"][:20]
    assert result["saves"] > 0 and result["conflicts"] > 0, result
    assert not result["lost"], result["lost"][:20]
    assert not result["stale"], result["stale"][:20]
    assert result["history_saves"] == result["saves"]
    assert result["history_submits"] == result["submits"]
    assert result["history_reviews"] == result["reviews"]


def test_twenty_annotators_twenty_seconds(server, project, video):
    _check(run_annotators(server, project, video, 20, 20))


@pytest.mark.reliability
def test_annotators_for_minutes(server, project, video):
    seconds = float(os.environ.get("RELIABILITY_ANNOTATOR_SECONDS", "180"))
    _check(run_annotators(server, project, video, seconds, 24))
