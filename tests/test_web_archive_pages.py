"""The archive on the web: digest pages in the site's look with web wording, a page per
exercise, and the home page showing this week's exercise and the latest headlines.

The digests are built by the digest capability itself (real catalog, real entries), on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from newsletter.config import Settings
from newsletter.digest import build_digest
from newsletter.digest.picture import email_picture
from newsletter.publish import publish_site
from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.digest import SEND_W47, SEND_W48, add, article, question, site_settings
from tests.support.web import main_text, make_app
from tests.support.web_pages import save_pages

DESCRIPTION = re.compile(r'<meta name="description" content="([^"]+)">')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return site_settings(tmp_path / "site")


@pytest.fixture
def built(settings: Settings, store: SqlStore) -> dict[str, str]:
    """Two digests, W47 and W48; the slugs of their exercises by week."""
    add(store, SEND_W47 - timedelta(days=1), article("base", "Base miles", SEND_W47 - timedelta(2)))
    w47 = build_digest(settings, store, SEND_W47, "2026-W47")
    add(
        store,
        SEND_W48 - timedelta(days=1),
        article("tempo", "Tempo runs <b>explained</b>", SEND_W48 - timedelta(days=2)),
        article("hills", "Hill repeats", SEND_W48 - timedelta(days=3)),
        question("shins", "Why do my shins hurt?", SEND_W48 - timedelta(days=2), "Ann", "<p>?</p>"),
    )
    w48 = build_digest(settings, store, SEND_W48, "2026-W48")
    assert w47.exercise is not None and w48.exercise is not None
    return {"2026-W47": w47.exercise.slug, "2026-W48": w48.exercise.slug}


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    clock.now = SEND_W48 + timedelta(hours=2)
    return make_app(settings, store, clock, UNLIMITED)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_digest_page_is_a_web_page_with_web_wording(
    client: FlaskClient, built: dict[str, str]
) -> None:
    page = client.get("/archive/2026-W48.html")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The site's header, navigation and stylesheet, like every page of the app.
    assert '<header class="site-header">' in html and 'aria-label="Site"' in html
    assert '<a href="../archive/" aria-current="page">Archive</a>' in html
    assert '<link rel="stylesheet" href="../static/site.css?v=' in html
    # The email's content...
    text = main_text(page)
    assert "Tempo runs &lt;b&gt;explained&lt;/b&gt;" in html and "<b>" not in html  # escaped
    assert "Hill repeats" in text
    assert "Why do my shins hurt?" in text and "Asked by Ann" in text
    assert "Foot exercise of the week" in text
    assert f'href="exercises/{built["2026-W48"]}.html"' in html
    # ...with the exercise's picture drawn inline, as on its own page.
    assert '<figure class="picture"><svg ' in html
    assert f'<title id="pic-{built["2026-W48"]}">' in html and html.count("<svg ") == 1
    assert '<a href="https://www.example.com/running-training/hills.html">Hill repeats</a>' in html
    # ... with web wording: no unsubscribe link, no "you are getting this email".
    assert "nsubscribe" not in html and "getting this email" not in html
    assert "Get the next digest by email" in text and '<a class="button" href="../">' in html
    assert '<a href="2026-W47.html" rel="prev">Older digest: week 2026-W47</a>' in html
    description = DESCRIPTION.search(html)
    assert description and "Inside: Tempo runs" in description.group(1)


def test_the_archive_index_shows_each_weeks_exercise_picture(
    client: FlaskClient, built: dict[str, str], settings: Settings, store: SqlStore, clock: Clock
) -> None:
    html = client.get("/archive/").get_data(as_text=True)
    images = re.findall(r'<img src="(exercises/[^"]+\.png)" width="120" height="85" alt=""', html)
    expected = []
    for week in ("2026-W48", "2026-W47"):
        picture = email_picture(settings.root, built[week])
        assert picture is not None
        expected.append(picture.path.removeprefix("archive/"))
    assert images == expected, "newest first, one per digest"
    for src in images:
        assert client.get("/archive/" + src).content_type == "image/png"
    publish_site(settings, store, clock())  # the published index finds them on disk
    assert all((settings.root / "public" / "archive" / src).is_file() for src in images)


def test_the_archive_index_is_styled_and_described(
    client: FlaskClient, built: dict[str, str]
) -> None:
    html = client.get("/archive/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="../static/site.css?v=' in html
    assert html.index('href="2026-W48.html"') < html.index('href="2026-W47.html"')
    assert '<time datetime="2026-11-23">Monday 23 November 2026</time>' in html
    assert DESCRIPTION.search(html)
    css = re.search(r'href="\.\./(static/site\.css\?v=\w+)"', html)
    assert css and client.get("/" + css.group(1)).status_code == 200


def test_each_exercise_has_a_page_with_the_weeks_it_was_featured(
    client: FlaskClient, built: dict[str, str], store: SqlStore
) -> None:
    slug = built["2026-W48"]
    index = client.get("/archive/exercises/")
    catalog = [e for e in store.exercise_catalog() if e.active]
    assert index.status_code == 200
    for exercise in catalog:
        assert f'<a href="{exercise.slug}.html">' in index.get_data(as_text=True)
    # A grid of pictures, each with its own ids and words for the movement.
    assert index.get_data(as_text=True).count("<svg ") == len(catalog)
    assert f'<title id="pic-{slug}">' in index.get_data(as_text=True)
    page = client.get(f"/archive/exercises/{slug}.html")
    html, text = page.get_data(as_text=True), main_text(page)
    exercise = next(e for e in catalog if e.slug == slug)
    assert f"<h1>{exercise.name}</h1>" in html
    assert '<figure class="picture"><svg ' in html and f'aria-labelledby="pic-{slug}"' in html
    assert "How to do it" in text and "Strengthens" in text
    assert '<a href="../2026-W48.html">The digest of <time datetime="2026-11-23">' in html
    assert '<link rel="stylesheet" href="../../static/site.css?v=' in html
    assert 'aria-current="page">Exercises</a>' in html
    never = next(e for e in catalog if e.slug not in built.values())
    assert "Not featured in a digest yet" in main_text(
        client.get(f"/archive/exercises/{never.slug}.html")
    )
    for missing in ("no-such-exercise", "Bad_Slug", "..%2fsecret"):
        assert client.get(f"/archive/exercises/{missing}.html").status_code == 404


def test_publish_writes_the_pages_the_app_serves(
    client: FlaskClient, built: dict[str, str], settings: Settings, store: SqlStore, clock: Clock
) -> None:
    served = {
        path: client.get("/" + path).data
        for path in (
            "archive/index.html",
            "archive/2026-W48.html",
            "archive/exercises/index.html",
            f"archive/exercises/{built['2026-W47']}.html",
        )
    }
    report = publish_site(settings, store, clock())
    for path, data in served.items():
        assert path in report.written
        assert (settings.root / "public" / path).read_bytes() == data


def test_the_picture_the_digest_links_is_served_and_published_once(
    client: FlaskClient, built: dict[str, str], settings: Settings, store: SqlStore, clock: Clock
) -> None:
    picture = email_picture(settings.root, built["2026-W48"])
    assert picture is not None
    digest = store.built_digest("2026-W48")
    assert digest is not None and picture.path in digest.html
    # Before any publish the app draws it; the name carries its hash, so it is kept.
    served = client.get("/" + picture.path)
    assert served.status_code == 200 and served.content_type == "image/png"
    assert served.data.startswith(b"\x89PNG") and served.data == picture.png()
    assert "immutable" in served.headers["Cache-Control"]
    stale = picture.path.replace(picture.digest, "0" * len(picture.digest))
    for missing in (stale, "archive/exercises/calf-raises.png", "archive/exercises/..%2fx.png"):
        assert client.get("/" + missing).status_code == 404, missing
    # publish writes every picture once; a second publish leaves the files alone.
    first = publish_site(settings, store, clock())
    path = settings.root / "public" / picture.path
    assert picture.path in first.written and path.read_bytes() == served.data
    assert len([n for n in first.written if n.endswith(".png")]) == 11
    path.write_bytes(b"kept")  # a file whose name is its hash is never read again
    second = publish_site(settings, store, clock())
    assert picture.path in second.unchanged and path.read_bytes() == b"kept"
    assert client.get("/" + picture.path).data == b"kept", "the published file is served"


def test_the_home_page_shows_this_weeks_exercise_and_the_latest_headlines(
    client: FlaskClient, built: dict[str, str], store: SqlStore
) -> None:
    page = client.get("/")
    html, text = page.get_data(as_text=True), main_text(page)
    slug = built["2026-W48"]
    name = next(e.name for e in store.exercise_catalog() if e.slug == slug)
    assert "This week\u2019s foot exercise" in text and name in text
    assert f'href="/archive/exercises/{slug}.html"' in html
    assert '<figure class="picture"><svg ' in html and f'<title id="pic-{slug}">' in html
    assert 'href="/archive/2026-W48.html"' in html
    for title in ("Tempo runs &lt;b&gt;explained", "Hill repeats", "Why do my shins hurt?"):
        assert title in text
    # The exercise leads, then the latest articles, then readers' questions, then the form
    # (which the lead links to).
    marks = ("This week\u2019s foot exercise", "New on the site", "Readers\u2019 questions")
    order = [html.index(mark) for mark in (*marks, 'id="f-email"')]
    assert order == sorted(order)
    assert 'href="#subscribe-title"' in html


def test_the_home_page_shows_a_readers_question_with_its_answer(
    client: FlaskClient, built: dict[str, str], store: SqlStore
) -> None:
    digest = store.archived_digest("2026-W48")
    assert digest is not None
    [asked] = [e for e in digest.entries if e.kind == "question"]
    store.answer_question(asked.id, "<p>Rest two days.</p><p>Then run slower.</p>", SEND_W48)
    text = main_text(client.get("/"))
    assert "Why do my shins hurt?" in text and "Our answer: Rest two days." in text
    assert "Then run slower" not in text, "the answer's first paragraph only"


def test_before_any_digest_the_home_page_is_the_form_alone(
    client: FlaskClient, settings: Settings
) -> None:
    # No catalog loaded, no digest built: nothing to show, and nothing fails.
    page = client.get("/")
    assert page.status_code == 200
    assert "New on the site" not in main_text(page)
    assert 'id="f-email"' in page.get_data(as_text=True)


def test_every_page_has_a_meta_description(
    app: Flask,
    built: dict[str, str],
    store: SqlStore,
    settings: Settings,
    clock: Clock,
    tmp_path: Path,
) -> None:
    out = tmp_path / "pages"
    count = save_pages(app, store, settings, clock, out)
    for saved in sorted(out.glob("*.html")):
        found = DESCRIPTION.search(saved.read_text(encoding="utf-8"))
        assert found and len(found.group(1)) > 40, saved.name
    assert count == len(list(out.glob("*.html")))


def test_a_new_digest_shows_on_the_home_page_within_a_minute(
    client: FlaskClient, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    assert "Fresh news" not in main_text(client.get("/"))
    add(store, SEND_W48 - timedelta(days=1), article("new", "Fresh news", SEND_W48 - timedelta(1)))
    build_digest(settings, store, SEND_W48, "2026-W48")
    clock.advance(seconds=61)  # the home page reads the store at most once a minute
    assert "Fresh news" in main_text(client.get("/"))
