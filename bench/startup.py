"""Process start: what a cron `newsletter run` costs when nothing is due or changed.

Each row times the real command (``python -m newsletter ...``, median of ``repeat`` runs) on
the bundled sample site copied to a temporary folder, against the interpreter starting and
doing nothing (``python -c pass``). The targets are absolute (``--help`` 0.1 s, since
issue 18; ``status`` 0.6 s, ``run`` with nothing due and every feed unchanged 1 s, on a quiet
machine): the note quotes our medians beside them. Our package's bytecode is compiled first, as pip
does when it installs a wheel: with an editable install and PYTHONDONTWRITEBYTECODE set (as
on the development machines), every start compiled each of our modules from source again,
about a fifth of `run`'s time, which no installed newsletter pays.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import Watcher

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"--help": 0.1, "status": 0.6, "run": 1.0}


def compile_package() -> None:
    """Our modules' bytecode, as an install leaves it (see above)."""
    compileall.compile_dir(ROOT / "newsletter", quiet=1)


def _timed(args: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """(median seconds, peak MB) of ``repeat`` runs of ``python args``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ["NEWSLETTER_OUTBOX"] = "outbox"  # `run` mails to a folder here, as `make run` does
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _start(args, cwd, environ).communicate()
        times.append(time.perf_counter() - started)
    # The peak from one more run: the sampler's thread, beside a 0.07 s command, added a
    # fifth to its time when the timed runs were sampled too.
    process = _start(args, cwd, environ)
    with Watcher([process.pid], interval=0.05) as watcher:
        _, errors = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {errors.decode()[-2000:]}")
    return statistics.median(times), watcher.peaks[process.pid]


def _start(args: list[str], cwd: Path, environ: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run(repeat: int = 5) -> list[dict[str, object]]:
    compile_package()
    with tempfile.TemporaryDirectory() as name:
        site = Path(name)
        for part in ("feeds.yaml", "exercises.yaml"):
            shutil.copy(ROOT / part, site / part)
        shutil.copytree(ROOT / "examples", site / "examples")
        # The first run collects, builds and publishes; from then on nothing is due or new.
        _timed(["-m", "newsletter", "run"], site, 1)
        floor, _ = _timed(["-c", "pass"], site, repeat)
        rows: list[dict[str, object]] = []
        for command in TARGETS:
            seconds, peak = _timed(["-m", "newsletter", command], site, repeat)
            rows.append(
                {
                    "figure": f"process start: newsletter {command}"
                    + (" (nothing due, all unchanged)" if command == "run" else ""),
                    "ours": seconds,
                    "baseline": floor,
                    "baseline_name": "python -c pass",
                    "peak_mb": peak,
                    "target": None,
                    "note": f"newsletter {command}: median {seconds:.2f} s of {repeat} "
                    f"(target {TARGETS[command]:.1f} s on a quiet machine)",
                }
            )
    return rows
