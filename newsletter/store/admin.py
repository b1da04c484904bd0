"""Console accounts in SQL: accounts, their sessions, sign-in attempts, the activity log.

A session row holds only the SHA-256 of the token its cookie carries, so a copy of the
database signs nobody in. A session is valid while it is unexpired, unrevoked and of its
account's current generation: raising the generation ("sign out everywhere", a password
reset) ends every older session at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete, func, or_, select, update

from newsletter.store.base import SqlBase, record
from newsletter.store.models import Admin, AdminActivity, AdminLoginAttempt, AdminSession

ADMIN_ROLES = ("owner", "moderator")
LOGIN_LOCK = 0x4C4F47  # the first key of the sign-in advisory locks ("LOG"), the second per account
KEEP = timedelta(days=1)  # sign-in attempts older than this are deleted (throttling needs 15 min)


@dataclass(frozen=True)
class AdminRecord:
    id: int
    email: str
    email_key: str
    role: str  # owner | moderator
    password_hash: str
    totp_secret: str | None
    session_generation: int
    created_at: datetime


@dataclass(frozen=True)
class AdminSessionRecord:
    """A session and its account, as read on every console request."""

    admin: AdminRecord
    generation: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Failures:
    """Failed sign-in attempts counted before this one (which is already reserved)."""

    pair: int  # for this account from this address
    address: int  # from this address, any account
    account: int  # for this account, from anywhere


@dataclass(frozen=True)
class ActivityRecord:
    at: datetime
    admin_email: str
    action: str
    subject: str


class AdminSql(SqlBase):
    """The owner's accounts, their sign-ins and sessions, and the console's activity log."""

    def create_admin(
        self, email: str, email_key: str, role: str, password_hash: str, now: datetime
    ) -> AdminRecord | None:
        """Insert an account; None when that address has one already."""
        with self._session() as session:
            if session.scalar(select(Admin.id).where(Admin.email_key == email_key)):
                return None
            row = Admin(
                email=email,
                email_key=email_key,
                role=role,
                password_hash=password_hash,
                session_generation=0,
                created_at=now,
                password_changed_at=now,
            )
            session.add(row)
            session.flush()
            return record(AdminRecord, row)

    def admin(self, email_key: str) -> AdminRecord | None:
        with self._session() as session:
            row = session.scalars(select(Admin).where(Admin.email_key == email_key)).first()
            return None if row is None else record(AdminRecord, row)

    def admins(self) -> list[AdminRecord]:
        with self._session() as session:
            return [
                record(AdminRecord, row)
                for row in session.scalars(select(Admin).order_by(Admin.id))
            ]

    def delete_admin(self, email_key: str) -> bool:
        with self._session() as session:
            found = session.scalars(select(Admin).where(Admin.email_key == email_key)).first()
            if found is None:
                return False
            session.execute(delete(AdminSession).where(AdminSession.admin_id == found.id))
            session.delete(found)
            return True

    def set_admin_password(self, email_key: str, password_hash: str, now: datetime) -> bool:
        """Replace the hash and end every session of the account."""
        query = (
            update(Admin)
            .where(Admin.email_key == email_key)
            .values(
                password_hash=password_hash,
                password_changed_at=now,
                session_generation=Admin.session_generation + 1,
            )
        )
        with self._session() as session:
            return bool(getattr(session.execute(query), "rowcount", 0))

    def set_admin_totp(
        self, admin_id: int, secret: str | None, used_step: int | None = None
    ) -> None:
        """Turn two-factor on (``used_step``: the step of the code that confirmed it, spent)
        or off."""
        values = {"totp_secret": secret, "totp_last_step": used_step}
        with self._session() as session:
            session.execute(update(Admin).where(Admin.id == admin_id).values(**values))

    def use_totp_step(self, admin_id: int, step: int) -> bool:
        """Record that the code of ``step`` was used; False when it (or a later one) was
        used already, so that a code seen over a shoulder cannot sign in a second time."""
        query = (
            update(Admin)
            .where(
                Admin.id == admin_id,
                or_(Admin.totp_last_step.is_(None), Admin.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        with self._session() as session:
            return bool(getattr(session.execute(query), "rowcount", 0))

    def end_admin_sessions(self, admin_id: int) -> None:
        """Sign out everywhere: raise the account's session generation."""
        query = (
            update(Admin)
            .where(Admin.id == admin_id)
            .values(session_generation=Admin.session_generation + 1)
        )
        with self._session() as session:
            session.execute(query)

    def create_admin_session(
        self, admin_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        with self._session() as session:
            # Tidy as we go: ended sessions and old attempts serve no one.
            ended = or_(AdminSession.expires_at <= now, AdminSession.revoked_at.is_not(None))
            session.execute(delete(AdminSession).where(AdminSession.admin_id == admin_id, ended))
            session.execute(delete(AdminLoginAttempt).where(AdminLoginAttempt.at < now - KEEP))
            generation = session.scalar(
                select(Admin.session_generation).where(Admin.id == admin_id)
            )
            session.add(
                AdminSession(
                    token_hash=token_hash,
                    admin_id=admin_id,
                    generation=int(generation or 0),
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def admin_session(self, token_hash: str) -> AdminSessionRecord | None:
        query = (
            select(AdminSession, Admin)
            .join(Admin, AdminSession.admin_id == Admin.id)
            .where(AdminSession.token_hash == token_hash)
        )
        with self._session() as session:
            found = session.execute(query).first()
            if found is None:
                return None
            row, account = found
            return AdminSessionRecord(
                record(AdminRecord, account),
                row.generation,
                row.created_at,
                row.expires_at,
                row.revoked_at,
            )

    def revoke_admin_session(self, token_hash: str, now: datetime) -> None:
        query = (
            update(AdminSession)
            .where(AdminSession.token_hash == token_hash, AdminSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        with self._session() as session:
            session.execute(query)

    def reserve_login_attempt(
        self, account_key: str, address: str, since: datetime, now: datetime
    ) -> tuple[int, Failures]:
        """Record an attempt as failed and count the failures before it since ``since``
        (for the account, only those after its password last changed), one account at a
        time: (the attempt's id, the counts)."""
        with self._session() as session:
            if self.dialect == "postgresql":
                # One attempt per account at a time; SQLite has one writer at a time anyway,
                # and the INSERT below takes its write lock before anything is counted.
                session.execute(
                    select(func.pg_advisory_xact_lock(LOGIN_LOCK, func.hashtext(account_key)))
                )
            attempt = AdminLoginAttempt(
                at=now, account_key=account_key, address=address, succeeded=False
            )
            session.add(attempt)
            session.flush()
            changed = session.scalar(
                select(Admin.password_changed_at).where(Admin.email_key == account_key)
            )
            account_since = max(since, changed) if changed is not None else since
            failed = select(func.count()).where(
                AdminLoginAttempt.succeeded.is_(False), AdminLoginAttempt.id != attempt.id
            )
            mine = AdminLoginAttempt.account_key == account_key
            recent, after_change = (
                AdminLoginAttempt.at >= since,
                AdminLoginAttempt.at >= account_since,
            )
            from_here = AdminLoginAttempt.address == address
            failures = Failures(
                pair=int(session.scalar(failed.where(mine, from_here, after_change)) or 0),
                address=int(session.scalar(failed.where(from_here, recent)) or 0),
                account=int(session.scalar(failed.where(mine, after_change)) or 0),
            )
            return attempt.id, failures

    def login_succeeded(self, attempt_id: int) -> None:
        query = (
            update(AdminLoginAttempt)
            .where(AdminLoginAttempt.id == attempt_id)
            .values(succeeded=True)
        )
        with self._session() as session:
            session.execute(query)

    def log_activity(self, admin_email: str, action: str, subject: str, now: datetime) -> None:
        with self._session() as session:
            session.add(
                AdminActivity(at=now, admin_email=admin_email, action=action, subject=subject)
            )

    def activity(self, limit: int) -> list[ActivityRecord]:
        """The newest ``limit`` lines of the activity log, newest first."""
        query = (
            select(AdminActivity)
            .order_by(AdminActivity.at.desc(), AdminActivity.id.desc())
            .limit(limit)
        )
        return self._rows(query, partial(record, ActivityRecord))
