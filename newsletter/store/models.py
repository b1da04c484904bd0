"""The whole domain as SQLAlchemy 2 typed ORM tables.

Only ``store/`` imports this module. The migrations in ``db/migrations/`` create exactly
these tables; ``test_migrations_match_the_models`` in ``tests/test_store.py`` checks they
stay in step.

Times are stored as naive UTC and come back timezone-aware (see :class:`UTCDateTime`),
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Feed(Base):
    """A configured feed and its fetch state (validators, health, back-off)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), unique=True)  # configured url or path:…
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # articles | questions
    url: Mapped[str | None] = mapped_column(String(2048))  # current, after permanent redirects
    path: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(String(500))  # as the feed calls itself
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_warning: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 410: polling stopped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # PostgreSQL only (collectors on several machines share a round; SQLite never sets them):
    lease_owner: Mapped[str | None] = mapped_column(String(200))  # the collector fetching it
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    round_id: Mapped[int | None] = mapped_column(Integer)  # the last round that fetched it


class CollectRound(Base):
    """One round of collecting shared by the collectors of several machines (PostgreSQL):
    every due feed is fetched once per round, by whichever collector leases it first."""

    __tablename__ = "collect_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collectors: Mapped[int] = mapped_column(Integer, default=0)  # how many joined it


