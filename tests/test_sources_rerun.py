"""An unchanged rerun is cheap: no parser process is started when no body needs parsing."""

from __future__ import annotations

import multiprocessing

from newsletter.sources import Limits, SourceRequest
from newsletter.sources.read import read_feeds
from tests.support.hostile_server import GOOD_ETAG, ROUTES, serve

LIMITS = Limits(concurrency=4, deadline=5, parse_workers=2)


Validators = tuple[str | None, str | None, str | None]  # etag, last-modified, body hash


def _requests(base: str, first: dict[str, Validators]) -> list[SourceRequest]:
    return [
        SourceRequest(
            feed_id=n,
            key=path,
            kind="articles",
            url=base + path,
            etag=first.get(path, (None, None, None))[0],
            last_modified=first.get(path, (None, None, None))[1],
            content_hash=first.get(path, (None, None, None))[2],
        )
        for n, path in enumerate(["/good.rss", "/good.atom"])
    ]


def test_parser_processes_start_only_when_a_body_needs_parsing() -> None:
    with serve(ROUTES) as base:
        children_first: list[int] = []
        first: dict[str, Validators] = {}
        for result in read_feeds(_requests(base, {}), LIMITS):
            children_first.append(len(multiprocessing.active_children()))
            first[result.request.key] = (
                result.fetch.etag,
                result.fetch.last_modified,
                result.body_hash,
            )
        children_again: list[int] = []
        for result in read_feeds(_requests(base, first), LIMITS):
            assert result.unchanged
            children_again.append(len(multiprocessing.active_children()))
    assert min(children_first) >= 1  # the control: parsing did start workers
    assert children_again == [0, 0]


def test_unchanged_feeds_reuse_one_connection() -> None:
    # A 304 closed before its (empty) end was read used to close its connection: a rerun
    # of 500 feeds opened 500 connections.
    with serve(ROUTES) as base:
        requests = [
            SourceRequest(
                feed_id=n, key=str(n), kind="articles", url=base + "/good.rss", etag=GOOD_ETAG
            )
            for n in range(5)
        ]
        results = list(read_feeds(requests, Limits(concurrency=1, deadline=5, parse_workers=1)))
        opened = list(base.opened)
    assert [r.fetch.status_code for r in results] == [304] * 5
    assert len(opened) == 1, opened
