"""A real Postfix on loopback, configured and started by the test itself, in front of a
real Dovecot: the path a site owner's mail takes (issues 21 and 22).

Debian's postfix (/usr/sbin/postfix) runs from a folder of its own under /tmp: its own
config_directory (main.cf and master.cf written here), queue_directory and data_directory,
its log in a file (``maillog_file``, written by postlogd: no syslog needed), and its SMTP
server on a free port of 127.0.0.1. Nothing is shared with a system Postfix, running or
not (its /etc/postfix/main.cf is never read: as root, ``-c DIR`` needs no listing in it),
so several instances run at once under pytest-xdist. The master needs root to start
(``postfix start`` says so otherwise): without it, ``postfix_missing`` says why.

It accepts mail from loopback for one domain only and hands it to one next hop, with no
DNS at all: LMTP to the test's Dovecot (:func:`running_mail_server`, whose IMAP gives each
mailbox back), or ``discard:`` for the send benchmark. Every other domain is refused at
RCPT, so nothing a test sends can leave the machine.

No pytest here (the ``mail_server`` fixture is in tests/conftest.py): bench/ uses it too.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.dovecot import Dovecot, dovecot_missing, free_port, running_dovecot

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
READERS_DOMAIN = "readers.test"  # the subscribers' domain, the only one this Postfix takes
READY_WITHIN = 60.0  # seconds for Postfix to greet, however busy the machine is
DELIVERED_WITHIN = 120.0  # seconds for the queue to hand the mail on: a deadline, no timing


@dataclass(frozen=True)
class Postfix:
    port: int
    folder: Path

    @property
    def url(self) -> str:
        """Its NEWSLETTER_SMTP_URL: plain SMTP, as to a relay on the same host."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.folder / "etc"

    def queue(self) -> list[dict[str, object]]:
        """The messages still queued (``postqueue -j``: one JSON object a line)."""
        command = [POSTQUEUE, "-c", str(self.config), "-j"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"postqueue -j exited {result.returncode}: {result.stderr}")
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def log(self) -> str:
        path = self.folder / "maillog"
        return path.read_text(errors="replace") if path.exists() else "(no maillog yet)"

    def wait_until_delivered(
        self, count: int, delivered: Callable[[], int], within: float = DELIVERED_WITHIN
    ) -> None:
        """Until ``delivered()`` (counted at the far end) reaches ``count`` and the queue is
        empty: then nothing more is on its way. Failing, it shows the queue and the log."""
        deadline = time.monotonic() + within
        while True:
            done, queued = delivered(), self.queue()
            if done >= count and not queued:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"after {within:.0f} s, {done} of {count} messages delivered and "
                    f"{len(queued)} still queued:\n{json.dumps(queued, indent=1)[-4000:]}\n"
                    f"--- {self.folder / 'maillog'} (end) ---\n{self.log()[-6000:]}"
                )
            time.sleep(0.2)  # polling a server we started, with a deadline, not a sync point

    def wait_until_empty(self, within: float = DELIVERED_WITHIN) -> None:
        """Until every accepted message has left the queue (the benchmark's discard)."""
        self.wait_until_delivered(0, lambda: 0, within)


@dataclass(frozen=True)
class MailServer:
    """Postfix relaying :data:`READERS_DOMAIN` over LMTP to a Dovecot that keeps each
    address's mail: send to ``smtp_url``, read back with ``mailbox``."""

    postfix: Postfix
    dovecot: Dovecot

    @property
    def smtp_url(self) -> str:
        return self.postfix.url

    def wait_until_delivered(self, count: int, within: float = DELIVERED_WITHIN) -> None:
        """Until ``count`` messages are in the mailboxes and none is left in the queue."""
        self.postfix.wait_until_delivered(count, self.dovecot.delivered, within)

    def mailbox(self, address: str) -> list[bytes]:
        """The address's INBOX over IMAP, each message's bytes as delivered."""
        return self.dovecot.messages(address)


def postfix_missing() -> str | None:
    if not Path(POSTFIX).exists():
        return f"{POSTFIX} is not installed (Debian's postfix)"
    if os.geteuid() != 0:
        return "Postfix's master starts only as root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix user (Debian's postfix package makes it)"
    return None


def mail_server_missing() -> str | None:
    return postfix_missing() or dovecot_missing(lmtp=True)


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    """Dovecot (LMTP and IMAP, any address), then a Postfix relaying
    :data:`READERS_DOMAIN` to it."""
    with running_dovecot(any_user=True) as dovecot:
        lmtp = f"lmtp:inet:127.0.0.1:{dovecot.lmtp_port}"
        with running_postfix(READERS_DOMAIN, lmtp) as postfix:
            yield MailServer(postfix, dovecot)


