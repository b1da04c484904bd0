"""Turn feeds.yaml and the environment into :class:`Settings`, or one clear error."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

import newsletter.config.deliverability as deliverability
import newsletter.config.fediverse as fediverse
from newsletter.config.nodes import Doc, load_doc
from newsletter.config.settings import (
    WEEKDAYS,
    FeedConfig,
    Newsletter,
    SendOn,
    Settings,
    Site,
)
from newsletter.config.variables import load_environment
from newsletter.sources.types import Kind, Limits

FEED_ITEMS_MAX = 1000  # entries per published feed: a feed of every entry is no feed

KINDS: tuple[Kind, ...] = ("articles", "questions")
BOUNCE_KEYS = ("bounce_address", "soft_bounce_limit")


def load_settings(config_path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check everything before any work starts; raise ConfigError naming the line."""
    environ = os.environ if environ is None else environ
    config_path = config_path.absolute()
    doc = load_doc(config_path)
    top = doc.mapping(
        doc.root,
        "the top level",
        ("site", "newsletter", "collect", "feeds", "fediverse"),
        required=("site", "newsletter", "feeds"),
    )
    root = config_path.parent
    settings = Settings(
        config_path=config_path,
        root=root,
        site=_site(doc, top["site"]),
        newsletter=_newsletter(doc, top["newsletter"]),
        collect=_limits(doc, top["collect"]) if "collect" in top else Limits(),
        feeds=_feeds(doc, top["feeds"], root),
        env=load_environment(environ, root),
    )
    if "fediverse" not in top:
        return settings
    account = fediverse.fediverse(doc, top["fediverse"], settings.env.base_url)
    return dataclasses.replace(settings, fediverse=account)


def _site(doc: Doc, node: yaml.Node) -> Site:
    fields = ("title", "url", "description", "language", "websub_hub", "feed_items")
    keys = doc.mapping(node, "site", fields, required=("title", "url"))
    language = doc.text(keys["language"], "site.language") if "language" in keys else "en"
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        raise doc.error(keys["language"], "site.language must be a language tag like en or en-GB")
    return Site(
        title=doc.text(keys["title"], "site.title"),
        url=_http_url(doc, keys["url"], "site.url"),
        description=doc.text(keys["description"], "site.description")
        if "description" in keys
        else "",
        language=language,
        websub_hub=_http_url(doc, keys["websub_hub"], "site.websub_hub")
        if "websub_hub" in keys
        else None,
        feed_items=doc.integer(
            keys["feed_items"], "site.feed_items", minimum=1, maximum=FEED_ITEMS_MAX
        )
        if "feed_items" in keys
        else 50,
    )


def _newsletter(doc: Doc, node: yaml.Node) -> Newsletter:
    fields = (
        "from",
        "send_on",
        "timezone",
        "skip_empty",
        *BOUNCE_KEYS,
        *deliverability.NEWSLETTER_KEYS,
    )
    keys = doc.mapping(node, "newsletter", fields, required=("from",))
    sender = doc.text(keys["from"], "newsletter.from")
    if "@" not in parseaddr(sender)[1] or any(c in sender for c in "\r\n"):
        raise doc.error(
            keys["from"], "newsletter.from must look like: Site Name <news@example.com>"
        )
    return Newsletter(
        sender=sender,
        send_on=_send_on(doc, keys["send_on"]) if "send_on" in keys else SendOn(0, time(7, 0)),
        timezone=_timezone(doc, keys["timezone"]) if "timezone" in keys else "UTC",
        skip_empty=doc.boolean(keys["skip_empty"], "newsletter.skip_empty")
        if "skip_empty" in keys
        else False,
        **_bounce_keys(doc, keys),
        unsubscribe_address=deliverability.unsubscribe_address(doc, keys["unsubscribe_address"])
        if "unsubscribe_address" in keys
        else None,
        dkim=deliverability.dkim(doc, keys["dkim"]) if "dkim" in keys else None,
    )


def _bounce_keys(doc: Doc, keys: dict[str, yaml.Node]) -> dict[str, Any]:
    """bounce_address (the base of VERP return paths) and soft_bounce_limit."""
    values: dict[str, Any] = {}
    if "bounce_address" in keys:
        address = doc.text(keys["bounce_address"], "newsletter.bounce_address")
        local, at, domain = address.rpartition("@")
        if not at or not re.fullmatch(r"[A-Za-z0-9._-]+", local) or "." not in domain:
            raise doc.error(
                keys["bounce_address"],
                "newsletter.bounce_address must be a plain address like bounces@example.com "
                "(no '+', no name)",
            )
        values["bounce_address"] = address
    if "soft_bounce_limit" in keys:
        node = keys["soft_bounce_limit"]
        values["soft_bounce_limit"] = doc.integer(node, "newsletter.soft_bounce_limit", 1)
    return values


