"""`manage.py serve`: the embedded default in one command.

Migrates, creates the demo project, then runs the web server and one real
Celery worker (both queues) side by side. The worker embeds Celery beat (``-B``),
which sends the job reaper every ``JOB_REAPER_SECONDS`` (a team server runs beat
as its own service instead; see docker-compose.yml). Ctrl-C stops both cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from backend.demo.services import DEMO_PASSWORD, DEMO_USERNAME


def worker_command(python: str, host: str) -> list[str]:
    """One worker for both queues, with beat embedded: the schedule of the job reaper."""
    return [python, "-m", "celery", "-A", "backend.config", "worker", "-Q", "default,gpu",
            "-c", "1", "-B", "--loglevel", "INFO", "-n", f"embedded@{host}"]  # fmt: skip


class Command(BaseCommand):
    help = "Run the web server and a Celery worker (embedded default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options) -> None:
        call_command("migrate", verbosity=0)
        if not no_demo:
            call_command("seed_demo")
        python = sys.executable
        worker = subprocess.Popen(worker_command(python, os.uname().nodename))
        web = subprocess.Popen(
            [python, "-m", "backend.common.server", "--host", host, "--port", str(port)],
            cwd=settings.BASE_DIR,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPoseForge is running at http://{host}:{port}/  "
                f"(log in as {DEMO_USERNAME} / {DEMO_PASSWORD}). Ctrl-C stops it.\n"
            )
        )
        self._wait([web, worker])

    def _wait(self, children: list[subprocess.Popen]) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # the worker finishes its current task chunk
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("PoseForge stopped.")
