"""The account's documents, as pure builders: the actor, WebFinger, NodeInfo, the outbox
and the followers collection. Paths are fixed and short (nginx passes them through, see
docs/fediverse.md): ``/actor`` (its outbox and followers below it), ``/inbox`` (the shared
inbox too: the site has one account)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = f"{AS}#Public"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
OUTBOX_PAGE = 20


@dataclass(frozen=True)
class Identity:
    """Who the site is on the fediverse; ``base_url`` ends with a slash."""

    base_url: str
    username: str
    name: str
    summary: str
    public_key_pem: str
    site_url: str  # the profile's link: the site's home page

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def actor_id(self) -> str:
        return self.base_url + "actor"

    @property
    def key_id(self) -> str:
        return self.actor_id + "#main-key"

    @property
    def inbox(self) -> str:
        return self.base_url + "inbox"

    @property
    def outbox(self) -> str:
        return self.actor_id + "/outbox"

    @property
    def followers(self) -> str:
        return self.actor_id + "/followers"

    @property
    def acct(self) -> str:
        """``news@host``; with the port when the base URL names one (``news@127.0.0.1:8000``,
        as Mastodon names the accounts of a server on a port)."""
        return f"{self.username}@{self.host.lower()}"


def actor(identity: Identity) -> dict[str, Any]:
    """The Service actor (a site, not a person), with its public key."""
    return {
        "@context": [AS, SECURITY],
        "id": identity.actor_id,
        "type": "Service",
        "preferredUsername": identity.username,
        "name": identity.name,
        "summary": identity.summary,
        "url": identity.site_url,
        "inbox": identity.inbox,
        "outbox": identity.outbox,
        "followers": identity.followers,
        "endpoints": {"sharedInbox": identity.inbox},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {
            "id": identity.key_id,
            "owner": identity.actor_id,
            "publicKeyPem": identity.public_key_pem,
        },
    }


def webfinger(identity: Identity, resource: str) -> dict[str, Any] | None:
    """The JRD for ``acct:user@host`` (or the actor's own URL); None for anyone else."""
    hostname = urlsplit(identity.base_url).hostname
    known = {
        f"acct:{identity.acct}".lower(),
        f"acct:{identity.username}@{hostname}".lower(),  # a port left out
        identity.actor_id.lower(),
    }
    if resource.strip().lower() not in known:
        return None
    return {
        "subject": f"acct:{identity.acct}",
        "aliases": [identity.actor_id],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": identity.actor_id},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": identity.site_url,
            },
        ],
    }


def nodeinfo_links(base_url: str) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": base_url + "nodeinfo/2.1"}]}


def nodeinfo(version: str, posts: int, open_registrations: bool = False) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {
            "name": "newsletter-digest",
            "version": version,
            "homepage": "https://pypi.org/project/newsletter-digest/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["rss2.0", "atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": posts,
        },
        "metadata": {},
    }


def outbox(identity: Identity, total: int) -> dict[str, Any]:
    """The outbox collection: its size and its first page."""
    return {
        "@context": AS,
        "id": identity.outbox,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": identity.outbox + "?page=true",
    }


def outbox_page(
    identity: Identity, items: Sequence[dict[str, Any]], next_before: int | None, page: str
) -> dict[str, Any]:
    """One page of the outbox, newest first; ``next_before`` is the id the next page starts
    below (None on the last page)."""
    document: dict[str, Any] = {
        "@context": AS,
        "id": page,
        "type": "OrderedCollectionPage",
        "partOf": identity.outbox,
        "orderedItems": list(items),
    }
    if next_before is not None:
        document["next"] = f"{identity.outbox}?page=true&before={next_before}"
    return document


def followers(identity: Identity, total: int) -> dict[str, Any]:
    """Only the count: who follows the site is theirs to show, not ours."""
    return {
        "@context": AS,
        "id": identity.followers,
        "type": "OrderedCollection",
        "totalItems": total,
    }
