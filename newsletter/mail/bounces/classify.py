"""What a message in the bounce mailbox is, as a pure function of the parsed message.

In order, because the kinds overlap: a feedback-loop report (ARF, RFC 5965) is a
complaint; mail to our ``mailto:`` unsubscribe address is an unsubscribe; a delivery report
(RFC 3464, or one of the many formats MTAs invented, read by ``flufl.bounce`` as Mailman
does) is a hard or soft bounce; an auto-reply (vacation, out of office) is ignored; anything
else is unclassified: kept and counted, never acted on. Exim marks its bounces
``Auto-Submitted`` like a vacation reply, so the bounce detectors run before that test.

Whom a message is about comes from our VERP return path (``newsletter.mail.verp``) wherever
it survives in the report, else from the addresses the report names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import message_from_string
from email.message import Message
from email.utils import getaddresses, parseaddr

from flufl.bounce import all_failures

from newsletter.mail.verp import Verp, VerpRef
from newsletter.store.bounces import BOUNCE_KINDS, BounceKind

# flufl.bounce logs a detector's exception with its traceback; we catch it and say so in a
# line, so without a handler of ours Python's last-resort one would print it to stderr.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

Kind = BounceKind
KINDS = BOUNCE_KINDS
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")
# ARF Feedback-Types that mean "this recipient did not want it" (RFC 5965 §7.3, 6650).
COMPLAINTS = ("abuse", "fraud", "virus", "other", "auth-failure")
_VACATION = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|autoreply|auto:|out of (the )?office|"
    r"vacation|on holiday|away from|abwesen|absence|r[ée]ponse automatique|"
    r"respuesta autom[áa]tica)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classification:
    kind: Kind
    ref: VerpRef | None = None  # the delivery (or subscriber) our return path names
    addresses: tuple[str, ...] = ()  # recipients the report names, lower-cased
    sender: str | None = None  # the From address, lower-cased (unsubscribe mail)
    detail: str = ""  # one line: why this kind
    token: str | None = None  # an unsubscribe link's token, from a mailto: address


def classify(
    message: Message, verp: Verp | None, unsubscribe_address: str | None = None
) -> Classification:
    """The kind of one message from the bounce mailbox, and whom it is about.

    ``unsubscribe_address`` (``unsubscribe@example.com``): mail to ``unsubscribe+TOKEN@…``
    is an unsubscribe too, its TOKEN (an unsubscribe link's, read by the caller) in
    ``token``."""
    return (
        _feedback_report(message, verp)
        or _unsubscribe(message, verp)
        or _mailto_token(message, unsubscribe_address)
        or _delivery_report(message, verp)
        or _auto_reply(message)
        or Classification("unclassified", detail=_subject(message) or "no subject")
    )


def _feedback_report(message: Message, verp: Verp | None) -> Classification | None:
    report = _part(message, "message/feedback-report")
    if report is None:
        return None
    fields = _report_fields(report)
    feedback = fields.get("feedback-type", "abuse").lower()
    if feedback not in COMPLAINTS:
        return Classification("unclassified", detail=f"feedback report of type {feedback}")
    original = _part(message, "message/rfc822") or _part(message, "text/rfc822-headers")
    ref = _digest_ref(verp, _text(original) if original else "", _text(message))
    rcpt = fields.get("original-rcpt-to", "")
    addresses = _addresses([rcpt]) if rcpt else _original_recipients(original)
    return Classification("complaint", ref, addresses, detail=f"feedback report: {feedback}")


def _unsubscribe(message: Message, verp: Verp | None) -> Classification | None:
    if verp is None:
        return None
    refs = [ref for ref, flagged in verp.find(_recipients(message)) if flagged]
    refs += [r for r in verp.find_tokens(_subject(message)) if r.kind == "unsubscribe"]
    if not refs:
        return None
    if _is_auto_reply(message):  # a vacation reply to it is nobody's wish to leave
        return Classification("auto_reply", refs[0], detail="auto-reply to the unsubscribe address")
    sender = parseaddr(str(message.get("from", "")))[1].lower() or None
    return Classification("unsubscribe", refs[0], sender=sender, detail="mailto unsubscribe")


def _mailto_token(message: Message, address: str | None) -> Classification | None:
    """Mail to ``local+TOKEN@domain`` of the mailto: unsubscribe address."""
    if not address or _is_auto_reply(message):
        return None
    local, _, domain = address.rpartition("@")
    pattern = rf"(?<![\w.+-]){re.escape(local)}\+([A-Za-z0-9._-]{{8,200}})@{re.escape(domain)}"
    match = re.search(pattern, _recipients(message), re.IGNORECASE)
    if not match:
        return None
    sender = parseaddr(str(message.get("from", "")))[1].lower() or None
    return Classification("unsubscribe", sender=sender, detail="mailto unsubscribe", token=match[1])


def _delivery_report(message: Message, verp: Verp | None) -> Classification | None:
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector tripped on a malformed message: it is not one we know
        return None
    if not temporary and not permanent:
        return None
    kind: Kind = "hard" if permanent else "soft"
    found = permanent or temporary
    addresses = tuple(sorted({a.decode("utf-8", "replace").lower() for a in found}))
    ref = _digest_ref(verp, _recipients(message), _text(message))
    status = _status_code(message)
    detail = f"{'permanent' if permanent else 'temporary'} failure"
    detail += f" ({status})" if status else ""
    return Classification(kind, ref, addresses, detail=detail)


def _auto_reply(message: Message) -> Classification | None:
    if not _is_auto_reply(message):
        return None
    return Classification("auto_reply", detail=_subject(message) or "auto-reply")


def _is_auto_reply(message: Message) -> bool:
    """RFC 3834's Auto-Submitted, the older X- headers, Precedence, or a vacation subject."""
    submitted = str(message.get("auto-submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return True
    if message.get("x-autoreply") or message.get("x-autorespond"):
        return True
    precedence = str(message.get("precedence", "")).strip().lower()
    return precedence == "auto_reply" or bool(_VACATION.match(_subject(message)))


def _digest_ref(verp: Verp | None, *texts: str) -> VerpRef | None:
    """The first of our return paths found in the texts, most reliable first; an
    unsubscribe token is no delivery."""
    if verp is None:
        return None
    for text in texts:
        for ref, flagged in verp.find(text):
            if not flagged and ref.kind != "unsubscribe":
                return ref
    return None


def _part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _report_fields(report: Message) -> dict[str, str]:
    """The fields of a message/feedback-report part (a header block, lower-case names)."""
    payload = report.get_payload()
    if isinstance(payload, list):  # the email package parses it as a message
        blocks = [item for item in payload if isinstance(item, Message)]
        pieces = [f"{name}: {value}" for block in blocks for name, value in block.items()]
        text = "\n".join(pieces)
    else:
        text = _decoded(report)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _original_recipients(original: Message | None) -> tuple[str, ...]:
    if original is None:
        return ()
    inner = original.get_payload()
    if isinstance(inner, str):  # text/rfc822-headers: the header block as text
        inner = [message_from_string(inner.lstrip())]
    headers = inner[0] if isinstance(inner, list) and inner else original
    if not isinstance(headers, Message):
        return ()
    return _addresses([str(v) for v in headers.get_all("to") or []])


def _addresses(values: list[str]) -> tuple[str, ...]:
    found = {a.lower() for _, a in getaddresses([v.split(";")[-1] for v in values]) if "@" in a}
    return tuple(sorted(found))


def _status_code(message: Message) -> str:
    match = re.search(r"(?im)^status:\s*([245]\.\d{1,3}\.\d{1,3})", _text(message))
    return match[1] if match else ""


def _recipients(message: Message) -> str:
    """Where the message was delivered to: the headers that carry its envelope recipient."""
    return " ".join(str(v) for h in RECIPIENT_HEADERS for v in message.get_all(h) or [])


def _subject(message: Message) -> str:
    return " ".join(str(message.get("subject", "")).split())


def _text(message: Message) -> str:
    """Every header and every decoded body of every part, as one text to search."""
    chunks = []
    for part in message.walk():
        chunks += [f"{name}: {value}" for name, value in part.items()]
        if not part.is_multipart():
            chunks.append(_decoded(part))
    return "\n".join(chunks)


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        try:
            return payload.decode(part.get_content_charset() or "latin-1", "replace")
        except LookupError:  # a charset nobody knows
            return payload.decode("latin-1")
    inner = part.get_payload()
    return inner if isinstance(inner, str) else ""
