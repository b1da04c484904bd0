"""The bounce mailbox in SQL: each message's effect and its key in one transaction.

:meth:`BouncesSql.record_bounce` inserts the message's key (unique) and applies what the
message means to its subscriber in the same commit, so a message is acted on exactly once
however often it is read again: a run killed before the commit left nothing, one killed
after it finds the key and skips. What each kind does:

    hard         → the subscriber is bounced (suppressed)
    soft         → one more in the streak of consecutive digests; bounced at the limit
    complaint    → unsubscribed at once
    unsubscribe  → unsubscribed, when the sender is the subscriber the token names
    auto_reply, unclassified → recorded, nothing else

The bounce address is public (every digest's Return-Path), so a report acts only on whom it
proves it is about (``BounceReport.proof``, checked by :func:`_target`); one that proves
nothing is recorded with the action ``refused`` and touches nobody:

    token        (VERP on) a valid token of a delivery that was sent, or of a subscriber
    recent_send  (VERP off) a hard or soft bounce naming an address sent a digest or a
                 programme step in the last RECENT_SEND; a complaint or unsubscribe needs
                 a token
    relay        a webhook whose signature was checked: the address the relay names
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, distinct, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.models import BounceEvent, BounceStreak, Delivery, Digest, Subscriber
from newsletter.store.subscribers import SubscriberState

SUPPRESSIBLE = (SubscriberState.ACTIVE, SubscriberState.PENDING)
# What a message of the bounce mailbox is (newsletter.mail.bounces.classify decides).
BounceKind = Literal["hard", "soft", "complaint", "unsubscribe", "auto_reply", "unclassified"]
BOUNCE_KINDS: tuple[BounceKind, ...] = (
    "hard",
    "soft",
    "complaint",
    "unsubscribe",
    "auto_reply",
    "unclassified",
)
# What a report shows to act (see the module's docstring); the reader of the report says
# which rule applies: the mailbox by whether VERP is on, a webhook by its signature.
Proof = Literal["token", "recent_send", "relay"]
# Without VERP a bounce acts on an address only when a digest or step went to it this lately:
# real reports come within days, and a forger cannot aim at the whole list.
RECENT_SEND = timedelta(days=30)
REFUSED = "refused"
# Kinds that act on nobody: recorded whatever they prove.
INERT_KINDS: tuple[BounceKind, ...] = ("auto_reply", "unclassified")


@dataclass(frozen=True)
class BounceReport:
    """One classified message, as the mailbox reader hands it to the store."""

    message_key: str
    kind: BounceKind
    ref_kind: str | None = None  # digest | confirm | unsubscribe | welcome: what it names
    ref_id: int | None = None
    addresses: tuple[str, ...] = ()  # lower-cased, when no token survived
    sender: str | None = None
    detail: str = ""
    proof: Proof = "token"


@dataclass(frozen=True)
class BounceAction:
    kind: BounceKind
    action: str  # suppressed | unsubscribed | counted | already suppressed | ignored | refused | …
    subscriber_id: int | None
    digest_id: int | None


@dataclass(frozen=True)
class DigestBounceStats:
    week: str
    sent: int
    hard: int
    soft: int
    complaints: int
    unsubscribes: int  # subscribers who left after this digest and before the next one

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sent if self.sent else 0.0


KEY_LENGTH = 255  # bounce_events.message_key


class BouncesSql(SqlBase):
    def bounce_recorded(self, message_key: str) -> bool:
        with self._session() as session:
            found = session.scalar(
                # Cut as record_bounce stores it, so a long key is found again.
                select(BounceEvent.id).where(BounceEvent.message_key == message_key[:KEY_LENGTH])
            )
            return found is not None

    def record_bounce(
        self, report: BounceReport, now: datetime, soft_limit: int
    ) -> BounceAction | None:
        """Act on one message and record its key, in one transaction; None when its key
        was recorded before (nothing is done again)."""
        with self._session() as session:
            target = _target(session, report, now)
            subscriber_id, digest_id = target or (None, None)
            event = {
                "message_key": report.message_key[:KEY_LENGTH],
                "kind": report.kind,
                "subscriber_id": subscriber_id,
                "digest_id": digest_id,
                "action": "pending",
                "detail": report.detail[:2000],
                "received_at": now,
            }
            statement = (
                dialect_insert(self.dialect, BounceEvent)
                .values(**event)
                .on_conflict_do_nothing(index_elements=["message_key"])
            )
            if not session.execute(statement.returning(BounceEvent.id)).first():
                return None
            action = (
                _act(session, report, subscriber_id, digest_id, now, soft_limit)
                if target is not None
                else REFUSED
            )
            session.execute(
                update(BounceEvent)
                .where(BounceEvent.message_key == event["message_key"])
                .values(action=action)
            )
            return BounceAction(report.kind, action, subscriber_id, digest_id)

    def bounce_stats(self, limit: int = 4) -> list[DigestBounceStats]:
        """The latest ``limit`` digests, newest first."""
        with self._session() as session:
            digests = session.execute(
                select(Digest.id, Digest.week).order_by(Digest.id.desc()).limit(limit)
            ).all()
            return [_stats(session, digest_id, week) for digest_id, week in digests]

    def refused_bounces(self) -> int:
        """Reports ever refused for proving nothing (forged, or too old to trust)."""
        with self._session() as session:
            count = session.scalar(select(func.count()).where(BounceEvent.action == REFUSED))
            return int(count or 0)


def _target(
    session: Session, report: BounceReport, now: datetime
) -> tuple[int | None, int | None] | None:
    """(subscriber, digest) the report proves it is about, by the rule of its ``proof``;
    None when it proves nothing (refused)."""
    if report.ref_id is not None:
        return _by_token(session, report.ref_kind, report.ref_id)
    if report.kind in INERT_KINDS:
        return None, None
    if report.proof == "relay":
        return _by_address(session, report.addresses, since=None)
    if report.proof == "recent_send" and report.kind in ("hard", "soft"):
        return _by_address(session, report.addresses, since=now - RECENT_SEND)
    return None  # VERP on and no valid token, or a complaint no token backs


def _by_token(
    session: Session, ref_kind: str | None, ref_id: int
) -> tuple[int | None, int | None] | None:
    """A digest token names a delivery, which must have been sent; a confirm, welcome or
    unsubscribe token names a subscriber. Its row gone (a digest deleted since): nothing
    proven."""
    if ref_kind == "digest":
        row = session.execute(
            select(Delivery.subscriber_id, Delivery.digest_id).where(
                Delivery.id == ref_id, Delivery.state == "sent"
            )
        ).first()
        return (row[0], row[1]) if row else None
    found = session.get(Subscriber, ref_id)
    return (found.id, None) if found else None


def _by_address(
    session: Session, addresses: tuple[str, ...], since: datetime | None
) -> tuple[int | None, int | None] | None:
    """The first subscriber the report names with a digest or a programme step sent to them
    (``since`` then, when given), and the latest such digest (None when only steps went);
    (None, None) when it names no subscriber, None when it names only subscribers not sent
    to since then (nothing proven)."""
    named = False
    for address in addresses:
        subscriber_id = session.scalar(
            select(Subscriber.id).where(Subscriber.email_key == address.lower())
        )
        if subscriber_id is None:
            continue
        named = True
        sent = [Delivery.subscriber_id == subscriber_id, Delivery.state == "sent"]
        if since is not None:
            sent.append(Delivery.sent_at >= since)
        count, latest = session.execute(
            select(func.count(), func.max(Delivery.digest_id)).where(*sent)
        ).one()
        if since is None or count:
            return subscriber_id, latest
    return None if named else (None, None)


def _act(
    session: Session,
    report: BounceReport,
    subscriber_id: int | None,
    digest_id: int | None,
    now: datetime,
    soft_limit: int,
) -> str:
    if report.kind in INERT_KINDS:
        return "ignored"
    if subscriber_id is None:
        return "no such subscriber"
    if report.kind == "hard":
        return _suppress(session, subscriber_id, SubscriberState.BOUNCED, now)
    if report.kind == "complaint":
        return _suppress(session, subscriber_id, SubscriberState.UNSUBSCRIBED, now)
    if report.kind == "unsubscribe":
        email_key = session.scalar(
            select(Subscriber.email_key).where(Subscriber.id == subscriber_id)
        )
        if report.sender is None or report.sender.lower() != email_key:
            return "sender does not match"
        return _suppress(session, subscriber_id, SubscriberState.UNSUBSCRIBED, now)
    if report.kind == "soft" and digest_id is not None:
        if _soft_streak(session, subscriber_id, digest_id, now) >= soft_limit:
            return _suppress(session, subscriber_id, SubscriberState.BOUNCED, now)
        return "counted"
    return "ignored"  # a soft bounce of a confirmation or welcome email: no digest to count


def _suppress(session: Session, subscriber_id: int, state: SubscriberState, now: datetime) -> str:
    """bounced or unsubscribed; an unsubscribe outranks a bounce, never the reverse."""
    stamp = "bounced_at" if state == SubscriberState.BOUNCED else "unsubscribed_at"
    allowed = (
        SUPPRESSIBLE
        if state == SubscriberState.BOUNCED
        else (*SUPPRESSIBLE, SubscriberState.BOUNCED)
    )
    changed: Any = session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id, Subscriber.state.in_(allowed))
        .values(state=state, **{stamp: now})
    )
    if changed.rowcount:
        return "suppressed" if state == SubscriberState.BOUNCED else "unsubscribed"
    return "already suppressed"


def _soft_streak(session: Session, subscriber_id: int, digest_id: int, now: datetime) -> int:
    """The streak after a soft bounce of ``digest_id``: a second report on the same digest
    counts once, and a digest sent in between without a soft bounce starts it again."""
    # Created empty if missing, then locked: two reports of one subscriber at once (the
    # webhook and the mailbox) both count, where two plain INSERTs would collide.
    empty = {"subscriber_id": subscriber_id, "soft_bounces": 0, "last_digest_id": 0}
    session.execute(
        dialect_insert(session, BounceStreak)
        .values(**empty, updated_at=now)
        .on_conflict_do_nothing(index_elements=["subscriber_id"])
    )
    streak = session.get(BounceStreak, subscriber_id, with_for_update=True, populate_existing=True)
    assert streak is not None  # found or just made, in this transaction
    if streak.soft_bounces == 0:
        streak.soft_bounces, streak.last_digest_id, streak.updated_at = 1, digest_id, now
        return 1
    if digest_id <= streak.last_digest_id:
        return streak.soft_bounces  # the same digest again, or a late report on an older one
    between = session.scalar(
        select(func.count()).where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.state == "sent",
            Delivery.digest_id > streak.last_digest_id,
            Delivery.digest_id < digest_id,
        )
    )
    streak.soft_bounces = 1 if between else streak.soft_bounces + 1
    streak.last_digest_id, streak.updated_at = digest_id, now
    return streak.soft_bounces


def _stats(session: Session, digest_id: int, week: str) -> DigestBounceStats:
    sent = session.scalar(
        select(func.count()).where(Delivery.digest_id == digest_id, Delivery.state == "sent")
    )
    kinds = dict(
        session.execute(
            select(BounceEvent.kind, func.count(distinct(BounceEvent.subscriber_id)))
            .where(BounceEvent.digest_id == digest_id)
            .group_by(BounceEvent.kind)
        ).all()
    )
    return DigestBounceStats(
        week=week,
        sent=int(sent or 0),
        hard=_hard_bounces(session, digest_id),
        soft=int(kinds.get("soft", 0)),
        complaints=int(kinds.get("complaint", 0)),
        unsubscribes=_unsubscribes(session, digest_id),
    )


def _hard_bounces(session: Session, digest_id: int) -> int:
    """Subscribers of this digest who bounced for good: by a report in the mailbox, or
    refused at RCPT time while sending (a failed delivery whose subscriber is now bounced)."""
    reported = select(BounceEvent.subscriber_id).where(
        BounceEvent.digest_id == digest_id, BounceEvent.kind == "hard"
    )
    refused = (
        select(Delivery.subscriber_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(
            Delivery.digest_id == digest_id,
            Delivery.state == "failed",
            Subscriber.state == SubscriberState.BOUNCED,
        )
    )
    union = reported.union(refused).subquery()
    return int(session.scalar(select(func.count()).select_from(union)) or 0)


def _unsubscribes(session: Session, digest_id: int) -> int:
    """Subscribers sent this digest who unsubscribed (by link, mail or complaint) before any
    later digest reached them."""
    later = aliased(Delivery)
    left_after = and_(
        Subscriber.state == SubscriberState.UNSUBSCRIBED,
        Subscriber.unsubscribed_at >= Delivery.sent_at,
    )
    next_one = exists().where(
        later.subscriber_id == Delivery.subscriber_id,
        later.digest_id > Delivery.digest_id,
        later.state == "sent",
        later.sent_at <= Subscriber.unsubscribed_at,
    )
    query = (
        select(func.count())
        .select_from(Delivery)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.digest_id == digest_id, Delivery.state == "sent", left_after, ~next_one)
    )
    return int(session.scalar(query) or 0)
