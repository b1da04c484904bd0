"""The fediverse's HTTP: a signed GET of an actor or key, and POSTs of activities to inboxes.

Every URL here was named by a stranger (an actor's inbox, a keyId), so every request is
bounded: https only, no redirect followed, a deadline, a cap on the bytes read, and no
address on this machine or a private network (the resolver drops them after DNS, so a name
that points at 127.0.0.1 is refused too), unless the site allows private addresses (a trial
on one machine, the tests). POSTs run concurrently, a few per server at a time, and a
server that cannot be reached is not tried again in the same call: one dead instance never
holds up the others.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from newsletter import __version__
from newsletter.errors import FetchError
from newsletter.sources.messages import first_line, os_reason

USER_AGENT = f"newsletter/{__version__} (fediverse account)"
ACTIVITY_JSON = "application/activity+json"
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_JSON = 1 << 20  # an actor document: Mastodon's are a few KiB
MAX_ANSWER = 16 * 1024  # what we keep of an inbox's answer (for the ledger's error column)

# method, url, body -> the headers that sign the request (Host, Date, Digest, Signature).
Sign = Callable[[str, str, bytes | None], Mapping[str, str]]


@dataclass(frozen=True)
class Bounds:
    allow_private: bool = False
    timeout: float = 20.0  # a whole request, connect to last byte
    connect_timeout: float = 10.0
    concurrency: int = 32  # POSTs in flight
    per_host: int = 2  # POSTs in flight to one server


@dataclass(frozen=True)
class Post:
    """One signed POST to make: ``body`` to the inbox at ``url``; ``id`` is its job's."""

    id: int
    url: str
    body: bytes

    @property
    def host(self) -> str:
        """The server it goes to: one turn per server, and what is marked down."""
        return urlsplit(self.url).netloc.lower()


@dataclass(frozen=True)
class Posted:
    """An inbox's answer (``status``), or why there was none (``error``, status None);
    ``unreachable``: the server could not be reached (its other posts were not tried)."""

    id: int
    status: int | None
    error: str | None = None
    unreachable: bool = False


class PublicResolver(AbstractResolver):
    """The system's resolver, less every address that is not on the public internet."""

    def __init__(self, allow_private: bool) -> None:
        self.inner = aiohttp.ThreadedResolver()
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        kept = [r for r in found if self.allow_private or _public(r["host"])]
        if not kept:
            raise OSError(f"{host} resolves to no public address")
        return kept

    async def close(self) -> None:
        await self.inner.close()


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_global
    except ValueError:
        return False


