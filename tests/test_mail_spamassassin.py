"""The digest, the confirmation email, the welcome email and a programme's first and last
steps scored by SpamAssassin (Debian's spamassassin, local rules only: ``spamassassin -L
-t``), as written and as relayed by a host without reverse DNS, the worst case a small
sender meets. No rule about content we control may fire, and the total stays under 3 (5 is
spam).

The rules allowed are about the way in, not the message: they fire because the message
reaches SpamAssassin straight from the test, or through the no-rDNS relay the test adds
on purpose, or because a DKIM signature cannot be checked with DNS turned off (-L)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.mail.dkim import load_signer
from tests.support.deliverability import (
    DkimKey,
    confirmation,
    dkim_site,
    golden_digest,
    golden_step,
    welcome,
)
from tests.support.digest import SEND_W48

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("spamassassin") is None,
        reason="spamassassin is not installed (Debian: apt-get install spamassassin)",
    ),
]

INFRASTRUCTURE = {
    "NO_RECEIVED": "no Received: header (handed straight to SpamAssassin)",
    "NO_RELAYS": "not relayed (handed straight to SpamAssassin)",
    "RDNS_NONE": "the relay has no reverse DNS (the test's worst case, on purpose)",
    "DKIM_SIGNED": "informational: a DKIM-Signature is present",
    "DKIM_INVALID": "the signature's key cannot be fetched: DNS is off (-L)",
    "HTML_MESSAGE": "informational, 0 points: the digest has an HTML part by design",
}
# The relay of the worst case: a public address (not one SpamAssassin calls illegal) whose
# name the receiver could not look up, which Postfix writes as "unknown".
NO_RDNS = (
    b"Received: from mail.example.net (unknown [93.184.216.34])\r\n"
    b"\tby mx.example.org (Postfix) with ESMTP id 4HbXk2; Mon, 23 Nov 2026 07:00:02 +0000\r\n"
)
LIMIT = 3.0


def score(message: bytes, home: Path) -> tuple[float, set[str]]:
    """The total and the rules that fired, from the X-Spam-Status header it adds."""
    environ = {**os.environ, "HOME": str(home)}  # its per-user files go to the test's tmp
    result = subprocess.run(
        ["spamassassin", "-L", "-t"],
        input=message,
        capture_output=True,
        env=environ,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr.decode(errors="replace")
    report = email.message_from_bytes(result.stdout, policy=email.policy.compat32)
    # Folded: "tests=A,B,\n\tC autolearn=…"; unfolded and rejoined after each comma.
    status = re.sub(r",\s+", ",", " ".join(str(report["X-Spam-Status"]).split()))
    total = float(status.split("score=", 1)[1].split()[0])
    tests = status.split("tests=", 1)[1].split()[0] if "tests=" in status else ""
    return total, {rule for rule in tests.split(",") if rule and rule != "none"}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return DkimKey(tmp_path_factory.mktemp("dkim"))


@pytest.mark.parametrize("relay", [b"", NO_RDNS], ids=["direct", "relay-without-rdns"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "dkim"])
@pytest.mark.parametrize("which", ["digest", "confirmation", "welcome", "step-1", "step-11"])
def test_no_content_rule_fires_and_the_score_stays_under_3(
    tmp_path: Path, key: DkimKey, which: str, signed: bool, relay: bytes
) -> None:
    settings = dkim_site(tmp_path, key if signed else None)
    built: dict[str, Callable[[Settings], bytes]] = {
        "digest": golden_digest,
        "confirmation": confirmation,
        "welcome": welcome,
        "step-1": lambda site: golden_step(site, 1),
        "step-11": lambda site: golden_step(site, 11),
    }
    message = built[which](settings)
    if signed and which not in ("confirmation", "welcome"):  # those sign themselves
        signer = load_signer(settings.newsletter.dkim, settings.env.dkim_key_file)
        assert signer is not None
        message = signer.sign(message, SEND_W48)
    assert (b"DKIM-Signature:" in message) == signed
    if which != "confirmation":  # with the exercise's picture: no image rule may fire either
        assert b'<img class=3D"picture"' in message
    total, rules = score(relay + message, tmp_path)
    content = sorted(rules - INFRASTRUCTURE.keys())
    assert not content, f"rules about our content fired: {content} (total {total})"
    assert total < LIMIT, f"{total} points: {sorted(rules)}"
    if relay:
        assert "RDNS_NONE" in rules, "the worst case really is the worst case"
