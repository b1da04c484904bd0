"""Fuzz target for the webhook bodies (issue 24): whatever a stranger posts to /hooks/ses or
/hooks/mailgun (JSON of any shape, deep nesting, broken encodings, near-miss SNS and Mailgun
messages), the answer is a 4xx without a traceback and no subscriber changes. Runs on SQLite,
briefly in `make test` and at length in `make fuzz` (tests/fuzzing/__init__.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from newsletter.hooks.sns import sns_url
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from newsletter.web import UNLIMITED, create_app
from tests.fuzzing import fuzz_settings
from tests.support.clock import Clock
from tests.support.sns import certificate
from tests.support.web import add_subscriber, subscriber, web_settings

PEOPLE = ("ann@example.org", "bob@example.org")
ARN = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
# Near misses: the fields each relay's handler reads, with values of any shape.
sns_like = st.fixed_dictionaries(
    {
        "Type": st.sampled_from(["Notification", "SubscriptionConfirmation", "x"]),
        "TopicArn": st.sampled_from([ARN, "arn:aws:sns:x"]),
        "SigningCertURL": st.sampled_from(
            ["https://sns.eu-west-1.amazonaws.com/a.pem", "https://sns.s3.amazonaws.com/a.pem"]
        ),
    },
    optional={
        "Message": json_values.map(json.dumps) | st.text(max_size=60),
        "MessageId": st.text(max_size=20),
        "Signature": st.text(max_size=20),
        "SignatureVersion": st.sampled_from(["1", "2", "3"]),
        "Timestamp": st.text(max_size=30),
    },
)
mailgun_like = st.fixed_dictionaries(
    {},
    optional={
        "signature": st.fixed_dictionaries(
            {},
            optional={
                "timestamp": json_values,
                "token": json_values,
                "signature": json_values,
            },
        ),
        "event-data": json_values,
    },
)


class Body(bytes):
    """A body whose repr stays short in a failure report, however long the body."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:60])!r}…>"


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    sns_like.map(lambda v: json.dumps(v).encode()),
    mailgun_like.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 60_000).map(lambda n: b"[" * n),
    st.integers(1, 60_000).map(lambda n: b'{"a":' * n),
).map(Body)


def self_signed(clock: Clock) -> bytes:
    """A certificate valid now, made with a key that signed none of the fuzzed messages."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return certificate(key, clock() - timedelta(days=1), 31)


@pytest.fixture
def hooks(tmp_path: Path, clock: Clock) -> Iterator[tuple[FlaskClient, SqlStore]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}")
    upgrade(engine)
    store = SqlStore(engine)
    settings = web_settings(
        tmp_path / "site",
        NEWSLETTER_SES_TOPIC_ARN=ARN,
        NEWSLETTER_MAILGUN_SIGNING_KEY="key-0123456789abcdef0123456789abcdef",
    )
    for address in PEOPLE:
        add_subscriber(store, address, "active", clock.now)
    stranger = self_signed(clock)

    def no_network(url: str) -> bytes:
        # A body naming a real SNS host gets this far; a stranger's certificate is served,
        # so the signature is what refuses it. Any other host must never be asked.
        assert sns_url(url, suffix=".pem"), f"a forged body made us fetch {url}"
        return stranger

    app = create_app(settings, store, clock, rate_limits=UNLIMITED, fetch=no_network)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app.test_client(), store
    store.close()


@fuzz_settings(150)
@given(path=st.sampled_from(["/hooks/ses", "/hooks/mailgun"]), body=bodies)
@example(path="/hooks/ses", body=b"[" * 50_000)
@example(path="/hooks/mailgun", body=b"[" * 50_000)
@example(path="/hooks/mailgun", body=b"\xff\xfe")
def test_no_webhook_body_crashes_or_changes_anything(
    hooks: tuple[FlaskClient, SqlStore], path: str, body: bytes
) -> None:
    client, store = hooks
    response = client.post(path, data=body, content_type="text/plain; charset=UTF-8")
    text = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, text[:200])
    assert "Traceback" not in text  # one line from the hook, or the 413 page for a huge body
    assert {a: subscriber(store, a).state for a in PEOPLE} == dict.fromkeys(PEOPLE, "active")
