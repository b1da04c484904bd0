"""Turn a feed's bytes into text, deciding the charset ourselves.

feedparser guesses on its own, but it honours whatever codec a document declares (UTF-7
included, where ``+ADw-`` reads as ``<``), so a check made on the raw bytes could be bypassed.
We decode once here, check that text, and hand feedparser UTF-8 it cannot misread.

Order: a byte-order mark or the UTF-16/32 shape of ``<?``; then the HTTP charset and the XML
declaration, each strictly; then UTF-8; then Windows-1252 (what "UTF-8" feeds written on old
systems really are); ISO-8859-1 last, which cannot fail.
"""

from __future__ import annotations

import codecs
import functools
import re

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# '<' or '<?' as the first character, without a BOM (XML 1.0 appendix F).
_SHAPES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # '<?xm' in EBCDIC
)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,300}\?>")
# Labels that browsers read as Windows-1252, because that is what such documents contain.
_READ_AS_CP1252 = frozenset({"ascii", "iso8859-1", "latin-1"})
_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def decode(body: bytes, content_type: str | None) -> str:
    """The document as text, never failing: the last resort reads any byte."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _try(body[len(bom) :], encoding)
            if text is not None:
                return text
    for shape, encoding in _SHAPES:
        if body.startswith(shape):
            text = _try(body, encoding)
            if text is not None:
                return text.lstrip("\ufeff")
    for encoding in _candidates(body, content_type):
        text = _try(body, encoding)
        if text is not None:
            return text.lstrip("\ufeff")
    return body.decode("latin-1")


def to_utf8_xml(text: str) -> bytes:
    """UTF-8 bytes whose XML declaration (if any) says so, for feedparser to read as such."""
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    text, replaced = _XML_DECLARATION.subn(declaration, text, count=1)
    if not replaced:
        text = declaration + "\n" + text
    return text.encode("utf-8")


def _candidates(body: bytes, content_type: str | None) -> list[str]:
    declared: list[str] = []
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        declared.append(match.group(1))
    if xml_match := _XML_ENCODING.match(body[:512]):
        declared.append(xml_match.group(1).decode("ascii"))
    names: list[str] = []
    for label in declared:
        name = _ascii_compatible_name(label.lower())
        if name in _READ_AS_CP1252:
            names.append("cp1252")
        if name:
            names.append(name)
    names += ["utf-8", "cp1252"]
    return list(dict.fromkeys(names))


@functools.lru_cache(maxsize=64)
def _ascii_compatible_name(label: str) -> str | None:
    """The codec's canonical name, or None for unknown, non-text or non-ASCII-compatible ones.

    We read the declaration as ASCII, so a document that declares UTF-16 there is lying; and
    codecs such as UTF-7 or unicode_escape would rewrite plain ASCII into markup.
    """
    try:
        name = codecs.lookup(label).name
        same = _ASCII_PROBE.decode(name) == _ASCII_PROBE.decode("ascii")
    except (LookupError, UnicodeError, ValueError):
        return None
    return name if same else None


def _try(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
