"""The bundled sample, alive on any date: `make run` builds its site from a fresh copy.

The sample feeds in examples/feeds/ carry fixed dates (tests pin their clocks to them);
a newcomer's `make run`, months later, would find nothing new and build an empty digest.
So `make run` writes a copy into a git-ignored folder with every date in the feeds moved
by whole days (the newest item a day or less before now, the order and the gaps kept), and a
feeds.yaml whose digest is due today. The committed files never change.

    python -m newsletter.sample [OUT]    (default: build/sample, from the current folder)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from newsletter.config.settings import WEEKDAYS

FEEDS = Path("examples") / "feeds"
LEAD = timedelta(hours=1)  # the newest sample item, before now

# RSS dates are RFC 822; Atom dates RFC 3339 (all the sample's in UTC, written with Z).
RFC822 = re.compile(r"(<(pubDate|lastBuildDate)>)([^<]+)(</\2>)")
RFC3339 = re.compile(r"(<(published|updated)>)([^<]+)(</\2>)")


def _rfc822(text: str) -> datetime:
    return parsedate_to_datetime(text.strip()).astimezone(UTC)


def _rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)


def _iso_z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dates(xml: str) -> list[datetime]:
    found = [_rfc822(m[3]) for m in RFC822.finditer(xml)]
    return found + [_rfc3339(m[3]) for m in RFC3339.finditer(xml)]


def shift_feed(xml: str, delta: timedelta) -> str:
    """The feed with every item and channel date moved by ``delta``."""

    def moved(
        parse: Callable[[str], datetime], write: Callable[[datetime], str]
    ) -> Callable[[re.Match[str]], str]:
        return lambda m: f"{m[1]}{write(parse(m[3]) + delta)}{m[4]}"

    xml = RFC822.sub(moved(_rfc822, lambda d: format_datetime(d, usegmt=True)), xml)
    return RFC3339.sub(moved(_rfc3339, _iso_z), xml)


def offset(feeds: list[str], now: datetime) -> timedelta:
    """How far to move every date so that the newest is at least :data:`LEAD` and at
    most a day and :data:`LEAD` before ``now``."""
    newest = max(d for xml in feeds for d in _dates(xml))
    # Whole days: a second `make run` the same day finds the feeds unchanged.
    return timedelta(days=(now - LEAD - newest).days)


def sample_config(config: str, now: datetime) -> str:
    """The bundled feeds.yaml for the copy: feeds read beside it, the digest due today
    (send_on today at 00:00 UTC) so the first run builds one on whatever day it runs."""
    config = config.replace(f"path: {FEEDS.as_posix()}/", "path: feeds/")
    day = WEEKDAYS[now.astimezone(UTC).weekday()]
    config = re.sub(r"(?m)^(\s*send_on:).*$", rf"\1 {day} 00:00", config)
    return re.sub(r"(?m)^(\s*timezone:).*$", r"\1 UTC", config)


def write_sample(source: Path, out: Path, now: datetime) -> Path:
    """Write the sample site into ``out`` (feeds.yaml and feeds/), dated around ``now``;
    return its feeds.yaml. Safe to rerun: the files are rewritten, the database kept."""
    files = sorted((source / FEEDS).iterdir())
    texts = [path.read_text(encoding="utf-8") for path in files]
    delta = offset(texts, now)
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    for path, text in zip(files, texts, strict=True):
        (out / "feeds" / path.name).write_text(shift_feed(text, delta), encoding="utf-8")
    config = out / "feeds.yaml"
    bundled = (source / "feeds.yaml").read_text(encoding="utf-8")
    config.write_text(sample_config(bundled, now), encoding="utf-8")
    return config


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "build/sample")
    config = write_sample(Path.cwd(), out, datetime.now(UTC))
    print(f"sample site refreshed in {out}/ ({config.name} and feeds/, dated around today)")


if __name__ == "__main__":
    main(sys.argv[1:])
