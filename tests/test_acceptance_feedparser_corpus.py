"""Acceptance (issue 11): one real `newsletter collect` over feedparser's own test corpus.

feedparser's sdist carries ~2,200 fixture documents (well-formed, ill-formed, encodings,
entities, sanitizer attacks). The sdist is downloaded at test time with pip into
~/.cache/newsletter-tests (never committed); the test skips, saying so, only when PyPI is
unreachable. Every fixture is a local-file feed of one site; `collect` must exit 0 with no
traceback, and what `publish` then writes must read back through feedparser without a
bozo flag and carry no active markup.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import feedparser
import pytest

from tests.support.sdist import CACHE
from tests.support.sdist import sdist as support_sdist

VERSION = "6.0.12"
SDIST = CACHE / f"feedparser-{VERSION}.tar.gz"
ACTIVE = re.compile(
    r"<script|<iframe|<object|<embed|<form|\bon[a-z]+\s*=|javascript:|vbscript:", re.IGNORECASE
)


def sdist() -> Path:
    return support_sdist(f"feedparser=={VERSION}", SDIST.name)


def extract_fixtures(archive: Path, into: Path) -> list[Path]:
    """The fixture documents (every .xml under tests/), flattened to unique names."""
    into.mkdir(parents=True)
    found = []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or "tests" not in parts or not member.name.endswith(".xml"):
                continue
            source = tar.extractfile(member)
            assert source is not None
            name = "__".join(parts[parts.index("tests") + 1 :])
            target = into / name
            target.write_bytes(source.read())
            found.append(target)
    return found


def write_site(site: Path, fixtures: list[Path]) -> None:
    feeds = "".join(
        f"  - name: {json.dumps(path.stem)}\n    path: {json.dumps(f'fixtures/{path.name}')}\n"
        for path in fixtures
    )
    (site / "feeds.yaml").write_text(
        "site:\n  title: Corpus\n  url: https://www.example.com/\n  feed_items: 1000\n"
        "newsletter:\n  from: Corpus <news@example.com>\n"
        "collect:\n  parse_workers: 2\n  deadline: 30\n"
        f"feeds:\n{feeds}",
        encoding="utf-8",
    )


def newsletter(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env["NEWSLETTER_DATABASE_URL"] = f"sqlite:///{site / 'corpus.sqlite3'}"
    env["NEWSLETTER_SECRET_KEY"] = "k" * 40
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.mark.slow
def test_collect_over_feedparsers_corpus_publishes_valid_inert_feeds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    fixtures = extract_fixtures(sdist(), site / "fixtures")
    assert len(fixtures) > 2000, len(fixtures)
    write_site(site, fixtures)

    collected = newsletter(site, "collect")
    output = collected.stdout + collected.stderr
    assert collected.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "internal error" not in output, output[-3000:]

    published = newsletter(site, "publish", "--out", "public")
    assert published.returncode == 0, published.stdout + published.stderr
    out = site / "public"
    for name in ("feed.xml", "atom.xml"):
        data = (out / name).read_bytes()
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        assert parsed.bozo == 0, f"{name}: {parsed.get('bozo_exception')}"
        assert len(parsed.entries) > 500, f"{name} has {len(parsed.entries)} entries"
        shown = " ".join(
            str(entry.get(field, ""))
            for entry in parsed.entries
            for field in ("title", "summary", "content", "link", "author")
        )
        assert not ACTIVE.search(shown), ACTIVE.search(shown)
    items = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert not ACTIVE.search(json.dumps(items, ensure_ascii=False))
    for page in out.rglob("*.html"):
        assert not re.search(r"<script", page.read_text(encoding="utf-8"), re.IGNORECASE)
