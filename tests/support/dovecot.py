"""A real Dovecot IMAP server on loopback, configured and started by the test itself.

Debian's dovecot-imapd (/usr/sbin/dovecot) runs in the foreground (``-F``) from a
dovecot.conf written into the test's tmp folder: IMAPS on a free port of 127.0.0.1 with a
self-signed certificate made here with ``openssl req``, one user in a passwd-file, a
maildir of its own, logs and sockets in the folder, and the current user for every service
(tests run as root or not). Clients trust the certificate through ``SSL_CERT_FILE``.

As the mailboxes behind a mail server (``any_user=True``, tests/support/postfix.py), it
also speaks LMTP (Debian's dovecot-lmtpd) on another free port of 127.0.0.1 and takes
every address as a user of its own, created by its first delivery (static passdb and
userdb: one password for all), so a test reads each recipient's mailbox back over IMAP.

No pytest here (its fixtures are in tests/conftest.py): bench/ starts servers too.
"""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
LMTP = "/usr/lib/dovecot/lmtp"
USER, PASSWORD = "bounces", "s3cret-Pa55"
READY_WITHIN = 60.0  # seconds for Dovecot to listen, however busy the machine is


@dataclass(frozen=True)
class Dovecot:
    port: int  # IMAPS
    cert: Path
    folder: Path
    starttls_port: int = 0  # IMAP with STARTTLS (login refused before it)
    lmtp_port: int = 0  # LMTP, for any address (only with any_user)

    def url(self, mailbox: str = "INBOX") -> str:
        return f"imaps://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox}"

    def starttls_url(self, mailbox: str = "INBOX") -> str:
        return f"imap+starttls://{USER}:{PASSWORD}@127.0.0.1:{self.starttls_port}/{mailbox}"

    def connect(self, user: str = USER) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.cert))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=30)
        try:
            imap.login(user, PASSWORD)
        except BaseException:
            imap.shutdown()
            raise
        return imap

    def append(self, messages: list[bytes], mailbox: str = "INBOX") -> None:
        imap = self.connect()
        try:
            for data in messages:
                status, reply = imap.append(mailbox, None, None, data)
                assert status == "OK", reply
        finally:
            imap.logout()

    def uids(self, mailbox: str) -> list[str]:
        """The messages of a mailbox, by UID, with their flags: ["1 \\\\Seen", …]."""
        imap = self.connect()
        try:
            status, _ = imap.select(f'"{mailbox}"')
            if status != "OK":
                return []
            status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [item.decode() for item in data if isinstance(item, bytes)]
        finally:
            imap.logout()

    def messages(self, user: str, mailbox: str = "INBOX") -> list[bytes]:
        """Every message of a user's mailbox, in UID order, its bytes as IMAP serves them
        (CRLF lines, the delivering servers' headers on top), leaving them unread."""
        imap = self.connect(user)
        try:
            status, _ = imap.select(f'"{mailbox}"', readonly=True)
            if status != "OK":
                return []
            status, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
            assert status == "OK", data
            # Each message is a (b"1 (UID 1 BODY[] {size}", bytes) pair; b")" ends it.
            return [item[1] for item in data if isinstance(item, tuple)]
        finally:
            imap.logout()

    def delivered(self) -> int:
        """Messages delivered so far to every user, counted in the maildirs (no login: a
        waiting loop may ask often)."""
        folders = (self.folder / "mail").glob("*/*/")
        return sum(
            1 for folder in folders if folder.name in ("new", "cur") for _ in folder.iterdir()
        )


@dataclass(frozen=True)
class Ports:
    imaps: int
    starttls: int
    lmtp: int  # 0: no LMTP


def dovecot_missing(lmtp: bool = False) -> str | None:
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} is not installed (Debian's dovecot-imapd)"
    if lmtp and not Path(LMTP).exists():
        return f"{LMTP} is not installed (Debian's dovecot-lmtpd)"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _config(folder: Path, ports: Ports, cert: Path, key: Path) -> Path:
    # Dovecot refuses to run its login processes as root: as root, Debian's own
    # unprivileged users (made by the package); otherwise the current user for all.
    user = login = getpass.getuser()
    group = grp.getgrgid(os.getgid()).gr_name
    if os.getuid() == 0:
        user, login = _existing("dovecot", "root"), _existing("dovenull", "nobody")
        group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    # Mail is never stored as root either: as root, the mail belongs to Dovecot's user.
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
        for owned in (folder / "mail", folder / "home"):
            os.chown(owned, uid, gid)
    conf = folder / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap{" lmtp" if ports.lmtp else ""}
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
{_users(folder, uid, gid, any_user=bool(ports.lmtp))}
mail_location = maildir:{folder}/mail/%u
first_valid_uid = 0
first_valid_gid = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports.starttls}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports.imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
{_lmtp(ports.lmtp)}
"""
    )
    return conf


def _users(folder: Path, uid: int, gid: int, any_user: bool) -> str:
    """One user in a passwd-file (the bounce mailbox: a wrong password is refused), or
    every address a user with the one password, its mail under mail/ADDRESS."""
    if any_user:
        return f"""
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u allow_all_users=yes
}}
"""
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{folder / 'home'}::\n")
    return f"""
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/passwd
}}
"""


def _lmtp(port: int) -> str:
    if not port:
        return ""
    # LMTP's rejections name a postmaster; the test's mail server has none to reach.
    return f"""
postmaster_address = postmaster@localhost
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""


def _existing(name: str, fallback: str) -> str:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return fallback
    return name


def _wait_ready(server: Dovecot, process: subprocess.Popen[bytes]) -> None:
    """Until a client gets through TLS and login (the master listens before its login
    processes can answer), and LMTP greets when it is asked for."""
    deadline = time.monotonic() + READY_WITHIN
    log = server.folder / "dovecot.log"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited {process.returncode}: {_tail(log)}")
        try:
            server.connect().logout()
            if server.lmtp_port:
                _lmtp_greets(server.lmtp_port)
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)  # readiness polling of a server we started, not a sync point
    raise RuntimeError(f"dovecot did not answer within {READY_WITHIN} s: {_tail(log)}")


def _lmtp_greets(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        greeting = connection.recv(512)
        if not greeting.startswith(b"220 "):
            raise OSError(f"LMTP greeted with {greeting!r}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def running_dovecot(any_user: bool = False) -> Iterator[Dovecot]:
    """A fresh Dovecot in its own folder, stopped and removed on leaving (the ``dovecot``
    fixture; ``any_user``: the mailboxes behind tests/support/postfix.py)."""
    # Not under pytest's tmp_path: its parents are private to us, and as root Dovecot's
    # auth and login processes run as its own users, who must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="newsletter-dovecot-"))
    os.chmod(folder, 0o755)
    try:
        for sub in ("run", "state", "mail", "home"):
            (folder / sub).mkdir(parents=True)
        cert, key = _certificate(folder)
        ports = Ports(free_port(), free_port(), free_port() if any_user else 0)
        conf = _config(folder, ports, cert, key)
        with _process(conf) as process:
            server = Dovecot(ports.imaps, cert, folder, ports.starttls, ports.lmtp)
            _wait_ready(server, process)
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _process(conf: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
