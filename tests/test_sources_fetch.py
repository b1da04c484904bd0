"""Fetching pieces that need no server: inflating under a cap, reading local files."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from newsletter.errors import FetchError
from newsletter.sources.client import Inflater
from newsletter.sources.fetch import read_file
from newsletter.sources.types import Limits
from tests.support.hostile_server import GOOD_RSS

MIB = 1 << 20


def inflate(encoding: str, data: bytes, cap: int = MIB, chunk: int = 1000) -> bytes:
    inflater = Inflater(encoding, cap)
    for start in range(0, len(data), chunk):
        inflater.feed(data[start : start + chunk])
    return inflater.finish()


def deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(GOOD_RSS)),
        ("x-gzip", gzip.compress(GOOD_RSS)),
        ("deflate", deflate(GOOD_RSS, zlib.MAX_WBITS)),  # as the RFC says: zlib format
        ("deflate", deflate(GOOD_RSS, -zlib.MAX_WBITS)),  # as many servers send it: raw
        ("", GOOD_RSS),
        ("identity", GOOD_RSS),
    ],
)
def test_content_encodings_are_decoded(encoding: str, packed: bytes) -> None:
    assert inflate(encoding, packed) == GOOD_RSS


def test_gzip_members_back_to_back_are_all_read() -> None:
    assert inflate("gzip", gzip.compress(b"one ") + gzip.compress(b"two")) == b"one two"


def test_a_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(bytes(64 * MIB), compresslevel=9)  # 64 KiB that inflate to 64 MiB
    assert len(bomb) < MIB // 8
    with pytest.raises(FetchError, match=r"^response larger than 1 MiB once decompressed$"):
        inflate("gzip", bomb, cap=MIB, chunk=len(bomb))


def test_an_exact_fit_is_accepted() -> None:
    assert len(inflate("gzip", gzip.compress(bytes(MIB)), cap=MIB)) == MIB


def test_corrupt_or_unknown_encodings_are_errors() -> None:
    with pytest.raises(FetchError, match="corrupt"):
        inflate("gzip", b"\x1f\x8b not really gzip")
    with pytest.raises(FetchError, match="unsupported content encoding 'br'"):
        Inflater("br", MIB)
    with pytest.raises(FetchError, match="unsupported content encoding"):
        Inflater("gzip, gzip", MIB)


def test_a_local_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(GOOD_RSS)
    result = read_file(path, Limits())
    assert (result.status_code, result.body, result.error) == (200, GOOD_RSS, None)


def test_local_file_problems_are_sentences(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2048)
    assert read_file(big, Limits(max_bytes=1024)).error == "file larger than 1 KiB"
    missing = read_file(tmp_path / "nope.xml", Limits())
    assert (missing.status_code, missing.error) == (None, f"{tmp_path / 'nope.xml'} does not exist")
    assert read_file(tmp_path, Limits()).error == f"{tmp_path} is not a regular file"
