"""The fediverse account against real fediverse software on loopback (issue 23): the test
actors of fediverse-pasture (tests/support/pasture.py, in a process of their own) follow us
with bovine's signed POSTs, fetch our key with signed GETs, and take our signed Accept and
Create at inboxes that refuse anything unsigned. Our app is served by waitress on 127.0.0.1,
on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import pytest
from bovine import BovineActor
from bovine.clients import lookup_uri_with_webfinger
from bovine.jsonld import jsonld_cache
from bovine.parse import Activity, Actor
from fediverse_pasture.data_provider import bovine_actor_for_actor_data
from fediverse_pasture.data_provider.generate import (
    generate_one_actor,
    generate_possible_actors,
)
from fediverse_pasture.data_provider.models import ActorData
from fediverse_pasture.server.verify_actor import ActorVerifier
from fediverse_pasture.types import Message
from sqlalchemy import select

from newsletter.config import Settings, load_settings
from newsletter.fediverse.federate import federate
from newsletter.questions import moderate
from newsletter.store import NewEntry, SqlStore
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import FediverseActivity, FediverseDelivery
from newsletter.web.server import make_server
from tests.support.web import SECRET, SITE, make_app, serving

pytestmark = [
    pytest.mark.slow,  # two servers, one in a process of its own
    # bovine raises on a 401 before releasing its response (the forged Follow below): the
    # connection it leaves is closed with the session, after a ResourceWarning.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
ROOT = Path(__file__).resolve().parent.parent

# bovine reads documents as JSON-LD and fetches the contexts they name; with no internet here,
# it gets the terms of https://w3id.org/security/v1 that our actor uses (as that document
# defines them) from its cache instead of dropping the key it cannot expand.
jsonld_cache.cache["https://w3id.org/security/v1"] = {
    "id": "@id",
    "type": "@type",
    "sec": "https://w3id.org/security#",
    "owner": {"@id": "sec:owner", "@type": "@id"},
    "publicKey": {"@id": "sec:publicKey", "@type": "@id"},
    "publicKeyPem": "sec:publicKeyPem",
}


def utc_now() -> datetime:
    """Real time: the pasture signs with the real clock, and so must we to be believed."""
    return datetime.now(UTC)


@dataclass
class Pasture:
    base: str  # http://127.0.0.1:PORT/
    actors: dict[str, ActorData]
    log: Path

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://").rstrip("/")

    def actor_id(self, name: str) -> str:
        return self.base + name

    def received(self, kind: str | None = None, by: str | None = None) -> list[dict[str, Any]]:
        """What the inboxes took (after their checks), of that type and by that actor's
        inbox when given."""
        if not self.log.exists():
            return []
        lines = map(json.loads, self.log.read_text(encoding="utf-8").splitlines())
        return [
            line["activity"]
            for line in lines
            if (kind is None or line["activity"].get("type") == kind)
            and (by is None or line["inbox"] == f"/{by}/inbox")
        ]

    def bovine(self, name: str) -> BovineActor:
        actor: BovineActor = bovine_actor_for_actor_data(self.actor_id(name), self.actors[name])[0]
        return actor


@pytest.fixture
def pasture(tmp_path: Path) -> Iterator[Pasture]:
    actors = [generate_one_actor(), *generate_possible_actors()]
    data = tmp_path / "actors.json"
    data.write_text(json.dumps([a.model_dump() for a in actors]), encoding="utf-8")
    listening = socket.create_server(("127.0.0.1", 0))  # bound before the process starts:
    port = listening.getsockname()[1]  # connections queue until it serves, no waiting loop
    log = tmp_path / "pasture.jsonl"
    script = str(ROOT / "tests/support/pasture.py")
    with (tmp_path / "pasture.err").open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, script, str(listening.fileno()), str(data), str(log)],
            pass_fds=[listening.fileno()],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    listening.close()
    try:
        yield Pasture(f"http://127.0.0.1:{port}/", {a.actor_name: a for a in actors}, log)
    finally:
        process.kill()
        process.wait(timeout=30)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Settings:
    root = tmp_path / "site"
    root.mkdir()
    (root / "feeds.yaml").write_text(
        SITE + "fediverse:\n  username: news\n  allow_private_addresses: true\n", encoding="utf-8"
    )
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": f"http://127.0.0.1:{free_port()}/",
    }
    return load_settings(root / "feeds.yaml", environ)


@dataclass
class Ours:
    """Our app, served by waitress on the base URL's port, as the pasture reaches it."""

    actor: str
    inbox: str


@pytest.fixture
def ours(site: Settings, store: SqlStore) -> Iterator[Ours]:
    port = int(site.env.base_url.rsplit(":", 1)[1].strip("/"))
    app = make_app(site, store, utc_now)
    with serving(make_server(app, "127.0.0.1", port)):
        actor = httpx.get(
            site.env.base_url + "actor", headers={"Accept": "application/activity+json"}
        ).json()
        yield Ours(actor["id"], actor["inbox"])


def article(store: SqlStore, key: str, title: str) -> None:
    entry = NewEntry(
        key=key,
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title=title,
        content_hash=key,
        link=f"https://www.example.com/{key}",
        summary_html="<p>Start with four.</p>",
    )
    store.save_entries(None, [entry], utc_now())


def followed_by(pasture: Pasture, ours: Ours, *names: str) -> None:
    for name in names:
        status = asyncio.run(
            bovine_post(pasture, name, ours.inbox, follow(pasture, name, ours.actor))
        )
        assert status == 202


def follow(pasture: Pasture, name: str, our_actor: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{pasture.actor_id(name)}/follows/1",
        "type": "Follow",
        "actor": pasture.actor_id(name),
        "object": our_actor,
    }


async def bovine_post(pasture: Pasture, name: str, inbox: str, activity: dict[str, Any]) -> int:
    """A signed POST by one of the pasture's actors, made by bovine (the second
    implementation: its signatures, not ours)."""
    async with aiohttp.ClientSession() as session:
        actor = pasture.bovine(name)
        await actor.init(session=session)  # type: ignore[no-untyped-call]
        try:
            status = int((await actor.post(inbox, activity)).status)
        except aiohttp.ClientResponseError as refused:  # bovine raises on 4xx
            status = refused.status
    # bovine raises before releasing a refused response: its connection's ResourceWarning is
    # raised here, not in whatever garbage collection comes next. There it could come inside
    # an ast.parse of a later test (werkzeug compiles each route with one), and pytest's hook
    # formatting the warning parses too: CPython 3.11 then fails the outer parse with
    # "SystemError: AST constructor recursion depth mismatch" (CI, twice).
    gc.collect()
    return status


def test_pasture_actors_follow_us_and_get_our_posts(
    pasture: Pasture, site: Settings, store: SqlStore, ours: Ours
) -> None:
    # Unsigned: 401, and nothing changes.
    unsigned = httpx.post(ours.inbox, json=follow(pasture, "claire", ours.actor))
    assert unsigned.status_code == 401
    # Signed by one actor, claiming to be another: 401 too.
    claimed = follow(pasture, "bob", ours.actor)
    forged = asyncio.run(bovine_post(pasture, "alice", ours.inbox, claimed))
    assert forged == 401
    assert store.follower_count() == 0

    # claire needs signed GETs (authorized fetch) and refuses unsigned POSTs.
    followed_by(pasture, ours, "claire", "bob")
    both = {pasture.actor_id("claire"), pasture.actor_id("bob")}
    assert {f.actor for f in store.followers()} == both
    # Our Accepts went out before the inbox answered, and the pasture's checks took them.
    assert {a["object"]["actor"] for a in pasture.received("Accept")} == both
    assert sorted(store.fedi_delivery_states().values()) == ["sent", "sent"]

    # Publishing delivers a Create to each follower's inbox, signed (202, not 401).
    article(store, "hills", "Hill repeats for beginners")
    report = federate(site, store, utc_now)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0), report.summary()
    creates = pasture.received("Create")
    assert len(creates) == 2
    assert "Hill repeats" in creates[0]["object"]["content"]
    again = federate(site, store, utc_now)  # a rerun sends nothing twice
    assert again.sent == 0

    # Undo: the follower goes.
    undo = {
        "type": "Undo",
        "id": pasture.actor_id("bob") + "/undo/1",
        "actor": pasture.actor_id("bob"),
        "object": follow(pasture, "bob", ours.actor),
    }
    assert asyncio.run(bovine_post(pasture, "bob", ours.inbox, undo)) == 202
    assert [f.actor for f in store.followers()] == [pasture.actor_id("claire")]


