"""A real Dovecot IMAP server on loopback, configured and started by the test itself.

Debian's dovecot-imapd (/usr/sbin/dovecot) runs in the foreground (``-F``) from a
dovecot.conf written into the test's tmp folder: IMAPS on a free port of 127.0.0.1 with a
self-signed certificate made here with ``openssl req``, one user in a passwd-file, a
maildir of its own, logs and sockets in the folder, and the current user for every service
(tests run as root or not). Clients trust the certificate through ``SSL_CERT_FILE``.
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
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "s3cret-Pa55"
READY_WITHIN = 60.0  # seconds for Dovecot to listen, however busy the machine is


@dataclass(frozen=True)
class Dovecot:
    port: int  # IMAPS
    cert: Path
    folder: Path
    starttls_port: int = 0  # IMAP with STARTTLS (login refused before it)

    def url(self, mailbox: str = "INBOX") -> str:
        return f"imaps://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox}"

    def starttls_url(self, mailbox: str = "INBOX") -> str:
        return f"imap+starttls://{USER}:{PASSWORD}@127.0.0.1:{self.starttls_port}/{mailbox}"

    def connect(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.cert))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=30)
        try:
            imap.login(USER, PASSWORD)
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


def dovecot_missing() -> str | None:
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} is not installed (Debian's dovecot-imapd)"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    return None


def _free_port() -> int:
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


def _config(folder: Path, port: int, starttls_port: int, cert: Path, key: Path) -> Path:
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
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{folder / 'home'}::\n")
    conf = folder / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/passwd
}}
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
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
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
"""
    )
    return conf


def _existing(name: str, fallback: str) -> str:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return fallback
    return name


def _wait_ready(server: Dovecot, process: subprocess.Popen[bytes]) -> None:
    """Until a client gets through TLS and login (the master listens before its login
    processes can answer)."""
    deadline = time.monotonic() + READY_WITHIN
    log = server.folder / "dovecot.log"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            server.connect().logout()
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)  # readiness polling of a server we started, not a sync point
    raise RuntimeError(f"dovecot did not answer within {READY_WITHIN} s: {log.read_text()[-2000:]}")


@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    """A fresh Dovecot for one test (import this into the test module to use it)."""
    reason = dovecot_missing()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp_path: its parents are private to us, and as root Dovecot's
    # auth and login processes run as its own users, who must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="newsletter-dovecot-"))
    os.chmod(folder, 0o755)
    try:
        yield from _serve(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _serve(folder: Path) -> Iterator[Dovecot]:
    for sub in ("run", "state", "mail", "home"):
        (folder / sub).mkdir(parents=True)
    cert, key = _certificate(folder)
    port, starttls_port = _free_port(), _free_port()
    conf = _config(folder, port, starttls_port, cert, key)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        server = Dovecot(port, cert, folder, starttls_port)
        _wait_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
