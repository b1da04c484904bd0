"""`bounces fetch` and `bounces process`: read each message, classify it, let the store act
on it once, then acknowledge it in the mailbox.

The order is what makes it exactly once: the store commits the message's key with its
effect (``record_bounce``), and only then is the message marked and moved. Killed before
the commit, nothing happened; killed after it, the next run finds the key and only moves
the message.

A message is read whatever it holds: one over MAX_MESSAGE bytes (cut there by every
source, so never held whole), or one the parser or a detector cannot take (1,000 nested
multiparts raise RecursionError), is recorded as `unclassified` and acknowledged like any
other, so it cannot stop every later run and the real bounces queued behind it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.errors import ConfigError
from newsletter.html_text import clean_line, xml_safe
from newsletter.mail.bounces.classify import KINDS, classify
from newsletter.mail.bounces.imap import ImapMailbox, ImapUrl
from newsletter.mail.bounces.mailbox import MAX_MESSAGE, MailboxMessage, local_messages
from newsletter.mail.bounces.stats import digest_line, digest_stats
from newsletter.mail.verp import Verp, VerpRef, verp_for
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceReport, DigestBounceStats
from newsletter.subscribers.tokens import Tokens, load_tokens

Clock = Callable[[], datetime]
# Addresses of one report acted on without VERP: a real report names the few recipients of
# one message; a forged one naming 50,000 would be 50,000 transactions.
MAX_NAMED = 100


@dataclass
class BounceRun:
    """What one reading of the mailbox did, for the terminal, the run report and status."""

    source: str
    read: int = 0
    seen_before: int = 0  # keys recorded by an earlier run: not acted on again
    kinds: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    digests: list[DigestBounceStats] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{self.kinds[k]} {k.replace('_', '-')}" for k in KINDS if self.kinds[k])
        actions = ", ".join(f"{n} {a}" for a, n in sorted(self.actions.items()))
        head = f"bounces from {self.source}: {self.read} read"
        if self.seen_before:
            head += f" ({self.seen_before} done before)"
        parts = [head + (f": {kinds}" if kinds else "")]
        if actions:
            parts.append(actions)
        return "; ".join(parts) + "".join("\n  " + digest_line(s) for s in self.digests)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "seen_before": self.seen_before,
            "kinds": dict(self.kinds),
            "actions": dict(self.actions),
            "digests": [digest_stats(s) for s in self.digests],
        }


def fetch_bounces(
    settings: Settings, store: SqlStore, clock: Clock, after_commit: Callable[[int], None]
) -> BounceRun:
    """The IMAP mailbox of NEWSLETTER_BOUNCE_IMAP_URL."""
    if not settings.env.bounce_imap_url:
        raise ConfigError("set NEWSLETTER_BOUNCE_IMAP_URL (imaps://user:pass@host/INBOX) first")
    url = ImapUrl.parse(settings.env.bounce_imap_url)
    with ImapMailbox(url) as box:
        return process_messages(settings, store, box.messages(), clock, str(url), after_commit)


def process_path(
    settings: Settings,
    store: SqlStore,
    path: Path,
    clock: Clock,
    after_commit: Callable[[int], None],
) -> BounceRun:
    """`.eml` files in a folder, a maildir or an mbox (left as they are)."""
    return process_messages(settings, store, local_messages(path), clock, str(path), after_commit)


def process_messages(
    settings: Settings,
    store: SqlStore,
    messages: Iterable[MailboxMessage],
    clock: Clock,
    source: str,
    after_commit: Callable[[int], None] = lambda n: None,
) -> BounceRun:
    run = BounceRun(source)
    verp = verp_for(settings)
    # The mailto: unsubscribe address when feeds.yaml names one (None: only VERP
    # unsubscribe addresses are known; the From address's mail is not this mailbox's).
    mailto = settings.newsletter.unsubscribe_address
    tokens = load_tokens(settings.env.secret_key, settings.db_dir) if mailto else None
    limit = settings.newsletter.soft_bounce_limit
    for item in messages:
        report = bounce_report(item.data, verp, mailto, tokens)
        actions = [store.record_bounce(one, clock(), limit) for one in per_address(report)]
        run.read += 1
        if all(action is None for action in actions):
            run.seen_before += 1
        for action in actions:
            if action is not None:
                run.kinds[action.kind] += 1
                run.actions[action.action] += 1
        after_commit(run.read)
        item.ack()
    run.digests = store.bounce_stats()
    return run


def bounce_report(
    data: bytes,
    verp: Verp | None,
    unsubscribe_address: str | None = None,
    tokens: Tokens | None = None,
) -> BounceReport:
    """A raw message, parsed and classified, as the store takes it; `unclassified` when it
    is too large to read or cannot be parsed."""
    if len(data) > MAX_MESSAGE:
        return _unread(data, f"over {MAX_MESSAGE // 1024} KiB: not read")
    try:
        return _parsed_report(data, verp, unsubscribe_address, tokens)
    except Exception as exc:  # any message that trips the parser or a detector, alone
        return _unread(data, f"cannot be parsed ({type(exc).__name__})")


def _unread(data: bytes, why: str) -> BounceReport:
    return BounceReport(_hash_key(data), "unclassified", detail=why)


def _parsed_report(
    data: bytes, verp: Verp | None, unsubscribe_address: str | None, tokens: Tokens | None
) -> BounceReport:
    message = message_from_bytes(data)
    found = classify(message, verp, unsubscribe_address)
    ref = found.ref
    if found.token is not None and tokens is not None:
        subscriber_id = token_subscriber(tokens, found.token, found.sender)
        ref = VerpRef("unsubscribe", subscriber_id) if subscriber_id else None
    return BounceReport(
        message_key=message_key(data, message),
        kind=found.kind,
        ref_kind=ref.kind if ref else None,
        ref_id=ref.id if ref else None,
        addresses=tuple(a for a in found.addresses if _safe(a) == a),  # no NUL for SQL
        sender=found.sender,
        detail=_safe(found.detail),
        # With VERP on every digest's return path carries a token: a report without one
        # proves nothing; without VERP, a recent digest to the address named is the proof.
        proof="token" if verp is not None else "recent_send",
    )


def per_address(report: BounceReport) -> list[BounceReport]:
    """Without VERP, one report per address named (the first MAX_NAMED), each with its own
    key (the first keeps the message's): a report of a list's message names several of our
    subscribers, and each is acted on once. With VERP, a report is about the one its token
    names, or refused once."""
    if report.proof == "token" or report.ref_id is not None or len(report.addresses) < 2:
        return [report]
    return [
        dataclasses.replace(
            report, message_key=report.message_key + (f"#{n}" if n else ""), addresses=(a,)
        )
        for n, a in enumerate(report.addresses[:MAX_NAMED])
    ]


def token_subscriber(tokens: Tokens, token: str, sender: str | None) -> int | None:
    """The subscriber an unsubscribe link's token names, when it was made for ``sender``:
    a mailto: unsubscribe only unsubscribes its own sender."""
    found = tokens.read("unsubscribe", token)
    if found is None or sender is None or not found.matches(sender.lower()):
        return None
    return found.subscriber_id


def message_key(data: bytes, message: Message) -> str:
    """The Message-ID when it has one (the same report delivered twice is one), else a
    hash of the bytes."""
    message_id = _safe(str(message.get("message-id", "")))
    if message_id and len(message_id) < 240:
        return "mid:" + message_id
    return _hash_key(data)


def _hash_key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _safe(text: str) -> str:
    """One line a database column takes: no NUL or other control, no lone surrogate (the
    parser keeps undecodable header bytes as surrogates)."""
    return xml_safe(clean_line(text))