class Entry(Base):
    """An article or a reader question, stored once whatever feeds carry it."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_kind_status_first_seen", "kind", "status", "first_seen_at"),
        Index("ix_entries_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)  # guid:…, link:… or hash:…
    kind: Mapped[str] = mapped_column(String(20))  # article | question
    status: Mapped[str] = mapped_column(String(20))  # approved | pending | rejected
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    guid: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary_html: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(500))
    author_email: Mapped[str | None] = mapped_column(String(320))  # web questions; never published
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)  # undated: first seen
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # last time its content changed
    content_hash: Mapped[str] = mapped_column(String(64))
    answer_html: Mapped[str | None] = mapped_column(Text)  # the owner's answer to a question
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The asker agreed, on the form, to one email when it is answered (see AnswerEmail).
    asker_wants_answer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AnswerEmail(Base):
    """The one email telling an asker their question is answered: the row is written
    (``sending``) before the message goes to the server, so it goes once, and a sender
    that died meanwhile leaves it ``sending``, never to be sent again (see
    newsletter/store/answer_emails.py for the states)."""

    __tablename__ = "answer_emails"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(250))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class Exercise(Base):
    """One exercise of the catalog (loaded from YAML; the owner edits it there)."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    how: Mapped[str] = mapped_column(Text)
    strengthens: Mapped[str] = mapped_column(Text)
    equipment: Mapped[str] = mapped_column(String(500), default="")
    sitting: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # false: removed from catalog
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeaturedExercise(Base):
    """The exercise of an ISO week: chosen once, then never changed."""

    __tablename__ = "featured_exercises"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # 2026-W48
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscriber(Base):
    """pending → active → unsubscribed, plus bounced; never deleted by an import."""

    __tablename__ = "subscribers"
    __table_args__ = (Index("ix_subscribers_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # as given; the domain IDNA and lower-case
    # The address compared case-insensitively (the whole address lower-cased): the identity,
    # so Ann@Example.com and ann@example.com are one subscriber.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # web | cli | import
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What they chose to get (newsletter.subscribers.preferences): the format and the
    # sections left out, encoded as the reader's part of every digest variant ("" = all).
    choice: Mapped[str] = mapped_column(String(500), default="", server_default="")
    frequency: Mapped[str] = mapped_column(String(10), default="weekly", server_default="weekly")
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The week of the last digest queued for them: a monthly reader's next one covers the
    # weeks after it. Cleared by a pause, whose weeks are not sent later.
    last_week: Mapped[str | None] = mapped_column(String(8))


class SubscriberEvent(Base):
    """A line of a subscriber's history other than their digests: what they changed."""

    __tablename__ = "subscriber_events"
    __table_args__ = (Index("ix_subscriber_events_subscriber_id_id", "subscriber_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    what: Mapped[str] = mapped_column(String(1000))


class Digest(Base):
    """The digest of one ISO week, built once; its rendering is kept for the archive."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(8), unique=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    subject: Mapped[str] = mapped_column(String(500))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    # The month's first digest: monthly readers get this one (and the weeks before it).
    monthly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    note: Mapped[str | None] = mapped_column(Text)  # the editor's note (Markdown) it carries
    # Messages sent again because a send died while they were in flight (each may have
    # arrived twice): `status` and the run report name them.
    resent_after_crash: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DigestVariant(Base):
    """A digest as some readers chose it (sections, format, weeks covered): rendered once
    for all who share the choice, and kept, so every sender sends the same bytes."""

    __tablename__ = "digest_variants"
    __table_args__ = (UniqueConstraint("digest_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(600))
    subject: Mapped[str] = mapped_column(String(500))
    html: Mapped[str] = mapped_column(Text)  # "" for plain text only
    text: Mapped[str] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)


class EditorNote(Base):
    """The owner's note for the next digest, waiting for it: at most one row (id 1). The
    digest built next takes it (``digests.note``) in the transaction that records it."""

    __tablename__ = "editor_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    markdown: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))  # a console account, or the CLI


class DigestItem(Base):
    __tablename__ = "digest_items"

    digest_id: Mapped[int] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Delivery(Base):
    """One digest, or one programme step (a mailing), to one subscriber (see
    newsletter/mail/decide.py for the state machine): pending | retry → claimed → sending →
    sent | failed | retry | unknown, or skipped. Exactly one of ``digest_id`` and
    ``mailing_id`` is set: both kinds share the ledger, so the sender, its journal, VERP and
    the bounces serve them alike."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("digest_id", "subscriber_id"),
        UniqueConstraint("mailing_id", "subscriber_id"),
        Index("ix_deliveries_digest_state", "digest_id", "state", "id"),
        Index("ix_deliveries_mailing_state", "mailing_id", "state", "id"),
        # Rows held by a sender, of any parent: few, found after a crash (delivery_claims).
        Index("ix_deliveries_state_claimed_by", "state", "claimed_by"),
        CheckConstraint("(digest_id IS NULL) <> (mailing_id IS NULL)", name="one_parent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_mailings.id", ondelete="CASCADE")
    )
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(Text)  # the server's answer to the message
    error: Mapped[str | None] = mapped_column(Text)
    # The digest variant the subscriber was queued with ("" = the digest as built).
    variant: Mapped[str] = mapped_column(String(600), default="", server_default="")


class Run(Base):
    """One `newsletter run` (or `collect`), with its report, for `status`."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    command: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[str | None] = mapped_column(Text)  # JSON


class BounceEvent(Base):
    """One message read from the bounce mailbox, acted on once: its key is unique, and it is
    written in the same transaction as its effect (see newsletter/store/bounces.py)."""

    __tablename__ = "bounce_events"
    __table_args__ = (Index("ix_bounce_events_digest_kind", "digest_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(255), unique=True)  # mid:… or sha256:…
    # hard | soft | complaint | unsubscribe | auto_reply | unclassified
    kind: Mapped[str] = mapped_column(String(20))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL")
    )
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))  # what was done, in a word or two
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BounceStreak(Base):
    """A subscriber's soft bounces on consecutive digests, up to soft_bounce_limit."""

    __tablename__ = "bounce_streaks"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    soft_bounces: Mapped[int] = mapped_column(Integer)
    last_digest_id: Mapped[int] = mapped_column(Integer)  # the digest of the latest one
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Admin(Base):
    """A console account (created from the CLI only): owner or moderator."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # owner | moderator
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The 30-second step of the last code accepted: a code is good once (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Raised by "sign out everywhere" and by a password reset: older sessions stop at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdminSession(Base):
    """A signed-in browser; the cookie carries the token, the row only its hash."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminActivity(Base):
    """Who did what in the console, and when (the email is copied: accounts may go)."""

    __tablename__ = "admin_activity"
    __table_args__ = (Index("ix_admin_activity_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    admin_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)


class AdminLoginAttempt(Base):
    """Sign-in attempts, for throttling per account and per address."""

    __tablename__ = "admin_login_attempts"
    __table_args__ = (
        Index("ix_admin_login_attempts_account_at", "account_key", "at"),
        Index("ix_admin_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    account_key: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)


class Suppression(Base):
    """An erased person: only a keyed hash of their address, so no import brings them back."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FediverseAccount(Base):
    """The site's fediverse account: one row (id 1), made on first use. The key pair is
    generated once and never changes: followers' servers keep its public half."""

    __tablename__ = "fediverse_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # posts start from here


class FediverseFollower(Base):
    """A remote account that follows the site (Follow accepted; Undo removes the row)."""

    __tablename__ = "fediverse_followers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(1024), unique=True)  # its actor id (a URL)
    inbox: Mapped[str] = mapped_column(String(1024))
    shared_inbox: Mapped[str | None] = mapped_column(String(1024))  # one POST per server
    follow_id: Mapped[str | None] = mapped_column(Text)  # the Follow activity's id
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FediversePost(Base):
    """What followers were told about one of our things (an entry, a week's exercise): its
    hash as last sent (a change sends Update), or deleted (Delete was sent)."""

    __tablename__ = "fediverse_posts"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # entry:12, exercise:2026-W48
    content_hash: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FediverseActivity(Base):
    """An activity we sent (Create, Update, Delete, Accept), kept as sent: the outbox shows
    the public ones, and each delivery row points here."""

    __tablename__ = "fediverse_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # made once: a rerun adds none
    type: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)  # the JSON as delivered
    public: Mapped[bool] = mapped_column(Boolean)  # in the outbox (an Accept is not)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FediverseReply(Base):
    """A reply to one of our posts, kept as a reader question (``entry_id``, pending until
    a moderator approves it): whom the answer goes back to on the fediverse."""

    __tablename__ = "fediverse_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), unique=True)
    note_id: Mapped[str] = mapped_column(String(1024))  # their Note: our answer replies to it
    in_reply_to: Mapped[str] = mapped_column(String(1024))  # which of our Notes they answered
    actor: Mapped[str] = mapped_column(String(1024))
    handle: Mapped[str | None] = mapped_column(String(300))  # @user@host, for the mention
    inbox: Mapped[str | None] = mapped_column(String(1024))  # where the answer is delivered
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FediverseDelivery(Base):
    """One activity to one inbox (a server's shared inbox when it has one), the fediverse's
    ledger (newsletter/fediverse/delivery.py): pending → sending → sent | pending (retry,
    later) | failed; a dead sender's ``sending`` rows go back to pending."""

    __tablename__ = "fediverse_deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox"),
        Index("ix_fediverse_deliveries_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("fediverse_activities.id", ondelete="CASCADE")
    )
    inbox: Mapped[str] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[int | None] = mapped_column(Integer)  # the inbox's last HTTP status
    error: Mapped[str | None] = mapped_column(Text)


class ProgrammeMailing(Base):
    """One step of a programme as queued on one day (the site's local date): rendered once
    for everyone due that day; its deliveries are rows of ``deliveries``."""

    __tablename__ = "programme_mailings"
    __table_args__ = (UniqueConstraint("programme", "step", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(100))  # the key in programmes.yaml
    step: Mapped[int] = mapped_column(Integer)  # from 1
    day: Mapped[str] = mapped_column(String(10), index=True)  # 2026-12-07
    subject: Mapped[str] = mapped_column(String(500))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resent_after_crash: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Enrolment(Base):
    """A reader in a programme (store/programmes.py): active → finished, or paused or left
    and back. ``steps_sent`` steps are queued; the next may go from ``due_on``."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "programme"),
        Index("ix_enrolments_due", "programme", "state", "steps_sent", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    programme: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    steps_sent: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[str | None] = mapped_column(String(10))  # None: finished
    last_day: Mapped[str | None] = mapped_column(String(10))  # the day of the last step queued
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The welcome email (issue 22) ------------------------------------------------------------


class WelcomeEmail(Base):
    """The one welcome email of a reader who confirmed their sign-up on the web form:
    written ``due`` in the transaction that confirms them, claimed ``sending`` before the
    server sees it, so it goes once (see newsletter/store/welcome_emails.py)."""

    __tablename__ = "welcome_emails"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20), index=True)  # the runs look for due ones
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when they confirmed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
