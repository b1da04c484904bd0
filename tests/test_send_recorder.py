"""The recording SMTP server misbehaves exactly as asked, so the delivery tests can trust it."""

from __future__ import annotations

import smtplib

import pytest

from tests.support.send import BOTH_WAYS, Recorder


@BOTH_WAYS
def test_the_recorder_accepts_and_misbehaves_as_asked(smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    port = int(url.rsplit(":", 1)[1])
    recorder.tempfail_once.add("later@example.org")
    recorder.reject.add("nobody@example.org")
    recorder.drop_once.add("drop@example.org")
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("a@example.com", ["ok@example.org"], b"Subject: 1\r\n\r\nhi\r\n")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["later@example.org"], b"\r\nhi\r\n")
        client.sendmail("a@example.com", ["later@example.org"], b"\r\nagain\r\n")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["nobody@example.org"], b"\r\nhi\r\n")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.sendmail("a@example.com", ["drop@example.org"], b"\r\nhi\r\n")
        assert client.has_extn("pipelining") == recorder.pipelining
    assert recorder.recipients() == ["ok@example.org", "later@example.org"]
