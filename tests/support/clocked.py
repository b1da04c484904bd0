"""The `newsletter` command with its clock at $CLOCKED_NOW (an ISO time): acceptance tests
play a week in minutes, run by any interpreter that has newsletter installed (a fresh venv).

Test-only: the product has no clock setting. The CLI's one clock, newsletter.cli.app.utcnow,
is imported by name into each command module at import, so its code is swapped in place."""

from __future__ import annotations

import os
from datetime import datetime

import newsletter.cli.app as app
from newsletter.cli import main


def _clocked() -> datetime:
    return _now()  # run as app.utcnow's code: `_now` is looked up in app's globals


def _now() -> datetime:
    return datetime.fromisoformat(os.environ["CLOCKED_NOW"])


if __name__ == "__main__":
    app._now = _now  # type: ignore[attr-defined]  # what _clocked's code finds in app's globals
    app.utcnow.__code__ = _clocked.__code__
    main()
