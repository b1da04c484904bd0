"""``serve --proxies 1`` behind a real nginx: Debian's /usr/sbin/nginx, terminating TLS on
a loopback port and passing /news/ to ``newsletter serve`` (a real subprocess) with
X-Forwarded-For, -Proto, -Host and -Prefix, as a deployment would.

Visitors come from distinct loopback addresses (127.0.0.x: the client binds its socket),
so nginx's $remote_addr, and the app's view of who is asking, differ per visitor.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

NGINX = Path("/usr/sbin/nginx")
OPENSSL = shutil.which("openssl")
PUBLIC_HOST = "news.example.test"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not NGINX.exists(), reason="Debian's nginx is not installed"),
    pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed"),
]
SITE = """\
site:
  title: Behind nginx
  url: https://www.example.test/
  description: A site served behind a reverse proxy
newsletter:
  from: Behind nginx <news@example.test>
feeds: []
"""
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NGINX_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {tmp}/cert.pem;
    ssl_certificate_key {tmp}/key.pem;
    location /news/ {{
      proxy_pass http://127.0.0.1:{app_port}/;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Prefix /news;
    }}
  }}
}}
"""
DEADLINE = 60.0  # seconds for a process to start listening on a loaded machine


@dataclass
class Deployment:
    url: str  # nginx's https URL of the site, e.g. https://127.0.0.1:41234/news/
    app: subprocess.Popen[str]
    outbox: Path

    def visitor(self, address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address, verify=False)
        return httpx.Client(
            base_url=self.url, transport=transport, headers={"Host": PUBLIC_HOST}, timeout=30
        )

    def access_log(self) -> str:
        """The app's standard output once it stopped: its access log."""
        self.app.terminate()
        out, _ = self.app.communicate(timeout=DEADLINE)
        return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    give_up = time.monotonic() + DEADLINE
    while time.monotonic() < give_up:
        assert process.poll() is None, "the server exited before listening"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet; no result depends on it
    raise AssertionError(f"nothing listens on port {port} after {DEADLINE} s")


def self_signed(tmp: Path) -> None:
    assert OPENSSL is not None
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    out = ["-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")]
    subprocess.run(
        [OPENSSL, "req", "-x509", *key, "-subj", f"/CN={PUBLIC_HOST}", *out],
        check=True,
        capture_output=True,
    )


def start_app(site: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(
        NEWSLETTER_BASE_URL=f"https://{PUBLIC_HOST}/news/",
        NEWSLETTER_SECRET_KEY="nginx-tests-secret-key-0123456789abcdef",
        NEWSLETTER_OUTBOX="outbox",
    )
    command = [sys.executable, "-m", "newsletter", "serve", "--proxies", "1"]
    command += ["--port", str(port), "--threads", "4"]
    app = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    assert app.stdout.readline().startswith("serving Behind nginx on http://127.0.0.1:")
    return app


def start_nginx(tmp: Path, port: int, app_port: int) -> subprocess.Popen[str]:
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=tmp, port=port, app_port=app_port))
    command = [str(NGINX), "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"]
    # Its errors go to error.log in ``tmp``.
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    site, proxy = tmp_path / "site", tmp_path / "nginx"
    site.mkdir()
    proxy.mkdir()
    (site / "feeds.yaml").write_text(SITE, encoding="utf-8")
    self_signed(proxy)
    app_port, port = free_port(), free_port()
    app = start_app(site, app_port)
    nginx = start_nginx(proxy, port, app_port)
    try:
        wait_for_port(app_port, app)
        wait_for_port(port, nginx)
        yield Deployment(f"https://127.0.0.1:{port}/news/", app, site / "outbox")
    finally:
        nginx.terminate()
        nginx.wait(timeout=DEADLINE)
        if app.poll() is None:
            app.terminate()
            app.communicate(timeout=DEADLINE)


def subscribe(client: httpx.Client, email: str) -> int:
    page = client.get("")
    found = TOKEN.search(page.text)
    assert page.status_code == 200 and found, page.text[:300]
    answer = client.post("", data={"email": email, "csrf_token": found.group(1)})
    return answer.status_code


def test_each_visitor_behind_nginx_has_a_rate_limit_of_their_own(
    deployment: Deployment,
) -> None:
    with deployment.visitor("127.0.0.2") as pest:
        codes = [subscribe(pest, f"pest{n}@example.com") for n in range(6)]
    assert codes == [200] * 5 + [429]  # the default: 5 at once
    with deployment.visitor("127.0.0.3") as neighbour:
        assert subscribe(neighbour, "neighbour@example.com") == 200
    # A client's own X-Forwarded-For is not believed: nginx appends the real address,
    # and the app trusts one hop.
    with deployment.visitor("127.0.0.4") as liar:
        liar.headers["X-Forwarded-For"] = "127.0.0.3"
        assert subscribe(liar, "liar@example.com") == 200
    log = deployment.access_log()
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert re.search(
            rf"^{re.escape(address)} - - \[.+\] \"POST /news/ HTTP/1\.\d\" ", log, re.M
        )
    assert '" 429 ' in log


def test_links_carry_the_public_scheme_host_and_path_prefix(deployment: Deployment) -> None:
    with deployment.visitor("127.0.0.5") as visitor:
        moved = visitor.get("archive")  # no trailing slash: the app redirects
        assert moved.status_code in (301, 308)
        assert moved.headers["Location"] == f"https://{PUBLIC_HOST}/news/archive/"
        answer = visitor.get("")
        cookie = answer.headers["Set-Cookie"]  # over https: the Secure, __Host- cookie
        assert cookie.startswith("__Host-newsletter=") and "Secure" in cookie
        home = answer.text
        assert 'action="/news/"' in home and 'href="/news/ask"' in home
        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', home)
        assert css and css.group(1).startswith("/news/static/")
        assert visitor.get(css.group(1).removeprefix("/news/")).status_code == 200
    log = deployment.access_log()
    assert re.search(r'^127\.0\.0\.5 - - \[.+\] "GET /news/archive HTTP/1\.\d" 30[18] ', log, re.M)
