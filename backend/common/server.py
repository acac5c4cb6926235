"""The web server of the run command: gunicorn, the same production WSGI server a team uses.

``python -m backend.common.server`` (started by ``manage.py serve``) runs gunicorn in
process: a master and ``(2 x cores) + 1`` worker processes, the count gunicorn's
docs recommend, each with a few threads (the ``gthread`` worker), so a slow client
or a long upload never holds the whole server. There is no proxy in front in the
embedded mode, which is why the worker class is gthread rather than sync.
``WEB_WORKERS`` / ``WEB_THREADS`` override the counts (docs/operations.md).
SIGINT or SIGTERM stops it within ``GRACEFUL_SECONDS``.

TCP_NODELAY: gunicorn sets it on the listening socket and Linux hands it on to every
accepted connection. Without it Nagle's algorithm meets the client's delayed ACK and
adds ~40 ms to small responses such as a cached frame image.

``make_server`` is the in-process threaded server (Django's development server class)
that tests and bench/frames.py start on a thread beside their own database.
"""

from __future__ import annotations

import argparse
import os
import socket
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

GRACEFUL_SECONDS = 10


class FastRequestHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class QuietRequestHandler(FastRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def make_server(host: str, port: int, *, quiet: bool = False) -> ThreadedWSGIServer:
    """Django's threaded server on a thread of the caller's process (tests, benchmarks)."""
    from django.core.wsgi import get_wsgi_application

    handler = QuietRequestHandler if quiet else FastRequestHandler
    server = ThreadedWSGIServer((host, port), handler)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    return server


def recommended_workers() -> int:
    """Gunicorn's rule of thumb: (2 x cores) + 1."""
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(host: str, port: int, *, quiet: bool = False) -> dict[str, Any]:
    workers = int(os.environ.get("WEB_WORKERS") or recommended_workers())
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": int(os.environ.get("WEB_THREADS") or 4),
        "graceful_timeout": GRACEFUL_SECONDS,
        "timeout": 120,  # a worker stuck this long (not just busy in threads) is restarted
        "keepalive": 5,
        "preload_app": True,  # Django is imported once, in the master, then forked
        # One fixed control-socket path per user: a second server (tests, a bench) would
        # take the first one's. Nothing here uses gunicornc.
        "control_socket_disable": True,
        "pre_fork": _close_db_connections,
        "accesslog": None if quiet else "-",
        "errorlog": "-",
        "loglevel": "warning" if quiet else "info",
    }


def _close_db_connections(server: Any, worker: Any) -> None:
    # A connection opened in the master must not be shared by the forked workers.
    from django.db import connections

    connections.close_all()


def run_gunicorn(host: str, port: int, *, quiet: bool = False) -> None:
    from django.core.wsgi import get_wsgi_application
    from django.urls import get_resolver
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, quiet=quiet).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            application = get_wsgi_application()
            # Import every view now, in the master: otherwise each worker pays for it
            # (pandas and friends, ~0.3 s) on its first request.
            get_resolver().url_patterns  # noqa: B018
            return application

    Application().run()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the PoseForge web app (gunicorn).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    print(f"Web server listening on http://{args.host}:{args.port}/", flush=True)
    run_gunicorn(args.host, args.port, quiet=args.quiet)


if __name__ == "__main__":
    main()
