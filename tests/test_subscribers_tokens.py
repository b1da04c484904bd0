"""Signed links: bound to their purpose, tamper-evident, valid forever; the key generated
once, privately, and the same for every process that races to create it."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.subscribers.tokens import Links, SecretKeyError, Tokens, ascii_url, key_from_file

KEY = "k" * 43


def test_a_token_reads_back_only_for_its_own_purpose() -> None:
    tokens = Tokens(KEY)
    confirm = tokens.make("confirm", 12, "ann@example.org")
    unsubscribe = tokens.make("unsubscribe", 12, "ann@example.org")
    assert tokens.read("confirm", confirm) == (12, "ann@example.org")
    assert tokens.read("unsubscribe", unsubscribe) == (12, "ann@example.org")
    assert tokens.read("unsubscribe", confirm) is None
    assert tokens.read("confirm", unsubscribe) is None
    assert confirm != unsubscribe


@pytest.mark.parametrize("damage", ["cut", "flip", "empty", "junk", "other key"])
def test_a_damaged_or_forged_token_reads_as_nothing(damage: str) -> None:
    token = Tokens(KEY).make("unsubscribe", 12, "ann@example.org")
    damaged = {
        "cut": token[:-3],
        "flip": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "empty": "",
        "junk": "not.a.token",
        "other key": Tokens("x" * 43).make("unsubscribe", 12, "ann@example.org"),
    }[damage]
    assert Tokens(KEY).read("unsubscribe", damaged) is None


def test_links_are_ascii_urls_under_the_base_url() -> None:
    links = Links("https://bücher.example/news letter/", Tokens(KEY))
    link = links.unsubscribe(12, "ann@example.org")
    assert link.startswith("https://xn--bcher-kva.example/news%20letter/unsubscribe/")
    assert link.isascii() and " " not in link
    assert links.confirm(12, "ann@example.org").startswith(
        "https://xn--bcher-kva.example/news%20letter/confirm/"
    )
    assert ascii_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/"


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
