"""The relays' webhooks with locally generated keys: SES through SNS (a self-signed
certificate served by an injected fetcher at an SNS URL, messages signed with
SignatureVersion 1 and 2) and Mailgun (HMAC with a signing key). Valid reports act; forged,
stale or replayed ones get a 4xx and change nothing. Every test runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from newsletter.errors import SourceError
from newsletter.hooks.sns import string_to_sign
from newsletter.store import SqlStore
from newsletter.store.models import BounceEvent
from newsletter.store.subscribers import SubscriberState
from newsletter.web import UNLIMITED, create_app
from tests.support.clock import Clock
from tests.support.sns import certificate as _certificate
from tests.support.web import add_subscriber, subscriber, web_settings

ARN = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem"
SUBSCRIBE_URL = (
    "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + ARN + "&Token=t"
)
MAILGUN_KEY = "key-0123456789abcdef0123456789abcdef"
PEOPLE = ("ann@example.org", "bob@example.org", "cy@example.org")


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Sns:
    """Plays SNS: signs messages with its key; ``fetch`` serves its certificate (and the
    SubscribeURL) at SNS URLs, and remembers every URL it was asked for."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: bytes) -> None:
        self.key = key
        self.pages = {CERT_URL: certificate, SUBSCRIBE_URL: b"<ConfirmSubscriptionResponse/>"}
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.pages:
            raise SourceError(f"{url} answered 404")
        return self.pages[url]

    def message(self, kind: str, body: str, version: str = "1", **fields: str) -> dict[str, str]:
        message = {
            "Type": kind,
            "MessageId": fields.pop("MessageId", "6f1c1e0a-0000-4000-8000-000000000001"),
            "TopicArn": ARN,
            "Message": body,
            "Timestamp": "2026-11-25T09:00:00.000Z",
            "SignatureVersion": version,
            "SigningCertURL": CERT_URL,
        }
        if kind == "SubscriptionConfirmation":
            message |= {"SubscribeURL": SUBSCRIBE_URL, "Token": "t"}
        else:
            message["Subject"] = "Amazon SES Email Event Notification"
        message |= fields
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signed = self.key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signed).decode("ascii")
        return message


def bounce(kind: str, *addresses: str) -> str:
    recipients = [{"emailAddress": a, "status": "5.1.1"} for a in addresses]
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {"bounceType": kind, "bouncedRecipients": recipients},
            "mail": {"source": "news@example.com", "destination": list(addresses)},
        }
    )


def complaint(*addresses: str) -> str:
    recipients = [{"emailAddress": a} for a in addresses]
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": recipients, "complaintFeedbackType": "abuse"},
        }
    )


@pytest.fixture(scope="module")
def sns_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture
def sns(sns_key: rsa.RSAPrivateKey, clock: Clock) -> Sns:
    return Sns(sns_key, _certificate(sns_key, clock.now - timedelta(days=30), 365))


@pytest.fixture
def app(tmp_path: Path, store: SqlStore, clock: Clock, sns: Sns) -> Flask:
    settings = web_settings(
        tmp_path / "site",
        NEWSLETTER_SES_TOPIC_ARN=f"arn:aws:sns:us-east-1:123456789012:other,{ARN}",
        NEWSLETTER_MAILGUN_SIGNING_KEY=MAILGUN_KEY,
    )
    for address in PEOPLE:
        add_subscriber(store, address, "active", clock.now)
    app = create_app(settings, store, clock, rate_limits=UNLIMITED, fetch=sns.fetch)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def states(store: SqlStore) -> dict[str, str]:
    return {address: subscriber(store, address).state for address in PEOPLE}


def post(client: FlaskClient, path: str, payload: Any) -> tuple[int, str]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(path, data=data, content_type="text/plain; charset=UTF-8")
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_ses_reports_act_once_and_a_replay_changes_nothing(
    client: FlaskClient, store: SqlStore, sns: Sns, clock: Clock, version: str
) -> None:
    hard = sns.message("Notification", bounce("Permanent", "Ann@Example.org"), version)
    soft = sns.message("Notification", bounce("Transient", PEOPLE[1]), version, MessageId="m2")
    angry = sns.message("Notification", complaint(f"Cy <{PEOPLE[2]}>"), version, MessageId="m3")
    for message in (hard, soft, angry):
        assert post(client, "/hooks/ses", message)[0] == 200
    assert states(store) == {PEOPLE[0]: "bounced", PEOPLE[1]: "active", PEOPLE[2]: "unsubscribed"}
    assert sns.fetched == [CERT_URL], "the certificate is fetched once, then kept"

    store.set_subscriber_state(subscriber(store, PEOPLE[0]).id, SubscriberState.ACTIVE, clock.now)
    status, text = post(client, "/hooks/ses", hard)
    assert (status, text.strip()) == (200, "already handled; nothing changed")
    assert subscriber(store, PEOPLE[0]).state == "active", "the replay suppressed no one"


