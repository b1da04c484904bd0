"""The fediverse account (issue 23) without a network: signatures both ways, the inbox's
decisions, the delivery policy, the config, and the routes over the real database (the
remote key is served by a dict: the one fake, at the network seam). Real servers on
loopback: tests/test_fediverse_pasture.py."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import http_message_signatures as hms
import pytest
from http_message_signatures import algorithms

from newsletter.config import Settings, load_settings
from newsletter.errors import ConfigError
from newsletter.fediverse import actor as documents
from newsletter.fediverse import inbox
from newsletter.fediverse.actor import Identity
from newsletter.fediverse.delivery import GIVE_UP, next_step
from newsletter.fediverse.keys import new_private_key_pem, private_key, public_key_pem
from newsletter.fediverse.receive import KeyCache
from newsletter.fediverse.signatures import (
    Incoming,
    KeyLookup,
    RemoteKey,
    SignatureRefused,
    signed_headers,
    verify_request,
)
from newsletter.store import SqlStore
from newsletter.store.fediverse import FediState
from newsletter.store.fediverse_replies import RemoteReply
from tests.support.clock import Clock
from tests.support.web import SECRET, SITE, make_app

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
REMOTE = "https://social.example/users/ann"
REMOTE_KEY_ID = REMOTE + "#main-key"
REMOTE_PEM = new_private_key_pem()
OTHER_PEM = new_private_key_pem()
INBOX_URL = "https://news.example.com/inbox"


def remote_actor(pem: str = REMOTE_PEM) -> dict[str, Any]:
    return {
        "id": REMOTE,
        "type": "Person",
        "preferredUsername": "ann",
        "inbox": REMOTE + "/inbox",
        "endpoints": {"sharedInbox": "https://social.example/inbox"},
        "publicKey": {"id": REMOTE_KEY_ID, "owner": REMOTE, "publicKeyPem": public_key_pem(pem)},
    }


def lookup(pem: str = REMOTE_PEM) -> KeyLookup:
    def find(key_id: str, refresh: bool) -> RemoteKey:
        assert key_id == REMOTE_KEY_ID
        return RemoteKey(REMOTE_KEY_ID, REMOTE, public_key_pem(pem), REMOTE + "/inbox")

    return find


def signed(body: bytes, pem: str = REMOTE_PEM, now: datetime = NOW) -> Incoming:
    headers = signed_headers(pem, REMOTE_KEY_ID, "POST", INBOX_URL, body, now)
    return Incoming("POST", INBOX_URL, list(headers.items()), body)


# Signatures --------------------------------------------------------------------------


def test_a_draft_cavage_signature_verifies_and_names_its_key() -> None:
    key = verify_request(signed(b'{"a": 1}'), NOW, lookup())
    assert key.owner == REMOTE


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: Incoming(r.method, r.url, [], r.body), "not signed"),
        (lambda r: Incoming(r.method, r.url, r.fields, b'{"a": 2}'), "Digest"),
        (lambda r: Incoming(r.method, r.url.replace("inbox", "other"), r.fields, r.body), "verify"),
    ],
)
def test_a_request_changed_after_signing_is_refused(change: Any, why: str) -> None:
    with pytest.raises(SignatureRefused, match=why):
        verify_request(change(signed(b'{"a": 1}')), NOW, lookup())


def test_a_signature_by_another_key_is_refused_even_after_refetching() -> None:
    fetched: list[bool] = []

    def find(key_id: str, refresh: bool) -> RemoteKey:
        fetched.append(refresh)
        return lookup()(key_id, refresh)

    with pytest.raises(SignatureRefused, match="does not verify"):
        verify_request(signed(b"{}", pem=OTHER_PEM), NOW, find)
    assert fetched == [False, True]  # the cached key failed: fetched once more, then refused


def test_a_key_that_changed_is_fetched_again_and_then_verifies() -> None:
    keys = iter([OTHER_PEM, REMOTE_PEM])  # the cache holds the old key, the server the new
    key = verify_request(signed(b"{}"), NOW, lambda k, r: lookup(next(keys))(k, r))
    assert key.owner == REMOTE


@pytest.mark.parametrize("offset", [timedelta(hours=-13), timedelta(hours=2)])
def test_a_signature_out_of_the_time_window_is_refused(offset: timedelta) -> None:
    with pytest.raises(SignatureRefused, match="too far off"):
        verify_request(signed(b"{}", now=NOW + offset), NOW, lookup())


def test_an_rfc_9421_signature_verifies_with_its_content_digest() -> None:
    body = b'{"type": "Follow"}'
    headers = {"Date": format_datetime(NOW, True)}

    class Keys(hms.HTTPSignatureKeyResolver):
        def resolve_private_key(self, key_id: str) -> Any:
            return private_key(REMOTE_PEM)

    class Request:
        method, url = "POST", INBOX_URL

        def __init__(self) -> None:
            self.headers = dict(headers)

    request = Request()
    signer = hms.HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=Keys()
    )
    signer.sign(
        request,
        key_id=REMOTE_KEY_ID,
        created=NOW,
        covered_component_ids=("@method", "@target-uri"),
        body=body,  # adds Content-Digest and covers it
    )
    assert "Content-Digest" in request.headers
    incoming = Incoming("POST", INBOX_URL, list(request.headers.items()), body)
    assert verify_request(incoming, NOW, lookup()).owner == REMOTE
    forged = Incoming("POST", INBOX_URL, incoming.fields, b'{"type": "Undo"}')
    with pytest.raises(SignatureRefused):
        verify_request(forged, NOW, lookup())


def test_keys_are_cached_and_only_refetched_when_asked() -> None:
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return remote_actor()

    keys = KeyCache(fetch, Clock(NOW))
    assert keys(REMOTE_KEY_ID, False).shared_inbox == "https://social.example/inbox"
    keys(REMOTE_KEY_ID, False)
    keys(REMOTE_KEY_ID, True)
    assert fetched == [REMOTE, REMOTE]


def test_a_key_claimed_by_an_actor_of_another_server_is_refused() -> None:
    actor = remote_actor()
    actor["publicKey"]["owner"] = actor["id"] = "https://elsewhere.example/users/ann"
    with pytest.raises(SignatureRefused, match="another server"):
        KeyCache(lambda url: actor, Clock(NOW))(REMOTE_KEY_ID, False)


# The inbox's decisions ----------------------------------------------------------------

US = Identity("https://news.example.com/", "news", "News", "", "", "https://news.example.com/")


def test_the_inbox_decides_by_type_and_only_for_its_signer() -> None:
    follow = {"type": "Follow", "actor": REMOTE, "object": US.actor_id, "id": REMOTE + "/f/1"}
    assert isinstance(inbox.decide(follow, REMOTE, US), inbox.AcceptFollow)
    assert isinstance(inbox.decide(follow, "https://x.example/users/eve", US), inbox.Refuse)
    undo = {"type": "Undo", "actor": REMOTE, "object": follow}
    assert inbox.decide(undo, REMOTE, US) == inbox.Unfollow(REMOTE)
    other = {**follow, "object": "https://elsewhere.example/users/bob"}
    assert isinstance(inbox.decide(other, REMOTE, US), inbox.Ignore)
    note = {
        "type": "Note",
        "id": REMOTE + "/s/1",
        "inReplyTo": US.actor_id + "/notes/entry-3",
        "content": "<p><span>@news</span> How far should I run on a rest day?</p>",
    }
    reply = inbox.decide({"type": "Create", "actor": REMOTE, "object": note}, REMOTE, US)
    assert isinstance(reply, inbox.IncomingReply)
    assert reply.text.startswith("How far")
    elsewhere = {**note, "inReplyTo": "https://elsewhere.example/notes/1"}
    create = {"type": "Create", "actor": REMOTE, "object": elsewhere}
    assert isinstance(inbox.decide(create, REMOTE, US), inbox.Ignore)


# The delivery policy ------------------------------------------------------------------


def test_delivery_steps() -> None:
    assert next_step(202, 1, NOW, NOW).state == FediState.SENT
    gone = next_step(410, 1, NOW, NOW)
    assert gone.state == FediState.FAILED and gone.drop_inbox
    assert next_step(404, 1, NOW, NOW).state == FediState.FAILED
    retry = next_step(None, 1, NOW, NOW)
    assert retry.state == FediState.PENDING and retry.next_attempt_at == NOW + timedelta(minutes=1)
    later = next_step(503, 5, NOW, NOW).next_attempt_at
    assert later is not None and later - NOW == timedelta(hours=6)
    days = next_step(None, 40, NOW - GIVE_UP, NOW)
    assert days.state == FediState.FAILED and days.drop_inbox


# Config -------------------------------------------------------------------------------


def site(tmp_path: Path, fediverse: str, base_url: str = "https://news.example.com/") -> Settings:
    (tmp_path / "feeds.yaml").write_text(SITE + fediverse, encoding="utf-8")
    environ = {"NEWSLETTER_SECRET_KEY": SECRET, "NEWSLETTER_BASE_URL": base_url}
    return load_settings(tmp_path / "feeds.yaml", environ)


def test_the_account_is_off_until_feeds_yaml_enables_it(tmp_path: Path) -> None:
    assert site(tmp_path, "").fediverse is None
    assert site(tmp_path, "fediverse:\n  enabled: false\n").fediverse is None
    account = site(tmp_path, "fediverse:\n  username: tips\n").fediverse
    assert account is not None and account.username == "tips"


def test_the_account_needs_an_https_base_url_and_a_plain_username(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"feeds.yaml:12: fediverse needs an https"):
        site(tmp_path, "fediverse:\n  username: news\n", "http://news.example.com/")
    with pytest.raises(ConfigError, match=r"feeds.yaml:12: fediverse.username"):
        site(tmp_path, "fediverse:\n  username: no way\n")
    assert site(tmp_path, "fediverse: {}\n", "http://127.0.0.1:8000/").fediverse is not None


# The routes, over the real database ---------------------------------------------------


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return site(tmp_path, "fediverse:\n  username: news\n")


def client(settings: Settings, store: SqlStore) -> Any:
    app = make_app(settings, store, Clock(NOW))
    keys = KeyCache(lambda url: remote_actor(), Clock(NOW))
    federation = app.extensions["newsletter.fediverse"]
    federation._keys = keys  # the remote server's answer, without a network
    return app.test_client()


def post(web: Any, body: bytes, pem: str = REMOTE_PEM, **extra: str) -> Any:
    headers = {**signed_headers(pem, REMOTE_KEY_ID, "POST", INBOX_URL, body, NOW), **extra}
    headers.pop("host")
    return web.post("/inbox", data=body, headers=headers, base_url="https://news.example.com")


def test_webfinger_actor_and_nodeinfo(app_settings: Settings, store: SqlStore) -> None:
    web = client(app_settings, store)
    found = web.get("/.well-known/webfinger?resource=acct:news@news.example.com")
    assert found.status_code == 200
    assert found.json["links"][0]["href"] == "https://news.example.com/actor"
    assert web.get("/.well-known/webfinger?resource=acct:bob@news.example.com").status_code == 404
    actor = web.get("/actor", headers={"Accept": "application/activity+json"})
    assert actor.headers["Content-Type"] == "application/activity+json"
    assert "BEGIN PUBLIC KEY" in actor.json["publicKey"]["publicKeyPem"]
    assert actor.json["inbox"] == INBOX_URL
    again = client(app_settings, store).get("/actor", headers={"Accept": "application/json"})
    assert again.json["publicKey"] == actor.json["publicKey"]  # one key, made once
    links = web.get("/.well-known/nodeinfo").json["links"]
    assert links[0]["href"].endswith("/nodeinfo/2.1")
    assert web.get("/nodeinfo/2.1").json["protocols"] == ["activitypub"]
    assert web.get("/actor/followers").json["totalItems"] == 0


def test_every_route_is_404_while_the_account_is_off(tmp_path: Path, store: SqlStore) -> None:
    web = make_app(site(tmp_path, ""), store, Clock(NOW)).test_client()
    for path in ("/actor", "/.well-known/webfinger?resource=acct:news@news.example.com"):
        assert web.get(path).status_code == 404
    assert web.post("/inbox", data=b"{}").status_code == 404


def follow_body() -> bytes:
    return json.dumps(
        {
            "id": REMOTE + "/follows/1",
            "type": "Follow",
            "actor": REMOTE,
            "object": "https://news.example.com/actor",
        }
    ).encode()


def test_unsigned_and_forged_posts_get_401_and_change_nothing(
    app_settings: Settings, store: SqlStore
) -> None:
    web = client(app_settings, store)
    unsigned = web.post(
        "/inbox",
        data=follow_body(),
        headers={"Content-Type": "application/activity+json"},
        base_url="https://news.example.com",
    )
    assert unsigned.status_code == 401
    assert post(web, follow_body(), pem=OTHER_PEM).status_code == 401
    tampered = post(web, follow_body(), Digest="SHA-256=" + base64.b64encode(b"x" * 32).decode())
    assert tampered.status_code == 401
    assert store.follower_count() == 0
    assert store.fedi_delivery_states() == {}


def test_a_signed_follow_is_accepted_and_its_accept_queued(
    app_settings: Settings, store: SqlStore
) -> None:
    answer = post(client(app_settings, store), follow_body())
    assert answer.status_code == 202, answer.text
    assert [f.actor for f in store.followers()] == [REMOTE]
    # The Accept goes to the follower's own inbox; social.example does not exist here, so it
    # waits in the ledger for the next run.
    states = store.fedi_delivery_states()
    assert [(inbox, state) for (_, inbox), state in states.items()] == [
        (REMOTE + "/inbox", "pending")
    ]
    undo = {"type": "Undo", "actor": REMOTE, "object": json.loads(follow_body())}
    assert post(client(app_settings, store), json.dumps(undo).encode()).status_code == 202
    assert store.follower_count() == 0


def test_a_reply_to_one_of_our_posts_waits_for_moderation(
    app_settings: Settings, store: SqlStore
) -> None:
    note = {
        "id": REMOTE + "/statuses/9",
        "type": "Note",
        "attributedTo": REMOTE,
        "inReplyTo": "https://news.example.com/actor/notes/entry-1",
        "content": "<p>@news How do I start running after an injury?</p>",
    }
    body = json.dumps({"type": "Create", "actor": REMOTE, "object": note}).encode()
    web = client(app_settings, store)
    assert post(web, body).status_code == 202
    assert post(web, body).status_code == 202  # delivered twice: one question
    (question,) = store.questions(None, 10)
    assert question.status == "pending"
    assert question.author == REMOTE
    assert "after an injury" in question.content_html
    # Whom the answer goes back to: her server's shared inbox, mentioning her by name.
    assert store.replies_of([question.id]) == {
        question.id: RemoteReply(
            note_id=REMOTE + "/statuses/9",
            in_reply_to="https://news.example.com/actor/notes/entry-1",
            actor=REMOTE,
            handle="@ann@social.example",
            inbox="https://social.example/inbox",
        )
    }
    (recent,) = store.recent_replies(10)
    assert (recent.entry_id, recent.status, recent.handle) == (
        question.id,
        "pending",
        "@ann@social.example",
    )


def test_an_answer_to_a_reply_is_a_reply_to_them_alone() -> None:
    from newsletter.fediverse.posts import plan, reply_post
    from newsletter.store.entries import EntryKind, PublishedEntry

    asked = PublishedEntry(
        id=4,
        key="fediverse:abc",
        kind=EntryKind.QUESTION,
        guid=None,
        title="How do I start again?",
        summary_html="",
        content_html="<p>How do I start again?</p>",
        author=REMOTE,
        published_at=NOW,
        updated_at=None,
        first_seen_at=NOW,
        changed_at=NOW,
        answer_html="<p>Slowly.</p>",
        feed_name=None,
        feed_url=None,
        link=None,
    )
    back = RemoteReply(
        REMOTE + "/s/9",
        US.actor_id + "/notes/entry-1",
        REMOTE,
        "@ann@social.example",
        "https://social.example/inbox",
    )
    post = reply_post(asked, back, US.base_url)
    assert post is not None and post.key == "reply:4"
    ((activity, _),) = plan([post], {}, {}, US, NOW)
    assert activity.only_to == "https://social.example/inbox"  # not to the followers
    note = json.loads(activity.body)["object"]
    assert note["inReplyTo"] == REMOTE + "/s/9" and note["cc"] == [REMOTE]
    assert "@ann@social.example</a></span> Slowly." in note["content"]
    assert reply_post(asked, replace(back, inbox=None), US.base_url) is None  # nowhere to go


# What followers are told ----------------------------------------------------------------


def test_posts_are_created_updated_and_deleted_once() -> None:
    from newsletter.fediverse.activities import PostContent
    from newsletter.fediverse.posts import plan
    from newsletter.store.fediverse import PostState

    post = PostContent("entry:1", "<p>Hills</p>", "https://www.example.com/hills", NOW)
    (create,) = plan([post], {}, {}, US, NOW)
    assert create[0].type == "Create" and json.loads(create[0].body)["object"]["type"] == "Note"
    sent = {"entry:1": create[1]}
    assert plan([post], sent, {}, US, NOW) == []  # unchanged: nothing
    edited = PostContent("entry:1", "<p>Hills, edited</p>", post.url, NOW)
    (update,) = plan([edited], sent, {}, US, NOW)
    assert update[0].type == "Update" and update[0].key != create[0].key
    (gone,) = plan([], sent, {"entry:1": None}, US, NOW)
    assert gone[0].type == "Delete" and gone[1] == PostState("entry:1", post.content_hash, True)
    assert plan([], {"entry:1": gone[1]}, {"entry:1": None}, US, NOW) == []


def test_an_account_on_a_port_is_named_with_it() -> None:
    local = Identity("http://127.0.0.1:8000/", "news", "News", "", "", "http://127.0.0.1:8000/")
    assert local.acct == "news@127.0.0.1:8000"  # what a client computes from the actor's id
    for resource in ("acct:news@127.0.0.1:8000", "acct:news@127.0.0.1"):
        found = documents.webfinger(local, resource)
        assert found is not None and found["subject"] == "acct:news@127.0.0.1:8000"


def test_each_note_is_served_at_its_id_until_deleted(
    app_settings: Settings, store: SqlStore
) -> None:
    from newsletter.fediverse.account import open_account
    from newsletter.fediverse.activities import PostContent
    from newsletter.fediverse.posts import plan

    web = client(app_settings, store)
    identity = open_account(app_settings, store, NOW).identity
    post = PostContent("entry:7", "<p>Hills</p>", "https://www.example.com/hills", NOW)
    store.publish_activities(plan([post], {}, {}, identity, NOW), NOW)
    note_id = "https://news.example.com/actor/notes/entry-7"
    as_json = {"Accept": "application/activity+json"}

    served = web.get("/actor/notes/entry-7", headers=as_json)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/activity+json"
    assert served.json["id"] == note_id and served.json["content"] == "<p>Hills</p>"
    assert served.json["attributedTo"] == "https://news.example.com/actor"
    person = web.get("/actor/notes/entry-7", headers={"Accept": "text/html"})
    assert person.status_code == 302 and person.headers["Location"] == post.url

    edited = PostContent("entry:7", "<p>Hills, edited</p>", post.url, NOW)
    store.publish_activities(plan([edited], store.post_states(), {}, identity, NOW), NOW)
    assert web.get("/actor/notes/entry-7", headers=as_json).json["content"] == edited.html

    store.publish_activities(plan([], store.post_states(), {"entry:7": None}, identity, NOW), NOW)
    gone = web.get("/actor/notes/entry-7", headers=as_json)
    assert gone.status_code == 410 and gone.json == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note_id,
        "type": "Tombstone",
    }
    assert web.get("/actor/notes/entry-8", headers=as_json).status_code == 404
    assert web.get("/actor/notes/entry-7%", headers=as_json).status_code == 404


# Remote addresses ----------------------------------------------------------------------


def unsigned(method: str, url: str, body: bytes | None) -> dict[str, str]:
    return {}


def test_without_the_trial_setting_no_request_reaches_this_machine_or_a_private_network() -> None:
    from newsletter.errors import FetchError
    from newsletter.sources.fediverse import Bounds, Post, check_url, fetch_json, post_all
    from tests.support.instances import Instances, serving

    public = Bounds(allow_private=False)
    for url in ("http://social.example/inbox", "https://127.0.0.1/inbox", "https://10.1.2.3/x",
                "https://[::1]/inbox", "https://169.254.169.254/latest"):  # fmt: skip
        with pytest.raises(FetchError):
            check_url(url, public.allow_private)
    with serving(Instances(["up"])) as instances:
        port = instances.ports[0]
        # A name that resolves to this machine is refused after DNS, before any connection.
        (answer,) = post_all([Post(1, f"https://localhost:{port}/inbox", b"{}")], unsigned, public)
        assert answer.status is None and "no public address" in (answer.error or "")
        with pytest.raises(FetchError, match="no public address"):
            fetch_json(f"https://localhost:{port}/actor", unsigned, public)
        assert instances.received == []  # nothing got through
        trial = Bounds(allow_private=True)  # feeds.yaml's allow_private_addresses: true
        (answer,) = post_all(
            [Post(1, f"http://127.0.0.1:{port}/inbox", b'{"id": "x", "type": "Like"}')],
            lambda m, u, b: {},
            trial,
        )
        assert answer.status == 202 and len(instances.received) == 1
