"""The send journal's files: what a dead sender's lines say, who may read a journal, and
when it is removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.mail.journal import Journal, claimer_of, dead_journals, replay
from newsletter.store.deliveries import Journaled

DEAD = "host.example.org:4242:9876"


def test_replay_tells_delivered_in_doubt_and_answered_apart() -> None:
    worker = b">1\n+1\n>2\n-2\n>3\n+3\n>4\n"  # 4 handed over, then the process died
    other = b">7\n-7\n>7\n>8\n+8\n"  # 7 retried and in flight again
    assert replay([worker, other]) == Journaled(frozenset({1, 3, 8}), frozenset({4, 7}))


def test_replay_ignores_what_is_not_a_line_of_ours() -> None:
    assert replay([b">1\n+x\n\n?2\n>\n+1"]) == Journaled(frozenset({1}), frozenset())
    assert replay([]) == Journaled()


def test_a_journal_is_named_after_its_claimer_and_read_back(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, DEAD, 2)
    assert claimer_of(journal.path) == DEAD and journal.path.name.endswith(".2.journal")
    journal.handing(10)
    journal.answered(10, delivered=True)
    journal.handing(11)
    journal.close(remove=False)
    assert journal.path.read_bytes() == b">10\n+10\n>11\n"
    assert [p.name for p in tmp_path.iterdir()] == [journal.path.name], "no temporary file"


def test_lines_are_in_the_file_as_soon_as_written_and_it_grows(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, DEAD, 0)
    journal.handing(1)
    assert journal.path.read_bytes().rstrip(b"\0") == b">1\n", "no flush, no close needed"
    for row in range(2, 20_000):  # past the first allocation
        journal.handing(row)
        journal.answered(row, delivered=row % 2 == 0)
    assert replay([journal.path.read_bytes()]) == Journaled(
        frozenset(range(2, 20_000, 2)), frozenset({1})
    )
    journal.close(remove=False)
    assert journal.path.read_bytes().endswith(b">19999\n-19999\n"), "cut to what was written"


def test_a_line_cut_short_by_death_counts_for_nothing() -> None:
    """The file is zero-filled ahead: a line the copy did not finish keeps NULs."""
    assert replay([b">5\n+5\n>6\n+6\0\0\0\0"]) == Journaled(frozenset({5}), frozenset({6}))
    assert replay([b">5\n\0\05\n>6\n"]) == Journaled(frozenset(), frozenset({5, 6}))


def test_a_finished_worker_removes_its_journal(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, DEAD, 0)
    journal.close(remove=True)
    assert list(tmp_path.iterdir()) == []


def test_dead_journals_are_read_then_removed_once_recovered(tmp_path: Path) -> None:
    for worker in (0, 1):
        journal = Journal.create(tmp_path, DEAD, worker)
        journal.handing(worker)
        journal.close(remove=False)
    alive = Journal.create(tmp_path, "host.example.org:1:1", 0)
    with dead_journals(tmp_path, lambda claimer: claimer == DEAD) as journals:
        assert journals.of(DEAD) == Journaled(in_doubt=frozenset({0, 1}))
        assert journals.of("host.example.org:1:1") is None and journals.busy == set()
    assert [claimer_of(path) for path in tmp_path.iterdir()] == ["host.example.org:1:1"]
    alive.close(remove=True)


def test_dead_journals_are_kept_when_the_recovery_fails(tmp_path: Path) -> None:
    Journal.create(tmp_path, DEAD, 0).close(remove=False)
    with pytest.raises(RuntimeError), dead_journals(tmp_path, lambda claimer: True):
        raise RuntimeError("the database went away")
    assert len(list(tmp_path.iterdir())) == 1
    with dead_journals(tmp_path, lambda claimer: True) as journals:
        assert DEAD in journals.found, "and unlocked: the next recovery reads it"


def test_a_journal_another_recoverer_holds_leaves_its_sender_alone(tmp_path: Path) -> None:
    """Two senders starting at once on one machine: one recovers the dead sender with its
    journals, the other leaves that sender's rows to it, not sending them twice."""
    for worker in (0, 1):
        Journal.create(tmp_path, DEAD, worker).close(remove=False)
    with dead_journals(tmp_path, lambda claimer: True) as first:
        with dead_journals(tmp_path, lambda claimer: True) as second:
            assert DEAD in first.found and second.busy == {DEAD} and second.found == {}
        assert len(list(tmp_path.iterdir())) == 2, "the second removed nothing"
    assert list(tmp_path.iterdir()) == []


def test_a_journal_that_cannot_be_written_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "db"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(NewsletterError, match="cannot keep the send journal"):
        Journal.create(blocker / "send-journal", DEAD, 0)
    journal = Journal.create(tmp_path / "ok", DEAD, 0)
    os.close(journal._fd)  # as if the disk had failed under it: growing the file fails
    with pytest.raises(NewsletterError, match="cannot keep the send journal"):
        for row in range(20_000):
            journal.handing(row)
    journal._unmap()
