"""What the fediverse delivery tests share (this module holds no tests): a site folder whose
account may deliver to loopback, followers inserted by the thousand, and the check the
loopback inboxes make of our signatures (tests/support/instances.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert

from newsletter.config import Settings, load_settings
from newsletter.fediverse.account import Account
from newsletter.fediverse.signatures import Incoming, RemoteKey, SignatureRefused, verify_request
from newsletter.store import NewEntry, SqlStore
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import FediverseFollower
from tests.support.instances import Check
from tests.support.web import SECRET, SITE


def fedi_site(root: Path, database_url: str) -> tuple[Settings, dict[str, str]]:
    """A site whose account may deliver to loopback, and the environment of its commands."""
    root.mkdir(parents=True, exist_ok=True)
    config = SITE + "fediverse:\n  username: news\n  allow_private_addresses: true\n"
    (root / "feeds.yaml").write_text(config, encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": "http://127.0.0.1:8000/",  # not served: nobody asks us here
        "NEWSLETTER_DATABASE_URL": database_url,
        "NEWSLETTER_OUTBOX": "outbox",
    }
    return load_settings(root / "feeds.yaml", environ), environ


def add_followers(
    store: SqlStore, inboxes: Sequence[str], now: datetime, shared: Sequence[str | None] = ()
) -> None:
    """Followers with these inboxes, as accepted; with ``shared``, each one's server's shared
    inbox (None: it has none, one delivery per follower)."""
    rows = [
        {
            "actor": inbox.removesuffix("/inbox"),
            "inbox": inbox,
            "shared_inbox": shared[n] if shared else None,
            "followed_at": now,
        }
        for n, inbox in enumerate(inboxes)
    ]
    with store.engine.begin() as connection:
        connection.execute(insert(FediverseFollower), rows)


def add_article(store: SqlStore, key: str, now: datetime) -> None:
    entry = NewEntry(
        key=key,
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title=f"Tempo runs ({key})",
        content_hash=key,
        link=f"https://www.example.com/{key}",
        summary_html="<p>Ten minutes at threshold.</p>",
    )
    store.save_entries(None, [entry], now)


def signed_by(account: Account, clock: Callable[[], datetime]) -> Check:
    """The check an inbox makes: a draft-cavage signature by our key over the body."""
    us = account.identity
    ours = RemoteKey(us.key_id, us.actor_id, us.public_key_pem)

    def check(method: str, url: str, fields: list[tuple[str, str]], body: bytes) -> str | None:
        try:
            verify_request(Incoming(method, url, fields, body), clock(), lambda key, _: ours)
        except SignatureRefused as refused:
            return str(refused)
        return None

    return check
