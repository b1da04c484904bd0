"""Parse workers die with the collect that started them, even when it is SIGKILLed.

A killed ``collect`` runs no cleanup: its fork server, resource tracker and parse workers
(about 190 MB) were left behind, still there minutes later. The workers are children of
the fork server, not of ``collect``, and each holds the write end of the fork server's
"alive" pipe, so neither notices: a parent-death signal would follow the fork server,
which itself waits for the workers. So each worker watches ``collect`` itself, through a
pidfd (Linux 5.3+) that becomes readable when that process ends, and exits then; the
fork server sees its pipe close and exits, and the resource tracker follows once no
process holds its pipe. Where pidfds do not exist this does nothing.
"""

from __future__ import annotations

import os
import select
import threading


def die_with(pid: int) -> None:
    """Exit this process as soon as process ``pid`` ends (at once if it is gone)."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return
    try:
        fd = pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except OSError:
        return  # not allowed here (an old kernel, a sandbox): the pool's shutdown remains
    threading.Thread(target=_exit_when_readable, args=(fd,), name="lifeline", daemon=True).start()


def _exit_when_readable(fd: int) -> None:
    select.select([fd], [], [])
    os._exit(1)
