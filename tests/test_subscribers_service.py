"""Managing the list through the store (SQLite and PostgreSQL): add, import, export,
remove, confirm and unsubscribe links. Unsubscribed and bounced addresses never come back
by import."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from newsletter.store import SqlStore
from newsletter.store.preferences import StoredChoice
from newsletter.store.subscribers import (
    SUBSCRIBER_TRANSITIONS,
    StateChange,
    SubscriberRecord,
    SubscriberState,
)
from newsletter.subscribers import (
    InvalidAddress,
    InvalidLink,
    NotSubscribed,
    Tokens,
    add_subscribers,
    confirm_subscription,
    import_subscribers,
    remove_subscriber,
    unsubscribe_with_token,
)
from newsletter.subscribers.csvio import write_rows
from newsletter.subscribers.states import (
    decide_add,
    decide_confirm,
    decide_import,
    decide_unsubscribe,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOKENS = Tokens("k" * 43)


def state(store: SqlStore, email: str) -> str | None:
    found = store.subscriber(email.lower())
    return found.state if found else None


def test_add_pending_or_confirmed_and_one_row_per_address(store: SqlStore) -> None:
    added = add_subscribers(
        store, ["Ann@Example.org", "ann@example.org", "bob@example.org"], False, NOW
    )
    assert [(a.email, a.send_confirmation) for a in added] == [
        ("Ann@example.org", True),
        ("bob@example.org", True),
    ]
    assert added[0].subscriber.state == "pending" and added[0].subscriber.source == "cli"
    again = add_subscribers(store, ["ANN@example.org"], True, NOW)
    assert again[0].note == "added, active" and state(store, "ann@example.org") == "active"
    assert again[0].subscriber.email == "Ann@example.org", "the first spelling is kept"
    assert add_subscribers(store, ["ann@example.org"], True, NOW)[0].note == "already subscribed"
    assert store.subscriber_counts() == {"pending": 1, "active": 1, "unsubscribed": 0, "bounced": 0}


def test_one_invalid_address_adds_none(store: SqlStore) -> None:
    with pytest.raises(InvalidAddress, match="'bob@' is not a valid email address"):
        add_subscribers(store, ["ann@example.org", "bob@"], True, NOW)
    assert store.subscriber("ann@example.org") is None


def test_an_unsubscribed_address_comes_back_only_by_confirming(store: SqlStore) -> None:
    add_subscribers(store, ["ann@example.org"], True, NOW)
    remove_subscriber(store, "ann@example.org", NOW)
    refused = add_subscribers(store, ["ann@example.org"], True, NOW)[0]
    assert "not re-added" in refused.note and not refused.send_confirmation
    assert state(store, "ann@example.org") == "unsubscribed"
    asked = add_subscribers(store, ["ann@example.org"], False, NOW)[0]
    assert asked.send_confirmation and state(store, "ann@example.org") == "pending"


def test_remove_keeps_the_row(store: SqlStore) -> None:
    add_subscribers(store, ["ann@example.org"], True, NOW)
    assert "unsubscribed" in remove_subscriber(store, "Ann@EXAMPLE.org", NOW)
    found = store.subscriber("ann@example.org")
    assert found is not None and found.state == "unsubscribed" and found.unsubscribed_at == NOW
    assert "already" in remove_subscriber(store, "ann@example.org", NOW)
    with pytest.raises(NotSubscribed, match=r"nobody@example\.org is not on the list"):
        remove_subscriber(store, "nobody@example.org", NOW)


CSV = """\
email,name,notes
ann@example.org,Ann,first
not-an-address,Bad,x
bob@example.org,,
ANN@example.org,Ann again,dup

