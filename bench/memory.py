"""Peak memory and CPU time of a process, read from /proc.

``resource.getrusage(...).ru_maxrss`` is wrong for a benchmark's child process: Linux carries
the parent's high-water mark across fork and exec (a subprocess started from a 270 MB parent
reports at least 270 MB). ``VmHWM`` in /proc/PID/status belongs to the process's own memory
map, so it is the child's real peak resident set.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def peak_mb(pid: int | str = "self") -> float:
    """The peak resident set (VmHWM) of a running process in MB; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    if pid == "self":  # no /proc: the best the platform offers
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return 0.0


def reset_peak() -> None:
    """Start this process's peak (VmHWM) afresh from its resident set now (Linux 4.0+:
    ``5`` in /proc/self/clear_refs), so what a benchmark reads is the peak of what it timed,
    not of its setup. Elsewhere the peak stays the process's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a running process (0 once it has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICK


class Watcher:
    """Samples the peak memory and CPU time of some processes every ``interval`` seconds
    until stopped: a process's /proc entry is gone once it exits, so the last sample is
    what is reported (peaks only grow, so at most the last interval's growth is missed)."""

    def __init__(self, pids: list[int], interval: float = 0.2) -> None:
        self.pids = pids
        self.interval = interval
        self.peaks = dict.fromkeys(pids, 0.0)
        self.cpu = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        for pid in self.pids:
            self.peaks[pid] = max(self.peaks[pid], peak_mb(pid))
            self.cpu[pid] = max(self.cpu[pid], cpu_seconds(pid))


def children(pid: int) -> list[int]:
    """The direct children of a running process (Linux 3.5+), [] without /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(n) for n in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """Children, grandchildren … of a process: a pool's workers started by a fork server
    are grandchildren, which ``RUSAGE_CHILDREN`` never counts."""
    found, todo = [], children(pid)
    while todo:
        found += todo
        todo = [grandchild for child in todo for grandchild in children(child)]
    return found


class TreeWatcher(Watcher):
    """A Watcher over every descendant of ``root``, found anew at each sample."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__([], interval)
        self.root = root

    def sample(self) -> None:
        for pid in descendants(self.root):
            self.peaks.setdefault(pid, 0.0)
            self.cpu.setdefault(pid, 0.0)
            if pid not in self.pids:
                self.pids.append(pid)
        super().sample()


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK
