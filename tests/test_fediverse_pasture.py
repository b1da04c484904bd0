"""The fediverse account against real fediverse software on loopback (issue 23): the test
actors of fediverse-pasture (tests/support/pasture.py, in a process of their own) follow us
with bovine's signed POSTs, fetch our key with signed GETs, and take our signed Accept and
Create at inboxes that refuse anything unsigned. Our app is served by waitress on 127.0.0.1,
on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from bovine import BovineActor
from fediverse_pasture.data_provider import bovine_actor_for_actor_data
from fediverse_pasture.data_provider.generate import (
    generate_one_actor,
    generate_possible_actors,
)
from fediverse_pasture.data_provider.models import ActorData

from newsletter.config import Settings, load_settings
from newsletter.fediverse.federate import federate
from newsletter.store import NewEntry, SqlStore
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.web.server import make_server
from tests.support.web import SECRET, SITE, make_app, serving

pytestmark = [
    pytest.mark.slow,  # two servers, one in a process of its own
    # bovine raises on a 401 before releasing its response (the forged Follow below): the
    # connection it leaves is closed with the session, after a ResourceWarning.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
ROOT = Path(__file__).resolve().parent.parent


def utc_now() -> datetime:
    """Real time: the pasture signs with the real clock, and so must we to be believed."""
    return datetime.now(UTC)


@dataclass
class Pasture:
    base: str  # http://127.0.0.1:PORT/
    actors: dict[str, ActorData]
    log: Path

    def actor_id(self, name: str) -> str:
        return self.base + name

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

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
            response = await actor.post(inbox, activity)
        except aiohttp.ClientResponseError as refused:  # bovine raises on 4xx
            return refused.status
        return int(response.status)


def test_pasture_actors_follow_us_and_get_our_posts(
    pasture: Pasture, site: Settings, store: SqlStore
) -> None:
    port = int(site.env.base_url.rsplit(":", 1)[1].strip("/"))
    app = make_app(site, store, utc_now)
    with serving(make_server(app, "127.0.0.1", port)):
        ours = httpx.get(
            site.env.base_url + "actor", headers={"Accept": "application/activity+json"}
        )
        our_actor, inbox = ours.json()["id"], ours.json()["inbox"]

        # Unsigned: 401, and nothing changes.
        unsigned = httpx.post(inbox, json=follow(pasture, "claire", our_actor))
        assert unsigned.status_code == 401
        # Signed by one actor, claiming to be another: 401 too.
        claimed = follow(pasture, "bob", our_actor)
        forged = asyncio.run(bovine_post(pasture, "alice", inbox, claimed))
        assert forged == 401
        assert store.follower_count() == 0

        # claire needs signed GETs (authorized fetch) and refuses unsigned POSTs.
        for name in ("claire", "bob"):
            status = asyncio.run(
                bovine_post(pasture, name, inbox, follow(pasture, name, our_actor))
            )
            assert status == 202
        assert {f.actor for f in store.followers()} == {
            pasture.actor_id("claire"),
            pasture.actor_id("bob"),
        }
        # Our Accepts went out before the inbox answered, and the pasture's checks took them.
        accepts = [a for a in pasture.received() if a.get("type") == "Accept"]
        assert {a["object"]["actor"] for a in accepts} == {
            pasture.actor_id("claire"),
            pasture.actor_id("bob"),
        }
        ledger = store.fedi_delivery_states()
        assert sorted(ledger.values()) == ["sent", "sent"]

        # Publishing delivers a Create to each follower's inbox, signed (202, not 401).
        now = utc_now()
        store.save_entries(
            None,
            [
                NewEntry(
                    key="guid:hills",
                    kind=EntryKind.ARTICLE,
                    status=EntryStatus.APPROVED,
                    title="Hill repeats for beginners",
                    content_hash="h1",
                    link="https://www.example.com/hills",
                    summary_html="<p>Start with four.</p>",
                )
            ],
            now,
        )
        report = federate(site, store, utc_now)
        assert (report.sent, report.retrying, report.failed) == (2, 0, 0), report.summary()
        creates = [a for a in pasture.received() if a.get("type") == "Create"]
        assert len(creates) == 2
        assert "Hill repeats" in creates[0]["object"]["content"]
        again = federate(site, store, utc_now)  # a rerun sends nothing twice
        assert again.sent == 0

        # Undo: the follower goes.
        undo = {
            "type": "Undo",
            "id": pasture.actor_id("bob") + "/undo/1",
            "actor": pasture.actor_id("bob"),
            "object": follow(pasture, "bob", our_actor),
        }
        assert asyncio.run(bovine_post(pasture, "bob", inbox, undo)) == 202
        assert [f.actor for f in store.followers()] == [pasture.actor_id("claire")]
