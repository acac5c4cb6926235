"""Label saves against the production setup (make bench-saves).

Starts what a team server runs, on 127.0.0.1: gunicorn (backend.common.server, the
worker count gunicorn's docs recommend), PostgreSQL (a throwaway database made on
DATABASE_URL's server and dropped afterwards) and Redis (REDIS_URL, for the cache
and sessions). The annotators are browser sessions (session cookie + CSRF header),
as in the app. Then two phases:

1. One annotator saves one frame ``--single`` times in a row. ``save_server_median_ms``
   is the median of the server's own time for each save (the ``Server-Timing`` header
   that backend.common.middleware adds), so the client and the network are not in it.
2. ``--annotators`` annotators (threads) for ``--seconds`` at a person's pace: each asks
   for the next frame, fetches its image and labels, saves every 2 s (three saves a
   frame), submits it, and moves on. Latency is measured by the client over every
   request (``p50_ms``/``p95_ms``), and per kind.

The picked frames are put in the frame cache before the load (sequential decode), as
a team's picked frames are after the first look at them: a cold random-access decode
costs ~300 ms of CPU (bench/results/frames.json) and is measured by make bench-frames.
The load generator runs on the same machine and shares its cores with the server;
the load average at the start is in the result. Writes bench/results/saves.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VIDEO = "openfield-Pranav-2018-10-30/videos/m3v1mp4.mp4"
NODES = ["snout", "leftear", "rightear", "tailbase"]
SAVES_PER_FRAME = 3
SAVE_EVERY_S = 2.0
TARGETS = {"save_server_median_ms": 15, "annotators_50_p95_ms": 100}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --- the throwaway database ------------------------------------------------------------


@contextmanager
def throwaway_database(server_url: str):
    """Create a database on ``server_url``'s server, yield its URL, drop it afterwards."""
    import psycopg2

    name = f"poseforge_bench_saves_{os.getpid()}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --- the world: users, sessions, a project with picked frames ---------------------------


@dataclass
class World:
    project_id: int
    video_id: int
    node_ids: list[int]
    cookies: list[str]  # one "sessionid=...; csrftoken=..." per annotator
    csrf: str


def build_world(annotators: int, frames: int) -> World:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.base import SessionBase
    from django.core.management import call_command
    from django.utils.module_loading import import_string

    from backend.labels.models import LabeledFrame
    from backend.projects.models import Membership
    from backend.projects.services import project_create, skeleton_update
    from backend.videos.services import video_create_from_path

    call_command("migrate", verbosity=0)
    User = get_user_model()
    owner = User.objects.create_user("bench-owner", password="bench-password-1")
    project = project_create(name="bench saves", owner=owner)
    skeleton_update(project=project, data={"nodes": [{"name": n} for n in NODES],
                                           "edges": [], "symmetries": []})  # fmt: skip
    video = video_create_from_path(project=project, path=Path(settings.POSEFORGE_DATA_DIR) / VIDEO)
    LabeledFrame.objects.bulk_create(
        LabeledFrame(video=video, frame_index=i, status=LabeledFrame.Status.TODO, picked=True)
        for i in range(min(frames, video.frame_count))
    )
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    csrf = "b" * 32  # a CSRF secret: the cookie and the header carry the same value
    cookies = []
    for n in range(annotators):
        user = User.objects.create_user(f"annotator{n:02d}", password="bench-password-1")
        Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
        session: SessionBase = store()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        session.save()
        cookies.append(f"sessionid={session.session_key}; csrftoken={csrf}")
    node_ids = list(project.nodes.values_list("id", flat=True))
    return World(project.id, video.id, node_ids, cookies, csrf)