# What the pasture's verify_actor page counts as passing: every actor fetches ours (claire
# and frank only with a signed GET); those that sign (bob, claire, emily, frank) post to our
# inbox, and those that do not (alice, dean) are refused; WebFinger names our actor.
PASSING = {
    "alice": {"get_actor": True, "post_inbox": False},
    "bob": {"get_actor": True, "post_inbox": True},
    "claire": {"get_actor": True, "post_inbox": True},
    "dean": {"get_actor": True, "post_inbox": False},
    "emily": {"get_actor": True, "post_inbox": True},
    "frank": {"get_actor": True, "post_inbox": True},
    "webfinger": True,
}


def test_the_pastures_actor_verification_passes_every_check(
    pasture: Pasture, store: SqlStore, ours: Ours
) -> None:
    log = Message()
    verifier = ActorVerifier(
        actor_list=list(pasture.actors.values()),
        remote_uri=ours.actor,
        domain=pasture.host,  # its actors (and their keys) are served there
        message=log,
        timeout=60,
    )
    result = asyncio.run(verifier.verify())
    assert result == PASSING, "\n".join(map(str, log.steps))
    assert store.follower_count() == 0  # a Like is taken and ignored


def reply(pasture: Pasture, name: str, number: int, to: str, text: str) -> dict[str, Any]:
    actor = pasture.actor_id(name)
    note = {
        "id": f"{actor}/notes/{number}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": to,
        "content": f"<p>{text}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{number}",
        "type": "Create",
        "actor": actor,
        "object": note,
    }


def test_a_reply_waits_for_moderation_and_its_answer_replies_on_the_fediverse(
    pasture: Pasture, site: Settings, store: SqlStore, ours: Ours
) -> None:
    followed_by(pasture, ours, "claire", "bob")
    article(store, "hills", "Hill repeats for beginners")
    federate(site, store, utc_now)
    (note_id,) = {c["object"]["id"] for c in pasture.received("Create")}

    # claire (a follower) and emily (not one) reply to our post: pending questions by their
    # accounts, published nowhere.
    asked = reply(pasture, "claire", 1, note_id, "@news How many repeats after a marathon?")
    assert asyncio.run(bovine_post(pasture, "claire", ours.inbox, asked)) == 202
    also = reply(pasture, "emily", 1, note_id, "And before a 10k?")
    assert asyncio.run(bovine_post(pasture, "emily", ours.inbox, also)) == 202
    questions = {q.author: q for q in store.questions(None, 10)}
    claires, emilys = questions[pasture.actor_id("claire")], questions[pasture.actor_id("emily")]
    assert (claires.status, emilys.status) == ("pending", "pending")
    assert "after a marathon" in claires.content_html
    assert not {claires.id, emilys.id} & {e.id for e in store.latest_entries(50)}  # no feed
    outbox = store.outbox_count()
    assert federate(site, store, utc_now).sent == 0  # nor sent to anyone
    assert store.outbox_count() == outbox

    # Approved and answered: a Create to each follower (each inbox answering 202), and the
    # answer in reply to each asker's Note, to them alone, once.
    for question, text in ((claires, "Two weeks of easy running first."), (emilys, "Rest.")):
        moderate(store, question.id, "approve", utc_now())
        store.answer_question(question.id, f"<p>{text}</p>", utc_now())
    report = federate(site, store, utc_now)
    assert report.failed == report.retrying == 0, report.summary()
    assert federate(site, store, utc_now).sent == 0  # a rerun: nothing twice

    def about(text: str, by: str) -> list[dict[str, Any]]:
        return [c for c in pasture.received("Create", by) if text in c["object"]["content"]]

    (to_bob,) = about("easy running", "bob")
    assert "inReplyTo" not in to_bob["object"]
    assert answers(store, to_bob["id"]) == {
        pasture.actor_id("claire") + "/inbox": 202,
        pasture.actor_id("bob") + "/inbox": 202,
    }
    in_thread = [c for c in about("easy running", "claire") if "inReplyTo" in c["object"]]
    (answer,) = in_thread
    note = answer["object"]
    assert note["inReplyTo"] == asked["object"]["id"]
    assert note["cc"] == [pasture.actor_id("claire")]
    assert note["tag"] == [
        {"type": "Mention", "href": pasture.actor_id("claire"), "name": f"@claire@{pasture.host}"}
    ]
    assert len(about("easy running", "claire")) == 2  # the followers' post and the reply
    (to_emily,) = about("Rest.", "emily")  # not a follower: the reply only
    assert to_emily["object"]["inReplyTo"] == also["object"]["id"]
    assert about("Rest.", "bob")[0]["object"].get("inReplyTo") is None
    assert answers(store, to_emily["id"]) == {pasture.actor_id("emily") + "/inbox": 202}