def _send_on(doc: Doc, node: yaml.Node) -> SendOn:
    text = doc.text(node, "newsletter.send_on").lower()
    match = re.fullmatch(r"([a-z]+)\s+(\d{1,2}):(\d{2})", text)
    if not match or match[1] not in WEEKDAYS or int(match[2]) > 23 or int(match[3]) > 59:
        raise doc.error(node, "newsletter.send_on must be a weekday and a time, like: monday 07:00")
    return SendOn(WEEKDAYS.index(match[1]), time(int(match[2]), int(match[3])))


def _timezone(doc: Doc, node: yaml.Node) -> str:
    name = doc.text(node, "newsletter.timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = [z for z in sorted(available_timezones()) if z.lower() == name.lower()]
        hint = f"'{close[0]}'" if close else "an IANA name such as Europe/London or UTC"
        raise doc.error(node, f"unknown timezone '{name}'; write {hint}") from None
    return name


def _limits(doc: Doc, node: yaml.Node) -> Limits:
    defaults = Limits()
    names = [f.name for f in dataclasses.fields(Limits)]
    keys = doc.mapping(node, "collect", names)
    values: dict[str, object] = {}
    for name, value_node in keys.items():
        default = getattr(defaults, name)
        where = f"collect.{name}"
        if isinstance(default, str):
            values[name] = doc.text(value_node, where, limit=200)
        elif isinstance(default, int):
            low, high = INTEGER_LIMITS[name]
            values[name] = doc.integer(value_node, where, minimum=low, maximum=high)
        else:
            least = NUMBER_MINIMUMS.get(name, 0.0)
            values[name] = doc.number(value_node, where, maximum=3600, minimum=least)
    return dataclasses.replace(defaults, **values)  # type: ignore[arg-type]


# Each whole-number setting of collect: and its bounds. parse_workers at 100,000 once
# started 66 processes and took 2.2 GB in 7 s; a few per core is all parsing can use.
INTEGER_LIMITS = {
    "concurrency": (1, 1000),
    "max_bytes": (1024, 1 << 30),
    "max_decoded_bytes": (1024, 1 << 30),
    "max_redirects": (0, 20),
    "parse_workers": (0, min(32, 4 * (os.cpu_count() or 1))),
    "parse_memory_mb": (64, 65_536),
}
# A lease shorter than a feed's fetch and parse expires under a live collector, whose feeds
# are then fetched twice; renewals every few milliseconds would hammer the database.
NUMBER_MINIMUMS = {"lease_seconds": 30.0}
MAX_URL = 1000  # a feed's URL is its key (1,024 characters in the database)


def _feeds(doc: Doc, node: yaml.Node, root: Path) -> tuple[FeedConfig, ...]:
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for item in doc.sequence(node, "feeds"):
        feed = _feed(doc, item, root)
        for identity in (feed.key, "name:" + feed.name.casefold()):
            if identity in seen:
                what = "name" if identity.startswith("name:") else "feed"
                raise doc.error(
                    item,
                    f"the same {what} is listed twice (first on line {seen[identity]}); "
                    "remove one of them",
                )
            seen[identity] = feed.line
        feeds.append(feed)
    return tuple(feeds)


def _feed(doc: Doc, node: yaml.Node, root: Path) -> FeedConfig:
    keys = doc.mapping(
        node, "a feed", ("name", "url", "path", "kind", "section"), required=("name",)
    )
    line = node.start_mark.line + 1
    if ("url" in keys) == ("path" in keys):
        raise doc.error(node, "a feed needs exactly one of 'url: https://…' or 'path: file.xml'")
    kind = doc.text(keys["kind"], "kind") if "kind" in keys else "articles"
    if kind not in KINDS:
        raise doc.error(keys["kind"], f"unknown kind '{kind}'; write 'articles' or 'questions'")
    name = doc.text(keys["name"], "name", limit=200)
    section = doc.text(keys["section"], "section", limit=100) if "section" in keys else None
    if section is not None and kind != "articles":
        raise doc.error(keys["section"], "only feeds of articles have a section")
    if "url" in keys:
        url = _http_url(doc, keys["url"], "url")
        return FeedConfig(name=name, kind=kind, key=url, url=url, line=line, section=section)
    written = doc.text(keys["path"], "path", limit=MAX_URL - len("path:"))
    try:
        path = (root / written).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop
        raise doc.error(keys["path"], f"path '{written}' cannot be used ({exc})") from None
    key = "path:" + written
    return FeedConfig(name=name, kind=kind, key=key, path=path, line=line, section=section)


def _http_url(doc: Doc, node: yaml.Node, where: str) -> str:
    url = doc.text(node, where, limit=MAX_URL)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:  # http://[::1/feed.xml
        raise doc.error(node, f"{where} is not a valid URL ({exc}): '{url}'") from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url)
    ):
        hint = "; for a local file write 'path: …' instead" if where == "url" else ""
        raise doc.error(node, f"{where} must be an http:// or https:// URL, not '{url}'{hint}")
    return url
