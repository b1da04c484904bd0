"""Issue 19's acceptance: docs/deployment.md played in order on loopback, as a new site owner
follows it. The built wheel in a fresh venv, `init`, nginx from the guide's own snippet (TLS on
a loopback port), `serve --proxies 1`, `admin add`, a subscription through the web form and its
confirmation, then `run` on the chosen days with an injected clock (tests/support/clocked.py).

Checks: no digest dated before the subscriber confirmed, every link of the delivered mail on
the public base URL, a failing SMTP server named in the output with a non-zero exit, and no
cron path writes an outbox without asking for it."""

from __future__ import annotations

import email
import email.policy
import os
import pwd
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.send import Recorder, recording_smtp
from tests.test_web_nginx import NGINX, OPENSSL, free_port, self_signed, wait_for_port

ROOT = Path(__file__).parents[1]
CLOCKED = ROOT / "tests" / "support" / "clocked.py"
HOST = "news.example.test"
SATURDAY = "2026-12-05T10:00:00+00:00"  # setup day; the site sends on monday 07:00 UTC
SATURDAY_LATER = "2026-12-05T11:00:00+00:00"  # the reader subscribes and confirms
MONDAY = "2026-12-07T07:30:00+00:00"  # the first digest is due
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://[^\s\"<>',]+")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not NGINX.exists() or OPENSSL is None, reason="nginx/openssl missing"),
]


def _env(now: str, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    return {**environ, "CLOCKED_NOW": now, **extra}


@dataclass
class Site:
    python: Path  # the fresh venv's interpreter
    folder: Path
    env: dict[str, str]  # the guide's newsletter.env

    def newsletter(
        self, *args: str, now: str, stdin: str = "", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), str(CLOCKED), *args],
            cwd=self.folder,
            env=_env(now, **{**self.env, **extra}),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """§1: the built wheel in a fresh venv (built once for the module)."""
    tmp = tmp_path_factory.mktemp("release")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True, timeout=300)
    python = tmp / "venv" / "bin" / "python"
    wheel = str(next(dist.glob("*.whl")))
    pip = [str(python), "-m", "pip", "install", "--quiet", wheel]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    return python


def guide_nginx(site: Path, proxy: Path, port: int, app_port: int) -> str:
    """The guide's first nginx server block, moved onto loopback and into temp folders."""
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    block = guide.split("```nginx\n", 1)[1].split("\n}\n", 1)[0] + "\n}\n"
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/news.example.com/fullchain.pem": str(proxy / "cert.pem"),
        "/etc/letsencrypt/live/news.example.com/privkey.pem": str(proxy / "key.pem"),
        "/var/log/nginx/newsletter.access.log": str(proxy / "access.log"),
        "/srv/newsletter/public": str(site / "public"),
        "http://127.0.0.1:8000": f"http://127.0.0.1:{app_port}",
        "news.example.com": HOST,
    }
    for old, new in replacements.items():
        assert old in block, f"the guide's nginx snippet no longer has {old!r}"
        block = block.replace(old, new)
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"  {kind}_temp_path {proxy}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {proxy}/nginx.pid;\nerror_log {proxy}/error.log;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n{temps}{block}}}\n"
    )


@dataclass
class Running:
    site: Site
    smtp: Recorder
    base_url: str
    nginx_port: int

    def visitor(self) -> httpx.Client:
        transport = httpx.HTTPTransport(verify=False)
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.nginx_port}/",
            transport=transport,
            headers={"Host": f"{HOST}:{self.nginx_port}"},
            timeout=30,
        )


