"""Sending a digest: claim due rows in batches of 100, commit ``sending`` on the next
IN_FLIGHT (8) of them, hand those to the transport one by one, then record what the server
said.

N worker threads each own a transport (one persistent SMTP connection) and share a rate
limit and an error streak. Each worker writes the results of its last 8 messages together
with the ``sending`` marks of its next 8 in one commit, and between two commits appends to
its journal (``journal.py``) each message it hands over and each answer. A send that starts
after a crash reads the dead sender's journals: what the server accepted becomes sent, what
never left goes back to pending, and what was truly in flight (at most one message per
worker: handed over, no answer seen) is sent again, and counted, since it may arrive twice.
Nobody is left out. A stop (a pause, Ctrl-C) hands the marked rows it did not send back to
pending. The main thread renews the claims (a lease other machines can see) and turns Ctrl-C
into a clean stop.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from newsletter.config import Settings
from newsletter.errors import BadInput
from newsletter.mail.claims import current_claimer, process_alive
from newsletter.mail.decide import (
    ERROR_STREAK,
    Claimer,
    Verdict,
    claim_is_stale,
    classify,
    result_after_failure,
    result_for,
)
from newsletter.mail.dkim import load_signer
from newsletter.mail.headers import mailbox
from newsletter.mail.journal import FOLDER, Journal, dead_journals
from newsletter.mail.message import DigestMessage, MessageError, Sender, with_site_url
from newsletter.mail.progress import Progress, SilentProgress
from newsletter.mail.ratelimit import RateLimiter
from newsletter.mail.report import SendReport
from newsletter.mail.size import unsubscribe_mailbox
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    Route,
    TransientFailure,
    Transport,
    describe_transport,
    transport_factory,
)
from newsletter.mail.verp import verp_for
from newsletter.store import SqlStore
from newsletter.store.deliveries import (
    DeliveryJob,
    DeliveryResult,
    DeliveryState,
    Recovered,
)
from newsletter.store.delivery_writer import DeliveryWriter
from newsletter.store.digests import DigestToSend
from newsletter.store.preferences import Rendering
from newsletter.store.programmes import MailingToSend
from newsletter.subscribers.tokens import Links, Tokens, secret_key

Clock = Callable[[], datetime]
BATCH = 100  # rows per claim: cheap per row, yet small enough for senders to share a digest
# Rows a worker marks sending in one commit. One commit per message cost more than the
# message itself on PostgreSQL (a WAL flush each); 8 is past most of the gain
# (docs/scaling.md). Which of them a crash leaves in doubt the journal tells.
IN_FLIGHT = 8
HEARTBEAT = 60.0  # seconds between renewals of our claims (the lease is 10 minutes)


@dataclass
class _Flight:
    """A worker's batch between two commits: rows marked sending but not yet given to the
    server, and the results of those that were."""

    marked: list[DeliveryJob] = field(default_factory=list)
    done: list[DeliveryResult] = field(default_factory=list)


class NoDigest(BadInput):
    """The week asked for has no digest."""


@dataclass(frozen=True)
class SendOptions:
    """What the person sending chose: `newsletter send`'s options."""

    week: str | None = None  # default: the latest digest
    workers: int = 1  # messages in flight at once
    rate: float | None = None  # at most this many messages per second, all workers together
    retry_unknown: bool = False  # also re-send rows left `unknown` by an older version


# Renders a digest as some readers chose it (their rows' ``variant``): the digest step's
# ``digest.variants.variant_source``, handed in so that mail/ knows nothing of sections.
VariantSource = Callable[[DigestToSend, str], Rendering]
# The same for a programme mailing: its readers differ only by format (programmes.due).
MailingVariants = Callable[[MailingToSend, str], Rendering]


def send_digest(
    settings: Settings,
    store: SqlStore,
    clock: Clock,
    options: SendOptions | None = None,
    progress: Progress | None = None,
    variants: VariantSource | None = None,
) -> SendReport:
    """Deliver the due messages of a digest (that week's, else the latest one).

    Safe to call often and from several processes: on SQLite one sender at a time takes
    the digest (``store.send_lock``) and a second returns at once; on PostgreSQL several
    share it. A report with ``paused`` set means sending stopped early and left rows pending."""
    options = options or SendOptions()
    digest = store.digest_to_send(options.week)
    if digest is None:
        if options.week:
            raise NoDigest(
                f"there is no digest for {options.week}; build it with `newsletter digest`"
            )
        return SendReport(nothing="no digest has been built yet")
    with store.send_lock() as lock:
        if not lock.held:
            message = f"another `newsletter send` ({lock.holder}) is sending it; nothing to do"
            return SendReport(week=digest.week, busy=message)
        job = _Job(settings, store, clock, digest, options, progress or SilentProgress())
        if variants is not None:
            job.variants = functools.partial(variants, digest)
        return job.run(exclusive=not store.shared_by_machines)


