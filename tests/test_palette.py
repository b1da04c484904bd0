"""One palette and type scale (templates/web/palette.css) for the site, the console and the
emails, light and dark: read back correctly, readable (WCAG contrast in both schemes), the
only place a colour is written, and a site's own file restyles all three."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from newsletter.admin.overview import SERIES
from newsletter.assets import read_asset
from newsletter.digest import build_digest
from newsletter.digest.picture import email_picture
from newsletter.errors import ConfigError
from newsletter.palette import load_palette, parse
from newsletter.pictures.svg import COLOURS
from newsletter.store import SqlStore
from newsletter.templating import default_templates_dir, template_folders
from tests.support.clock import Clock
from tests.support.digest import SEND_W48, add, article, site_settings
from tests.support.web import make_app

TEMPLATES = default_templates_dir()
SHIPPED = load_palette([TEMPLATES])
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_keeps_4_5_to_1_and_borders_3_to_1_in_both_schemes(scheme: str) -> None:
    colours = SHIPPED.light if scheme == "light" else SHIPPED.dark_all
    for ground in ("bg", "card", "accent-soft"):
        for text in ("text", "muted", "link", "accent", "error", "ok"):
            ratio = contrast(colours[text], colours[ground])
            assert ratio >= 4.5, f"{scheme}: --{text} on --{ground} is {ratio:.2f}:1"
        for mark in ("field", "focus"):
            assert contrast(colours[mark], colours[ground]) >= 3, f"{scheme}: --{mark}"
    assert contrast(colours["accent-text"], colours["accent"]) >= 4.5
    assert contrast(colours["error"], colours["error-bg"]) >= 4.5
    assert contrast(colours["pic-ink"], colours["card"]) >= 4.5, "the picture's figure"


def test_dark_mode_sets_every_colour_and_the_type_scale_is_in_rem() -> None:
    colours = {name for name, value in SHIPPED.light.items() if HEX.fullmatch(value)}
    assert colours == set(SHIPPED.dark), "a colour left light in dark mode"
    assert [SHIPPED.px(step) for step in ("-2", "-1", "0", "1", "2", "3", "4")] == sorted(
        {SHIPPED.px(step) for step in ("-2", "-1", "0", "1", "2", "3", "4")}
    )
    assert SHIPPED.px("0") >= 16, "body text 16px or more: no zoom on phones"


def test_the_pictures_and_the_charts_draw_in_the_palettes_light_colours() -> None:
    # Their attributes are the light look (the email's PNG, a page without CSS); the site's
    # and the console's CSS recolour by those values for dark mode.
    assert {role: SHIPPED.light[f"pic-{role}"] for role in COLOURS} == COLOURS
    assert {name: SHIPPED.light[f"chart-{name}"] for name, _ in SERIES} == dict(SERIES)


@pytest.mark.parametrize(
    "path",
    [
        "web/site.css",
        "admin/admin.css",
        *sorted(str(p.relative_to(TEMPLATES)) for p in (TEMPLATES / "email").glob("*.html")),
    ],
)
def test_no_stylesheet_or_email_writes_a_colour_of_its_own(path: str) -> None:
    text = (TEMPLATES / path).read_text(encoding="utf-8")
    # The pictures' own attribute values, which the site's CSS selects to recolour, aside.
    text = re.sub(r'\[(stroke|fill)="#[0-9a-f]{6}"\]', "", text)
    assert HEX.findall(text) == [], f"{path}: colours belong in web/palette.css"


def test_the_site_and_the_console_load_the_palette_in_front_of_their_stylesheet(
    tmp_path: Path, store: SqlStore, clock: Clock
) -> None:
    settings = site_settings(tmp_path)
    palette = (TEMPLATES / "web" / "palette.css").read_bytes()
    site = read_asset(settings.root, "site.css")
    assert site is not None and site.data.startswith(palette)
    assert b"var(--accent)" in site.data and b"--accent:" not in site.data[len(palette) :]
    client = make_app(settings, store, clock).test_client()
    console = client.get("/admin/static/admin.css")
    assert console.status_code == 200 and console.data.startswith(palette)
    served = client.get("/static/site.css")
    assert served.data == site.data


def test_a_sites_own_palette_restyles_the_site_the_emails_and_the_picture(
    tmp_path: Path, store: SqlStore
) -> None:
    settings = site_settings(tmp_path)
    own = settings.root / "templates" / "web" / "palette.css"
    own.parent.mkdir(parents=True)
    shipped = (TEMPLATES / "web" / "palette.css").read_text(encoding="utf-8")
    before = email_picture(settings.root, "toe-tapping")
    own.write_text(
        shipped.replace("--accent: #0b57a4;", "--accent: #7a1f5c;").replace(
            "--pic-ink: #1d2733;", "--pic-ink: #202020;"
        ),
        encoding="utf-8",
    )
    site = read_asset(settings.root, "site.css")
    assert site is not None and b"--accent: #7a1f5c;" in site.data
    add(store, SEND_W48 - timedelta(days=1), article("a", "A", SEND_W48 - timedelta(days=1)))
    built = build_digest(settings, store, SEND_W48, "2026-W48")
    assert built.digest is not None and "#7a1f5c" in built.digest.html
    after = email_picture(settings.root, "toe-tapping")
    assert before is not None and after is not None
    assert after.path != before.path and '"#202020"' in after.svg, "a new picture, new name"


def test_a_sites_palette_that_lacks_a_value_or_holds_markup_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "templates" / "web" / "palette.css"
    own.parent.mkdir(parents=True)
    own.write_text(":root { --accent: #000000; }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"palette\.css: --\S+ is missing; copy it from"):
        load_palette(template_folders(tmp_path))
    with pytest.raises(ConfigError, match="holds a character it may not"):
        parse(':root { --font: "Segoe UI", sans-serif; }')
    with pytest.raises(ConfigError, match="dark mode sets --glow, which light mode lacks"):
        parse(
            ":root { --a: #000000; }\n"
            "@media (prefers-color-scheme: dark) { :root { --glow: #ffffff; } }"
        )
