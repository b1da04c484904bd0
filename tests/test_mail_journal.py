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


def test_an_answer_goes_out_with_the_next_hand_over_one_write_each(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, DEAD, 0)
    journal.handing(1)
    journal.answered(1, delivered=True)
    assert journal.path.read_bytes() == b">1\n", "the 250 waits for the next message"
    journal.handing(2)
    journal.answered(2, delivered=False)
    assert journal.path.read_bytes() == b">1\n+1\n>2\n"
    journal.close(remove=False)  # kept: the last answer is written before it closes
    assert journal.path.read_bytes() == b">1\n+1\n>2\n-2\n"


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
    os.close(journal._fd)  # as if the disk had failed under it
    with pytest.raises(NewsletterError, match="cannot keep the send journal"):
        journal.handing(1)