def send_mailing(
    settings: Settings,
    store: SqlStore,
    clock: Clock,
    mailing: MailingToSend,
    options: SendOptions | None = None,
    variants: MailingVariants | None = None,
) -> SendReport:
    """Deliver the due messages of a programme mailing (one step, as queued on one day):
    the digest's sender, ledger, journal and lock, so the same guarantees hold."""
    with store.send_lock() as lock:
        if not lock.held:
            message = f"another `newsletter send` ({lock.holder}) is sending; nothing to do"
            return SendReport(week=mailing.week, busy=message)
        job = _Job(settings, store, clock, mailing, options or SendOptions(), SilentProgress())
        if variants is not None:
            job.variants = functools.partial(variants, mailing)
        return job.run(exclusive=not store.shared_by_machines)


def message_ids(
    digest: DigestToSend | MailingToSend, domain: str, key: str
) -> Callable[[int], str]:
    """Makes each subscriber's Message-ID, <digest-2026-W48.{32 hex}@domain>: an HMAC of
    the subscriber id under a key of this digest (from the secret key and the digest), so
    ids are unique across installations and databases rebuilt from scratch, and carry
    no row id for anyone reading headers. The row stores it: a bounce names it back."""
    mailing = isinstance(digest, MailingToSend)
    number = digest.id.id if isinstance(digest, MailingToSend) else digest.id
    kind = "programme" if mailing else "digest"
    unique = f"{kind}|{number}" if mailing else str(number)  # a digest's ids stay as they were
    seed = f"{key}|{unique}|{digest.week}|{digest.built_at.isoformat()}".encode()
    digest_key = hashlib.sha256(b"message-id|" + seed).digest()
    week = re.sub(r"[^A-Za-z0-9-]", "", digest.week)

    def message_id(subscriber_id: int) -> str:
        mac = hmac.digest(digest_key, str(subscriber_id).encode(), "sha256")
        return f"<{kind}-{week}.{mac[:16].hex()}@{domain}>"

    return message_id


def _batch_for(rate: float | None) -> int:
    """A slow send claims what it sends in about ten seconds."""
    return max(1, min(BATCH, int(rate * 10))) if rate else BATCH


