"""What followers are told, decided without I/O: each new article, each answered question
and each week's exercise becomes a Note; a post whose content changed since it was sent is
sent again as an Update, and one whose entry is no longer published (rejected, removed) as a
Delete. Only what is new since the account began is posted: followers do not get the past.
A question that came as a reply on the fediverse is also answered there: a second Note, in
reply to theirs, delivered to them alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from html import escape

import newsletter.fediverse.activities as activities
from newsletter.fediverse.activities import Mention, PostContent
from newsletter.fediverse.actor import Identity
from newsletter.html_text import excerpt
from newsletter.store.entries import EntryKind, PublishedEntry
from newsletter.store.exercises import ExerciseRecord
from newsletter.store.fediverse import NewActivity, PostState
from newsletter.store.fediverse_replies import RemoteReply

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


def reply_post(entry: PublishedEntry, reply: RemoteReply, base_url: str) -> PostContent | None:
    """An answered question that came as a reply: our answer as a reply in their thread,
    mentioning them, delivered to their inbox only (followers get :func:`entry_post`).
    None when their actor names no inbox to deliver it to."""
    if reply.inbox is None:
        return None
    name = reply.handle or reply.actor
    answer = excerpt(entry.answer_html or "", SUMMARY)
    mention = (
        f'<span class="h-card"><a href="{escape(reply.actor)}" class="u-url mention">'
        f"{escape(name)}</a></span>"
    )
    post = entry_post(entry, base_url)
    return replace(
        post,
        key=f"reply:{entry.id}",
        html=f"<p>{mention} {escape(answer)}</p>",
        in_reply_to=reply.note_id,
        mention=Mention(reply.actor, name),
        deliver_to=reply.inbox,
    )


def gone(states: dict[str, PostState], shown: set[str]) -> dict[str, int]:
    """The posts about entries still live but no longer shown (by key: the entry's id):
    those whose entry is no longer approved are to be deleted."""
    found = {}
    for key, state in states.items():
        kind, _, number = key.partition(":")
        if kind in ("entry", "reply") and key not in shown and not state.deleted:
            found[key] = int(number)
    return found


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
    removed: Mapping[str, str | None],
    identity: Identity,
    now: datetime,
) -> list[tuple[NewActivity, PostState]]:
    """The activities to send: Create for a post never sent, Update for one whose content
    changed, Delete for each key of ``removed`` still live (to the inbox it names, or to
    the followers when it names None)."""
    planned: list[tuple[NewActivity, PostState]] = []
    for post in posts:
        state = states.get(post.key)
        if state is not None and state.content_hash == post.content_hash and not state.deleted:
            continue
        if state is None or state.deleted:
            document, kind = activities.create(identity, post), "Create"
        else:
            document, kind = activities.update(identity, post, now), "Update"
        new = PostState(post.key, post.content_hash, False)
        planned.append(_activity(document, kind, new, post.deliver_to))
    for key, inbox in removed.items():
        state = states.get(key)
        if state is not None and not state.deleted:
            deleted = PostState(key, state.content_hash, True)
            planned.append(_activity(activities.delete(identity, key), "Delete", deleted, inbox))
    return planned


def _activity(
    document: dict[str, object], kind: str, state: PostState, inbox: str | None
) -> tuple[NewActivity, PostState]:
    activity = NewActivity(
        str(document["id"]), kind, json.dumps(document), public=True, only_to=inbox
    )
    return activity, state