def test_an_erased_subscriber_leaves_no_address_in_the_hooks_records(
    client: FlaskClient, store: SqlStore, sns: Sns, clock: Clock
) -> None:
    hard = sns.message("Notification", bounce("Permanent", PEOPLE[0]), "2", MessageId="m9")
    assert post(client, "/hooks/ses", hard)[0] == 200
    assert store.erase_subscriber(subscriber(store, PEOPLE[0]).id, clock.now)
    with store.engine.connect() as connection:
        keys = list(connection.scalars(select(BounceEvent.message_key)))
        details = list(connection.scalars(select(BounceEvent.detail)))
    assert len(keys) == 1 and keys[0].startswith("ses:")
    assert not any(PEOPLE[0].split("@")[0] in value.lower() for value in keys + details)
    status, text = post(client, "/hooks/ses", hard)  # the same notice again is still known
    assert (status, text.strip()) == (200, "already handled; nothing changed")


def forged(sns: Sns, clock: Clock, how: str) -> tuple[dict[str, str] | bytes, bool]:
    """A request that must be refused, and whether refusing it may fetch anything."""
    good = sns.message("Notification", bounce("Permanent", PEOPLE[0]))
    if how == "altered message":
        return good | {"Message": bounce("Permanent", PEOPLE[1])}, True
    if how == "altered id":
        return good | {"MessageId": "m-other"}, True
    if how == "other key":
        other = Sns(_key(), b"")
        return other.message("Notification", bounce("Permanent", PEOPLE[0])), True
    if how == "unknown topic":
        return sns.message(
            "Notification", bounce("Permanent", PEOPLE[0]), TopicArn=ARN + "x"
        ), False
    if how == "unknown version":
        return good | {"SignatureVersion": "3"}, False
    if how == "no signature":
        return {k: v for k, v in good.items() if k != "Signature"}, True
    if how == "not json":
        return b"Type=Notification&Message=hi", False
    hosts = {
        "lookalike host": "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "http": CERT_URL.replace("https:", "http:"),
        "path trick": "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "userinfo": "https://sns.eu-west-1.amazonaws.com@evil.example/cert.pem",
        "port": "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "not a pem": "https://sns.eu-west-1.amazonaws.com/cert.txt",
        "s3 bucket host": "https://sns.s3.amazonaws.com/cert.pem",
        "s3 region bucket": "https://sns.s3.eu-west-1.amazonaws.com/cert.pem",
    }
    url = hosts[how]
    sns.pages[url] = sns.pages[CERT_URL]  # served, yet must never be asked for
    return sns.message("Notification", bounce("Permanent", PEOPLE[0]), SigningCertURL=url), False


FORGERIES = (
    "altered message", "altered id", "other key", "unknown topic", "unknown version",
    "no signature", "not json", "lookalike host", "http", "path trick", "userinfo", "port",
    "not a pem", "s3 bucket host", "s3 region bucket",
)  # fmt: skip


@pytest.mark.parametrize("how", FORGERIES)
def test_forged_ses_requests_get_a_4xx_and_change_nothing(
    client: FlaskClient, store: SqlStore, sns: Sns, clock: Clock, how: str
) -> None:
    request, may_fetch = forged(sns, clock, how)
    before = states(store)
    status, text = post(client, "/hooks/ses", request)
    assert 400 <= status < 500, (status, text)
    assert states(store) == before
    assert may_fetch or sns.fetched == [], f"fetched {sns.fetched}"
    assert (sns.fetched or [CERT_URL]) == [CERT_URL], "only the SNS host's certificate"


def test_an_expired_certificate_is_refused(
    client: FlaskClient, store: SqlStore, sns: Sns, clock: Clock
) -> None:
    message = sns.message("Notification", bounce("Permanent", PEOPLE[0]))
    clock.advance(days=400)
    assert post(client, "/hooks/ses", message)[0] == 403
    assert subscriber(store, PEOPLE[0]).state == "active"


def test_a_subscription_is_confirmed_by_fetching_the_subscribe_url(
    client: FlaskClient, sns: Sns
) -> None:
    assert post(client, "/hooks/ses", sns.message("SubscriptionConfirmation", "confirm?"))[0] == 200
    assert sns.fetched == [CERT_URL, SUBSCRIBE_URL]
    elsewhere = "https://evil.example/?Action=ConfirmSubscription"
    sns.fetched.clear()
    status, _ = post(
        client, "/hooks/ses", sns.message("SubscriptionConfirmation", "x", SubscribeURL=elsewhere)
    )
    assert status == 403 and elsewhere not in sns.fetched


def test_an_unreachable_certificate_asks_sns_to_retry(
    client: FlaskClient, store: SqlStore, sns: Sns
) -> None:
    message = sns.message("Notification", bounce("Permanent", PEOPLE[0]))
    del sns.pages[CERT_URL]
    assert post(client, "/hooks/ses", message)[0] == 503, "5xx: SNS tries again later"
    assert subscriber(store, PEOPLE[0]).state == "active"