def warm_frame_cache(video_id: int, frames: int) -> None:
    """Decode the picked frames once, in order, into the frame cache the server reads."""
    from django.conf import settings

    from backend.common import storage
    from backend.videos import media
    from backend.videos.models import Video
    from backend.videos.services import frame_jpeg_prefix, video_local_path

    video = Video.objects.get(pk=video_id)
    prefix = frame_jpeg_prefix(video)
    quality = settings.FRAME_CACHE_JPEG_QUALITY
    for index, rgb in media.iter_frames(video_local_path(video), stop=frames):
        storage.save_bytes(f"{prefix}/{index:07d}.jpg", media.encode_jpeg(rgb, quality=quality))


# --- the server -----------------------------------------------------------------------


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.common.server", "--port", str(port), "--quiet"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited: {server.communicate()[0]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/auth/me/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("the server did not start within 90 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


# --- one annotator's client -----------------------------------------------------------


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0

    def add(self, kind: str, elapsed: float) -> None:
        with self.lock:
            self.ms[kind].append(elapsed)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Client:
    def __init__(self, port: int, cookie: str, csrf: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Cookie": cookie, "X-CSRFToken": csrf, "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes, float, dict]:
        payload = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next call
            raise
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, data, elapsed, dict(response.getheaders())


def server_ms(headers: dict) -> float:
    return float(headers["Server-Timing"].split("dur=")[1])


def _instances(node_ids: list[int], rng: random.Random) -> list[dict]:
    points = [{"node": n, "x": rng.uniform(0, 640), "y": rng.uniform(0, 480), "visibility": 2}
              for n in node_ids]  # fmt: skip
    return [{"track": None, "points": points}]


def single_annotator(port: int, world: World, saves: int) -> dict[str, float]:
    client = Client(port, world.cookies[0], world.csrf)
    rng = random.Random(0)
    path = f"/api/videos/{world.video_id}/frames/0/labels/"
    version, server, round_trip = 0, [], []
    for _ in range(saves):
        status, data, elapsed, headers = client.call(
            "PUT", path, {"version": version, "instances": _instances(world.node_ids, rng)}
        )
        if status != 200:
            sys.exit(f"single-annotator save failed: {status} {data[:300]!r}")
        version = json.loads(data)["version"]
        server.append(server_ms(headers))
        round_trip.append(elapsed)
    return {
        "save_server_median_ms": round(statistics.median(server), 2),
        "save_server_p95_ms": round(_percentile(server, 95), 2),
        "save_round_trip_median_ms": round(statistics.median(round_trip), 2),
        "saves": saves,
    }


