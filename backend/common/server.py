"""The embedded web server: Django's threaded WSGI server with TCP_NODELAY.

Used by ``manage.py serve`` (the run command) and the frame benchmark. The
handler writes headers and body separately; without TCP_NODELAY, Nagle's
algorithm meets the client's delayed ACK and adds ~40 ms to every small
response, such as a cached frame image.
"""

from __future__ import annotations

import argparse
import os
import socket

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


class FastRequestHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class QuietRequestHandler(FastRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def make_server(host: str, port: int, *, quiet: bool = False) -> ThreadedWSGIServer:
    from django.core.wsgi import get_wsgi_application

    handler = QuietRequestHandler if quiet else FastRequestHandler
    server = ThreadedWSGIServer((host, port), handler)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the PoseForge web app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    server = make_server(args.host, args.port)
    print(f"Web server listening on http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
