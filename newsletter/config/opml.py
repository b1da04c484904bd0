"""OPML 2.0 (http://opml.org/spec2.opml): the configured feeds out, a reader's feeds in.

Export writes the url feeds of feeds.yaml; import appends new feeds to feeds.yaml as text,
so the owner's comments and layout survive, and checks the result before keeping it.
An OPML file comes from elsewhere: documents that declare a DTD or entities are refused
(no entity expansion, no external fetches), with the standard library's expat.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from newsletter.config.edit import append_feed_lines
from newsletter.config.settings import FeedConfig
from newsletter.errors import BadInput, NewsletterError
from newsletter.html_text import xml_safe
from newsletter.sources.types import Kind

QUESTIONS_CATEGORY = "/questions"


class OpmlError(BadInput):
    """An OPML file that cannot be read, or would make feeds.yaml invalid."""


@dataclass(frozen=True)
class OpmlFeed:
    name: str
    url: str
    kind: Kind = "articles"


@dataclass
class ImportResult:
    added: list[OpmlFeed] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # urls configured, or listed twice
    skipped: list[str] = field(default_factory=list)  # one note each

    def summary(self, config_path: Path) -> str:
        text = f"added {len(self.added)} feeds to {config_path}"
        if self.already:
            text += f"; {len(self.already)} already present"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text


# export


def export_opml(title: str, feeds: Sequence[FeedConfig]) -> bytes:
    """The feeds as OPML 2.0, titled after the site's ``title``."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = xml_safe(f"{title}: feeds")
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = xml_safe(feed.name)
        if feed.url is None:
            where = feed.key.removeprefix("path:")
            body.append(ET.Comment(_comment(f" {name} reads a local file ({where}): not listed ")))
            continue
        outline = ET.SubElement(body, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", xml_safe(feed.url))
        if feed.kind == "questions":
            outline.set("category", QUESTIONS_CATEGORY)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True)) + b"\n"


def _comment(text: str) -> str:
    # "--" may not appear inside an XML comment.
    while "--" in text:
        text = text.replace("--", "- -")
    return text


# import


def parse_opml(data: bytes, source: str = "the OPML file") -> tuple[list[OpmlFeed], list[str]]:
    """The feeds of every ``<outline xmlUrl=…>``, at any depth, and a note per skipped one."""
    feeds: list[OpmlFeed] = []
    notes: list[str] = []
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args: object) -> NoReturn:
        raise OpmlError(f"{source} declares a DTD or entities; refused (OPML needs neither)")

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag == "outline" and attributes.get("xmlUrl"):
            feed, note = _outline(attributes)
            if feed is not None:
                feeds.append(feed)
            if note is not None:
                notes.append(note)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.errors.messages[exc.code]
        raise OpmlError(f"{source}:{exc.lineno}: not valid XML ({message})") from None
    return feeds, notes


def _outline(attributes: dict[str, str]) -> tuple[OpmlFeed | None, str | None]:
    url = " ".join(attributes["xmlUrl"].split())
    name = " ".join((attributes.get("title") or attributes.get("text") or url).split())
    name = "".join(c for c in name if c.isprintable())[:200] or url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        return None, f"{name}: {url!r} is not an http(s) URL"
    categories = attributes.get("category", "").replace(",", "/").lower().split("/")
    kind: Kind = "questions" if "questions" in categories else "articles"
    return OpmlFeed(name=name, url=url, kind=kind), None


def import_opml(
    config_path: Path, configured: Sequence[FeedConfig], opml_path: Path
) -> ImportResult:
    """Append the OPML's new feeds to feeds.yaml at ``config_path`` (whose feeds are
    ``configured``); leave it untouched if the result is invalid."""
    try:
        data = opml_path.read_bytes()
    except OSError as exc:
        raise OpmlError(f"cannot read {opml_path}: {exc.strerror or exc}") from None
    feeds, notes = parse_opml(data, str(opml_path))
    result = _select(configured, feeds)
    result.skipped.extend(notes)
    if result.added:
        _rewrite_config(config_path, result.added)
    return result


def _select(configured: Sequence[FeedConfig], feeds: list[OpmlFeed]) -> ImportResult:
    result = ImportResult()
    urls = {_same_url(f.url) for f in configured if f.url}
    names = {f.name.casefold() for f in configured}
    for feed in feeds:
        if _same_url(feed.url) in urls:
            result.already.append(feed.url)
            continue
        name = _unique_name(feed.name, names)
        urls.add(_same_url(feed.url))
        names.add(name.casefold())
        result.added.append(OpmlFeed(name=name, url=feed.url, kind=feed.kind))
    return result


def _same_url(url: str) -> str:
    """Enough normalization to see the same feed twice: case of scheme and host, "/" path."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}?{parts.query}"


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate.casefold() in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def _rewrite_config(config_path: Path, feeds: list[OpmlFeed]) -> None:
    from newsletter.config import load_settings  # the checker of the result

    text = config_path.read_text(encoding="utf-8")
    lines = [_feed_lines(feed) for feed in feeds]
    new_text = append_feed_lines(text, lines, str(config_path))
    fd, temporary = tempfile.mkstemp(prefix=".feeds.", suffix=".yaml", dir=config_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        shutil.copymode(config_path, temporary)
        try:
            load_settings(Path(temporary))
        except NewsletterError as exc:
            message = str(exc).replace(temporary, str(config_path))
            raise OpmlError(f"not imported, feeds.yaml is unchanged: {message}") from None
        os.replace(temporary, config_path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _feed_lines(feed: OpmlFeed) -> list[str]:
    lines = [f"name: {_quoted(feed.name)}", f"url: {_quoted(feed.url)}"]
    if feed.kind == "questions":
        lines.append("kind: questions")
    return lines


def _quoted(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: safe whatever the name holds.
    return json.dumps(value, ensure_ascii=False)
