"""Mailgun's event webhooks (the JSON kind): ``failed`` (permanent: hard, temporary: soft)
and ``complained``.

Mailgun signs only ``timestamp + token`` (HMAC-SHA256 with the webhook signing key), not
the event: so a signature seen once could carry another event. Hence the two other checks:
the timestamp within WINDOW of now, and each token accepted once, whatever its event (the
token is the report's key in the store). A reused token gets 406, which tells Mailgun not
to retry; a bad or stale signature gets 403. Either way nothing changes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from newsletter.hooks.answer import HookAnswer, HookRefused, json_value, record
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceKind, BounceReport

WINDOW = timedelta(minutes=10)  # Mailgun's clock against ours, plus its first retries
MAX_TOKEN = 200


def handle_mailgun(
    body: bytes, signing_key: str | None, store: SqlStore, now: datetime, soft_limit: int
) -> HookAnswer:
    """Verify one Mailgun POST and act on it; HookRefused (nothing changed) when it fails."""
    if not signing_key:
        raise HookRefused(404, "the Mailgun webhook is off: set NEWSLETTER_MAILGUN_SIGNING_KEY")
    payload = _payload(body)
    token = verified_token(payload.get("signature"), signing_key, now)
    report = mailgun_report(token, payload.get("event-data"))
    replay, said = record(store, [report], now, soft_limit)
    if replay:
        raise HookRefused(406, "this token was used before; nothing changed")
    return HookAnswer(200, said)


def verified_token(signature: Any, signing_key: str, now: datetime) -> str:
    """The token of a signature that verifies and is fresh."""
    if not isinstance(signature, dict):
        raise HookRefused(403, "no signature")
    values = [signature.get(k) for k in ("timestamp", "token", "signature")]
    if not all(isinstance(v, str) and v for v in values):
        raise HookRefused(403, "the signature needs a timestamp, a token and a signature")
    timestamp, token, given = (str(v) for v in values)
    if not timestamp.isdigit() or len(token) > MAX_TOKEN:
        raise HookRefused(403, "a malformed signature")
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), given.lower()):
        raise HookRefused(403, "the Mailgun signature does not verify")
    if abs(now.timestamp() - int(timestamp)) > WINDOW.total_seconds():
        raise HookRefused(403, "the signature's timestamp is outside the replay window")
    return token


def mailgun_report(token: str, event: Any) -> BounceReport:
    """The report of one event, keyed by the token (so the token is spent, whatever it
    carries); events other than failures and complaints are recorded and act on nothing."""
    event = event if isinstance(event, dict) else {}
    name, severity = event.get("event"), event.get("severity")
    kind: BounceKind = "unclassified"
    if name == "failed":
        kind = "hard" if severity == "permanent" else "soft"
    elif name == "complained":
        kind = "complaint"
    recipient = event.get("recipient")
    address = parseaddr(recipient)[1].lower() if isinstance(recipient, str) else ""
    addresses = (address,) if "@" in address and kind != "unclassified" else ()
    detail = f"Mailgun {name} {severity or ''}".strip()
    return BounceReport(f"mailgun:{token}", kind, addresses=addresses, detail=detail, proof="relay")


def _payload(body: bytes) -> dict[str, Any]:
    value = json_value(body, "a Mailgun webhook")
    if not isinstance(value, dict):
        raise HookRefused(400, "the body is not a Mailgun webhook (JSON object)")
    return value
