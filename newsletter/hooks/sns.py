"""Amazon SES bounce and complaint notifications, delivered by SNS over HTTPS.

An SNS message is trusted only when (in this order, nothing fetched before the first two):
its TopicArn is one of NEWSLETTER_SES_TOPIC_ARN; its SigningCertURL is https on an SNS
host (``sns.<region>.amazonaws.com``) and names a .pem; that certificate, valid now,
verifies the Signature over the message's fields (SignatureVersion 1: SHA1withRSA, 2:
SHA256withRSA). A SubscriptionConfirmation is then confirmed by fetching its SubscribeURL
(an SNS host too); a Notification's SES report acts once, keyed by the SNS MessageId.

Certificates are fetched through :mod:`newsletter.sources.sns` over aiohttp (or the fetcher
the caller injects: the tests serve their own) and kept per URL: SNS signs with few.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from newsletter.errors import SourceError
from newsletter.hooks.answer import HookAnswer, HookRefused, json_value, record
from newsletter.sources.sns import fetch_sns
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceKind, BounceReport

Fetch = Callable[[str], bytes]
# Region host names only (sns.eu-west-1, sns.us-gov-west-1, sns.cn-north-1 ... .amazonaws.com[.cn]):
# any single label would also take S3 bucket hosts such as sns.s3.amazonaws.com, whose content
# anyone can publish.
SNS_HOST = re.compile(r"sns\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+\.amazonaws\.com(\.cn)?")
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
# The fields each type signs, in this order (AWS: "Verifying the signatures of SNS messages").
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
SIGNED["UnsubscribeConfirmation"] = SIGNED["SubscriptionConfirmation"]
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATES = 16


class Certificates:
    """The SNS signing certificates, fetched once per URL from SNS hosts only."""

    def __init__(self, fetch: Fetch | None = None) -> None:
        self.fetch = fetch or fetch_sns
        self._known: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> x509.Certificate:
        if not sns_url(url, suffix=".pem"):
            raise HookRefused(403, "SigningCertURL is not an https .pem URL on an SNS host")
        with self._lock:
            known = self._known.get(url)
        if known is not None:
            return known
        try:
            certificate = x509.load_pem_x509_certificate(self.fetch(url))
        except SourceError as exc:
            raise HookRefused(503, f"cannot fetch the signing certificate: {exc}") from None
        except ValueError:
            raise HookRefused(403, "the signing certificate is not a PEM certificate") from None
        with self._lock:
            if len(self._known) >= MAX_CERTIFICATES:
                self._known.clear()
            self._known[url] = certificate
        return certificate


def sns_url(url: str, suffix: str = "") -> bool:
    """https on an SNS host, no user or port, and the path ending in ``suffix``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and port is None
        and "@" not in parts.netloc
        and SNS_HOST.fullmatch(parts.hostname or "") is not None
        and parts.path.endswith(suffix)
    )


def handle_ses(
    body: bytes,
    topics: tuple[str, ...],
    certificates: Certificates,
    store: SqlStore,
    now: datetime,
    soft_limit: int,
) -> HookAnswer:
    """Verify one SNS POST and act on it; HookRefused (nothing changed) when it fails."""
    if not topics:
        raise HookRefused(404, "the SES webhook is off: set NEWSLETTER_SES_TOPIC_ARN")
    message = verified(body, topics, certificates, now)
    if message["Type"] == "SubscriptionConfirmation":
        confirm = message.get("SubscribeURL", "")
        if not sns_url(confirm):
            raise HookRefused(403, "SubscribeURL is not an https URL on an SNS host")
        try:
            certificates.fetch(confirm)
        except SourceError as exc:
            raise HookRefused(503, f"cannot confirm the subscription: {exc}") from None
        return HookAnswer(200, f"subscribed to {message['TopicArn']}")
    if message["Type"] == "UnsubscribeConfirmation":
        return HookAnswer(200, "noted")
    reports = ses_reports(message["MessageId"], message["Message"])
    if not reports:
        return HookAnswer(200, "nothing to act on")
    return HookAnswer(200, record(store, reports, now, soft_limit)[1])


