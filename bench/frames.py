"""Frame-image latency through a running PoseForge server (make bench-frames).

Starts the real Django app (WSGI, threaded) on 127.0.0.1 with a throwaway
database and media folder, registers the DeepLabCut open-field video, then
fetches random frames over HTTP with a token: first cold (decoded on demand),
then again cached. The floor is the decode-only time of the same random
frames (seek + decode, no JPEG, no HTTP). Speed means nothing if the pixels are
wrong, so every benchmarked frame decoded alone is compared with the same frame
of one sequential decode (``pixel_mismatches``, must be 0), and every served JPEG
with the JPEG of that sequential frame (``served_jpeg_mismatches``, must be 0).
Writes bench/results/frames.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60, help="random frames to fetch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="poseforge-bench-"))
    os.environ.update(POSEFORGE_VAR_DIR=str(tmp), MEDIA_ROOT=str(tmp / "media"))
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from backend.common.server import make_server
    from backend.config.celery import app as celery_app
    from backend.projects.services import project_create
    from backend.videos import media
    from backend.videos.services import video_create_from_path

    video_path = Path(settings.POSEFORGE_DATA_DIR) / "openfield-Pranav-2018-10-30/videos/m3v1mp4.mp4"
    if not video_path.is_file():
        sys.exit(f"{video_path} is absent (set POSEFORGE_DATA_DIR)")
    celery_app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    token = Token.objects.create(user=user).key
    project = project_create(name="bench", owner=user)
    video = video_create_from_path(project=project, path=video_path)

    server = make_server("127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    rng = random.Random(args.seed)
    indices = rng.sample(range(video.frame_count), args.frames)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Token {token}"}

    served: dict[int, bytes] = {}

    def fetch(index: int) -> float:
        start = time.perf_counter()
        conn.request("GET", f"/api/videos/{video.id}/frames/{index}.jpg", headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status == 200 and body[:2] == b"\xff\xd8", response.status
        served[index] = body
        return elapsed

    cold = [fetch(i) for i in indices]
    cached = [fetch(i) for i in indices]
    decode, alone = [], {}
    for index in indices:
        start = time.perf_counter()
        alone[index] = media.read_frame(video_path, index)
        decode.append((time.perf_counter() - start) * 1000)
    wanted = set(indices)
    truth = {i: rgb for i, rgb in media.iter_frames(video_path) if i in wanted}
    pixel_mismatches = sorted(i for i in indices if not np.array_equal(alone[i], truth[i]))
    quality = settings.FRAME_CACHE_JPEG_QUALITY
    jpeg_mismatches = sorted(
        i for i in indices if served[i] != media.encode_jpeg(truth[i], quality=quality)
    )
    start = time.perf_counter()
    n_seq = sum(1 for _ in media.iter_frames(video_path, stop=300))
    sequential = (time.perf_counter() - start) * 1000 / n_seq
    server.shutdown()

    result = {
        "video": video_path.name,
        "width": video.width,
        "height": video.height,
        "frames_fetched": len(indices),
        "cold_p50_ms": round(statistics.median(cold), 2),
        "cold_p95_ms": round(_percentile(cold, 95), 2),
        "cached_p50_ms": round(statistics.median(cached), 2),
        "cached_p95_ms": round(_percentile(cached, 95), 2),
        "decode_only_ms_per_frame": round(statistics.median(decode), 2),
        "decode_only_p95_ms": round(_percentile(decode, 95), 2),
        "sequential_decode_ms_per_frame": round(sequential, 2),
        "pixel_mismatches": len(pixel_mismatches),
        "pixel_mismatch_frames": pixel_mismatches,
        "served_jpeg_mismatches": len(jpeg_mismatches),
        "targets": {
            "cached_p95_ms": 20,
            "cold_p95_vs_decode_only": 2.0,
            "pixel_mismatches": 0,
            "served_jpeg_mismatches": 0,
        },
    }
    out = REPO / "bench" / "results" / "frames.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if pixel_mismatches or jpeg_mismatches:
        sys.exit(f"frames differ from sequential decoding: {pixel_mismatches or jpeg_mismatches}")


if __name__ == "__main__":
    main()
