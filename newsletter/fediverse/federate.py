"""`newsletter run`'s federation step: turn what is new into activities (:mod:`posts`),
queue them for every follower, and deliver what is due (:mod:`delivery`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime

from newsletter.config import Settings
from newsletter.fediverse.account import open_account
from newsletter.fediverse.activities import PostContent
from newsletter.fediverse.delivery import DeliveryReport, deliver
from newsletter.fediverse.posts import entry_post, exercise_post, gone, plan, reply_post
from newsletter.store import SqlStore
from newsletter.store.entries import EntryKind

Clock = Callable[[], datetime]


def federate(settings: Settings, store: SqlStore, clock: Clock) -> DeliveryReport:
    account = open_account(settings, store, clock())
    posts = _posts(store, account.created_at, account.identity.base_url, clock())
    states = store.post_states()
    live = gone(states, {post.key for post in posts})
    approved = store.approved_entry_ids(list(live.values())) if live else set()
    removed = {key: n for key, n in live.items() if n not in approved}
    replies = store.replies_of([n for key, n in removed.items() if key.startswith("reply:")])
    to = {key: replies[n].inbox if n in replies else None for key, n in removed.items()}
    planned = plan(posts, states, to, account.identity, clock())
    store.publish_activities(planned, clock())
    claimer = f"{socket.gethostname()}:{os.getpid()}"
    return deliver(store, account, clock, claimer)


def _posts(store: SqlStore, since: datetime, base: str, now: datetime) -> list[PostContent]:
    """What is to be said now: each new article and answered question (and the answers to
    replies, in their threads), each week's exercise."""
    entries = store.entries_to_post(since)
    posts = [entry_post(entry, base) for entry in entries]
    replies = store.replies_of([e.id for e in entries if e.kind == EntryKind.QUESTION])
    answers = (reply_post(e, replies[e.id], base) for e in entries if e.id in replies)
    posts += [answer for answer in answers if answer is not None]
    posts += [
        exercise_post(week, exercise, base, now) for week, exercise in store.weeks_to_post(since)
    ]
    return posts
