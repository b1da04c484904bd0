"""A programme step's email, byte for byte for the first and the last step of the shipped
programme (tests/golden/programme-stronger-feet-*.html and .txt; after an intended change,
``UPDATE_GOLDEN=1 pytest tests/test_programmes_render.py`` and review the diff), and what
every step's email must be."""

from __future__ import annotations

import dataclasses
import html as html_text
import re
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.digest.catalog import default_catalog_path, load_catalog
from newsletter.digest.compose import UNSUBSCRIBE_PLACEHOLDER
from newsletter.digest.picture import email_picture
from newsletter.errors import BadInput, ConfigError
from newsletter.mail.message import CLIP_BYTES, PREFERENCES_PLACEHOLDER, with_site_url
from newsletter.mail.size import digest_size
from newsletter.programmes.file import default_programmes_path, load_programmes
from newsletter.programmes.model import Programme, Step
from newsletter.programmes.render import StepRenderer, preview_step
from tests.support.digest import BASE_URL, site_settings
from tests.support.golden import assert_built_for_mail_clients, assert_golden

CATALOG = load_catalog(default_catalog_path())


def shipped() -> Programme:
    (programme,) = load_programmes(default_programmes_path(), [e.slug for e in CATALOG])
    return programme


@pytest.fixture
def site(tmp_path: Path) -> Settings:
    return site_settings(tmp_path)


@pytest.mark.parametrize("part", ["html", "txt"])
@pytest.mark.parametrize("number", [1, 11])
def test_the_first_and_last_steps_match_the_golden_files(
    site: Settings, number: int, part: str
) -> None:
    rendered = StepRenderer(site).render(shipped(), number)
    document = rendered.html if part == "html" else rendered.text
    # As sent: the site's links filled from the base URL of the moment.
    sent = with_site_url(document, site.env.base_url)
    assert_golden(f"programme-stronger-feet-{number}.{part}", sent)


def test_a_step_says_which_it_is_adds_one_exercise_and_repeats_the_routine(
    site: Settings,
) -> None:
    renderer = StepRenderer(site)
    first, third = renderer.render(shipped(), 1), renderer.render(shipped(), 3)
    assert first.subject == "Stronger feet in 11 weeks, week 1: Toe tapping"
    assert third.subject == "Stronger feet in 11 weeks, week 3: Towel scrunches"
    assert "Stronger feet in 11 weeks \u00b7 Week 3 of 11</span>" in third.html
    assert third.text.startswith("Best Running Tips: Stronger feet in 11 weeks, week 3 of 11\n")
    # The new exercise, what to do and how often, then the two before it, briefly.
    assert "NEW IN YOUR ROUTINE: TOWEL SCRUNCHES" in third.text
    assert (
        "Your sets: 3 rounds of about 30 seconds with each foot\nHow often: once or twice a week\n"
        in third.text
    )
    routine = third.text.split("YOUR ROUTINE SO FAR\n\n", 1)[1].split("\n\n", 1)[0]
    assert routine == (
        "* Toe tapping: 3 sets of 10 to 15 lifts\n"
        "* Ankle alphabet: the whole alphabet once or twice with each foot"
    )
    assert "YOUR ROUTINE SO FAR" not in first.text, "nothing before the first step"
    assert "Your routine so far" not in first.html
    for step in (first, third):
        assert "does not go away through rest and ice" in step.text
        assert "consult a physical therapist" in " ".join(step.text.split())
        assert "does not go away through rest and ice" in step.html


def test_every_step_is_built_for_mail_clients_and_fits_unclipped(site: Settings) -> None:
    renderer = StepRenderer(site)
    size = digest_size(site)
    programme = shipped()
    for number in range(1, programme.length + 1):
        rendered = renderer.render(programme, number)
        html = with_site_url(rendered.html, BASE_URL)
        assert_built_for_mail_clients(html, rendered.text)
        assert rendered.text.count(PREFERENCES_PLACEHOLDER) == 1
        assert html.count(f"{UNSUBSCRIBE_PLACEHOLDER}") == 1
        # Well under Gmail's clipping, measured as sent (encoded, with every header).
        assert size(rendered.subject, rendered.text, rendered.html) < CLIP_BYTES // 3


def test_the_picture_is_the_one_the_digest_links(site: Settings) -> None:
    rendered = StepRenderer(site).render(shipped(), 3)
    picture = email_picture(site.root, "towel-scrunches")
    assert picture is not None
    html = with_site_url(rendered.html, "https://feet.example.org/news/")
    [img] = re.findall(r"<img\b[^>]*>", html)
    attrs = {k: html_text.unescape(v) for k, v in re.findall(r'([a-z-]+)="([^"]*)"', img)}
    assert attrs["src"] == "https://feet.example.org/news/" + picture.path
    assert (attrs["width"], attrs["height"], attrs["alt"]) == ("240", "170", picture.alt)
    assert html.index("Towel scrunches</h1>") < html.index("<img") < html.index("Sit with a")
    assert ".png" not in rendered.text


