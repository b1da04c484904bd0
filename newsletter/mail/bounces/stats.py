"""A digest's deliverability as `status` and the run report show it: plain data and one line.

Apart from the bounce mailbox's reading and acting (``process``), so that `status` does not
import IMAP, the classifiers and the link signing to print a few numbers.
"""

from __future__ import annotations

from typing import Any

from newsletter.store.bounces import DigestBounceStats

GMAIL_COMPLAINT_LINE = 0.003  # Gmail and Yahoo block bulk senders above 0.3 % complaints


def digest_line(stats: DigestBounceStats) -> str:
    return digest_line_of(digest_stats(stats))


def digest_line_of(stats: dict[str, Any]) -> str:
    """One digest's deliverability in a line, from :func:`digest_stats`."""
    line = "OVER" if stats["complaint_rate_over_gmail_line"] else "under"
    return (
        f"digest {stats['week']}: {stats['sent']} sent, {stats['bounced_hard']} hard and "
        f"{stats['bounced_soft']} soft bounces, {stats['complaints']} complaints "
        f"({stats['complaint_rate']:.2%}, {line} Gmail's 0.3% line), "
        f"{stats['unsubscribes']} unsubscribes"
    )


def digest_stats(stats: DigestBounceStats) -> dict[str, Any]:
    return {
        "week": stats.week,
        "sent": stats.sent,
        "bounced_hard": stats.hard,
        "bounced_soft": stats.soft,
        "complaints": stats.complaints,
        "unsubscribes": stats.unsubscribes,
        "complaint_rate": round(stats.complaint_rate, 6),
        "complaint_rate_over_gmail_line": stats.complaint_rate > GMAIL_COMPLAINT_LINE,
    }
