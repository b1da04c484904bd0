"""Rendering a digest once, HTML and plain text, under Gmail's clipping size.

Gmail clips a message whose source passes 102 KB, hiding the end of the digest (and its
unsubscribe link). The digest is measured as sent (both parts quoted-printable, every
header, the longest personal parts: see :mod:`newsletter.mail.size`), not as decoded HTML,
which quoted-printable grows by 10-14%. When it is too big, the oldest items are left out
(the digest then says "and N more on the site"), keeping as many as fit: a binary search
over the number kept, so a flood costs a dozen renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import css_inline
from jinja2 import Environment

from newsletter.config import Settings
from newsletter.digest.compose import DigestView, compose
from newsletter.digest.picture import email_picture
from newsletter.digest.select import Sections, sections
from newsletter.mail.message import CLIP_BYTES
from newsletter.mail.size import SizeOf, digest_size
from newsletter.store.digests import DigestEntry
from newsletter.store.exercises import ExerciseRecord
from newsletter.templating import make_environment

HTML_TEMPLATE = "email/digest.html"
TEXT_TEMPLATE = "email/digest.txt"

# <style> rules become style="" attributes; @media rules (dark mode, phones) stay in a
# <style data-css-inline="keep"> block, since they cannot be inlined.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    sections: Sections


class DigestRenderer:
    """Renders the digest of one week; ``render`` picks how many items fit."""

    def __init__(
        self,
        settings: Settings,
        week: str,
        exercise: ExerciseRecord | None,
        budget: int = CLIP_BYTES,
        env: Environment | None = None,
        size: SizeOf | None = None,
        earlier: Sequence[str] | None = None,
        text_only: bool = False,
        note: str | None = None,
        offers: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.week = week
        self.exercise = exercise
        self.earlier = earlier  # a digest of several weeks: the earlier weeks' exercises
        self.text_only = text_only
        self.note = note  # the editor's note (Markdown), at the top
        self.offers = tuple(offers)  # the programmes the footer offers, by title
        self.budget = budget  # bytes as sent
        self.env = env or make_environment(settings.root)
        self.size = size or digest_size(settings)
        # Read once, not per try; none when the reader turned the exercise off.
        self.picture = email_picture(settings.root, exercise.slug) if exercise else None

    def render(self, entries: Sequence[DigestEntry], total: int) -> Rendered:
        """The digest with as many of the newest ``entries`` as fit in the budget;
        ``total`` counts every candidate, including any the store did not hand over."""
        tried: dict[int, tuple[Sections, DigestView, str, str]] = {}

        def fits(keep: int) -> bool:
            if keep not in tried:
                chosen = sections(entries, keep, total)
                view = compose(
                    self.settings.site,
                    self.settings.newsletter,
                    self.week,
                    self.exercise,
                    chosen,
                    self.earlier,
                    self.note,
                    self.picture,
                    self.offers,
                )
                html = "" if self.text_only else self.html(view)
                tried[keep] = (chosen, view, html, self.text(view))
            _chosen, view, html, text = tried[keep]
            return self.size(view.subject, text, html) <= self.budget

        keep = len(entries)
        if not fits(keep):
            fitting, too_many = 0, keep  # an empty digest is taken to fit
            while too_many - fitting > 1:
                middle = (fitting + too_many) // 2
                fitting, too_many = (middle, too_many) if fits(middle) else (fitting, middle)
            keep = fitting
            fits(keep)
        chosen, view, html, text = tried[keep]
        return Rendered(view.subject, html, text, chosen)

    def html(self, view: DigestView) -> str:
        return inline_styles(self.env.get_template(HTML_TEMPLATE).render(digest=view))

    def text(self, view: DigestView) -> str:
        return self.env.get_template(TEXT_TEMPLATE).render(digest=view)


def inline_styles(page: str) -> str:
    """An email's HTML with its first <style>'s rules as style="" attributes."""
    return _INLINER.inline(page)
