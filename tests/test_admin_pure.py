"""The console's pure parts: feed order, weekly growth and its chart, sessions' validity,
the reader question of the week, and an answer in the feeds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from newsletter.admin.access import session_valid
from newsletter.admin.overview import (
    WeekGrowth,
    attention,
    digest_sentence,
    growth_sentence,
    growth_svg,
    problem_first,
    run_story,
    weekly_growth,
)
from newsletter.admin.questions import Edit, edit_changes, save_notice
from newsletter.digest.compose import ItemView, answer_paragraphs, question_of_the_week
from newsletter.publish.items import ANSWER_HEADING, feed_item
from newsletter.questions.service import Moderation
from newsletter.store import FeedState
from newsletter.store.admin import AdminRecord, AdminSessionRecord
from newsletter.store.console import GrowthEvents
from newsletter.store.entries import EntryKind, EntryStatus, PublishedEntry
from newsletter.store.questions import QuestionRecord

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday of 2026-W48


def feed(name: str, failures: int = 0, gone: bool = False) -> FeedState:
    return FeedState(
        id=len(name), key=name, name=name, kind="articles", url=None, path=None,
        consecutive_failures=failures, gone_at=NOW if gone else None,
    )  # fmt: skip


def test_feeds_with_problems_come_first() -> None:
    states = [feed("b"), feed("gone", gone=True), feed("a", 1), feed("c", 5), feed("A")]
    assert [s.name for s in problem_first(states)] == ["c", "a", "gone", "A", "b"]


def test_weekly_growth_counts_per_iso_week_in_the_site_timezone() -> None:
    # Sunday 23:30 UTC is already Monday in Berlin: the next week there.
    late_sunday = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    events = GrowthEvents(
        created=[NOW, NOW - timedelta(days=7), late_sunday],
        confirmed=[NOW],
        unsubscribed=[NOW - timedelta(days=400)],  # outside the chart
        bounced=[],
    )
    rows = weekly_growth(events, NOW, "Europe/Berlin", weeks=3)
    assert [r.week for r in rows] == ["2026-W46", "2026-W47", "2026-W48"]
    assert [(r.new, r.confirmed, r.unsubscribed) for r in rows] == [(0, 0, 0), (1, 0, 0), (2, 1, 0)]
    london = weekly_growth(events, NOW, "Europe/London", weeks=3)
    assert [r.new for r in london] == [0, 2, 1]


def test_the_growth_chart_is_svg_with_a_text_description() -> None:
    rows = weekly_growth(GrowthEvents([NOW] * 3, [NOW], [], []), NOW, "UTC", weeks=4)
    svg = ElementTree.fromstring(growth_svg(rows))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.find(f"{ns}desc").text == (  # type: ignore[union-attr]
        "Over the last 4 weeks: 3 new, 1 confirmed, 0 unsubscribed, 0 bounced."
    )
    heights = [float(r.get("height", "0")) for r in svg.iter(f"{ns}rect")]
    assert len(heights) == 16 and max(heights) == 172.0 and heights.count(0.0) == 14
    assert "<script" not in growth_svg(rows)


def test_a_session_is_valid_until_expired_revoked_or_outdated() -> None:
    account = AdminRecord(1, "o@example.com", "o@example.com", "owner", "h", None, 3, NOW)
    fresh = AdminSessionRecord(account, 3, NOW, NOW + timedelta(hours=12), None)
    assert session_valid(fresh, NOW)
    assert not session_valid(fresh, NOW + timedelta(hours=12))
    assert not session_valid(dataclasses.replace(fresh, revoked_at=NOW), NOW)
    assert not session_valid(dataclasses.replace(fresh, generation=2), NOW)


def item(title: str, answer: tuple[str, ...] = ()) -> ItemView:
    return ItemView(title=title, link=None, excerpt="", source="", date="", answer=answer)


def test_the_reader_question_of_the_week_is_the_newest_answered_one() -> None:
    questions = (item("new"), item("answered", ("Yes.",)), item("old", ("No.",)))
    featured, others = question_of_the_week(questions)
    assert featured is not None and featured.title == "answered"
    assert [q.title for q in others] == ["new", "old"]
    assert question_of_the_week((item("a"),)) == (None, (item("a"),))
    assert answer_paragraphs("<p>Rest.</p><p>Then <b>run</b>.</p>") == ("Rest.", "Then run.")
    assert answer_paragraphs("") == ()


def test_an_answer_follows_its_question_in_every_feed_format() -> None:
    entry = PublishedEntry(
        id=1, key="question:1", kind=EntryKind.QUESTION, guid=None, link=None, title="Why?",
        summary_html="", content_html="<p>Why do feet hurt?</p>", author="Ann",
        published_at=NOW, updated_at=None, first_seen_at=NOW, changed_at=NOW,
        feed_name=None, feed_url=None, answer_html="<p>Shoes.</p><script>x</script>",
    )  # fmt: skip
    shown = feed_item(entry, "www.example.com", "https://www.example.com/")
    assert shown.content_html == "<p>Why do feet hurt?</p>" + ANSWER_HEADING + "<p>Shoes.</p>"
    plain = feed_item(dataclasses.replace(entry, answer_html=None), "x", "https://x/")
    assert plain.content_html == "<p>Why do feet hurt?</p>"


RUN: dict[str, object] = {
    "collect": {"feeds": 3, "new": 5, "updated": 1, "failed": [{"feed": "x", "error": "500"}]},
    "digest": {"week": "2026-W48", "status": "built", "items": 1},
    "send": {"week": "2026-W48", "sent": 40, "retry": 2, "failed": 1, "nothing": None},
    "errors": {"publish": "disk full"},
}


def test_problems_come_first_as_sentences() -> None:
    feeds = [feed("a", 2), feed("b"), feed("gone", 4, gone=True)]
    assert attention(RUN, feeds) == [
        "The publish step failed: disk full",
        "1 email could not be delivered.",
        "2 emails wait for a retry.",
        "1 feed failing: a.",
    ]
    assert attention(None, [feed("b")]) == []


def test_the_last_run_reads_as_sentences() -> None:
    assert run_story(RUN) == [
        "Fetched 3 feeds: 5 new articles, 1 updated, 1 failed.",
        "Digest 2026-W48 built: 1 item.",
        "Sent 40 emails for 2026-W48.",
    ]
    quiet: dict[str, object] = {
        "digest": {"week": "2026-W49", "status": "not_due"},
        "send": {"nothing": "not due"},
    }
    assert run_story(quiet) == ["Digest 2026-W49 is not due yet.", "Nothing to send: not due."]
    assert run_story(None) == []
    crashed: dict[str, object] = {"send": {"week": "2026-W48", "sent": 9, "resent_after_crash": 2}}
    assert run_story(crashed) == [
        "Sent 9 emails for 2026-W48, 2 of them again after a crash (they may arrive twice)."
    ]


def test_growth_in_one_sentence() -> None:
    rows = [WeekGrowth(f"2026-W{n}", 3, 2, 1, 0) for n in range(40, 49)]
    assert growth_sentence(rows) == (
        "This week: 2 confirmed, 1 left, 0 bounced. Last 4 weeks: +4 active."
    )
    assert growth_sentence([]) == "No subscriber activity yet."


def _moderated(status: EntryStatus, changed: bool) -> Moderation:
    question = QuestionRecord(7, "Shin splints?", "<p>x</p>", None, None, status, NOW, NOW, None)
    return Moderation(question, changed)


def test_save_and_approve_says_what_changed() -> None:
    """Issue 19: after "Save and approve" the console said only "question 7 saved"."""
    old = Edit("Shin splints?", "They hurt.", "")
    answered = edit_changes(old, Edit("Shin splints?", "They hurt.", "Rest a week."))
    assert answered == ["answered question"]
    assert save_notice(7, answered, _moderated(EntryStatus.APPROVED, True)) == (
        "question 7 saved (answer saved) and approved: it is in the feeds after the next "
        "publish, and in the next digest"
    )
    both = edit_changes(Edit("Shin?", "Hurt.", "Rest."), Edit("Shins?", "Hurt.", " "))
    assert save_notice(7, both, _moderated(EntryStatus.REJECTED, True)) == (
        "question 7 saved (title or text edited, answer withdrawn) and rejected: it is in no "
        "feed and no digest"
    )
    assert save_notice(7, [], _moderated(EntryStatus.APPROVED, False)) == (
        "question 7 saved (nothing changed); it was already approved"
    )
    assert save_notice(7, [], None) == "question 7 saved (nothing changed)"


def test_the_run_story_says_the_digest_step_in_words() -> None:
    """Issue 19: the overview showed raw statuses ("Digest 2026-W49: first_waits, 0 items")."""
    statuses = ("built", "already_built", "not_due", "skipped", "first_waits", "first_empty")
    said = {s: digest_sentence({"week": "2026-W49", "status": s, "items": 2}) for s in statuses}
    for status, sentence in said.items():
        assert sentence.startswith("Digest 2026-W49 ") and "_" not in sentence, (status, sentence)
    assert said["first_waits"] == (
        "Digest 2026-W49 will be the site's first: what is collected until it is due goes into it."
    )
    assert said["already_built"] == "Digest 2026-W49 was built already: 2 items."
    assert digest_sentence({"week": "2026-W49", "status": "new_one"}) == "Digest 2026-W49: new one."
