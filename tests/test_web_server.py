"""The waitress wrapper stops cleanly from another thread, even with a connection open."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from flask import Flask

from newsletter.web.server import make_server

ROUNDS = 50
STUCK_SECONDS = 60  # only so a regression fails instead of hanging the suite


def _app() -> Flask:
    app = Flask("server-test")
    app.add_url_rule("/", "home", lambda: "hello")
    return app


def _get_over_keep_alive(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert client.recv(100).startswith(b"HTTP/1.1 200")
    return client  # left open: the server is still selecting on it


def test_close_from_another_thread_never_kills_the_server_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Closing the sockets from the caller's thread, under the server's select(), used to
    # end the server thread with EBADF now and then (a failed CI run); so close many times.
    app, errors = _app(), []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        for _ in range(ROUNDS):
            server = make_server(app, "127.0.0.1", 0, threads=2)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            client = _get_over_keep_alive(server.port)
            server.close()
            thread.join(STUCK_SECONDS)
            client.close()
            assert not thread.is_alive()
    finally:
        threading.excepthook = previous
    assert errors == []
    # Nor a worker thread finishing its request after the trigger it wakes the loop with
    # was closed (waitress logs that as "Exception when servicing").
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_close_before_run_means_run_returns_at_once() -> None:
    server = make_server(_app(), "127.0.0.1", 0, threads=1)
    server.close()
    server.run()  # would serve for ever if close() had been forgotten
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
