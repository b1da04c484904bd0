"""A POST to our inbox, from the bytes to its effect: verify the signature (fetching the
signer's key, cached), decide (:mod:`inbox`), act through the store. Nothing changes before
the signature is good: an unsigned or forged request is answered 401 and leaves no trace.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from newsletter.errors import SourceError
from newsletter.fediverse import activities, inbox
from newsletter.fediverse.account import Account
from newsletter.fediverse.signatures import (
    Incoming,
    RemoteKey,
    SignatureRefused,
    verify_request,
)
from newsletter.questions import InvalidQuestion, check_question
from newsletter.questions.service import QuestionInput
from newsletter.sources.fediverse import fetch_json
from newsletter.store import SqlStore
from newsletter.store.fediverse import Follower, NewActivity
from newsletter.store.fediverse_replies import RemoteReply

Fetch = Callable[[str], dict[str, Any]]  # a signed GET of an ActivityPub document
KEEP = timedelta(days=1)  # a key is fetched again after a day, or at once when it fails
MAX_KEYS = 2000


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    text: str
    follower: str | None = None  # a new follower, whose Accept is waiting to be sent


class KeyCache:
    """Remote keys by id, kept a day, at most MAX_KEYS (the oldest go first)."""

    def __init__(self, fetch: Fetch, clock: Callable[[], datetime]) -> None:
        self.fetch = fetch
        self.clock = clock
        self._keys: OrderedDict[str, tuple[datetime, RemoteKey]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, key_id: str, refresh: bool) -> RemoteKey:
        now = self.clock()
        with self._lock:
            kept = self._keys.get(key_id)
        if kept is not None and not refresh and kept[0] > now - KEEP:
            return kept[1]
        key = self._load(key_id)
        with self._lock:
            self._keys[key_id] = (now, key)
            self._keys.move_to_end(key_id)
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
        return key

    def _load(self, key_id: str) -> RemoteKey:
        try:
            document = self.fetch(key_id.partition("#")[0])
            key = key_of(document, key_id)
            if key.inbox is None:  # a key's own document: its owner says where its inbox is
                owner = self.fetch(key.owner)
                key = replace(key_of(owner, key_id), public_pem=key.public_pem)
        except SourceError as exc:
            raise SignatureRefused(f"cannot fetch the key {key_id}: {exc}") from None
        if _origin(key.owner) != _origin(key_id):
            raise SignatureRefused(f"the key {key_id} belongs to another server's actor")
        return key


def key_cache(account: Account, clock: Callable[[], datetime]) -> KeyCache:
    """Keys fetched with GETs signed by ``account`` (servers with authorized fetch sign
    nothing for a stranger), within its bounds."""
    sign = account.signer(clock)
    return KeyCache(lambda url: fetch_json(url, sign, account.bounds), clock)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def key_of(document: dict[str, Any], key_id: str) -> RemoteKey:
    """The key ``key_id`` in an actor (its ``publicKey``, one or a list) or a key document."""
    found = document.get("publicKey", document)
    candidates = found if isinstance(found, list) else [found]
    for candidate in candidates:
        if not isinstance(candidate, dict) or candidate.get("id") != key_id:
            continue
        pem, owner = candidate.get("publicKeyPem"), inbox.ident(candidate.get("owner"))
        if isinstance(pem, str) and owner is not None:
            is_actor = document.get("id") == owner
            endpoints = document.get("endpoints")
            shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
            username = document.get("preferredUsername")
            return RemoteKey(
                key_id,
                owner,
                pem,
                inbox=inbox.ident(document.get("inbox")) if is_actor else None,
                shared_inbox=shared if is_actor and isinstance(shared, str) else None,
                username=username if is_actor and isinstance(username, str) else None,
            )
    raise SourceError(f"{key_id} is not in the document it names")


def receive(
    incoming: Incoming, now: datetime, account: Account, store: SqlStore, keys: KeyCache
) -> InboxAnswer:
    try:
        key = verify_request(incoming, now, keys)
    except SignatureRefused as refused:
        return InboxAnswer(401, f"signature refused: {refused}")
    try:
        activity = json.loads(incoming.body)
    except (ValueError, UnicodeDecodeError):
        return InboxAnswer(400, "the body is not JSON")
    decision = inbox.decide(activity, key.owner, account.identity)
    return _act(decision, key, now, account, store)


def _act(
    decision: inbox.Decision, key: RemoteKey, now: datetime, account: Account, store: SqlStore
) -> InboxAnswer:
    match decision:
        case inbox.Refuse(reason):
            return InboxAnswer(401, reason)
        case inbox.Ignore(reason):
            return InboxAnswer(202, f"ignored: {reason}")
        case inbox.Unfollow(actor):
            gone = store.remove_follower(actor)
            return InboxAnswer(202, "unfollowed" if gone else "was not following")
        case inbox.AcceptFollow(actor, follow):
            if key.inbox is None:
                return InboxAnswer(400, "the follower's actor names no inbox")
            accept = activities.accept(account.identity, follow)
            follower = Follower(actor, key.inbox, key.shared_inbox, inbox.ident(follow))
            row = NewActivity(f"accept:{accept['id']}", "Accept", json.dumps(accept), public=False)
            store.add_follower(follower, row, now)
            return InboxAnswer(202, "following", follower=row.key)
        case inbox.IncomingReply():
            return _question(decision, key, now, store)
    return InboxAnswer(202, "ignored")


def _question(
    reply: inbox.IncomingReply, key: RemoteKey, now: datetime, store: SqlStore
) -> InboxAnswer:
    """A reply to one of our posts: a pending question in the moderation queue, its key
    from the Note's id (the same reply delivered twice is one question), kept with whom
    its answer goes back to."""
    entry_key = "fediverse:" + hashlib.sha256(reply.note_id.encode("utf-8")).hexdigest()
    if store.has_entry_key(entry_key):
        return InboxAnswer(202, "already received")
    given = QuestionInput(title=inbox.title_of(reply.text), body=reply.text, name=reply.author)
    try:
        checked = check_question(given)
    except InvalidQuestion as exc:
        return InboxAnswer(202, f"ignored: {exc}")
    host = urlsplit(reply.actor).netloc
    back = RemoteReply(
        note_id=reply.note_id,
        in_reply_to=reply.in_reply_to,
        actor=reply.actor,
        handle=f"@{key.username}@{host}" if key.username else None,
        inbox=key.shared_inbox or key.inbox,
    )
    added = store.add_reply_question(replace(checked, key=entry_key), back, now)
    return InboxAnswer(202, "kept for moderation" if added is not None else "already received")
