"""Reading the bounce mailbox: `.eml` files in a folder, a maildir, an mbox, or IMAP.

A source yields each message's bytes with an ``ack`` to call once the store has committed
what the message meant. Files are left as they are (a second `bounces process` finds every
key recorded and skips it); IMAP marks the message \\Seen and moves it to the processed
folder, so the mailbox shows what is still to do.
"""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from newsletter.errors import ConfigError

# No bounce report is this large (they quote headers, or a message cut short); past it a
# message is read no further (MAX_MESSAGE + 1 bytes, so the reader sees it is over) and
# recorded as unclassified: a 50 MB message is never held whole nor parsed.
MAX_MESSAGE = 1024 * 1024


@dataclass(frozen=True)
class MailboxMessage:
    data: bytes  # at most MAX_MESSAGE + 1 bytes: more means too large
    where: str  # for messages: the file, or mailbox and UID
    ack: Callable[[], None] = lambda: None


def local_messages(path: Path) -> Iterator[MailboxMessage]:
    """A maildir (a folder with cur/ and new/), a folder of `.eml` files, one `.eml` file,
    or an mbox file; in a stable order."""
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        yield from _maildir(path)
    elif path.is_dir():
        for file in sorted(path.glob("*.eml")):
            yield MailboxMessage(_read(file), str(file))
    elif path.is_file() and _is_mbox(path):
        yield from _mbox(path)
    elif path.is_file():
        yield MailboxMessage(_read(path), str(path))
    else:
        raise ConfigError(f"{path}: no such file or folder (give .eml files, a maildir or an mbox)")


def _maildir(path: Path) -> Iterator[MailboxMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield MailboxMessage(_capped(box.get_file(key)), f"{path}/{key}")


def _mbox(path: Path) -> Iterator[MailboxMessage]:
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for n, key in enumerate(box.iterkeys(), start=1):
            yield MailboxMessage(_capped(box.get_file(key)), f"{path}#{n}")
    finally:
        box.close()


def _is_mbox(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(5) == b"From "


class _File(Protocol):  # an open file, or the mailbox module's view of one message
    def read(self, size: int | None = ..., /) -> bytes: ...
    def close(self) -> None: ...


def _capped(file: _File) -> bytes:
    try:
        return file.read(MAX_MESSAGE + 1)
    finally:
        file.close()


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return _capped(file)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