class Annotator(threading.Thread):
    """Labels frames at a person's pace: next frame, image, labels, 3 saves 2 s apart, submit."""

    def __init__(self, n: int, port: int, world: World, stop_at: float, ledger: Ledger) -> None:
        super().__init__(daemon=True)
        self.client = Client(port, world.cookies[n], world.csrf)
        self.world, self.stop_at, self.ledger = world, stop_at, ledger
        self.rng = random.Random(n)
        self.next_save = 0.0

    def timed(self, kind: str, method: str, path: str, body: object = None, ok=(200,)):
        try:
            status, data, elapsed, _ = self.client.call(method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            self.ledger.error(f"{kind}: {exc!r}")
            return None, b""
        self.ledger.add(kind, elapsed)
        if status == 409:
            with self.ledger.lock:
                self.ledger.conflicts += 1
        elif status not in ok:
            self.ledger.error(f"{kind}: HTTP {status} {data[:200]!r}")
        return status, data

    def run(self) -> None:
        # People do not all open the app within the same millisecond: spread the starts
        # over one save period, each then keeping its own 2 s rhythm.
        time.sleep(self.rng.uniform(0, SAVE_EVERY_S))
        self.next_save = time.monotonic() + SAVE_EVERY_S
        while time.monotonic() < self.stop_at:
            status, data = self.timed(
                "next_frame", "POST", f"/api/projects/{self.world.project_id}/next-frame/",
                ok=(200, 204),
            )  # fmt: skip
            if status != 200:
                return  # nothing left to label (or an error, already counted)
            frame = json.loads(data)
            base = f"/api/videos/{frame['video']}/frames/{frame['frame_index']}"
            self.timed("frame_image", "GET", f"{base}.jpg")
            status, data = self.timed("get_labels", "GET", f"{base}/labels/")
            version = json.loads(data)["version"] if status == 200 else 0
            for _ in range(SAVES_PER_FRAME):
                time.sleep(max(0.0, self.next_save - time.monotonic()))
                self.next_save += SAVE_EVERY_S
                if time.monotonic() >= self.stop_at:
                    return
                body = {"version": version, "instances": _instances(self.world.node_ids, self.rng)}
                status, data = self.timed("save", "PUT", f"{base}/labels/", body)
                if status == 200:
                    version = json.loads(data)["version"]
            self.timed("submit", "POST", f"{base}/submit/", {"version": version})


def many_annotators(port: int, world: World, annotators: int, seconds: float) -> dict:
    ledger = Ledger()
    started = time.monotonic()
    threads = [Annotator(n, port, world, started + seconds, ledger) for n in range(annotators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    every = [ms for values in ledger.ms.values() for ms in values]
    return {
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(_percentile(every, 95), 2),
        "requests_per_second": round(len(every) / elapsed, 1),
        "requests": len(every),
        "errors": len(ledger.errors),
        "error_samples": ledger.errors[:5],
        "conflicts": ledger.conflicts,
        "seconds": round(elapsed, 1),
        "by_kind": {
            kind: {
                "count": len(v),
                "p50_ms": round(statistics.median(v), 2),
                "p95_ms": round(_percentile(v, 95), 2),
            }
            for kind, v in sorted(ledger.ms.items())
        },  # fmt: skip
    }


# --- main -----------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase")
    parser.add_argument("--single", type=int, default=200, help="saves in the one-annotator phase")
    parser.add_argument("--frames", type=int, default=700, help="picked frames to hand out")
    args = parser.parse_args()

    database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    tmp = Path(tempfile.mkdtemp(prefix="poseforge-bench-saves-"))
    load_at_start = os.getloadavg()
    with throwaway_database(database) as bench_db:
        env = {**os.environ, "DATABASE_URL": bench_db, "REDIS_URL": redis,
               "REDIS_CACHE_DB": os.environ.get("REDIS_CACHE_DB", "13"),
               "POSEFORGE_VAR_DIR": str(tmp), "MEDIA_ROOT": str(tmp / "media"),
               "DJANGO_SETTINGS_MODULE": "backend.config.settings", "DEBUG": "0"}  # fmt: skip
        os.environ.update(env)
        import django

        django.setup()
        from django.core.cache import cache
        from django.db import connections

        from backend.common.server import recommended_workers

        cache.clear()
        world = build_world(args.annotators + 1, args.frames)
        warm_frame_cache(world.video_id, args.frames)
        connections.close_all()
        port = _free_port()
        server = start_server(port, env)
        try:
            single = single_annotator(port, world, args.single)
            world.cookies = world.cookies[1:]  # the single annotator's frame is not handed out
            load = many_annotators(port, world, args.annotators, args.seconds)
        finally:
            stop_server(server)
            connections.close_all()
    result = {
        **single,
        f"annotators_{args.annotators}": load,
        "setup": {
            "server": "gunicorn (backend.common.server), gthread",
            "web_workers": int(os.environ.get("WEB_WORKERS") or recommended_workers()),
            "web_threads": int(os.environ.get("WEB_THREADS") or 4),
            "database": "PostgreSQL (throwaway database)",
            "cache_and_sessions": "Redis",
            "cpu_cores": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in load_at_start],
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "pace": f"a save every {SAVE_EVERY_S:g} s per annotator, {SAVES_PER_FRAME} per frame, "
            "then submit, next-frame, frame image and labels",
        },
        "targets": TARGETS,
    }
    out = REPO / "bench" / "results" / "saves.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