def test_words_are_text_never_html(site: Settings) -> None:
    programme = dataclasses.replace(
        shipped(),
        title='Feet <script>alert("t")</script> & more',
        safety="Stop if <b>it</b> hurts.",
    )
    step = dataclasses.replace(programme.steps[0], words="One <img src=x onerror=alert(1)>")
    programme = dataclasses.replace(programme, steps=(step, *programme.steps[1:]))
    rendered = StepRenderer(site).render(programme, 1)
    assert "<script" not in rendered.html and "<img src=x" not in rendered.html
    assert 'Feet &lt;script&gt;alert("t")&lt;/script&gt; &amp; more \u00b7 Week 1' in rendered.html
    assert "Stop if &lt;b&gt;it&lt;/b&gt; hurts." in rendered.html
    assert "One <img src=x onerror=alert(1)>" in rendered.text, "text stays text"


def test_a_programme_not_a_week_apart_counts_steps_and_keeps_its_own_subject(
    site: Settings,
) -> None:
    steps = (
        Step("toe-tapping", 0, "10 lifts", "every day"),
        Step("calf-raises", 2, "15 raises", "every day", subject="Day three: up you go"),
    )
    programme = Programme("quick", "Quick feet", "Two steps.", "Stop if it hurts.", steps)
    renderer = StepRenderer(site)
    first, second = renderer.render(programme, 1), renderer.render(programme, 2)
    assert first.subject == "Quick feet, step 1: Toe tapping"
    assert "Quick feet \u00b7 Step 1 of 2</span>" in first.html
    assert second.subject == "Day three: up you go"
    assert "Your sets: 15 raises\nHow often: every day\n" in second.text
    assert "* Toe tapping: 10 lifts" in second.text


def test_a_site_template_named_by_a_step_is_used(tmp_path: Path) -> None:
    site = site_settings(tmp_path)
    email = tmp_path / "templates" / "email"
    email.mkdir(parents=True)
    (email / "last_step.html").write_text("<p>{{ step.exercise.name }}, at last.</p>\n")
    (email / "last_step.txt").write_text("{{ step.exercise.name }}, at last.\n")
    programme = shipped()
    last = dataclasses.replace(programme.steps[-1], template="last_step")
    programme = dataclasses.replace(programme, steps=(*programme.steps[:-1], last))
    renderer = StepRenderer(site)
    rendered = renderer.render(programme, 11)
    assert rendered.text == "Eccentric heel drops, at last.\n"
    assert "<p>Eccentric heel drops, at last.</p>" in rendered.html
    assert "NEW IN YOUR ROUTINE" in renderer.render(programme, 10).text, "the others as shipped"


def test_a_step_out_of_range_or_an_exercise_gone_is_said_in_one_line(site: Settings) -> None:
    renderer = StepRenderer(site, catalog=[e for e in CATALOG if e.slug != "balance"])
    with pytest.raises(BadInput, match=r"has 11 step\(s\); ask for one from 1 to 11"):
        renderer.render(shipped(), 12)
    with pytest.raises(BadInput):
        renderer.render(shipped(), 0)
    with pytest.raises(ConfigError) as caught:
        renderer.render(shipped(), 10)
    assert str(caught.value) == (
        "step 10 of programme 'stronger-feet' (programmes.yaml line 121) features 'balance', "
        "which is not in the exercise catalog (exercises.yaml); add it back or change the step"
    )


def test_a_step_over_the_size_cap_is_refused_naming_it(site: Settings) -> None:
    with pytest.raises(ConfigError, match=r"^step 2 of programme 'stronger-feet' \(programmes"):
        StepRenderer(site, budget=10_000).render(shipped(), 2)


def test_the_preview_is_the_step_as_a_browser_shows_it(site: Settings) -> None:
    shown = preview_step(site, "stronger-feet", 11)
    assert shown.subject == "Stronger feet in 11 weeks, week 11: Eccentric heel drops"
    assert "%%" not in shown.html and "%%" not in shown.text
    assert f'href="{BASE_URL}archive/"' in shown.html
    assert f"Unsubscribe with one click: {BASE_URL}\n" in shown.text
    with pytest.raises(BadInput, match="no programme 'stronger-fet'; did you mean 'stronger-feet'"):
        preview_step(site, "stronger-fet", 1)
