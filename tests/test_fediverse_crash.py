"""Federation survives a crash (issue 23): a real `newsletter run` (tests/support/clocked.py,
in a subprocess) delivering a post to 300 followers on 20 loopback instances is killed with
SIGKILL mid-delivery (with its article and the week's exercise to post, 600 deliveries); a
plain run later delivers the rest. No follower is missed, and only
rows the ledger had in doubt (sending when the process died) can be sent twice. SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsletter.fediverse.account import open_account
from newsletter.fediverse.delivery import BATCH
from newsletter.store import SqlStore
from tests.support.fediverse import add_article, add_followers, fedi_site, signed_by
from tests.support.instances import Instances, serving

pytestmark = pytest.mark.slow  # `newsletter run` in subprocesses

ROOT = Path(__file__).resolve().parent.parent
CLOCKED = ROOT / "tests" / "support" / "clocked.py"
START = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # a Wednesday: no digest is due
FOLLOWERS, SERVERS, HELD = 300, 20, 120


def newsletter(*args: str, cwd: Path, env: dict[str, str], now: datetime, **popen: Any) -> Any:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ.update(env, CLOCKED_NOW=now.isoformat())
    command = [sys.executable, str(CLOCKED), *args]
    return subprocess.Popen(
        command, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_sigkill_mid_delivery_then_a_plain_run_misses_no_follower(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    settings, env = fedi_site(tmp_path / "site", database_url)
    account = open_account(settings, store, START)
    instances = Instances(["up"] * SERVERS, hold_after=HELD)
    instances.check = signed_by(account, lambda: START + timedelta(minutes=10))
    with serving(instances):
        inboxes = [f"{instances.base(n % SERVERS)}/users/{n}/inbox" for n in range(FOLLOWERS)]
        add_followers(store, inboxes, START)
        add_article(store, "tempo", START + timedelta(minutes=1))

        killed = newsletter("run", cwd=tmp_path / "site", env=env, now=START + timedelta(minutes=2))
        instances.wait_for(HELD + 1)  # POSTs answered, and some held in flight
        killed.kill()
        _, errors = killed.communicate(timeout=60)
        assert killed.returncode == -9, errors
        at_kill = Counter(store.fedi_delivery_states().values())
        assert at_kill["sending"] <= BATCH  # at most one claim in doubt
        instances.release()

        # A plain run, after the dead run's lease: what it left sending goes again.
        rerun = newsletter("run", cwd=tmp_path / "site", env=env, now=START + timedelta(minutes=20))
        output, errors = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, output + errors
        assert "federate: " in output and "0 failed" in output, output

    # The run posts the article and the week's exercise (chosen by its digest step).
    posts = {r.activity for r in instances.received}
    assert len(posts) == 2
    for post in posts:
        assert set(instances.by_inbox(post)) == set(inboxes), "no follower missed"
    duplicates = len(instances.received) - len(posts) * FOLLOWERS
    assert duplicates <= at_kill["sending"], "only rows in doubt went twice"
    assert instances.refused == 0, "every POST was signed"
    assert Counter(store.fedi_delivery_states().values()) == {"sent": len(posts) * FOLLOWERS}
    print(f"\nSIGKILL after {HELD} answers: the ledger then {dict(at_kill)}; {duplicates} twice")