def verified(
    body: bytes, topics: tuple[str, ...], certificates: Certificates, now: datetime
) -> dict[str, str]:
    """The SNS message, once its topic, certificate and signature are checked."""
    message = _fields(body)
    if message["TopicArn"] not in topics:
        raise HookRefused(403, "this SNS topic is not in NEWSLETTER_SES_TOPIC_ARN")
    algorithm = HASHES.get(message.get("SignatureVersion", ""))
    if algorithm is None:
        raise HookRefused(403, "unknown SignatureVersion (1 and 2 are known)")
    certificate = certificates.get(message.get("SigningCertURL", ""))
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise HookRefused(403, "the signing certificate is not valid now")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise HookRefused(403, "the signing certificate does not hold an RSA key")
    try:
        signature = base64.b64decode(message.get("Signature", ""), validate=True)
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, binascii.Error, ValueError):
        raise HookRefused(403, "the SNS signature does not verify") from None
    return message


def string_to_sign(message: Mapping[str, str]) -> bytes:
    """``Name\\nvalue\\n`` for each signed field present, in the order AWS signs them."""
    names = SIGNED[message["Type"]]
    return "".join(f"{n}\n{message[n]}\n" for n in names if n in message).encode("utf-8")


def ses_reports(message_id: str, text: str) -> list[BounceReport]:
    """The SES notification in an SNS message, one report per address (keyed by the SNS
    MessageId and the address): a Bounce (Permanent: hard; else soft) or a Complaint;
    anything else (Delivery, Send, …) is nothing to act on."""
    try:
        notice = json_value(text, "an SES notification")
    except HookRefused:
        return []
    if not isinstance(notice, dict):
        return []
    kind = notice.get("notificationType") or notice.get("eventType")
    if kind == "Bounce":
        bounce = _mapping(notice.get("bounce"))
        said: BounceKind = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        addresses = _addresses(bounce, "bouncedRecipients")
        detail = f"SES bounce {bounce.get('bounceType')}/{bounce.get('bounceSubType')}"
    elif kind == "Complaint":
        complaint = _mapping(notice.get("complaint"))
        not_spam = complaint.get("complaintFeedbackType") == "not-spam"
        said = "unclassified" if not_spam else "complaint"
        addresses = _addresses(complaint, "complainedRecipients")
        detail = f"SES complaint {complaint.get('complaintFeedbackType')}"
    else:
        return []
    return [
        BounceReport(_event_key(message_id, a), said, addresses=(a,), detail=detail, proof="relay")
        for a in addresses
    ]


def _event_key(message_id: str, address: str) -> str:
    # One event per message and recipient, hashed: the key outlives an erasure, which must
    # leave no address behind, and a long Message-ID still fits the column whole.
    digest = hashlib.sha256(f"{message_id}\n{address}".encode()).hexdigest()
    return f"ses:{digest}"


def _fields(body: bytes) -> dict[str, str]:
    value = json_value(body, "an SNS message")
    if not isinstance(value, dict) or value.get("Type") not in TYPES:
        raise HookRefused(400, "the body is not an SNS message (no known Type)")
    fields = {k: v for k, v in value.items() if isinstance(v, str)}
    missing = [n for n in SIGNED[value["Type"]] if n != "Subject" and n not in fields]
    if missing:
        raise HookRefused(400, f"the SNS message lacks {', '.join(missing)}")
    return fields


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _addresses(section: Mapping[str, Any], key: str) -> tuple[str, ...]:
    found = []
    for recipient in section.get(key) or ():
        address = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        if isinstance(address, str) and "@" in parseaddr(address)[1]:
            found.append(parseaddr(address)[1].lower())
    return tuple(found)