class _Job:
    """One send of one digest (or programme mailing): shared by the worker threads."""

    def __init__(
        self,
        settings: Settings,
        store: SqlStore,
        clock: Clock,
        digest: DigestToSend | MailingToSend,
        options: SendOptions,
        progress: Progress,
    ) -> None:
        self.settings, self.store, self.clock, self.digest = settings, store, clock, digest
        self.parent = digest.id
        self.workers, self.progress = options.workers, progress
        self.retry_unknown = options.retry_unknown
        self.limiter = RateLimiter(options.rate)
        self.batch = _batch_for(options.rate)
        key = secret_key(settings.env.secret_key, settings.db_dir)
        self.sender = Sender.parse(settings.newsletter.sender)
        self.links = Links(
            settings.env.base_url, Tokens(key), unsubscribe_mailbox(settings.newsletter)
        )
        base = settings.env.base_url
        text, html = with_site_url(digest.text, base), with_site_url(digest.html, base)
        self.date = clock()
        self.message = DigestMessage(
            self.sender, settings.site.title, digest.subject, text, html, self.date
        )
        self.variants: Callable[[str], Rendering] | None = None
        # One message per variant in use, built on first need: never one per reader.
        self.messages: dict[str, DigestMessage] = {"": self.message}
        self._variant_lock = threading.Lock()
        self.message_ids = message_ids(digest, self.sender.domain, key)
        self.signer = load_signer(settings.newsletter.dkim, settings.env.dkim_key_file)
        self.verp = verp_for(settings)  # None: the From address is every return path
        self.claimer = str(current_claimer())
        self.transports = transport_factory(settings.env.smtp_url, settings.env.outbox)
        self.journals = settings.db_dir / FOLDER
        self.stop = threading.Event()
        self.report = SendReport()
        self.errors: list[BaseException] = []
        self._streak = 0
        self._lock = threading.Lock()

    def run(self, exclusive: bool) -> SendReport:
        started = time.monotonic()
        digest, store, report = self.digest, self.store, self.report
        env = self.settings.env
        report.week, report.transport = digest.week, describe_transport(env.smtp_url, env.outbox)
        recovered = self._recover(exclusive)
        if not isinstance(digest, MailingToSend):  # a mailing's readers are queued with it
            store.queue_new_subscribers(digest.id)
        report.released, report.journal_delivered = recovered.released, recovered.delivered
        report.resent_after_crash = recovered.resent
        if self.retry_unknown:
            report.requeued_unknown = store.requeue_unknown(self.parent)
        skipped_before = store.delivery_counts(self.parent)[DeliveryState.SKIPPED]
        due = store.due_count(self.parent, self.clock())
        # Small lists are split between the workers rather than claimed by the first one.
        self.batch = max(1, min(self.batch, -(-due // self.workers)))
        self.progress.start(due, digest.week)
        try:
            self._run_workers()
        finally:
            self.progress.stop()
            store.release_claims(self.parent, self.claimer)
        if self.errors:
            raise self.errors[0]
        report.counts = store.delivery_counts(self.parent)
        # Rows skipped when claimed never reach a worker: count them from the table.
        report.skipped = max(report.skipped, report.counts[DeliveryState.SKIPPED] - skipped_before)
        report.next_retry_at = store.next_retry_at(self.parent)
        report.resent_in_all = store.resent_after_crash(self.parent)
        report.seconds = time.monotonic() - started
        return report

    def _recover(self, exclusive: bool) -> Recovered:
        """Rows a dead sender left behind: on SQLite, holding the lock, every claim is
        stale; elsewhere, claims of dead processes here or of silent ones elsewhere (by
        the database's clock, which every machine reads alike). The dead senders'
        journals here say what became of the rows they held ``sending``."""
        now, here = self.store.database_now() or self.clock(), current_claimer().host

        def gone(text: str) -> bool:
            claimer = Claimer.parse(text)
            return exclusive or (
                claimer is not None and claimer.host == here and not process_alive(claimer)
            )

        with dead_journals(self.journals, gone) as journals:
            stale = {
                claim.claimed_by: journals.of(claim.claimed_by)
                for claim in self.store.delivery_claims()
                if (exclusive or claim_is_stale(claim, now, here, process_alive))
                and claim.claimed_by not in journals.busy
            }
            if not stale:
                return Recovered()
            return self.store.recover_claims(stale, self.clock())

    def _run_workers(self) -> None:
        # Not daemon threads: however the main thread ends, the interpreter waits for each
        # worker to record its message in flight. Completion is tracked with events, whose
        # state an interrupted wait cannot corrupt (an interrupted Thread.join can).
        finished = [threading.Event() for _ in range(self.workers)]
        for n, event in enumerate(finished):
            threading.Thread(target=self._worker, args=(event, n), name=f"send-{n}").start()
        renewed = time.monotonic()
        try:
            for event in finished:
                while not event.wait(timeout=1.0):
                    if time.monotonic() - renewed >= HEARTBEAT:
                        self.store.renew_claims(self.parent, self.claimer, self.clock())
                        renewed = time.monotonic()
        except KeyboardInterrupt:
            self.pause("interrupted; the messages in flight were finished")
            for event in finished:
                while not event.wait(timeout=1.0):
                    pass

    def _worker(self, finished: threading.Event, n: int) -> None:
        try:
            self._work(n)
        finally:
            finished.set()

    def _work(self, n: int) -> None:
        transport = self.transports()
        writer: DeliveryWriter | None = None
        journal: Journal | None = None
        flight = _Flight()
        committed = False
        try:
            journal = Journal.create(self.journals, self.claimer, n)
            writer = self.store.open_delivery_writer(self.claimer)
            while not self.stop.is_set():
                jobs = self.store.claim_deliveries(
                    self.parent, self.claimer, self.clock(), self.batch, self.message_ids
                )
                if not jobs:
                    break
                # Under a rate limit each message waits its turn anyway: marking one at a
                # time keeps a crash's doubt to one row and costs no time.
                step = 1 if self.limiter.interval else IN_FLIGHT
                for first in range(0, len(jobs), step):
                    if self.stop.is_set():
                        break  # the rest stay claimed: released at the end
                    self._mark(writer, flight, jobs[first : first + step])
                    self._send_marked(transport, journal, flight)
        except BaseException as exc:
            self.fail(exc)
        finally:
            try:
                if writer is not None:
                    if flight.done or flight.marked:
                        writer.mark(flight.done, [], self.clock(), unsent=flight.marked)
                    writer.close()
                committed = True
            except BaseException as exc:
                self.fail(exc)
            if journal is not None:
                # Kept while rows it speaks of may still be `sending`: for the recovery.
                journal.close(remove=committed)
            transport.close()

    def _mark(self, writer: DeliveryWriter, flight: _Flight, jobs: list[DeliveryJob]) -> None:
        """One commit: the previous batch's results (and rows it never sent, if it
        stopped), and these rows marked sending, but for those whose subscriber left."""
        outcomes = writer.mark(flight.done, jobs, self.clock(), unsent=flight.marked)
        flight.done = []
        flight.marked = [
            job for job, outcome in zip(jobs, outcomes, strict=True) if outcome == "sending"
        ]
        for _ in range(outcomes.count("skipped")):
            self.report.count("skipped")
            self.progress.advance("skipped")

    def _send_marked(self, transport: Transport, journal: Journal, flight: _Flight) -> None:
        # A stop leaves the rest marked: the next commit hands them back untouched.
        while flight.marked and not self.stop.is_set():
            job = flight.marked[0]
            self.limiter.wait()
            # Until the transport has it, a row is still only marked: if building its
            # message fails (a template, DKIM), it goes back to pending, not into doubt.
            envelope = self._envelope(job)
            journal.handing(job.id)  # from here until its answer, the row is in flight
            flight.marked.pop(0)
            verdict, result = self._attempt(transport, job, envelope, self._following(flight))
            flight.done.append(result)  # recorded first: the counting below cannot lose it
            journal.answered(job.id, verdict == "sent")
            self._count(verdict, job, result)

    def _following(self, flight: _Flight) -> Route | None:
        """The next message of the batch (marked sending already), whose transaction the
        transport may start with this one's body; not under a rate limit, which must let
        each message wait for its turn before any of it goes out."""
        if not flight.marked or self.limiter.interval:
            return None
        return Route(self._return_path(flight.marked[0]), flight.marked[0].email)

    def _envelope(self, job: DeliveryJob) -> Envelope:
        url, mailto = self.links.unsubscribe_ways(job.subscriber_id, job.email_key)
        preferences = self.links.preferences(job.subscriber_id, job.email_key)
        message = self._message_for(job.variant)
        to = mailbox(job.name, job.email)
        data = message.render(to, job.message_id, url, mailto, preferences)
        if self.signer is not None:
            data = self.signer.sign(data, self.clock())
        return Envelope(self._return_path(job), job.email, data, job.message_id)

    def _message_for(self, variant: str) -> DigestMessage:
        found = self.messages.get(variant)
        if found is not None:
            return found
        with self._variant_lock:  # the first worker to need it renders it; the rest wait
            found = self.messages.get(variant)
            if found is None:
                found = self._variant_message(variant)
                self.messages[variant] = found
        return found

    def _variant_message(self, variant: str) -> DigestMessage:
        if self.variants is None:
            raise MessageError(
                "this digest has readers with their own preferences; "
                "send it with `newsletter send` or `newsletter run`"
            )
        rendering = self.variants(variant)
        base = self.settings.env.base_url
        text = with_site_url(rendering.text, base)
        html = with_site_url(rendering.html, base) if rendering.html else ""
        title = self.settings.site.title
        return DigestMessage(self.sender, title, rendering.subject, text, html, self.date)

    def _count(self, verdict: Verdict, job: DeliveryJob, result: DeliveryResult) -> None:
        # Counted by where the row went: a retry that gave up is a failure, and a row handed
        # back untouched (no connection) is nothing yet.
        self.report.count("bounced" if result.bounced else result.state, result.error)
        self.progress.advance(verdict)
        self._streak_after(verdict, job, result)

    def _return_path(self, job: DeliveryJob) -> str:
        return self.verp.address("digest", job.id) if self.verp else self.sender.address

    def _attempt(
        self, transport: Transport, job: DeliveryJob, envelope: Envelope, following: Route | None
    ) -> tuple[Verdict, DeliveryResult]:
        try:
            reply = transport.send(envelope, following)
        except TransientFailure as exc:
            return "retry", result_after_failure(job, str(exc), exc.before_data, self.clock())
        except FatalFailure as exc:
            return "pause", result_after_failure(job, str(exc), True, self.clock())
        verdict = classify(reply)
        return verdict, result_for(job, verdict, str(reply), self.clock())

    def _streak_after(self, verdict: Verdict, job: DeliveryJob, result: DeliveryResult) -> None:
        if verdict == "pause":
            self.pause(f"{result.error}")
            return
        with self._lock:
            self._streak = 0 if verdict == "sent" else self._streak + 1
            streak = self._streak
        if streak >= ERROR_STREAK:
            error = result.error or result.reply
            self.pause(f"{streak} failures in a row, the last for {job.email}: {error}")

    def pause(self, reason: str) -> None:
        with self._lock:
            if self.report.paused is None:
                self.report.paused = reason
        self.stop.set()

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(exc)
        self.stop.set()