def answers(store: SqlStore, activity_key: str) -> dict[str, int | None]:
    """Each inbox's answer to that activity, as the ledger recorded it."""
    query = (
        select(FediverseDelivery.inbox, FediverseDelivery.status)
        .join(FediverseActivity, FediverseActivity.id == FediverseDelivery.activity_id)
        .where(FediverseActivity.key == activity_key)
    )
    with store.engine.connect() as connection:
        return {inbox: status for inbox, status in connection.execute(query)}


async def bovine_reads_us(pasture: Pasture, name: str, ours: Ours) -> dict[str, Any]:
    """What a bovine client sees of us: it finds the account by WebFinger, fetches and parses
    the actor, follows it, reads the outbox page by page, and fetches a Note by its id."""
    async with aiohttp.ClientSession() as session:
        client = pasture.bovine(name)
        await client.init(session=session)  # type: ignore[no-untyped-call]
        base = ours.actor.removesuffix("actor")
        found, _ = await lookup_uri_with_webfinger(
            session, f"acct:news@{urlsplit(base).netloc}", base.rstrip("/")
        )
        assert found is not None, "WebFinger did not name our actor"
        actor = Actor(await client.get(found))
        keys = actor.cryptographic_identifiers
        await client.post(actor.data["inbox"], follow(pasture, name, actor.id))
        outbox = await client.get_ordered_collection(actor.data["outbox"])
        newest = await client.get(outbox["items"][0]["object"]["id"])  # a Note by its id
    # bovine leaves the response of its first outbox GET unreleased: its connection's
    # ResourceWarning is raised here, under this module's filter, not at the session's end.
    gc.collect()
    return {"actor": actor, "keys": keys, "outbox": outbox, "newest": newest}


def test_bovine_follows_us_and_reads_our_outbox(
    pasture: Pasture, site: Settings, store: SqlStore, ours: Ours
) -> None:
    titles = [f"Tempo run number {n}" for n in range(25)]  # more than one outbox page
    for n, title in enumerate(titles):
        article(store, f"tempo-{n}", title)
    followed_by(pasture, ours, "bob")  # the account posts what is new once it has followers
    federate(site, store, utc_now)

    seen = asyncio.run(bovine_reads_us(pasture, "emily", ours))
    actor = seen["actor"]
    assert actor.id == ours.actor
    (key,) = seen["keys"]
    assert key.controller == ours.actor  # bovine read our public key and its owner
    # emily's follow was accepted: bovine reads our Accept as the answer to her Follow.
    (accept,) = [a for a in pasture.received("Accept") if a["object"]["actor"].endswith("emily")]
    accepted = asyncio.run(Activity(accept).accept_for_follow(no_fetch))
    assert accepted is not None and accepted.actor_id == pasture.actor_id("emily")
    assert pasture.actor_id("emily") in {f.actor for f in store.followers()}

    outbox = seen["outbox"]
    assert outbox["total_items"] == len(outbox["items"]) == 25
    notes = [asyncio.run(Activity(item).object_for_create(no_fetch)) for item in outbox["items"]]
    assert all(note is not None and note.attributed_to_id == ours.actor for note in notes)
    read = [note.data["content"] for note in notes if note is not None]
    assert [next(t for t in titles if f"{t}<" in c) for c in read] == titles[::-1]
    newest = seen["newest"]
    assert newest["type"] == "Note" and newest["content"] == read[0]


async def no_fetch(object_id: str) -> dict[str, Any]:
    raise AssertionError(f"bovine had to fetch {object_id}: the activity should carry it")
