"""The editor's note (issue 19): Markdown kept to the one allowlist, plain text for the text
part, stored until the next digest takes it, and shown in the email, its preview and its
archive page; written from the console and from `newsletter note`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from newsletter.admin.accounts import add_account
from newsletter.cli import cli
from newsletter.config import Settings
from newsletter.digest import build_digest, preview_digest
from newsletter.digest.note import NOTE_MAX, InvalidNote, check_note, note_html, note_text
from newsletter.digest.variants import render_variant
from newsletter.publish import publish_site, render_archive_page
from newsletter.store import SqlStore
from newsletter.store.digests import DigestDraft
from newsletter.store.engine import make_engine, upgrade
from newsletter.subscribers.preferences import EXERCISE, Variant
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.digest import BASE_URL, SEND_W48, add, article, site_settings
from tests.support.web import Browser, make_app, web_settings

NOTE = """\
# Back from the *marathon*

Thank you all for the **cheering**. Read [my race report](https://www.example.com/race).

- rest a week
- then easy miles
"""


def test_the_note_is_kept_to_the_allowlist() -> None:
    shown = note_html(
        "## Hi <script>alert(1)</script>\n\n[bad](javascript:alert(1)) [here](/relative) "
        '<img src=x onerror="alert(1)"> ![pic](https://img.example/p.png)'
    )
    assert "<script" not in shown and "<img src=x" not in shown, "raw HTML is text"
    assert "&lt;script&gt;" in shown
    assert "javascript:" not in shown.split("[bad]")[0] and 'href="javascript' not in shown
    assert 'href="/relative"' not in shown, "a relative link leads nowhere in an inbox"
    assert '<img src="https://img.example/p.png" alt="pic">' in shown
    assert shown.startswith("<h2>Hi"), "one level below the page's h1"
    assert '<a href="https://www.example.com/race" rel="noopener noreferrer">' in note_html(NOTE)


def test_the_text_part_gets_plain_text() -> None:
    assert note_text(NOTE) == (
        "Back from the marathon\n"
        "\n"
        "Thank you all for the cheering. Read my race report\n"
        "(https://www.example.com/race).\n"
        "\n"
        "- rest a week\n"
        "- then easy miles"
    )
    assert note_text("<https://a.example/x>") == "https://a.example/x", "no address twice"
    assert note_text("1. one\n2. two\n\n> said") == "1. one\n2. two\n\n> said"


def test_a_note_is_checked() -> None:
    assert check_note("  Hello\r\nthere\x07 \n") == "Hello\nthere"
    with pytest.raises(InvalidNote, match="empty"):
        check_note(" \u200b\n")
    with pytest.raises(InvalidNote, match=f"at most {NOTE_MAX}"):
        check_note("x" * (NOTE_MAX + 1))


def test_the_next_digest_takes_the_note(store: SqlStore, tmp_path: Path) -> None:
    settings = site_settings(tmp_path)
    add(store, SEND_W48 - timedelta(days=1), article("a", "Tempo runs", SEND_W48))
    store.set_editor_note(NOTE, "owner@example.com", SEND_W48 - timedelta(days=1))
    shown = preview_digest(settings, store, SEND_W48, "2026-W48")
    assert "my race report" in shown.html and "(https://www.example.com/race)" in shown.text
    assert store.editor_note() is not None, "a preview takes nothing"

    built = build_digest(settings, store, SEND_W48, "2026-W48")
    assert built.digest is not None and built.digest.note == NOTE
    html, text = built.digest.html, built.digest.text
    assert '<td class="pad note"' in html
    assert html.index("my race report") < html.index("Foot exercise of the week"), "at the top"
    assert "Thank you all for the cheering. Read my race report" in text
    assert "**" not in text and "[my race report]" not in text
    assert store.editor_note() is None, "taken by the digest"
    to_send = store.digest_to_send("2026-W48")
    assert to_send is not None
    chosen = render_variant(settings, store, to_send, Variant("text", frozenset({EXERCISE})))
    assert "Thank you all for the cheering" in chosen.text, "every reader's variant has it"

    publish_site(settings, store, SEND_W48 + timedelta(hours=1))
    page = (settings.root / "public/archive/2026-W48.html").read_text()
    assert '<section class="note" aria-label="A note from the editor">' in page
    assert "<strong>cheering</strong>" in page
    rendered = render_archive_page(settings, store, "2026-W48", SEND_W48 + timedelta(hours=1))
    assert rendered is not None and b"<strong>cheering</strong>" in rendered.data

    later = SEND_W48 + timedelta(days=7)
    add(store, later - timedelta(days=1), article("b", "Hills", later))
    following = build_digest(settings, store, later, "2026-W49")
    assert following.digest is not None and following.digest.note is None
    assert "my race report" not in following.digest.html, "a note goes out once"


def test_a_note_rewritten_while_a_digest_is_built_waits_for_the_next(store: SqlStore) -> None:
    store.set_editor_note("Old words", "owner@example.com", SEND_W48)
    store.set_editor_note("New words", "owner@example.com", SEND_W48 + timedelta(seconds=1))
    draft = DigestDraft(
        "2026-W48", "Subject", "<p>x</p>", "x", SEND_W48, SEND_W48, None, (), SEND_W48,
        note="Old words",
    )  # fmt: skip
    digest, created = store.save_digest(draft)
    assert created and digest.note == "Old words"
    waiting = store.editor_note()
    assert waiting is not None and waiting.markdown == "New words"
    assert store.clear_editor_note() and not store.clear_editor_note()


@pytest.fixture
def console(tmp_path: Path, store: SqlStore, clock: Clock) -> tuple[Flask, Settings]:
    settings = web_settings(tmp_path / "site")
    add_account(store, "owner@example.com", "owner", "correct horse battery staple", clock())
    return make_app(settings, store, clock, rate_limits=UNLIMITED), settings


def test_the_console_writes_previews_and_removes_the_note(
    console: tuple[Flask, Settings], store: SqlStore
) -> None:
    app, _settings = console
    owner = Browser(app)
    owner.get("/admin/sign-in")
    owner.post(
        "/admin/sign-in",
        {"email": "owner@example.com", "password": "correct horse battery staple"},
    )
    page = owner.get("/admin/digest").get_data(as_text=True)
    assert '<textarea id="note-text" name="note"' in page
    saved = owner.post("/admin/digest/note", {"note": NOTE, "action": "save"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#note")
    page = owner.get(saved.headers["Location"]).get_data(as_text=True)
    assert "note saved: it heads digest 2026-W48 when it is built" in page
    assert "Written by owner@example.com" in page
    preview = re.search(r'<div class="card note-preview".*?</div>', page, re.S)
    assert preview is not None and "<strong>cheering</strong>" in preview[0]
    email = owner.get("/admin/digest/email").get_data(as_text=True)
    assert "<strong" in email and "cheering" in email, "in place, in the email's preview"
    assert "(https://www.example.com/race)" in owner.get("/admin/digest/email?format=text").text
    too_long = owner.post("/admin/digest/note", {"note": "x" * (NOTE_MAX + 1)})
    said = owner.get(too_long.headers["Location"]).get_data(as_text=True)
    assert "the note was not saved" in said
    note = store.editor_note()
    assert note is not None and note.markdown == NOTE.strip()
    removed = owner.post("/admin/digest/note", {"note": NOTE, "action": "remove"})
    assert "note removed" in owner.get(removed.headers["Location"]).get_data(as_text=True)
    assert store.editor_note() is None
    activity = owner.get("/admin/activity").get_data(as_text=True)
    assert "wrote the note" in activity and "removed the note" in activity


@pytest.fixture
def site(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = site_settings(tmp_path / "site")
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSLETTER_BASE_URL", BASE_URL)
    monkeypatch.setattr("newsletter.cli.note.utcnow", lambda: SEND_W48 - timedelta(hours=1))
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return settings.config_path


def newsletter(config: Path, *args: str, given: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=given)


def test_the_note_command_sets_shows_and_clears(site: Path, tmp_path: Path) -> None:
    nothing = newsletter(site, "note", "show")
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert nothing.stderr == "no note: digest 2026-W48 goes out without one\n"

    written = tmp_path / "note.md"
    written.write_text(NOTE, encoding="utf-8")
    from_file = newsletter(site, "note", "set", str(written))
    assert from_file.exit_code == 0, from_file.output
    assert from_file.output == "note saved: it heads digest 2026-W48 when it is built\n"
    shown = newsletter(site, "note", "show")
    assert shown.stdout == NOTE.strip() + "\n", "the Markdown alone on stdout"
    assert "written by the command line" in shown.stderr

    from_stdin = newsletter(site, "note", "set", given="Short *and* sweet.\n")
    assert from_stdin.exit_code == 0
    assert newsletter(site, "note", "show", "-").exit_code == 2, "show takes no file"
    assert newsletter(site, "note", "show").stdout == "Short *and* sweet.\n"
    empty = newsletter(site, "note", "set", "-", given="\n\n")
    assert empty.exit_code == 2 and "the note is empty" in empty.stderr

    cleared = newsletter(site, "note", "clear")
    assert cleared.output == "note removed: digest 2026-W48 goes out without one\n"
    again = newsletter(site, "note", "clear")
    assert again.exit_code == 0 and again.output == "there was no note to remove\n"