,,
cy@example.net,"Cy, the runner",
zoe@example.org,Zoë,
"""


def test_import_counts_as_confirmed_except_who_left(store: SqlStore) -> None:
    add_subscribers(store, ["bob@example.org"], False, NOW)  # pending: becomes active
    add_subscribers(store, ["cy@example.net"], True, NOW)
    remove_subscriber(store, "cy@example.net", NOW)  # unsubscribed: stays so
    add_subscribers(store, ["zoe@example.org"], True, NOW)
    zoe = store.subscriber("zoe@example.org")
    assert zoe is not None
    store.set_subscriber_state(zoe.id, SubscriberState.BOUNCED, NOW)  # bounced: stays so
    report = import_subscribers(store, io.StringIO(CSV), NOW)
    assert (report.new, report.activated, report.kept_suppressed, report.duplicates) == (1, 1, 2, 1)
    assert [(bad.line, bad.problem[:40]) for bad in report.bad] == [
        (3, "'not-an-address' is not a valid email ad"),
        (7, "an empty row (only commas)"),  # said, not skipped silently (issue 19, item 8)
    ]
    assert state(store, "ann@example.org") == "active"
    assert state(store, "bob@example.org") == "active"
    assert state(store, "cy@example.net") == "unsubscribed"
    assert state(store, "zoe@example.org") == "bounced"
    ann = store.subscriber("ann@example.org")
    assert ann is not None and ann.name == "Ann" and ann.source == "import"
    assert "1 new subscriber(s) as confirmed" in report.summary()
    assert "2 unsubscribed or bounced earlier and left so" in report.summary()


def test_an_address_erased_on_request_is_not_counted_as_imported(store: SqlStore) -> None:
    add_subscribers(store, ["gone@example.org"], True, NOW)
    gone = store.subscriber("gone@example.org")
    assert gone is not None and store.erase_subscriber(gone.id, NOW)
    report = import_subscribers(store, io.StringIO("gone@example.org\nnew@example.org\n"), NOW)
    assert (report.new, report.left_out) == (1, 1)
    assert "1 left as they were" in report.summary()
    assert state(store, "gone@example.org") is None


def test_an_import_changes_a_state_only_from_the_one_it_decided_from(store: SqlStore) -> None:
    add_subscribers(store, ["bob@example.org"], False, NOW)
    bob = store.subscriber("bob@example.org")
    assert bob is not None
    # Decided while Bob was pending; he unsubscribed before the import wrote.
    store.set_subscriber_state(bob.id, SubscriberState.UNSUBSCRIBED, NOW)
    change = StateChange(bob.id, SubscriberState.PENDING, SubscriberState.ACTIVE)
    applied = store.import_changes([], [change], NOW)
    assert applied.changed == frozenset() and state(store, "bob@example.org") == "unsubscribed"
    again = StateChange(bob.id, SubscriberState.UNSUBSCRIBED, SubscriberState.BOUNCED)
    assert store.import_changes([], [again], NOW).changed == {bob.id}


def test_import_without_a_header_and_with_bad_states(store: SqlStore) -> None:
    lines = "ann@example.org,Ann\nbob@example.org\n"
    report = import_subscribers(store, io.StringIO(lines), NOW)
    assert report.new == 2 and not report.bad
    report = import_subscribers(store, io.StringIO("email,state\ncy@example.net,gone\n"), NOW)
    assert report.bad[0].line == 2 and "unknown state 'gone'" in report.bad[0].problem
    bad_choices = (
        "email,choice,frequency,paused_until\n"
        "d@example.net,fmt=pdf,,\n"
        "e@example.net,since=2026-W01,,\n"
        "f@example.net,,daily,\n"
        "g@example.net,,,next week\n"
    )
    report = import_subscribers(store, io.StringIO(bad_choices), NOW)
    assert [(b.line, b.problem.split()[0]) for b in report.bad] == [
        (2, "choice"),
        (3, "choice"),
        (4, "unknown"),
        (5, "paused_until"),
    ]
    assert report.new == 0


def test_export_then_import_elsewhere_keeps_every_state_and_choice(
    store: SqlStore, tmp_path: object
) -> None:
    (ann,) = add_subscribers(store, ["ann@example.org"], True, NOW)
    add_subscribers(store, ["bob@example.org"], True, NOW)
    add_subscribers(store, ["cy@example.net"], False, NOW)
    remove_subscriber(store, "bob@example.org", NOW)
    until = NOW + timedelta(weeks=2)
    chosen = StoredChoice("fmt=text;off=exercise", "monthly", until)
    assert store.save_choice(ann.subscriber.id, chosen, ["plain text only"], NOW)
    out = io.StringIO()
    assert write_rows(store.iter_subscribers(), out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "email,name,state,source,created_at,confirmed_at,unsubscribed_at,bounced_at,"
        "choice,frequency,paused_until"
    )
    assert lines[1].endswith(",fmt=text;off=exercise,monthly,2026-12-09T09:00:00Z")
    assert lines[2].startswith("bob@example.org,,unsubscribed,cli,2026-11-25T09:00:00Z")
    from newsletter.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/other.sqlite3")
    upgrade(engine)
    other = SqlStore(engine)
    try:
        import_subscribers(other, io.StringIO(out.getvalue()), NOW)
        assert [(s.email, s.state) for s in other.iter_subscribers()] == [
            ("ann@example.org", "active"),
            ("bob@example.org", "unsubscribed"),
            ("cy@example.net", "pending"),
        ]
        moved = other.subscriber("ann@example.org")
        assert moved is not None
        assert (moved.choice, moved.frequency, moved.paused_until) == (
            "fmt=text;off=exercise",
            "monthly",
            until,
        )
    finally:
        other.close()


def test_a_long_import_goes_in_chunks_and_lists_page_by_page(store: SqlStore) -> None:
    lines = "".join(f"r{n:05}@example.org\n" for n in range(2600))
    report = import_subscribers(store, io.StringIO(lines), NOW)
    assert report.new == 2600
    listed = [s.email for s in store.iter_subscribers([SubscriberState.ACTIVE])]
    assert listed == [f"r{n:05}@example.org" for n in range(2600)]


def test_confirm_and_unsubscribe_links(store: SqlStore) -> None:
    (added,) = add_subscribers(store, ["ann@example.org"], False, NOW)
    ann = added.subscriber
    confirm = TOKENS.make("confirm", ann.id, ann.email_key)
    unsubscribe = TOKENS.make("unsubscribe", ann.id, ann.email_key)
    with pytest.raises(InvalidLink):
        unsubscribe_with_token(store, TOKENS, confirm, NOW)
    assert confirm_subscription(store, TOKENS, confirm, NOW).state == "active"
    assert confirm_subscription(store, TOKENS, confirm, NOW).state == "active", "twice: same"
    assert unsubscribe_with_token(store, TOKENS, unsubscribe, NOW).state == "unsubscribed"
    assert unsubscribe_with_token(store, TOKENS, unsubscribe, NOW).state == "unsubscribed"
    stale = confirm_subscription(store, TOKENS, confirm, NOW)
    assert stale.state == "unsubscribed", "an old confirm link never undoes an unsubscribe"
    with pytest.raises(InvalidLink, match="this unsubscribe link is not valid"):
        unsubscribe_with_token(store, TOKENS, TOKENS.make("unsubscribe", ann.id, "x@y.org"), NOW)
    with pytest.raises(InvalidLink):
        confirm_subscription(store, TOKENS, TOKENS.make("confirm", 9999, "x@y.org"), NOW)


@pytest.mark.parametrize(
    ("current", "confirmed", "expected"),
    [
        (None, False, ("pending", True)),
        (None, True, ("active", False)),
        ("pending", False, ("pending", True)),
        ("pending", True, ("active", False)),
        ("active", False, (None, False)),
        ("unsubscribed", True, (None, False)),
        ("unsubscribed", False, ("pending", True)),
        ("bounced", True, ("active", False)),
        ("bounced", False, ("pending", True)),
    ],
)
def test_decide_add(
    current: str | None, confirmed: bool, expected: tuple[str | None, bool]
) -> None:
    decision = decide_add(current, confirmed)  # type: ignore[arg-type]
    assert (decision.state, decision.send_confirmation) == expected


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        (None, "active", ("active", "new")),
        (None, "unsubscribed", ("unsubscribed", "suppressed")),
        ("pending", "active", ("active", "activated")),
        ("active", "active", (None, "unchanged")),
        ("active", "pending", (None, "unchanged")),
        ("active", "unsubscribed", ("unsubscribed", "suppressed")),
        ("unsubscribed", "active", (None, "kept_suppressed")),
        ("bounced", "active", (None, "kept_suppressed")),
    ],
)
def test_decide_import(current: str | None, wanted: str, expected: tuple[str | None, str]) -> None:
    assert decide_import(current, wanted) == expected  # type: ignore[arg-type]


def test_an_unsubscribe_landing_during_an_add_wins(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`subscribers add --confirmed` reads the row, then writes: a person who unsubscribes
    in between stays unsubscribed (they come back only by confirming themselves)."""
    [pending] = add_subscribers(store, ["ann@example.org"], False, NOW)
    real = store.subscriber
    looks: list[str] = []

    def meanwhile(email_key: str) -> SubscriberRecord | None:
        found = real(email_key)
        if not looks:  # the person clicks unsubscribe right after the operator's read
            store.set_subscriber_state(pending.subscriber.id, SubscriberState.UNSUBSCRIBED, NOW)
        looks.append(email_key)
        return found

    monkeypatch.setattr(store, "subscriber", meanwhile)
    add_subscribers(store, ["ann@example.org"], True, NOW)
    final = real("ann@example.org")
    assert final is not None
    assert final.state == SubscriberState.UNSUBSCRIBED
    assert len(looks) == 2  # the write refused, and the second look saw the unsubscribe


def test_every_decision_moves_only_along_the_drawn_transitions() -> None:
    # SUBSCRIBER_TRANSITIONS is the map a reader trusts; each pure decision stays on it.
    states = list(SubscriberState)
    moves = [(s, decide_add(s, c).state) for s in states for c in (True, False)]
    moves += [(s, decide_import(s, w)[0]) for s in states for w in states]
    moves += [(s, decide_confirm(s)) for s in states]
    moves += [(s, decide_unsubscribe(s)) for s in states]
    wrong = [
        (before, after)
        for before, after in moves
        if after is not None and after != before and after not in SUBSCRIBER_TRANSITIONS[before]
    ]
    assert wrong == []
