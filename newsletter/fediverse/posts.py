"""What followers are told, decided without I/O: each new article, each answered question
and each week's exercise becomes a Note; a post whose content changed since it was sent is
sent again as an Update, and one whose entry is no longer published (rejected, removed) as a
Delete. Only what is new since the account began is posted: followers do not get the past.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape

from newsletter.fediverse import activities
from newsletter.fediverse.activities import PostContent
from newsletter.fediverse.actor import Identity
from newsletter.html_text import excerpt
from newsletter.store.entries import EntryKind, PublishedEntry
from newsletter.store.exercises import ExerciseRecord
from newsletter.store.fediverse import NewActivity, PostState

SUMMARY = 400  # characters of an article's summary or an answer in a post


def entry_post(entry: PublishedEntry, base_url: str) -> PostContent:
    title = f"<p><strong>{escape(entry.title)}</strong></p>"
    if entry.kind == EntryKind.QUESTION:
        answer = excerpt(entry.answer_html or "", SUMMARY)
        html = f"<p>A reader asked:</p>{title}<p>{escape(answer)}</p>"
    else:
        summary = excerpt(entry.summary_html or entry.content_html, SUMMARY)
        html = title + (f"<p>{escape(summary)}</p>" if summary else "")
    link = entry.link if entry.link and entry.link.startswith(("https:", "http:")) else None
    if link:
        html += f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    return PostContent(f"entry:{entry.id}", html, link or base_url, entry.first_seen_at)


def exercise_post(
    week: str, exercise: ExerciseRecord, base_url: str, chosen_at: datetime
) -> PostContent:
    page = f"{base_url}archive/exercises/{exercise.slug}.html"
    html = (
        f"<p>This week's exercise: <strong>{escape(exercise.name)}</strong></p>"
        f"<p>{escape(excerpt(escape(exercise.how), SUMMARY))}</p>"
        f'<p><a href="{escape(page)}">{escape(page)}</a></p>'
    )
    return PostContent(f"exercise:{week}", html, page, chosen_at)


def plan(
    posts: Sequence[PostContent],
    states: dict[str, PostState],
    removed: Sequence[str],
    identity: Identity,
    now: datetime,
) -> list[tuple[NewActivity, PostState]]:
    """The activities to send: Create for a post never sent, Update for one whose content
    changed, Delete for each key of ``removed`` still live."""
    planned: list[tuple[NewActivity, PostState]] = []
    for post in posts:
        state = states.get(post.key)
        if state is not None and state.content_hash == post.content_hash and not state.deleted:
            continue
        if state is None or state.deleted:
            document, kind = activities.create(identity, post), "Create"
        else:
            document, kind = activities.update(identity, post, now), "Update"
        planned.append(_activity(document, kind, PostState(post.key, post.content_hash, False)))
    for key in removed:
        state = states.get(key)
        if state is not None and not state.deleted:
            gone = PostState(key, state.content_hash, True)
            planned.append(_activity(activities.delete(identity, key), "Delete", gone))
    return planned


def _activity(
    document: dict[str, object], kind: str, state: PostState
) -> tuple[NewActivity, PostState]:
    return NewActivity(str(document["id"]), kind, json.dumps(document), public=True), state
