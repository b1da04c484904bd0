"""At a real terminal (a pseudo-terminal the test opens), commands may ask: `send` asks
before mailing a list, `questions add` asks for what is missing. Without one they never do
(tests/test_cli_rules.py, tests/test_questions_cli.py)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.store import SqlStore
from tests.support.send import Recorder, add_digest, add_subscribers, site

Smtp = tuple[Recorder, str]
FAILSAFE = 300.0  # seconds: only so that a broken prompt cannot hang the suite


def at_terminal(
    args: list[str], cwd: Path, env: dict[str, str], answers: dict[bytes, bytes]
) -> tuple[int, str]:
    """Run `python -m newsletter ARGS` on a pseudo-terminal; answer each prompt in turn."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ.update(env, COLUMNS="100", TERM="dumb")
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        env=environ,
        stdin=child,
        stdout=child,
        stderr=child,
        close_fds=True,
    )
    os.close(child)
    seen, pending = b"", dict(answers)
    while True:
        ready, _, _ = select.select([main], [], [], FAILSAFE)
        if not ready:
            process.kill()
            raise AssertionError(f"no output for {FAILSAFE} s; so far: {seen!r}")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal: it is done
            break
        if not chunk:
            break
        seen += chunk
        for prompt in list(pending):
            if prompt in seen:
                os.write(main, pending.pop(prompt))
    os.close(main)
    return process.wait(timeout=FAILSAFE), seen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.slow  # subprocesses and a server
def test_send_asks_before_mailing_a_list(
    tmp_path: Path, store: SqlStore, smtp: Smtp, database_url: str
) -> None:
    _, env = site(tmp_path / "site", smtp[1], database_url)
    add_subscribers(store, [f"r{n}@example.org" for n in range(11)])
    add_digest(store)  # 2026-W48: due since its Monday, on any date after it
    code, output = at_terminal(["send"], tmp_path / "site", env, {b"cannot be undone": b"n\n"})
    assert code == 1, output
    assert "Mail digest 2026-W48 to 11 subscribers now? This cannot be undone [y/N]:" in output
    assert output.endswith("newsletter: nothing sent\n")
    assert smtp[0].messages == []
    code, output = at_terminal(["send"], tmp_path / "site", env, {b"cannot be undone": b"y\n"})
    assert code == 0, output
    assert len(smtp[0].messages) == 11


@pytest.mark.slow  # a subprocess
def test_questions_add_asks_for_what_is_missing(
    tmp_path: Path, store: SqlStore, database_url: str
) -> None:
    _, env = site(tmp_path / "site", None, database_url)
    answers = {b"Title:": b"Cadence?\n", b"Question:": b"How many steps?\n", b"Name:": b"Ann\n",
               b"Email:": b"\n"}  # fmt: skip
    code, output = at_terminal(["questions", "add"], tmp_path / "site", env, answers)
    assert code == 0, output
    assert output.endswith("question 1 added, pending: Cadence?\n")
    [question] = store.questions(None, 5)
    assert (question.title, question.author, question.author_email) == ("Cadence?", "Ann", None)