@contextmanager
def running_postfix(domain: str, next_hop: str, **settings: str) -> Iterator[Postfix]:
    """A fresh Postfix taking mail for ``domain`` to ``next_hop`` (a transport: e.g.
    ``lmtp:inet:127.0.0.1:PORT`` or ``discard:``); ``settings`` add to its main.cf.
    Stopped (``postfix stop``) and removed on leaving."""
    # Not under pytest's tmp_path: Postfix's daemons run as its own user, who must reach
    # the queue through every parent folder.
    folder = Path(tempfile.mkdtemp(prefix="newsletter-postfix-"))
    os.chmod(folder, 0o755)
    try:
        server = Postfix(free_port(), folder)
        _configure(server, domain, next_hop, settings)
        with _master_process(server) as master:
            _wait_ready(server, master)
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _configure(server: Postfix, domain: str, next_hop: str, extra: dict[str, str]) -> None:
    folder = server.folder
    for sub in ("etc", "queue", "data"):
        (folder / sub).mkdir()
    # The queue's subfolders are made by `postfix start` (post-install); the data folder
    # (its locks and caches) must be Postfix's own before it starts.
    owner = pwd.getpwnam("postfix")
    os.chown(folder / "data", owner.pw_uid, owner.pw_gid)
    settings = {
        "compatibility_level": "3.6",
        "config_directory": str(server.config),
        "queue_directory": str(folder / "queue"),
        "data_directory": str(folder / "data"),
        "mail_owner": "postfix",
        "maillog_file": str(folder / "maillog"),
        "maillog_file_prefixes": str(folder),
        "myhostname": "mx.postfix.test",
        "mydomain": "postfix.test",
        "myorigin": "$myhostname",
        # Nothing is delivered here: no local users, aliases or canonical maps.
        "mydestination": "",
        "local_recipient_maps": "",
        "alias_maps": "",
        "alias_database": "",
        "inet_interfaces": "loopback-only",
        "inet_protocols": "ipv4",
        "mynetworks": "127.0.0.0/8",
        # No DNS at all: not for the next hop, not for the client's name.
        "smtp_dns_support_level": "disabled",
        "lmtp_dns_support_level": "disabled",
        "disable_dns_lookups": "yes",
        "smtpd_peername_lookup": "no",
        # One domain in, to one next hop; any other recipient is refused at RCPT.
        "relay_domains": domain,
        "transport_maps": f"inline:{{ {domain}={next_hop} }}",
        "default_transport": "error:5.7.1 this test Postfix delivers to the test's domain only",
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        # A next hop that was not ready yet is retried at once, not in minutes.
        "queue_run_delay": "1s",
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s",
        "biff": "no",
        **extra,
    }
    main = "".join(f"{name} = {value}\n" for name, value in settings.items())
    (server.config / "main.cf").write_text(main)
    (server.config / "master.cf").write_text(_master(server.port))


def _master(port: int) -> str:
    """Only the services this Postfix uses, none chrooted (Debian's chroot would need
    /etc files copied into the queue folder)."""
    services = [
        f"127.0.0.1:{port} inet n - n - - smtpd",
        "pickup unix n - n 60 1 pickup",
        "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "flush unix n - n 1000? 0 flush",
        "proxymap unix - - n - - proxymap",
        "showq unix n - n - - showq",
        "error unix - - n - - error",
        "retry unix - - n - - error",
        "discard unix - - n - - discard",
        "lmtp unix - - n - - lmtp",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd",
    ]
    return "\n".join(services) + "\n"


def _wait_ready(server: Postfix, master: subprocess.Popen[bytes]) -> None:
    """Until its SMTP server greets and answers EHLO."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if master.poll() is not None:
            said = (server.folder / "master.out").read_text(errors="replace")
            raise RuntimeError(f"postfix exited {master.returncode}: {said}{server.log()[-3000:]}")
        try:
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
                client.ehlo()
            return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.1)  # readiness polling of a server we started, not a sync point
    raise RuntimeError(f"postfix did not greet within {READY_WITHIN} s:\n{server.log()[-3000:]}")


@contextmanager
def _master_process(server: Postfix) -> Iterator[subprocess.Popen[bytes]]:
    """``postfix start-fg``: the master stays our descendant (``postfix start`` would
    leave it and its children to PID 1, which in a container may never reap them); on
    leaving, ``postfix stop`` (the master ends its daemons, then itself) and a wait."""
    output = (server.folder / "master.out").open("wb")
    command = [POSTFIX, "-c", str(server.config)]
    process = subprocess.Popen([*command, "start-fg"], stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            subprocess.run([*command, "stop"], capture_output=True, timeout=120, check=False)
        try:
            process.wait(timeout=READY_WITHIN)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
