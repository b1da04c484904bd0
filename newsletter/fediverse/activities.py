"""The activities we send, as pure builders: Accept of a Follow, and Create, Update and
Delete of a post's Note. Ids are URLs under the actor; an activity's id is fixed by what it
says (an Update's by the content's hash), so building it twice gives the same one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsletter.fediverse.actor import AS, PUBLIC, Identity


@dataclass(frozen=True)
class PostContent:
    """One of our things as a post: an article, an answered question, the week's exercise."""

    key: str  # entry:12, exercise:2026-W48
    html: str  # the Note's content, already safe HTML
    url: str | None  # the page it is about
    published: datetime
    image: str | None = None  # an image URL, when there is one
    image_type: str = "image/svg+xml"
    in_reply_to: str | None = None  # a reply on the fediverse (an answered remote question)
    mention: Mention | None = None  # whom a reply is addressed to
    # Where it is delivered: the followers (None), or only this inbox (a reply's author's).
    deliver_to: str | None = None

    @property
    def content_hash(self) -> str:
        text = f"{self.html}\0{self.url}\0{self.image}\0{self.in_reply_to}\0{self.mention}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Mention:
    """The account a reply is addressed to: its actor, and how it is named (@user@host)."""

    actor: str
    name: str


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def note_id(identity: Identity, key: str) -> str:
    return f"{identity.actor_id}/notes/{key.replace(':', '-')}"


def note(identity: Identity, post: PostContent, updated: datetime | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": note_id(identity, post.key),
        "type": "Note",
        "attributedTo": identity.actor_id,
        "content": post.html,
        "published": _stamp(post.published),
        "to": [PUBLIC],
        "cc": [identity.followers],
    }
    if post.url:
        document["url"] = post.url
    if post.in_reply_to:
        document["inReplyTo"] = post.in_reply_to
    if post.mention:  # a public reply to them: addressed to them, and they are notified
        document["cc"] = [post.mention.actor]
        document["tag"] = [
            {"type": "Mention", "href": post.mention.actor, "name": post.mention.name}
        ]
    if post.image:
        document["attachment"] = [
            {"type": "Image", "mediaType": post.image_type, "url": post.image}
        ]
    if updated is not None:
        document["updated"] = _stamp(updated)
    return document


def served_note(kind: str, activity: dict[str, Any]) -> dict[str, Any]:
    """The Note as its id serves it, from the newest activity about it: the object of its
    Create or Update, or a Tombstone once deleted (Mastodon fetches a Note by id to thread a
    reply or show a boost)."""
    document = activity.get("object")
    if kind == "Delete" or not isinstance(document, dict):
        gone = document.get("id") if isinstance(document, dict) else document
        return {"@context": AS, "id": gone, "type": "Tombstone"}
    return {"@context": AS, **document}


def create(identity: Identity, post: PostContent) -> dict[str, Any]:
    return _wrap(identity, "Create", note(identity, post, None), post, "create")


def update(identity: Identity, post: PostContent, now: datetime) -> dict[str, Any]:
    return _wrap(
        identity, "Update", note(identity, post, now), post, f"update-{post.content_hash[:16]}"
    )


def delete(identity: Identity, key: str) -> dict[str, Any]:
    object_id = note_id(identity, key)
    return {
        "@context": AS,
        "id": f"{object_id}/delete",
        "type": "Delete",
        "actor": identity.actor_id,
        "object": {"id": object_id, "type": "Tombstone"},
        "to": [PUBLIC],
        "cc": [identity.followers],
    }


def _wrap(
    identity: Identity, kind: str, obj: dict[str, Any], post: PostContent, suffix: str
) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{obj['id']}/{suffix}",
        "type": kind,
        "actor": identity.actor_id,
        "published": obj["published"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }


def accept(identity: Identity, follow: dict[str, Any]) -> dict[str, Any]:
    """Our Accept of a Follow, the Follow echoed by its four fields (Mastodon matches it by
    id; the rest of what a stranger sent is not ours to repeat)."""
    echoed = {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow}
    seed = str(echoed.get("id") or echoed.get("actor"))
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    return {
        "@context": AS,
        "id": f"{identity.actor_id}/accepts/{digest}",
        "type": "Accept",
        "actor": identity.actor_id,
        "object": echoed,
    }
