"""Signed links: bound to their purpose, tamper-evident, valid forever; the key generated
once, privately, and the same for every process that races to create it."""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from newsletter.subscribers.tokens import (
    Links,
    Purpose,
    SecretKeyError,
    Tokens,
    ascii_url,
    key_from_file,
)

KEY = "k" * 43


def claim_of(tokens: Tokens, purpose: Purpose, token: str) -> tuple[int, str] | None:
    """(id, address) when the token reads back for ann@example.org, else None."""
    claim = tokens.read(purpose, token)
    if claim is None:
        return None
    return (claim.subscriber_id, "ann@example.org") if claim.matches("ann@example.org") else None


def test_a_token_reads_back_only_for_its_own_purpose() -> None:
    tokens = Tokens(KEY)
    confirm = tokens.make("confirm", 12, "ann@example.org")
    unsubscribe = tokens.make("unsubscribe", 12, "ann@example.org")
    assert claim_of(tokens, "confirm", confirm) == (12, "ann@example.org")
    assert claim_of(tokens, "unsubscribe", unsubscribe) == (12, "ann@example.org")
    assert tokens.read("unsubscribe", confirm) is None
    assert tokens.read("confirm", unsubscribe) is None
    assert confirm != unsubscribe


def test_a_token_is_opaque_short_and_case_insensitive() -> None:
    """Nothing in it reads back as the address or the id (a forwarded digest gives
    neither away), it fits a mailto: local part, and a relay lower- or upper-casing it
    changes nothing."""
    tokens = Tokens(KEY)
    token = tokens.make("unsubscribe", 12, "ann@example.org")
    assert len(token) == 29 and token.isalnum() and token == token.lower()
    for text in (token, token.upper()):
        padded = text.upper() + "=" * (-len(text) % 8)
        assert b"ann" not in base64.b32decode(padded), "the address is not in it"
        assert claim_of(tokens, "unsubscribe", text) == (12, "ann@example.org")
    assert tokens.make("unsubscribe", 13, "ann@example.org")[:16] != token[:16]
    claim = tokens.read("unsubscribe", token)
    assert claim is not None and not claim.matches("bob@example.org"), "bound to the address"


def test_a_link_sent_before_in_the_old_format_still_works() -> None:
    """Links already in inboxes were itsdangerous-signed [id, "address"]; they verify as
    before, for their own purpose only, and an altered one does not."""
    tokens = Tokens(KEY)
    old = URLSafeSerializer(KEY, salt="unsubscribe").dumps([12, "ann@example.org"])
    assert old == tokens.make_signed("unsubscribe", 12, "ann@example.org")
    assert claim_of(tokens, "unsubscribe", old) == (12, "ann@example.org")
    assert tokens.read("confirm", old) is None
    assert tokens.read("unsubscribe", old[:-2] + ("AA" if old[-2:] != "AA" else "BB")) is None
    claim = tokens.read("unsubscribe", old)
    assert claim is not None and not claim.matches("bob@example.org")


@pytest.mark.parametrize("damage", ["cut", "flip", "empty", "junk", "other key"])
def test_a_damaged_or_forged_token_reads_as_nothing(damage: str) -> None:
    token = Tokens(KEY).make("unsubscribe", 12, "ann@example.org")
    damaged = {
        "cut": token[:-3],
        "flip": token[:10] + ("b" if token[10] != "b" else "c") + token[11:],
        "empty": "",
        "junk": "not.a.token",
        "other key": Tokens("x" * 43).make("unsubscribe", 12, "ann@example.org"),
    }[damage]
    assert claim_of(Tokens(KEY), "unsubscribe", damaged) is None


def test_links_are_ascii_urls_under_the_base_url() -> None:
    links = Links("https://bücher.example/news letter/", Tokens(KEY))
    link = links.unsubscribe(12, "ann@example.org")
    assert link.startswith("https://xn--bcher-kva.example/news%20letter/unsubscribe/")
    assert link.isascii() and " " not in link
    assert links.confirm(12, "ann@example.org").startswith(
        "https://xn--bcher-kva.example/news%20letter/confirm/"
    )
    assert ascii_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/"
    url, mailto = Links("https://news.example.com/", Tokens(KEY), "u@example.com").unsubscribe_ways(
        12, "ann@example.org"
    )
    token = url.rsplit("/", 1)[1]
    assert mailto == f"mailto:u+{token}@example.com?subject=unsubscribe"


def test_the_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "db" / "secret.key"
    key = key_from_file(path)
    assert len(key) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_from_file(path) == key, "read back, never regenerated"
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"], "no temporary file left"


@pytest.mark.slow
def test_processes_racing_to_create_the_key_all_get_the_same(tmp_path: Path) -> None:
    path = tmp_path / "db" / "secret.key"
    code = (
        "import sys; from pathlib import Path; "
        "from newsletter.subscribers.tokens import key_from_file; "
        "print(key_from_file(Path(sys.argv[1])))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and keys == {path.read_text().strip()}


def test_an_empty_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("\n")
    with pytest.raises(SecretKeyError, match="empty or too short"):
        key_from_file(path)
    assert path.read_text() == "\n"


def test_a_key_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("a file where the folder should be")
    with pytest.raises(SecretKeyError, match="cannot create the signing key"):
        key_from_file(tmp_path / "db" / "secret.key")
