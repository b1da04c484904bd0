"""What an activity in our inbox means, decided without I/O.

The signature has been checked before this runs (:mod:`signatures`): ``signer`` is the
actor whose key signed the request, and an activity may only speak for its signer (a
server relaying another's activity without its signature is refused, as Mastodon does).

    Follow of our actor                 → accept it (and send a signed Accept)
    Undo of a Follow                    → remove the follower
    Create of a Note replying to ours   → a pending reader question, by the remote account
    anything else                       → taken (202) and ignored
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsletter.fediverse.actor import Identity
from newsletter.html_text import clean_line, html_to_paragraphs

TITLE_WORDS = 12


@dataclass(frozen=True)
class AcceptFollow:
    actor: str
    follow: dict[str, Any]  # the Follow, echoed in our Accept


@dataclass(frozen=True)
class Unfollow:
    actor: str


@dataclass(frozen=True)
class IncomingReply:
    actor: str
    note_id: str
    in_reply_to: str
    text: str  # the reply as paragraphs of plain text
    author: str  # how the moderation queue names the remote account


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class Refuse:
    reason: str  # answered 401: the activity speaks for someone who did not sign it


Decision = AcceptFollow | Unfollow | IncomingReply | Ignore | Refuse


def ident(value: Any) -> str | None:
    """The id of a reference: a URL string, or an object carrying one."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def decide(activity: Any, signer: str, identity: Identity) -> Decision:
    if not isinstance(activity, dict):
        return Ignore("not a JSON object")
    actor = ident(activity.get("actor"))
    if actor is None:
        return Ignore("no actor")
    if actor != signer:
        return Refuse(f"{actor} did not sign this; {signer} did")
    kind, target = activity.get("type"), activity.get("object")
    if kind == "Follow":
        if ident(target) != identity.actor_id:
            return Ignore("a Follow of someone else")
        return AcceptFollow(actor, activity)
    if kind == "Undo" and isinstance(target, dict | str):
        undone = target.get("type") if isinstance(target, dict) else None
        if undone in ("Follow", None):  # a bare id: Undo of what they did, i.e. a Follow
            return Unfollow(actor)
        return Ignore(f"an Undo of a {undone}")
    if kind == "Create" and isinstance(target, dict) and target.get("type") == "Note":
        return _reply(actor, target, identity)
    return Ignore(f"a {kind!s:.40} activity")


def _reply(actor: str, note: dict[str, Any], identity: Identity) -> Decision:
    parent, note_id = ident(note.get("inReplyTo")), ident(note.get("id"))
    if parent is None or not parent.startswith(identity.base_url) or note_id is None:
        return Ignore("a Note that replies to none of ours")
    content = note.get("content")
    text = html_to_paragraphs(content) if isinstance(content, str) else ""
    text = _without_mentions(text, identity)
    if not text.strip():
        return Ignore("an empty reply")
    return IncomingReply(actor, note_id, parent, text, _author(actor, note))


def _without_mentions(text: str, identity: Identity) -> str:
    """A reply starts by naming us (@news@host): the question is what follows."""
    words = text.split(" ")
    while words and words[0].lstrip("@").lower() in (identity.username, identity.acct.lower()):
        words.pop(0)
    return " ".join(words)


def _author(actor: str, note: dict[str, Any]) -> str:
    """``@user@host`` from the actor's URL when it says so, else the URL itself."""
    name = note.get("attributedTo")
    url = ident(name) or actor
    return clean_line(url)[:80]


def title_of(text: str) -> str:
    """The question's title: its first words."""
    words = clean_line(text).split()
    short = " ".join(words[:TITLE_WORDS])
    return short + ("…" if len(words) > TITLE_WORDS else "")
