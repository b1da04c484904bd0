"""An unchanged rerun is cheap: no parser process is started when no body needs parsing."""

from __future__ import annotations

import multiprocessing

from newsletter.sources import Limits, SourceRequest, collect
from tests.support.hostile_server import ROUTES, serve

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
        for result in collect(_requests(base, {}), LIMITS):
            children_first.append(len(multiprocessing.active_children()))
            first[result.request.key] = (
                result.fetch.etag,
                result.fetch.last_modified,
                result.body_hash,
            )
        children_again: list[int] = []
        for result in collect(_requests(base, first), LIMITS):
            assert result.unchanged
            children_again.append(len(multiprocessing.active_children()))
    assert min(children_first) >= 1  # the control: parsing did start workers
    assert children_again == [0, 0]