@pytest.fixture
def deployed(venv: Path, tmp_path: Path) -> Iterator[Running]:
    folder, proxy = tmp_path / "srv", tmp_path / "nginx"
    proxy.mkdir()
    port, app_port = free_port(), free_port()
    base_url = f"https://{HOST}:{port}/"
    with recording_smtp() as (recorder, smtp_url):
        site = Site(venv, tmp_path, {})
        said = site.newsletter("init", str(folder), now=SATURDAY)
        assert said.returncode == 0, said.stderr
        # §2: the environment, set before the first run
        site = Site(
            venv, folder, {"NEWSLETTER_BASE_URL": base_url, "NEWSLETTER_SMTP_URL": smtp_url}
        )
        first = site.newsletter("run", now=SATURDAY)
        assert first.returncode == 0, first.stdout + first.stderr
        self_signed(proxy)
        (proxy / "nginx.conf").write_text(guide_nginx(folder, proxy, port, app_port))
        command = [str(venv), str(CLOCKED), "serve", "--host", "127.0.0.1"]
        serve = subprocess.Popen(
            [*command, "--port", str(app_port), "--proxies", "1"],
            cwd=folder,
            env=_env(SATURDAY_LATER, **site.env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        conf = proxy / "nginx.conf"
        nginx = subprocess.Popen(
            [str(NGINX), "-p", str(proxy), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            wait_for_port(app_port, serve)
            wait_for_port(port, nginx)
            yield Running(site, recorder, base_url, port)
        finally:
            nginx.terminate()
            nginx.wait(timeout=60)
            serve.terminate()
            serve.wait(timeout=60)


def message_of(recorder: Recorder, index: int) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(recorder.messages[index].data, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def text_of(message: email.message.EmailMessage) -> str:
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def test_the_first_week_as_the_guide_tells_it(deployed: Running, tmp_path: Path) -> None:
    site, smtp = deployed.site, deployed.smtp
    added = site.newsletter(
        "admin",
        "add",
        "owner@example.test",
        "--password-stdin",
        now=SATURDAY_LATER,
        stdin="correct horse battery staple\n",
    )
    assert added.returncode == 0, added.stdout + added.stderr
    with deployed.visitor() as visitor:
        assert visitor.get("admin/").status_code in (200, 302, 303)
        page = visitor.get("")
        found = TOKEN.search(page.text)
        assert page.status_code == 200 and found, page.text[:300]
        answer = visitor.post(
            "", data={"email": "reader@example.org", "csrf_token": found.group(1)}
        )
        assert answer.status_code in (200, 303), answer.text[:300]
        smtp.wait_for(1)
        confirm = next(
            link for link in LINK.findall(text_of(message_of(smtp, 0))) if "confirm" in link
        )
        assert confirm.startswith(deployed.base_url), confirm
        path = confirm.removeprefix(deployed.base_url)
        confirmed = visitor.get(path)
        if confirmed.status_code == 200 and TOKEN.search(confirmed.text):
            token = TOKEN.search(confirmed.text)
            assert token is not None
            confirmed = visitor.post(path, data={"csrf_token": token.group(1)})
        assert confirmed.status_code in (200, 303), confirmed.text[:300]
        smtp.wait_for(2)  # confirming sends the welcome, after the page

    # The welcome names the reader's first digest, and its links are on the public base URL
    welcome = message_of(smtp, 1)
    assert welcome["Subject"] == "Welcome! Your first digest comes on Monday 7 December 2026"
    said = {link.rstrip(".,)") for link in LINK.findall(text_of(welcome))}
    ours = [link for link in said if HOST in link or "127.0.0.1" in link]
    assert any("/preferences/" in link for link in ours), said
    assert any("/unsubscribe/" in link for link in ours), said
    assert all(link.startswith(deployed.base_url) for link in ours), said

    # Saturday again: nothing due yet, and nothing dated before the reader confirmed is sent
    again = site.newsletter("run", now=SATURDAY_LATER)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(smtp.messages) == 2, "only the confirmation and the welcome so far"

    # A cron line with only the base URL, as an owner might copy it: no outbox, exit 2
    cron = Site(site.python, site.folder, {"NEWSLETTER_BASE_URL": deployed.base_url})
    for command in ("run", "send"):
        stray = cron.newsletter(command, now=MONDAY)
        assert stray.returncode == 2, (command, stray.stdout, stray.stderr)
    assert not any(site.folder.rglob("*.eml")), "no cron path writes an outbox unasked"

    # Monday, the mail server down: named, non-zero exit, nothing lost
    down = site.newsletter("run", now=MONDAY, NEWSLETTER_SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    assert down.returncode == 1, down.stdout + down.stderr
    assert "cannot connect to smtp://127.0.0.1:" in down.stdout + down.stderr

    # Monday, the server back: the first digest reaches the reader
    monday = site.newsletter("run", now=MONDAY)
    assert monday.returncode == 0, monday.stdout + monday.stderr
    smtp.wait_for(3)
    assert [m.rcpt_tos for m in smtp.messages] == [["reader@example.org"]] * 3
    digest = message_of(smtp, 2)
    # The reader confirmed on Saturday 5 December: the first digest is Monday 7 December's
    # (W50), and none was built for the Monday before (W49) on setup day.
    assert "7 December 2026" in text_of(digest), digest["Subject"]
    assert "30 November" not in text_of(digest)
    built = sorted(p.name for p in (site.folder / "public" / "archive").glob("2026-W*.html"))
    assert built == ["2026-W50.html"], built
    links = {link.rstrip(".,)") for link in LINK.findall(text_of(digest))}
    links |= {link for _, value in digest.items() for link in LINK.findall(str(value))}
    print(digest["Subject"], sorted(links))  # shown when the test fails
    site_links = [link for link in links if "example.test" in link or "127.0.0.1" in link]
    assert any("/archive/" in link for link in site_links), "the digest links to its archive"
    assert any("/unsubscribe/" in link for link in site_links), "and to its unsubscribe page"
    strays = [link for link in site_links if not link.startswith(deployed.base_url)]
    assert not strays, f"links off the public base URL: {strays}"
