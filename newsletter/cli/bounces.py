"""bounces fetch and bounces process: the bounce mailbox, each message acted on once."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app, utcnow

if TYPE_CHECKING:
    from newsletter.mail.bounces.process import BounceRun

# Tests only: stop dead after this many messages are committed and before the mailbox is
# told, so a SIGKILL lands in the one window that matters (see tests/test_bounces_imap.py).
HOLD_AFTER = "NEWSLETTER_TEST_BOUNCES_HOLD_AFTER"


@click.group()
def bounces() -> None:
    """The bounce mailbox: bounces, complaints, auto-replies and mailto unsubscribes."""


@bounces.command()
@pass_app
def fetch(app: App) -> None:
    """Read the mailbox of NEWSLETTER_BOUNCE_IMAP_URL and act on each message once.

    Hard bounce: suppressed. Soft bounces on consecutive digests: suppressed at
    newsletter.soft_bounce_limit. Complaint or mailto unsubscribe: unsubscribed.
    Auto-replies and anything unrecognised: kept, counted, nothing done. Each message is
    then marked seen and moved to the mailbox's Processed folder.
    """
    from newsletter.mail.bounces.process import fetch_bounces

    with app.store() as store:
        run = fetch_bounces(app.settings, store, utcnow, _hold())
    _echo(run)


@bounces.command()
@click.argument("path", type=click.Path(path_type=Path))
@pass_app
def process(app: App, path: Path) -> None:
    """The same for PATH: a folder of .eml files, a maildir or an mbox (left unchanged;
    a message done before is not acted on again)."""
    from newsletter.mail.bounces.process import process_path

    with app.store() as store:
        run = process_path(app.settings, store, path, utcnow, _hold())
    _echo(run)


def _echo(run: BounceRun) -> None:
    click.echo(run.summary())


def _hold() -> Callable[[int], None]:
    limit = int(os.environ.get(HOLD_AFTER) or 0)

    def after_commit(done: int) -> None:
        if limit and done >= limit:
            print(f"held after {done}", file=sys.stderr, flush=True)
            signal.pause()  # until the test's SIGKILL

    return after_commit


COMMANDS: list[click.Command] = [bounces]
