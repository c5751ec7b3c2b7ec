"""The indexing worker: rounds drain what was written, and a writer can wait for its round."""

from __future__ import annotations

import threading
import time

from archive.core.indexing import BackgroundIndexer


class Rounds:
    """An index_pending that records when it ran and can be held inside a round."""

    def __init__(self) -> None:
        self.began: list[float] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> int:
        self.began.append(time.monotonic())
        self.release.wait(10)
        return 0


def test_a_ticket_is_covered_only_by_a_round_that_began_after_it() -> None:
    rounds = Rounds()
    worker = BackgroundIndexer(rounds)
    worker.start()
    try:
        assert worker.wait(worker.ticket(), 5)  # the first round
        rounds.release.clear()
        worker.poke()
        while len(rounds.began) < 2:  # a round is now held open
            time.sleep(0.01)
        ticket = worker.ticket()  # written while that round runs: it may have missed this
        assert not worker.wait(ticket, 0.3)
        written = time.monotonic()
        rounds.release.set()
        assert worker.wait(ticket, 5)
        assert rounds.began[-1] >= written  # the round that covered the ticket began after it
    finally:
        rounds.release.set()
        worker.stop()


def test_a_failed_round_covers_nothing_and_the_next_one_does() -> None:
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk hiccup")
        return 0

    worker = BackgroundIndexer(flaky)
    worker.start()
    try:
        assert worker.wait(worker.ticket(), 5)
        ticket = worker.ticket()
        assert worker.wait(ticket, 10)  # after the backoff, a clean round
        assert len(calls) >= 3 and worker.failures == 0
    finally:
        worker.stop()


def test_rounds_that_wrote_are_paced_and_a_write_after_a_quiet_spell_is_not() -> None:
    """A group commit: under a stream of writes a round begins at most every round_seconds;
    a round that found nothing does not count, so a write after a quiet spell (the rounds an
    idle server runs every IDLE_SECONDS) starts its round at once."""
    wrote: list[int] = []
    began: list[float] = []

    def rounds() -> int:
        began.append(time.monotonic())
        return wrote.pop() if wrote else 0

    worker = BackgroundIndexer(rounds, round_seconds=3.0)
    worker.start()
    try:
        assert worker.wait(worker.ticket(), 5)  # a first round, idle
        wrote.append(1)
        sent = time.monotonic()
        assert worker.wait(worker.ticket(), 5)
        assert time.monotonic() - sent < 1.0  # after an idle round: at once
        wrote.append(1)
        sent = time.monotonic()
        assert worker.wait(worker.ticket(), 10)
        assert time.monotonic() - sent > 1.5  # after a round that wrote: its turn (3 s apart)
        assert began[-1] - began[-2] >= 2.9
    finally:
        worker.stop()
