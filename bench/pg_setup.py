"""PostgreSQL for the benchmarks: a fresh schema, N subscribers and a digest's deliveries."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bench import send as send_bench

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("NEWSLETTER_TEST_POSTGRES_URL") or DEFAULT_URL


def unreachable(url: str) -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {url} is unreachable ({exc.__class__.__name__})"
    return None


def databases(figure: str, rows: list[dict[str, object]]) -> Iterator[tuple[str, str]]:
    """("SQLite", ""), then ("PostgreSQL", its URL) when it is reachable; when it is not,
    a row saying why (``figure``, the database's name) goes into ``rows`` instead."""
    yield "SQLite", ""
    url = postgres_url()
    why = unreachable(url)
    if why:
        rows.append({"figure": f"{figure}, PostgreSQL", "skipped": why})
    else:
        yield "PostgreSQL", url


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new schema, migrated to head; yields its URL and drops it afterwards."""
    from sqlalchemy import create_engine, text

    from newsletter.store.engine import make_engine, upgrade

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(scoped)
        upgrade(engine)
        engine.dispose()
        yield scoped
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def fill(url: str, size: int) -> dict[str, float]:
    """N active subscribers, a digest, its deliveries queued; the timings of each step."""
    from sqlalchemy import insert, text

    from newsletter.store import SqlStore
    from newsletter.store.engine import make_engine
    from newsletter.store.models import Digest

    engine = make_engine(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscribers (email, email_key, state, source, created_at, "
                "confirmed_at) SELECT e, e, 'active', 'import', :now, :now FROM "
                "(SELECT 'reader' || lpad(n::text, 7, '0') || '@bench.example' AS e "
                "FROM generate_series(0, :last) AS n) AS g"
            ),
            {"now": now, "last": size - 1},
        )
    inserted = time.perf_counter() - started
    text_body, html_body = send_bench.digest_bodies()
    values = {"week": "2026-W48", "built_at": now, "period_start": now, "period_end": now}
    values |= {"subject": send_bench.SUBJECT, "html": html_body, "text": text_body}
    with engine.begin() as connection:
        key = connection.execute(insert(Digest).values(**values)).inserted_primary_key
        digest_id = int(key[0]) if key else 0
    store = SqlStore(engine)
    started = time.perf_counter()
    queued = store.queue_deliveries(digest_id, now)
    queue_seconds = time.perf_counter() - started
    assert queued == size, (queued, size)
    started = time.perf_counter()
    with engine.begin() as connection:  # the floor: the same ids into a table with no index
        connection.execute(
            text(
                "CREATE TEMP TABLE floor_copy AS SELECT :digest AS digest_id, id AS "
                "subscriber_id, 'pending' AS state, 0 AS attempts FROM subscribers "
                "WHERE state = 'active'"
            ),
            {"digest": digest_id},
        )
    floor_seconds = time.perf_counter() - started
    store.close()
    return {"insert": inserted, "queue": queue_seconds, "floor": floor_seconds}


def limit_sending(url: str, send_limit: int) -> int:
    """Leave only the first ``send_limit`` deliveries due (the rest marked skipped), for a
    send capped below N; returns how many stay due."""
    from sqlalchemy import text

    from newsletter.store.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE deliveries SET state = 'skipped', error = 'bench --send-limit' "
                "WHERE id > (SELECT min(id) FROM deliveries) + :limit - 1"
            ),
            {"limit": send_limit},
        )
        due = connection.execute(text("SELECT count(*) FROM deliveries WHERE state = 'pending'"))
        count = int(due.scalar_one())
    engine.dispose()
    return count
