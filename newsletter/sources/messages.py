"""How the sources say a size or an error in one line (fetch.py and client.py both do)."""

from __future__ import annotations

import os


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def os_reason(error: OSError) -> str:
    """ "connection refused", not asyncio's "Connect call failed ('127.0.0.1', 80)"."""
    if error.errno:
        return os.strerror(error.errno).lower()
    return (error.strerror or first_line(error)).lower()
