"""This process as a claimer, and whether another claimer on this host still runs."""

from __future__ import annotations

import functools
import os
import secrets
import socket

from newsletter.mail.decide import Claimer


@functools.cache
def current_claimer() -> Claimer:
    """This process: host, pid, and its start time (a random token without /proc)."""
    return Claimer(socket.gethostname(), os.getpid(), _start_token(os.getpid()) or _random())


def process_alive(claimer: Claimer) -> bool:
    """Whether the claimer (on this host) still runs: its pid exists and, where /proc
    tells, started when the claimer did, so a reused pid is not mistaken for it."""
    try:
        os.kill(claimer.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    start = _start_token(claimer.pid)
    return start is None or start == claimer.start


def _start_token(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            stat = file.read()
    except OSError:
        return None
    # Field 22, counted after the command name (which may itself hold spaces and parens).
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


@functools.cache
def _random() -> str:
    return "r" + secrets.token_hex(6)
