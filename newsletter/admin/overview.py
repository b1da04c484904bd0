"""The console's overview, as pure functions of what the store returns: feeds with
problems first, subscriber growth per week, and that growth drawn as inline SVG (no
script: the page's CSP allows none, and a chart needs none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from newsletter.digest.weeks import week_of
from newsletter.store import FeedState
from newsletter.store.console import GrowthEvents

GROWTH_WEEKS = 12
SERIES = (
    ("new", "#0b57a4"),
    ("confirmed", "#166534"),
    ("unsubscribed", "#9a3412"),
    ("bounced", "#6b21a8"),
)


@dataclass(frozen=True)
class WeekGrowth:
    week: str
    new: int
    confirmed: int
    unsubscribed: int
    bounced: int

    def value(self, name: str) -> int:
        found: int = getattr(self, name)
        return found


def problem_first(states: Sequence[FeedState]) -> list[FeedState]:
    """Failing feeds first (most failures in a row first), then gone ones, then the rest
    by name."""

    def rank(state: FeedState) -> tuple[int, int, str]:
        if state.consecutive_failures and not state.gone:
            return (0, -state.consecutive_failures, state.name.lower())
        return (1 if state.gone else 2, 0, state.name.lower())

    return sorted(states, key=rank)


def growth_since(now: datetime, timezone: str, weeks: int = GROWTH_WEEKS) -> datetime:
    """The start of the oldest week the chart shows."""
    local = now.astimezone(ZoneInfo(timezone))
    monday = (local - timedelta(days=local.weekday() + 7 * (weeks - 1))).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday


def weekly_growth(
    events: GrowthEvents, now: datetime, timezone: str, weeks: int = GROWTH_WEEKS
) -> list[WeekGrowth]:
    """Counts per ISO week (in the site's timezone), oldest first, ``weeks`` of them."""
    zone = ZoneInfo(timezone)
    start = growth_since(now, timezone, weeks)
    labels = [week_of((start + timedelta(days=7 * n)).date()) for n in range(weeks)]

    def count(times: list[datetime]) -> dict[str, int]:
        counts = dict.fromkeys(labels, 0)
        for moment in times:
            label = week_of(moment.astimezone(zone).date())
            if label in counts:
                counts[label] += 1
        return counts

    new, confirmed = count(events.created), count(events.confirmed)
    left, bounced = count(events.unsubscribed), count(events.bounced)
    return [WeekGrowth(w, new[w], confirmed[w], left[w], bounced[w]) for w in labels]


def growth_svg(rows: Sequence[WeekGrowth], width: int = 640, height: int = 220) -> str:
    """Grouped bars per week, with a title and a text description for screen readers.
    Only numbers and our own labels go in: nothing to escape."""
    top = max([row.value(name) for row in rows for name, _ in SERIES] + [1])
    left, bottom, plot_h = 36, 28, height - 48
    slot = (width - left - 8) / max(len(rows), 1)
    bar = max(slot / (len(SERIES) + 1), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="growth-title growth-desc" class="chart">',
        '<title id="growth-title">Subscribers per week</title>',
        f'<desc id="growth-desc">{_describe(rows)}</desc>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#6b7280" class="axis"/>',
        f'<text x="{left - 6}" y="{height - bottom - plot_h + 4}" text-anchor="end" '
        f'font-size="11" fill="currentColor">{top}</text>',
    ]
    for i, row in enumerate(rows):
        x0 = left + i * slot + bar / 2
        for j, (name, colour) in enumerate(SERIES):
            h = plot_h * row.value(name) / top
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}" class="k-{name}">'
                f"<title>{row.week}: {row.value(name)} {name}</title></rect>"
            )
        if i % 2 == 0 or len(rows) <= 6:
            parts.append(
                f'<text x="{x0 + bar * 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="11" fill="currentColor">{row.week[-3:]}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _describe(rows: Sequence[WeekGrowth]) -> str:
    total = {name: sum(row.value(name) for row in rows) for name, _ in SERIES}
    said = ", ".join(f"{n} {name}" for name, n in total.items())
    return f"Over the last {len(rows)} weeks: {said}."


def attention(report: dict[str, object] | None, feeds: Sequence[FeedState]) -> list[str]:
    """What needs the owner, as sentences, worst first: a step that failed, mail not
    handed over, feeds failing. Empty when all is well."""
    said = [f"The {step} step failed: {error}" for step, error in _part(report, "errors").items()]
    sent = _part(report, "send")
    for key, what in (("failed", "could not be delivered"), ("retry", "wait for a retry")):
        if count := _count(sent, key):
            said.append(f"{_n(count, 'email')} {what}.")
    failing = [f.name for f in feeds if f.consecutive_failures and not f.gone]
    if failing:
        more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
        shown = ", ".join(failing[:3]) + more
        said.append(f"{_n(len(failing), 'feed')} failing: {shown}.")
    return said + _federation_trouble(_part(report, "federate"))


def _federation_trouble(federated: dict[str, object]) -> list[str]:
    """The fediverse's part: servers that could not be reached, inboxes dropped."""
    said = []
    down = federated.get("unreachable")
    if isinstance(down, list) and down:
        more = f" and {len(down) - 3} more" if len(down) > 3 else ""
        servers = ", ".join(str(server) for server in down[:3]) + more
        said.append(f"{_n(len(down), 'fediverse server')} could not be reached: {servers}.")
    if dropped := _count(federated, "dropped"):
        said.append(f"{_n(dropped, 'fediverse inbox')} dropped (gone, or failing for days).")
    return said


def run_story(report: dict[str, object] | None) -> list[str]:
    """The last run's steps as one sentence each, in the order they ran."""
    story = []
    collect = _part(report, "collect")
    if collect:
        story.append(
            f"Fetched {_n(_count(collect, 'feeds'), 'feed')}: "
            f"{_n(_count(collect, 'new'), 'new article')}, {_count(collect, 'updated')} updated"
            + (f", {_count(collect, 'failed')} failed." if _count(collect, "failed") else ".")
        )
    digest = _part(report, "digest")
    if digest:
        story.append(digest_sentence(digest))
    federated = _part(report, "federate")
    if federated:
        story.append(
            f"Delivered {_n(_count(federated, 'sent'), 'post')} to the fediverse "
            f"({_n(_count(federated, 'followers'), 'follower')}), "
            f"{_count(federated, 'retrying')} to retry, {_count(federated, 'failed')} failed."
        )
    sent = _part(report, "send")
    if sent.get("nothing"):
        story.append(f"Nothing to send: {sent['nothing']}.")
    elif sent:
        again = _count(sent, "resent_after_crash")
        crash = f", {again} of them again after a crash (they may arrive twice)" if again else ""
        story.append(f"Sent {_n(_count(sent, 'sent'), 'email')} for {sent.get('week')}{crash}.")
    return story


def digest_sentence(digest: dict[str, object]) -> str:
    """The digest step of a run (``DigestReport.as_dict``) in words, never its raw status
    (``first_waits`` and the like are names for code)."""
    week, status = digest.get("week"), digest.get("status")
    items = _n(_count(digest, "items"), "item")
    said = {
        "built": f"Digest {week} built: {items}.",
        "already_built": f"Digest {week} was built already: {items}.",
        "not_due": f"Digest {week} is not due yet.",
        "skipped": f"Digest {week} skipped: nothing new this week.",
        "first_waits": (
            f"Digest {week} will be the site's first: what is collected until it is due goes "
            "into it."
        ),
        "first_empty": (
            f"Digest {week} is not built yet: there is nothing to put in it, and a first "
            "digest is never empty. The next run tries again."
        ),
    }
    return said.get(str(status), f"Digest {week}: {str(status).replace('_', ' ')}.")


def growth_sentence(rows: Sequence[WeekGrowth]) -> str:
    """This week's and the last four weeks' net change, in words."""
    if not rows:
        return "No subscriber activity yet."
    this = rows[-1]
    month = rows[-4:]
    net = sum(r.confirmed - r.unsubscribed - r.bounced for r in month)
    sign = f"+{net}" if net > 0 else str(net)
    return (
        f"This week: {this.confirmed} confirmed, {this.unsubscribed} left, "
        f"{this.bounced} bounced. Last {len(month)} weeks: {sign} active."
    )


def _part(report: dict[str, object] | None, step: str) -> dict[str, object]:
    values = (report or {}).get(step)
    return values if isinstance(values, dict) else {}


def _count(values: dict[str, object], key: str) -> int:
    value = values.get(key)
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) else 0


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
