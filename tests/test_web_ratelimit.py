"""The token bucket behind the forms' rate limits: pure, with time passed in."""

from __future__ import annotations

import pytest

from newsletter.web.ratelimit import Rate, TokenBucket, client_key


def test_a_burst_then_one_post_per_period() -> None:
    bucket = TokenBucket(Rate(burst=3, per=60))
    assert [bucket.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", 0.0) == 60.0
    assert bucket.take("a", 30.0) == pytest.approx(30.0)  # half a post earned
    assert bucket.take("a", 60.0) == 0.0
    assert bucket.take("a", 60.0) == 60.0


def test_a_refused_post_costs_nothing() -> None:
    bucket = TokenBucket(Rate(burst=1, per=10))
    assert bucket.take("a", 0.0) == 0.0
    for second in range(9):
        assert bucket.take("a", float(second)) > 0
    assert bucket.take("a", 10.0) == 0.0  # hammering did not push the next post back


def test_an_idle_client_earns_back_no_more_than_the_burst() -> None:
    bucket = TokenBucket(Rate(burst=2, per=10))
    bucket.take("a", 0.0)
    results = [bucket.take("a", 10_000.0) for _ in range(3)]
    assert results == [0.0, 0.0, 10.0]


def test_clients_are_counted_apart() -> None:
    bucket = TokenBucket(Rate(burst=1, per=60))
    assert bucket.take("a", 0.0) == 0.0
    assert bucket.take("b", 0.0) == 0.0
    assert bucket.take("a", 1.0) > 0


def test_a_clock_that_goes_back_earns_nothing() -> None:
    bucket = TokenBucket(Rate(burst=1, per=60))
    bucket.take("a", 100.0)
    assert bucket.take("a", 50.0) > 0


def test_memory_stays_bounded() -> None:
    bucket = TokenBucket(Rate(burst=2, per=60), max_keys=100)
    for n in range(1000):
        bucket.take(f"client-{n}", float(n))
    assert len(bucket) <= 100


def test_full_buckets_are_forgotten_before_a_client_that_is_still_limited() -> None:
    bucket = TokenBucket(Rate(burst=2, per=60), max_keys=100)
    for n in range(99):
        bucket.take(f"old-{n}", 0.0)  # full again by t=1000
    bucket.take("busy", 1000.0)
    bucket.take("busy", 1000.0)  # empty at t=1000: it must be remembered
    for n in range(5):
        bucket.take(f"new-{n}", 1000.0)
    assert len(bucket) == 6
    assert bucket.take("busy", 1000.0) > 0


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("not an address", "not an address"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_slash_64(address: str | None, key: str) -> None:
    assert client_key(address) == key