def mailgun(event: dict[str, Any], timestamp: int, token: str, key: str = MAILGUN_KEY) -> Any:
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "signature": {
            "timestamp": str(timestamp),
            "token": token,
            "signature": signature.hexdigest(),
        },
        "event-data": event,
    }


def failed(address: str, severity: str = "permanent") -> dict[str, str]:
    return {"event": "failed", "severity": severity, "recipient": address, "id": "e1"}


def test_mailgun_reports_act_and_a_reused_token_changes_nothing(
    client: FlaskClient, store: SqlStore, clock: Clock
) -> None:
    now = int(clock.now.timestamp())
    hard = mailgun(failed(PEOPLE[0]), now, "t" * 50)
    assert post(client, "/hooks/mailgun", hard)[0] == 200
    assert (
        post(client, "/hooks/mailgun", mailgun(failed(PEOPLE[1], "temporary"), now, "u" * 50))[0]
        == 200
    )
    angry = mailgun({"event": "complained", "recipient": PEOPLE[2]}, now, "v" * 50)
    assert post(client, "/hooks/mailgun", angry)[0] == 200
    assert states(store) == {PEOPLE[0]: "bounced", PEOPLE[1]: "active", PEOPLE[2]: "unsubscribed"}

    store.set_subscriber_state(subscriber(store, PEOPLE[0]).id, SubscriberState.ACTIVE, clock.now)
    assert post(client, "/hooks/mailgun", hard)[0] == 406, "a replay: token reuse refused"
    delivered = mailgun({"event": "delivered", "recipient": PEOPLE[1]}, now, "w" * 50)
    assert post(client, "/hooks/mailgun", delivered)[0] == 200
    # Mailgun signs timestamp+token only: the same signature on another event is refused.
    swapped = delivered | {"event-data": failed(PEOPLE[1])}
    assert post(client, "/hooks/mailgun", swapped)[0] == 406
    assert states(store) == {PEOPLE[0]: "active", PEOPLE[1]: "active", PEOPLE[2]: "unsubscribed"}


@pytest.mark.parametrize("how", ["other key", "stale", "future", "no signature", "altered", "junk"])
def test_forged_or_stale_mailgun_requests_get_a_4xx_and_change_nothing(
    client: FlaskClient, store: SqlStore, clock: Clock, how: str
) -> None:
    now = int(clock.now.timestamp())
    request: Any = {
        "other key": mailgun(failed(PEOPLE[0]), now, "t" * 50, key="key-guessed"),
        "stale": mailgun(failed(PEOPLE[0]), now - 3600, "t" * 50),
        "future": mailgun(failed(PEOPLE[0]), now + 3600, "t" * 50),
        "no signature": {"event-data": failed(PEOPLE[0])},
        "junk": b"\x00\xff not json",
    }.get(how)
    if how == "altered":
        request = mailgun(failed(PEOPLE[0]), now, "t" * 50)
        request["signature"]["token"] = "s" * 50
    status, text = post(client, "/hooks/mailgun", request)
    assert 400 <= status < 500, (status, text)
    assert states(store) == dict.fromkeys(PEOPLE, "active")
    if how in ("stale", "other key"):  # the token was not spent by a refused request
        assert post(client, "/hooks/mailgun", mailgun(failed(PEOPLE[0]), now, "t" * 50))[0] == 200


def test_the_hooks_are_off_until_configured(tmp_path: Path, store: SqlStore, clock: Clock) -> None:
    client = create_app(
        web_settings(tmp_path / "bare"), store, clock, rate_limits=UNLIMITED
    ).test_client()
    assert client.post("/hooks/ses", data=b"{}").status_code == 404
    assert client.post("/hooks/mailgun", data=b"{}").status_code == 404
    assert client.get("/hooks/ses").status_code == 405


def test_a_large_notification_is_read_and_a_huge_body_refused(
    client: FlaskClient, store: SqlStore, sns: Sns
) -> None:
    """SNS messages reach 256 KB (SES includes the original headers): above the forms'
    64 KB cap, under the hooks' own."""
    padding_text = "x" * 100_000
    big = json.dumps(
        json.loads(bounce("Permanent", PEOPLE[0])) | {"mail": {"headers": padding_text}}
    )
    assert post(client, "/hooks/ses", sns.message("Notification", big))[0] == 200
    assert subscriber(store, PEOPLE[0]).state == "bounced"
    assert post(client, "/hooks/ses", b"{" + b" " * 300_000 + b"}")[0] == 413


@pytest.mark.parametrize("path", ["/hooks/ses", "/hooks/mailgun"])
def test_deeply_nested_json_is_a_clean_400(client: FlaskClient, store: SqlStore, path: str) -> None:
    """'[' x 50,000 made json.loads raise RecursionError: a 500 with a traceback (issue 24, 7)."""
    status, text = post(client, path, b"[" * 50_000)
    assert status == 400, (status, text)
    assert "Traceback" not in text and len(text) < 200
    assert states(store) == dict.fromkeys(PEOPLE, "active")
