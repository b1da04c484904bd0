"""Run the app under waitress, a production-grade pure-Python WSGI server."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from typing import Any

from flask import Flask
from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]

from newsletter.errors import NewsletterError
from newsletter.web.quiet_log import quiet_queue_warnings

CONNECTION_LIMIT = 1000  # open connections (each a small buffer); more wait in the backlog
CLOSE_WAIT_SECONDS = 60


class ServeError(NewsletterError):
    """The server could not start (port taken, address not available…)."""


class Server:
    """A bound server: ``run()`` serves until ``close()`` (from another thread) or Ctrl-C."""

    def __init__(self, server: Any, port: int) -> None:
        self._server = server
        self.port = port
        self._lock = threading.Lock()
        self._serving: threading.Thread | None = None
        self._stopped = threading.Event()
        self._closing = False  # set before the sockets (the trigger among them) close

    def run(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return  # closed before it started
            self._serving = threading.current_thread()
        previous = None
        if self._serving is threading.main_thread():
            # systemd and docker stop with SIGTERM: finish like Ctrl-C, closing cleanly.
            previous = signal.signal(signal.SIGTERM, _exit)
        try:
            self._server.run()  # returns on SystemExit, KeyboardInterrupt and an empty map
        except KeyboardInterrupt:
            pass
        finally:
            self._shut()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def close(self) -> None:
        """Stop serving and wait until the sockets are closed.

        From another thread, the serving thread closes them itself: a socket closed under its
        select() fails that select with EBADF, and the server thread dies with a traceback."""
        with self._lock:
            serving = self._serving
            if serving is None:
                self._stopped.set()  # run() will not start now
            elif serving is not threading.current_thread() and not self._closing:
                # Under the lock, so never after _shut closed the trigger: its descriptor
                # number may belong to another file by then.
                self._server.trigger.pull_trigger(self._close_sockets)
        if serving is None or serving is threading.current_thread():
            self._shut()
            return
        # Bounded only so a wedged server cannot hang the caller for ever.
        self._stopped.wait(timeout=CLOSE_WAIT_SECONDS)

    def _close_sockets(self) -> None:
        """Close the listening socket and the connections; the loop returns once its map is
        empty. The trigger only leaves the map: worker threads still finishing a request
        pull it, and it is closed once they are gone (``_shut``). Run inside the serving
        loop (a trigger thunk, between two select() calls) or once it has ended."""
        server, trigger = self._server, self._server.trigger
        for channel in list(server._map.values()):
            with contextlib.suppress(OSError):
                if channel is trigger:
                    channel.del_channel()
                elif channel is server:  # its own close() would close the trigger too
                    wasyncore.dispatcher.close(server)
                else:
                    channel.close()

    def _shut(self) -> None:
        with self._lock:
            self._closing = True
        # waitress's single-socket server leaves its worker threads running on close().
        self._server.task_dispatcher.shutdown()
        self._close_sockets()
        self._server.trigger.close()
        self._stopped.set()


def _exit(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def make_server(app: Flask, host: str, port: int, threads: int = 8, proxies: int = 0) -> Server:
    """Bind ``host:port`` now (port 0: any free one), so errors show before serving.

    Behind ``proxies`` reverse proxies the app's ProxyFix reads the X-Forwarded-* headers
    (see :func:`newsletter.web.create_app`), so waitress must pass them on: by default it
    deletes them, and every visitor would have the proxy's address (and share its rate
    limit). Only one of the two may interpret them; ProxyFix is the one that also knows
    X-Forwarded-Prefix. Without proxies, waitress deletes them, as a client sent them."""
    sock = _bind(host, port)
    quiet_queue_warnings()
    try:
        server = create_server(
            app,
            sockets=[sock],
            threads=threads,
            ident="newsletter",
            # waitress stops accepting at 100 open connections, and browsers keep theirs
            # open between requests: 200 readers at once would leave half waiting.
            connection_limit=CONNECTION_LIMIT,
            clear_untrusted_proxy_headers=not proxies,
        )
    except BaseException:
        sock.close()
        raise
    return Server(server, sock.getsockname()[1])


def _bind(host: str, port: int) -> socket.socket:
    # Binding here, before waitress starts its threads, keeps a taken port one clean error.
    where = f"{host}:{port}"
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ServeError(f"cannot listen on {where}: no such host") from None
    family, kind, proto, _, address = found[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock
