"""The digest of a fixed week, byte for byte: a template change shows up as a diff of
tests/golden/. After an intended change, rewrite them with

    UPDATE_GOLDEN=1 pytest tests/test_digest_golden.py

and review the diff like code.
"""

from __future__ import annotations

import html as html_text
import re
from datetime import timedelta
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.digest import build_digest
from newsletter.digest.compose import UNSUBSCRIBE_PLACEHOLDER
from newsletter.digest.picture import email_picture
from newsletter.mail.message import PREFERENCES_PLACEHOLDER, SITE_PLACEHOLDER, with_site_url
from newsletter.programmes.readers import offer_titles
from newsletter.store import SqlStore
from newsletter.store.digests import BuiltDigest
from tests.support.digest import SEND_W48, add, article, question, site_settings
from tests.support.golden import assert_built_for_mail_clients, assert_golden

WEEK = "2026-W48"

HEART = (
    "<p>I am a beginner runner. How do I know (based on my heart rate) if I'm overdoing it "
    "and possibly putting my 47-year-old heart in danger? My watch shows 165 to 175 even "
    "when I jog.</p><p><strong>Answer from Best Running Tips:</strong> see your doctor "
    "first, then go by effort: if you cannot speak in full sentences, slow down.</p>"
)
HEEL = (
    "<p>Heel pain is one of the most common complaints among runners, from beginners to "
    "veterans. Learn how to tell <em>plantar fasciitis</em> from Achilles trouble, what you "
    "can do at home, and when it is time to see a professional. We also cover shoes, "
    "surfaces and the foot exercises that keep it from coming back.</p>"
)


def fixture_digest(store: SqlStore, root: Path) -> tuple[Settings, BuiltDigest]:
    """Three articles and two questions of the week before Monday 23 November 2026."""
    settings = site_settings(root)
    day = timedelta(days=1)
    add(
        store,
        SEND_W48 - 2 * day,
        article(
            "tempo-vs-intervals",
            "Tempo Runs & Intervals: What's the Difference?",
            SEND_W48 - 2 * day,
            "<p>Both make you faster, in <strong>different ways</strong> &amp; on different "
            'days. <a href="https://www.example.com/plans/">See the plans</a>.</p>',
        ),
        article("heel-pain", "Pain in Heel When Running", SEND_W48 - 4 * day, HEEL),
        article("rest-days", "Why Rest Days Make You a Better Runner", SEND_W48 - 5 * day, ""),
        question("heart", "How Fast Should I Run Without Putting My Heart in Danger?",
                 SEND_W48 - 1 * day, "Mark", HEART),
        question("twenty-miles", "Is 20 to 30 Training Miles Enough for a Half Marathon?",
                 SEND_W48 - 3 * day, None, "<p>I have run for a year and a half.</p>"),
    )  # fmt: skip
    # As `run` builds it: the footer offers the shipped programme.
    built = build_digest(settings, store, SEND_W48, WEEK, offers=offer_titles(settings.root))
    assert built.digest is not None
    return settings, built.digest


@pytest.mark.parametrize("part", ["html", "text"])
def test_the_digest_of_a_fixed_week_matches_the_golden_files(
    store: SqlStore, tmp_path: Path, part: str
) -> None:
    settings, digest = fixture_digest(store, tmp_path)
    stored = digest.html if part == "html" else digest.text
    # As sent: the site's links filled from the base URL of the moment.
    rendered = with_site_url(stored, settings.env.base_url)
    assert_golden(f"digest-{WEEK}.{'html' if part == 'html' else 'txt'}", rendered)


def test_the_subject_and_the_record(store: SqlStore, tmp_path: Path) -> None:
    _settings, digest = fixture_digest(store, tmp_path)
    assert digest.subject == "Toe tapping, plus 3 new articles and 2 reader questions"
    assert digest.item_count == 5
    assert (digest.period_start, digest.period_end) == (SEND_W48 - timedelta(days=7), SEND_W48)


def test_the_html_is_built_for_mail_clients(store: SqlStore, tmp_path: Path) -> None:
    settings, digest = fixture_digest(store, tmp_path)
    assert f'href="{SITE_PLACEHOLDER}archive/"' in digest.html, "links filled at send time"
    html = with_site_url(digest.html, settings.env.base_url)
    assert_built_for_mail_clients(html, digest.text)
    assert '<html lang="en"' in html
    assert re.search(r'<div class="preheader" style="[^"]*">Inside: ', html)
    # The exercise comes first, then the articles, then the questions.
    order = [
        html.index(s) for s in ("Toe tapping</h1>", "New on the site", "Readers\u2019 questions")
    ]
    assert order == sorted(order)
    links = re.findall(r'href="([^"]*)"', html)
    assert "https://news.example.com/archive/" in links
    assert "https://news.example.com/feed.xml" in links
    # The footer offers the programme on the reader's own preferences page.
    assert f"{PREFERENCES_PLACEHOLDER}#programme" in links
    assert ">Start Stronger feet in 11 weeks</a>: it begins the day you join." in html
    assert f"\n{PREFERENCES_PLACEHOLDER}#programme\n" in digest.text


def test_titles_and_texts_are_escaped_never_trusted(store: SqlStore, tmp_path: Path) -> None:
    settings = site_settings(tmp_path)
    add(
        store,
        SEND_W48 - timedelta(days=1),
        article(
            "x",
            '<script>alert("t")</script> Fast & "light"',
            SEND_W48 - timedelta(days=1),
            '<p>Safe <img src=x onerror="alert(1)"> text</p>',
            link="javascript:alert(1)",
        ),
    )
    built = build_digest(settings, store, SEND_W48, WEEK)
    assert built.digest is not None
    html, text = built.digest.html, built.digest.text
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert '>&lt;script&gt;alert("t")&lt;/script&gt; Fast &amp; "light"</h3>' in html, "no link"
    assert '* <script>alert("t")</script> Fast & "light"\n' in text, "text stays text"


def test_a_site_overrides_a_template_by_putting_its_own_in_templates(
    store: SqlStore, tmp_path: Path
) -> None:
    own = tmp_path / "templates" / "email" / "digest.txt"
    own.parent.mkdir(parents=True)
    own.write_text("{{ digest.exercise.name }} this week. Bye: {{ digest.unsubscribe_url }}\n")
    _settings, digest = fixture_digest(store, tmp_path)
    assert digest.text == f"Toe tapping this week. Bye: {UNSUBSCRIBE_PLACEHOLDER}\n"
    assert "New on the site" in digest.html, "the HTML default still applies"


def test_the_picture_is_a_png_on_the_site_with_its_size_and_the_movement_in_words(
    store: SqlStore, tmp_path: Path
) -> None:
    settings, digest = fixture_digest(store, tmp_path)
    picture = email_picture(settings.root, "toe-tapping")
    assert picture is not None
    # The address is filled in when sent (or shown): a base URL changed after the build
    # is the one readers' clients load the picture from.
    assert f'src="{SITE_PLACEHOLDER}{picture.path}"' in digest.html
    later = with_site_url(digest.html, "https://feet.example.org/news/")
    [img] = re.findall(r"<img\b[^>]*>", later)
    attrs = {k: html_text.unescape(v) for k, v in re.findall(r'([a-z-]+)="([^"]*)"', img)}
    assert attrs["src"] == "https://feet.example.org/news/" + picture.path
    assert re.fullmatch(r"archive/exercises/toe-tapping\.[0-9a-f]{16}\.png", picture.path)
    assert (attrs["width"], attrs["height"]) == ("240", "170"), "the PNG is twice that"
    # Images blocked: the alt text says the movement, the text around it says the rest.
    assert attrs["alt"] == picture.alt and "lifts the toes" in attrs["alt"]
    assert later.index("Toe tapping</h1>") < later.index("<img") < later.index("Sit on a chair")
    # The text part keeps its words and gains no picture.
    assert "FOOT EXERCISE OF THE WEEK: TOE TAPPING" in digest.text
    assert "Sit on a chair with both feet flat" in digest.text
    assert ".png" not in digest.text
