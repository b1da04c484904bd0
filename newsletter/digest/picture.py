"""The featured exercise's picture as the digest links it: the PNG the site hosts (see
:mod:`newsletter.pictures.png`). publish writes the same file and the web app serves it,
both through :func:`email_picture`, so the name the email carries is the name on the site.
"""

from __future__ import annotations

from pathlib import Path

from newsletter.digest.catalog import SLUG, catalog_path
from newsletter.palette import load_palette
from newsletter.pictures.png import HostedPicture, hosted
from newsletter.pictures.spec import load_pictures
from newsletter.pictures.svg import COLOURS
from newsletter.templating import template_folders


def email_picture(site_root: Path, slug: str) -> HostedPicture | None:
    """The PNG of exercise ``slug`` of the site's catalog; None when it draws none."""
    return email_pictures(site_root).get(slug)


def email_pictures(site_root: Path) -> dict[str, HostedPicture]:
    """slug → PNG for every exercise of the site's catalog that draws a picture."""
    pictures = load_pictures(catalog_path(site_root))
    light = load_palette(template_folders(site_root)).light  # an email is drawn light
    colours = {role: light[f"pic-{role}"] for role in COLOURS}
    background = light["pic-bg"]
    # The slug becomes a path: only the catalog's own shape (the catalog refuses others).
    return {
        slug: hosted(p, slug, background, colours)
        for slug, p in pictures.items()
        if SLUG.fullmatch(slug)
    }
