"""Run the app under waitress, a production-grade pure-Python WSGI server."""

from __future__ import annotations

from typing import Any

from flask import Flask
from waitress.server import create_server  # type: ignore[import-untyped]

from newsletter.errors import NewsletterError


class ServeError(NewsletterError):
    """The server could not start (port taken, address not available…)."""


class Server:
    """A bound server: ``run()`` serves until ``close()`` (from another thread) or Ctrl-C."""

    def __init__(self, server: Any, port: int) -> None:
        self._server = server
        self._port = port

    @property
    def port(self) -> int:
        # One socket: the port it really got (port 0 asks for any free one).
        return int(getattr(self._server, "effective_port", self._port))

    def run(self) -> None:
        try:
            self._server.run()
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self._server.close()


def make_server(app: Flask, host: str, port: int, threads: int = 8) -> Server:
    """Bind ``host:port`` now (port 0: any free one), so errors show before serving."""
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="newsletter")
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return Server(server, port)
