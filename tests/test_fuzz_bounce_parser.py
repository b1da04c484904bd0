"""Fuzz target of the bounce parser (issue 24): whatever arrives in the bounce mailbox,
reading it gives a report the store takes, and never an exception that would stop the run.

Messages are built from the parts that broke parsers before: nesting (multiparts and
message/rfc822, up to past the recursion limit), sizes (up to past MAX_MESSAGE), transfer
encodings and charsets (real, bogus and mismatched), and raw bytes in headers and bodies
(NUL, 8-bit, lone CR); and the checked-in bounce fixtures, mutated. Examples per property:
tests/fuzzing/__init__.py (NEWSLETTER_TEST_FUZZ_EXAMPLES for more, as `make fuzz` sets).
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from newsletter.mail.bounces.mailbox import MAX_MESSAGE
from newsletter.mail.bounces.process import bounce_report, per_address
from newsletter.mail.verp import Verp
from newsletter.store import SqlStore
from newsletter.store.bounces import BOUNCE_KINDS, KEY_LENGTH, BounceReport
from tests.fuzzing import fuzz_settings
from tests.support.bounces import DATA, nested_multipart, nested_rfc822

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
VERP = Verp("k" * 40, "bounces@example.com")
FIXTURES = sorted(DATA.glob("*.eml"))
ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus")
CHARSETS = ("utf-8", "iso-8859-1", "utf-16", "utf-7", "iso-2022-jp", "x-unknown", "")
INNER = (
    "message/delivery-status",
    "message/feedback-report",
    "text/rfc822-headers",
    "message/rfc822",
    "text/plain",
    "text/html",
)
raw = st.binary(max_size=300)
header_value = st.one_of(
    raw,
    st.sampled_from(
        [b"=?utf-8?b?AAAA?=", b"=?x-bad?q?=FF=00?=", b"\x00", b"\xff\xfe", b"<a@b>\x00"]
    ),
)


@st.composite
def built(draw: st.DrawFn) -> bytes:
    """A message of a report's parts, each drawn: headers, nesting, encoding, size."""
    inner = draw(st.sampled_from(INNER))
    encoding = draw(st.sampled_from(ENCODINGS))
    charset = draw(st.sampled_from(CHARSETS))
    body = draw(raw) * draw(st.sampled_from([1, 1, 1, 2, 300]))
    fields = b"".join(
        name + b": " + draw(header_value) + b"\r\n"
        for name in (b"Final-Recipient", b"Status", b"Original-Rcpt-To", b"Feedback-Type")
    )
    part = (
        (
            f"Content-Type: {inner}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
        ).encode()
        + fields
        + b"\r\n"
        + body
    )
    outer = b"MIME-Version: 1.0\r\nContent-Type: multipart/report; boundary=B\r\n"
    head = b"".join(
        name + b": " + draw(header_value) + b"\r\n"
        for name in (b"From", b"To", b"Subject", b"Message-ID", b"Auto-Submitted")
    )
    return head + outer + b"\r\n--B\r\n" + part + b"\r\n--B--\r\n"


nested = st.one_of(st.integers(0, 40).map(nested_multipart), st.integers(0, 40).map(nested_rfc822))
sized = st.integers(MAX_MESSAGE - 64, MAX_MESSAGE + 64).map(
    lambda n: b"Subject: size\r\n\r\n".ljust(n, b"x")
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A checked-in fixture with a few bytes replaced, inserted or cut."""
    data = bytearray(draw(st.sampled_from(FIXTURES)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        change = draw(st.sampled_from(["replace", "insert", "cut"]))
        piece = draw(st.binary(min_size=1, max_size=40))
        if change == "replace":
            data[at : at + len(piece)] = piece
        elif change == "insert":
            data[at:at] = piece
        else:
            del data[at : at + len(piece)]
    return bytes(data)


anything = st.one_of(built(), nested, sized, mutated(), st.binary(max_size=2000))


def assert_storable(report: BounceReport) -> None:
    """What the columns and a PostgreSQL text parameter take: no NUL, no lone surrogate."""
    assert report.kind in BOUNCE_KINDS
    assert len(report.message_key) <= KEY_LENGTH
    texts = [report.message_key, report.detail, *report.addresses, report.sender or ""]
    for text in texts:
        assert "\x00" not in text, text
        text.encode("utf-8")  # raises on a lone surrogate
    assert "\n" not in report.detail
    assert all(a == a.lower() for a in report.addresses)


@fuzz_settings(40)
@given(anything)
@example(b"")
@example(b"\x00" * 100)
def test_any_message_gives_a_report_and_never_raises(data: bytes) -> None:
    for verp in (None, VERP):
        report = bounce_report(data, verp, "unsubscribe@example.com")
        assert_storable(report)
        assert [len(r.addresses) <= 1 for r in per_address(report)]


@fuzz_settings(1, most=30)  # past the recursion limit each takes a second or more
@given(st.integers(900, 1500), st.booleans())
def test_nesting_past_the_recursion_limit_is_unclassified(depth: int, multipart: bool) -> None:
    data = nested_multipart(depth) if multipart else nested_rfc822(depth)
    report = bounce_report(data, None)
    assert_storable(report)
    assert report.kind == "unclassified"


@fuzz_settings(15)
@given(st.one_of(built(), mutated()))
def test_the_store_takes_every_report(store: SqlStore, data: bytes) -> None:
    for verp in (None, VERP):
        for report in per_address(bounce_report(data, verp)):
            store.record_bounce(report, NOW, 3)  # the address lookups and the event: no error
