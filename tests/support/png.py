"""A PNG decoder for the picture goldens (8-bit RGB or RGBA, not interlaced: what resvg
writes), so a test compares pixels rather than bytes. No Pillow: a few lines of zlib.
No tests here."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    pixels: bytes  # rows top to bottom, `channels` bytes a pixel


def decode(data: bytes) -> Image:
    assert data.startswith(SIGNATURE), "not a PNG"
    at, chunks, header = len(SIGNATURE), [], b""
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at : at + 4]), data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and not interlace, "only what resvg writes"
    channels = 4 if colour == 6 else 3
    return Image(
        width,
        height,
        channels,
        _unfilter(zlib.decompress(b"".join(chunks)), width * channels, channels),
    )


def _unfilter(raw: bytes, stride: int, bpp: int) -> bytes:
    out = bytearray()
    previous = bytearray(stride)
    for row_at in range(0, len(raw), stride + 1):
        kind, line = raw[row_at], bytearray(raw[row_at + 1 : row_at + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        out += line
        previous = line
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
