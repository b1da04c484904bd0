"""`newsletter run`'s federation step: turn what is new into activities (:mod:`posts`),
queue them for every follower, and deliver what is due (:mod:`delivery`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime

from newsletter.config import Settings
from newsletter.fediverse.account import open_account
from newsletter.fediverse.delivery import DeliveryReport, deliver
from newsletter.fediverse.posts import entry_post, exercise_post, plan
from newsletter.store import SqlStore

Clock = Callable[[], datetime]


def federate(settings: Settings, store: SqlStore, clock: Clock) -> DeliveryReport:
    account = open_account(settings, store, clock())
    since, base = account.created_at, account.identity.base_url
    posts = [entry_post(entry, base) for entry in store.entries_to_post(since)]
    posts += [
        exercise_post(week, exercise, base, clock())
        for week, exercise in store.weeks_to_post(since)
    ]
    states = store.post_states()
    shown = {post.key for post in posts}
    gone_ids = [int(key[6:]) for key in states if key.startswith("entry:") and key not in shown]
    approved = store.approved_entry_ids(gone_ids) if gone_ids else set()
    removed = [f"entry:{n}" for n in gone_ids if n not in approved]
    planned = plan(posts, states, removed, account.identity, clock())
    store.publish_activities(planned, clock())
    claimer = f"{socket.gethostname()}:{os.getpid()}"
    return deliver(store, account, clock, claimer)