def check_url(url: str, allow_private: bool) -> str:
    """``url`` when we may send to it; FetchError saying why not."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise FetchError(f"not a URL: {url[:200]!r}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname or len(url) > 2048:
        raise FetchError(f"not an https URL: {url[:200]!r}")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url
    if not allow_private and not literal.is_global:
        raise FetchError(f"{parts.hostname} is not a public address")
    return url


def _session(bounds: Bounds) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            resolver=PublicResolver(bounds.allow_private), limit=bounds.concurrency
        ),
        timeout=aiohttp.ClientTimeout(total=bounds.timeout, sock_connect=bounds.connect_timeout),
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def fetch_json(url: str, sign: Sign, bounds: Bounds) -> dict[str, Any]:
    """An ActivityPub document (an actor, its key), by a signed GET (servers with
    authorized fetch answer nothing else)."""
    check_url(url, bounds.allow_private)
    try:
        return asyncio.run(_fetch_json(url, sign, bounds))
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {bounds.timeout:g} s") from None
    except aiohttp.ClientConnectorError as exc:
        raise FetchError(f"{url}: cannot connect ({os_reason(exc.os_error)})") from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise FetchError(f"{url}: {first_line(exc)}") from None


async def _fetch_json(url: str, sign: Sign, bounds: Bounds) -> dict[str, Any]:
    headers = {"Accept": ACCEPT, **sign("GET", url, None)}
    async with (
        _session(bounds) as session,
        session.get(url, headers=headers, allow_redirects=False) as response,
    ):
        if response.status != 200:
            raise FetchError(f"{url}: HTTP {response.status}")
        body = await _read(response, MAX_JSON)
    if len(body) > MAX_JSON:
        raise FetchError(f"{url}: the document is larger than {MAX_JSON} bytes")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FetchError(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url}: not a JSON object")
    return document


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(16 * 1024):
        body += chunk
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])


def post_stream(
    claim: Callable[[], Sequence[Post]],
    sign: Sign,
    bounds: Bounds,
    on_answers: Callable[[list[Posted]], None],
) -> int:
    """POST, signed and concurrently, what ``claim`` hands over, batch after batch, until it
    hands over nothing; returns how many were posted.

    The next batch is claimed while the last POSTs of the one before are still going (once
    fewer than twice the concurrency wait), so the pipe does not drain between batches and
    one session keeps its connections. ``on_answers`` gets the answers soon after they come
    back, a group at a time (all those that came while the previous group was handled):
    the caller records each result as it comes, so a crash leaves only the POSTs in flight
    in doubt. ``claim`` and ``on_answers`` run in a worker thread, one at a time (both
    write to the database), while the POSTs go on."""
    return asyncio.run(_post_stream(claim, sign, bounds, on_answers))


def post_all(posts: Sequence[Post], sign: Sign, bounds: Bounds) -> list[Posted]:
    """POST each body to its inbox, signed, concurrently; one answer per post, in order."""
    batches = iter([list(posts), []])
    answers: dict[int, Posted] = {}
    post_stream(
        lambda: next(batches), sign, bounds, lambda got: answers.update((a.id, a) for a in got)
    )
    return [answers[post.id] for post in posts]


@dataclass
class _Turns:
    """Whose turn it is: a few POSTs per server, a few dozen in all (the deadline of a POST
    starts when its turn comes, not while it waits), and the servers found down."""

    bounds: Bounds
    hosts: dict[str, asyncio.Semaphore]
    all: asyncio.Semaphore
    down: set[str]


@dataclass
class _Answers:
    """Answers waiting to be handed over, and the lock that lets one database call (a group
    of answers, or a claim) run at a time."""

    handle: Callable[[list[Posted]], None]
    waiting: list[Posted]
    lock: asyncio.Lock

    async def add(self, posted: Posted) -> None:
        self.waiting.append(posted)
        async with self.lock:  # the first to get it takes every answer that waits
            group, self.waiting = self.waiting, []
            if group:
                await asyncio.to_thread(self.handle, group)


async def _post_stream(
    claim: Callable[[], Sequence[Post]],
    sign: Sign,
    bounds: Bounds,
    on_answers: Callable[[list[Posted]], None],
) -> int:
    turns = _Turns(bounds, {}, asyncio.Semaphore(bounds.concurrency), set())
    answers = _Answers(on_answers, [], asyncio.Lock())
    posted, refill = 0, 2 * bounds.concurrency
    waiting: set[asyncio.Task[None]] = set()
    async with _session(bounds) as session:

        async def one(post: Post) -> None:
            await answers.add(await _turn(session, post, sign, turns))

        try:
            while True:
                async with answers.lock:
                    batch = await asyncio.to_thread(claim)
                if not batch:
                    break
                posted += len(batch)
                waiting |= {asyncio.create_task(one(post)) for post in batch}
                while len(waiting) >= refill:
                    done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()  # an answer that could not be recorded stops it all
            await asyncio.gather(*waiting)
        finally:
            for task in waiting:
                task.cancel()
    return posted


async def _turn(session: aiohttp.ClientSession, post: Post, sign: Sign, turns: _Turns) -> Posted:
    host = post.host
    try:
        check_url(post.url, turns.bounds.allow_private)
    except FetchError as exc:
        return Posted(post.id, None, str(exc))
    per_host = turns.hosts.setdefault(host, asyncio.Semaphore(turns.bounds.per_host))
    async with per_host, turns.all:
        if host in turns.down:
            return Posted(post.id, None, f"{host} could not be reached", unreachable=True)
        return await _post(session, post, sign, host, turns.down)


async def _post(
    session: aiohttp.ClientSession, post: Post, sign: Sign, host: str, down: set[str]
) -> Posted:
    headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACCEPT}
    try:
        headers.update(sign("POST", post.url, post.body))  # signed when its turn comes
        async with session.post(
            post.url, data=post.body, headers=headers, allow_redirects=False
        ) as response:
            answer = await _read(response, MAX_ANSWER)
            text = answer.decode("utf-8", "replace")[:500] if response.status >= 300 else None
            return Posted(post.id, response.status, text)
    except (TimeoutError, aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError) as exc:
        down.add(host)
        if isinstance(exc, TimeoutError):
            why = "no answer in time"
        elif isinstance(exc, aiohttp.ClientConnectorError):
            why = f"cannot connect ({os_reason(exc.os_error)})"  # refused, or not public
        else:
            why = first_line(exc)
        return Posted(post.id, None, f"{host}: {why}", unreachable=True)
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Posted(post.id, None, f"{host}: {first_line(exc)}")
