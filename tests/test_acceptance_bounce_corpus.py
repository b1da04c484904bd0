"""Acceptance (issue 24, "real bounces must act"): `bounces process` over flufl.bounce's own
corpus of real MTA bounce messages.

flufl.bounce's sdist carries ~117 bounce messages (tests/data) and, in
tests/test_detectors.py, the addresses each one reports as failing permanently or
temporarily: that table is the truth here. The sdist is downloaded at test time with pip into
~/.cache/newsletter-tests (tests/support/sdist.py); the test skips, saying so, only when PyPI is
unreachable. Every address a message holds is imported as a confirmed subscriber and sent a
digest (VERP off: the corpus carries no tokens of ours), then the messages are fed to
what `bounces process` runs, the day after. Targets: at least 95% of the permanent failures
(each message and address) acted on, no address that only failed temporarily suppressed, no
bystander (an address a message names that failed nowhere) touched.
"""

from __future__ import annotations

import ast
import re
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.mail.bounces.process import bounce_report, process_path
from newsletter.store import SqlStore
from newsletter.store.models import BounceEvent, Subscriber
from newsletter.subscribers.address import InvalidAddress, normalize_address
from tests.support.bounces import bounce_site, send_week
from tests.support.sdist import sdist
from tests.support.send import add_subscribers

pytestmark = pytest.mark.slow
VERSION = "6.0.0"
SENT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
ADDRESS = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def corpus(into: Path) -> tuple[list[Path], dict[str, set[str]], dict[str, set[str]]]:
    """The messages, as .eml files, and per file its permanent and its temporary failures."""
    into.mkdir(parents=True)
    messages, table = [], ""
    archive = sdist(f"flufl.bounce=={VERSION}", f"flufl_bounce-{VERSION}.tar.gz")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                continue
            if member.name.endswith("tests/test_detectors.py"):
                table = source.read().decode()
            elif "/tests/data/" in member.name and member.name.endswith(".txt"):
                target = into / (Path(member.name).stem + ".eml")
                target.write_bytes(source.read())
                messages.append(target)
    permanent: dict[str, set[str]] = {}
    temporary: dict[str, set[str]] = {}
    for _, name, found, is_temporary in _detectors(table):
        side = temporary if is_temporary else permanent
        side.setdefault(name.removesuffix(".txt"), set()).update(a.decode().lower() for a in found)
    return sorted(messages), permanent, temporary


def _detectors(source: str) -> list[tuple[str, str, list[bytes], bool]]:
    """flufl.bounce's DETECTORS table: (detector, file, addresses, temporary)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DETECTORS":
            table: list[tuple[str, str, list[bytes], bool]] = ast.literal_eval(node.value)
            return table
    raise AssertionError("flufl.bounce's tests/test_detectors.py has no DETECTORS table")


def valid(raw: bytes) -> str | None:
    try:
        return normalize_address(raw.decode("ascii", "replace")).key
    except InvalidAddress:
        return None


def test_bounces_process_acts_on_the_real_bounces_of_the_corpus(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    messages, permanent, temporary = corpus(tmp_path / "corpus")
    assert len(messages) > 100
    failed = set().union(*permanent.values())
    only_temporary = set().union(*temporary.values()) - failed
    named = {valid(raw) for path in messages for raw in ADDRESS.findall(path.read_bytes())}
    bystanders = {a for a in named if a} - failed - only_temporary
    everyone = sorted(failed | only_temporary | bystanders)
    settings, _ = bounce_site(tmp_path / "site", database_url, verp=False)
    add_subscribers(store, everyone)
    send_week(settings, store, "2026-W48", SENT)  # each address had a digest: proof enough

    day_after = SENT + timedelta(days=1)  # well within RECENT_SEND of the digest
    run = process_path(settings, store, tmp_path / "corpus", lambda: day_after, lambda n: None)
    assert run.read == len(messages)

    state = {a: getattr(store.subscriber(a), "state", "missing") for a in everyone}
    suppressed = {a for a, s in state.items() if s == "bounced"}
    acted = hard_bounced(store, messages)
    pairs = {(path.stem, a) for path in messages for a in permanent.get(path.stem, ())}
    missed = sorted(pairs - {(path.stem, a) for path in messages for a in acted[path]})
    print(
        f"\n{len(messages)} messages; permanent failures acted on "
        f"{len(pairs) - len(missed)}/{len(pairs)} ({len(failed & suppressed)}/{len(failed)} "
        f"addresses suppressed); temporary only suppressed "
        f"{len(only_temporary & suppressed)}/{len(only_temporary)}; bystanders touched "
        f"{sum(state[a] != 'active' for a in bystanders)}/{len(bystanders)}; missed: {missed}"
    )
    assert len(pairs) - len(missed) >= 0.95 * len(pairs), missed
    assert only_temporary & suppressed == set()
    assert {a for a in bystanders if state[a] != "active"} == set()


def hard_bounced(store: SqlStore, messages: list[Path]) -> dict[Path, set[str]]:
    """Per message, the subscribers its hard-bounce events acted on (suppressed, or
    found suppressed by an earlier message of the corpus)."""
    done = ("suppressed", "already suppressed")
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(BounceEvent.message_key, Subscriber.email_key)
            .join(Subscriber, Subscriber.id == BounceEvent.subscriber_id)
            .where(BounceEvent.kind == "hard", BounceEvent.action.in_(done))
        ).all()
    by_key: dict[str, set[str]] = {}
    for key, email in rows:  # a message's second address on is keyed KEY#n
        by_key.setdefault(re.sub(r"#\d+$", "", key), set()).add(email)
    keys = {path: bounce_report(path.read_bytes(), None).message_key for path in messages}
    return {path: by_key.get(key, set()) for path, key in keys.items()}
