"""The send journal: each worker's own file of what it handed to the server and what the
server answered, so that the send after a crash knows which rows of a dead sender were
delivered, which never left, and which were truly in flight.

The database marks a worker's rows ``sending`` 8 at a time and records their results with
the next 8 (one commit per batch: ``sender.IN_FLIGHT``). Between two commits only this file
knows how far the worker got. One line per event::

    >123   row 123 handed to the transport (written before any byte of its message)
    +123   the server accepted it (250)
    -123   anything else: refused, to retry, or not sent at all; nothing was delivered

The lines are copied into a shared memory map of the file: once copied they are in the
kernel's page cache, with no system call per message (and so no hand-off of the GIL between
the workers at each line), and they survive the process
however it dies (SIGKILL, the OOM killer). So at any moment at most one row of a worker is
handed over without its answer: a crash leaves at most one per worker in doubt, the message
truly in flight. The file is allocated ahead and zero-filled, so a line that the death cut
short still holds NUL bytes and is ignored when read; a row counts as delivered only on a
whole ``+`` line. Nothing is fsynced: a line lost with the machine itself (a power cut) can
only make a delivered row look in doubt or never sent, and both are sent again. A flush per
batch would not help (the lines that matter are those since the last commit), and one per
message would cost the disk flush the batching exists to avoid.

The files live in the site's ``db/send-journal/``, one per claimer (``host:pid:start``),
send and worker; a worker holds an ``flock`` on its file while it runs, so two senders
recovering the same dead one do not both use it, and removes it once its last results are
committed. A journal is of one machine: another machine's dead sender is recovered without
one (every row it held ``sending`` is then in doubt, see ``store.recover_claims``).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from newsletter.errors import NewsletterError
from newsletter.store.deliveries import Journaled

FOLDER = "send-journal"
_SUFFIX = ".journal"
_AHEAD = 1 << 16  # bytes of the file allocated (and mapped) at a time: 64 KiB, ~4,000 messages
HANDED, DELIVERED, NOT_DELIVERED = ">", "+", "-"


class Journal:
    """One worker's journal, locked while the worker runs, written through a shared
    memory map of the file."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd, self.path = fd, path
        self._map: mmap.mmap | None = None
        self._size = self._end = 0

    @classmethod
    def create(cls, folder: Path, claimer: str, worker: int) -> Journal:
        """A new journal, made under a temporary name and locked before it takes its own:
        a recoverer only ever sees a journal its writer already holds."""
        name = f"{quote(claimer, safe='')}.{secrets.token_hex(4)}.{worker}{_SUFFIX}"
        temporary = folder / f".{name}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise _failed(folder, exc) from None
        journal = cls(fd, folder / name)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            journal._grow(_AHEAD)
            os.replace(temporary, journal.path)
        except BaseException as exc:
            journal._unmap()
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise _failed(folder, exc) if isinstance(exc, OSError) else exc from None
        return journal

    def handing(self, row: int) -> None:
        """Before any of the row's message goes to the transport."""
        self._append(f"{HANDED}{row}\n")

    def answered(self, row: int, delivered: bool) -> None:
        """After the attempt: accepted (250), or not delivered whatever happened."""
        self._append(f"{DELIVERED if delivered else NOT_DELIVERED}{row}\n")

    def close(self, remove: bool) -> None:
        """``remove`` once the worker's results are committed: the journal then tells
        nothing the rows do not. Kept otherwise, for the recovery after this process,
        cut to what was written."""
        try:
            if remove:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(self._fd, self._end)
        finally:
            self._unmap()
            os.close(self._fd)

    def _append(self, line: str) -> None:
        data = line.encode("ascii")
        end = self._end + len(data)
        if end > self._size:
            self._grow(end)
        assert self._map is not None  # mapped since create()
        self._map[self._end : end] = data
        self._end = end

    def _grow(self, needed: int) -> None:
        """Room for more lines: the blocks taken on the disk now, so that a full disk is
        this error and not a SIGBUS when a page of the map is first written."""
        size = max(needed, 2 * self._size, _AHEAD)
        try:
            os.posix_fallocate(self._fd, 0, size)
            mapped = mmap.mmap(self._fd, size)
        except OSError as exc:
            raise _failed(self.path.parent, exc) from None
        self._unmap()
        self._map, self._size = mapped, size

    def _unmap(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


def _failed(folder: Path, exc: OSError) -> NewsletterError:
    return NewsletterError(f"cannot keep the send journal in {folder}: {exc.strerror or exc}")


def replay(journals: Iterable[bytes]) -> Journaled:
    """What one sender's journals (one per worker) say of its rows: delivered if the
    server accepted it; in doubt if it was handed over and no answer followed. A row
    tried twice (a retry come due) is judged by its last event in its worker's file."""
    delivered: set[int] = set()
    handed: set[int] = set()
    for data in journals:
        last: dict[int, str] = {}
        for line in data.split(b"\n"):
            # A line cut short by the writer's death still holds NULs (or no digit): ignored.
            text = line.decode("ascii", "replace")
            if text[:1] in (HANDED, DELIVERED, NOT_DELIVERED) and text[1:].isdigit():
                last[int(text[1:])] = text[0]
        delivered |= {row for row, event in last.items() if event == DELIVERED}
        handed |= {row for row, event in last.items() if event == HANDED}
    return Journaled(frozenset(delivered), frozenset(handed - delivered))


@dataclass
class DeadJournals:
    """The journals of dead senders found in the folder, locked, by claimer; and the
    claimers whose journal another recoverer holds (it recovers them, not us)."""

    found: dict[str, list[bytes]] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    _held: list[tuple[int, Path]] = field(default_factory=list)

    def of(self, claimer: str | None) -> Journaled | None:
        """What the claimer's journals say, or None when it left none here."""
        if claimer is None or claimer not in self.found:
            return None
        return replay(self.found[claimer])

    def _release(self, remove: bool) -> None:
        for fd, path in self._held:
            if remove:
                path.unlink(missing_ok=True)
            os.close(fd)
        self._held.clear()


@contextmanager
def dead_journals(folder: Path, dead: Callable[[str], bool]) -> Iterator[DeadJournals]:
    """The journals in ``folder`` of claimers ``dead`` says are gone, each locked for the
    block; removed when it ends well (their rows recovered), kept if it raises. A claimer
    one of whose journals another recoverer holds is left whole to that one."""
    journals = DeadJournals()
    paths: dict[str, list[Path]] = {}
    for path in sorted(folder.glob(f"*{_SUFFIX}")):
        claimer = claimer_of(path)
        if claimer is not None and dead(claimer):
            paths.setdefault(claimer, []).append(path)
    try:
        for claimer, theirs in paths.items():
            taken = [held for held in map(_take, theirs) if held is not None]
            if any(data is None for _, _, data in taken):
                journals.busy.add(claimer)
                for fd, _, _ in taken:
                    os.close(fd)
                continue
            journals._held += [(fd, path) for fd, path, _ in taken]
            journals.found[claimer] = [data for _, _, data in taken if data is not None]
        yield journals
    except BaseException:
        journals._release(remove=False)
        raise
    journals._release(remove=True)


def claimer_of(path: Path) -> str | None:
    """The claimer a journal's name carries: ``{claimer}.{send}.{worker}.journal``."""
    parts = path.name.removesuffix(_SUFFIX).rsplit(".", 2)
    return unquote(parts[0]) if len(parts) == 3 and not path.name.startswith(".") else None


def _take(path: Path) -> tuple[int, Path, bytes | None] | None:
    """The journal locked and read; its data None when another holds it; None when it
    is gone (another recoverer has just finished with it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return fd, path, None
    try:
        with open(os.dup(fd), "rb") as file:
            return fd, path, file.read()
    except BaseException:
        os.close(fd)
        raise
