"""The reference's answers memoised across a batch (``grader.memo``): reused only along the same chain of
requests, replayed to the worker in order the moment a check asks something new, and never trusted when a
replay answers otherwise. The workers here are fakes that count what reaches them; the last test grades real
submissions with and without the memo and compares the reports."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import grade, write_submission
from test_determinism import without_timing
from grader import memo as memo_module
from grader.memo import Diverged, MemoizingExecutor, ReferenceMemo
from grader.worker.protocol import Handle


class FakeWorker(MemoizingExecutor):
    """Answers without a process: ``call`` adds the worker's offset to its argument, ``new`` keeps an object
    (handles numbered from ``first_id``), ``method`` reads it back; every request that reaches it is logged."""

    def __init__(self, memo: ReferenceMemo, first_id: int = 1, offset: float = 0.0):
        super().__init__(Path("."), "a fake reference", "pkg", memo=memo)
        self.log: list[dict] = []
        self.objects: dict[int, float] = {}
        self.next_id = first_id
        self.offset = offset

    def _request(self, message: dict):
        self.log.append(message)
        op = message["op"]
        if op in ("seed", "free"):
            return None
        if op == "call" and message.get("keep") == "all":
            self.objects[self.next_id] = message["args"][0]
            self.next_id += 1
            return Handle(self.next_id - 1, "Thing")
        if op == "call" and isinstance(message["fn"], list):
            handle, name = message["fn"][1], message["fn"][2]
            return np.array([self.objects[handle.id] * 10 + message["args"][0]])
        return np.array([message["args"][0] + self.offset])


def run_check(executor: FakeWorker, student_value: float = 0.5, check: str = "c/hidden") -> list:
    """A check's reference requests: seed, a plain call, an object kept, a method on it, then one carrying
    a value from the student's code; then the object freed."""
    executor.current_check = check
    executor.seed(7)
    answers = [executor.call("m.f", 1.0)]
    thing = executor.new("m.Thing", 3.0)
    answers.append(executor.method(thing, "g", 2.0))
    answers.append(executor.method(thing, "g", student_value))
    executor.free(thing)
    return answers


def test_the_same_chain_is_answered_from_the_memo():
    memo = ReferenceMemo()
    first, second = FakeWorker(memo), FakeWorker(memo, first_id=100)
    want = run_check(first)
    got = run_check(second)
    assert [a.tolist() for a in got] == [a.tolist() for a in want]
    assert len(first.log) == 6 and second.log == []  # every request of the second came from the memo


def test_a_new_request_replays_the_chain_first_with_the_workers_own_handles():
    memo = ReferenceMemo()
    run_check(FakeWorker(memo))
    second = FakeWorker(memo, first_id=100)
    answers = run_check(second, student_value=0.25)  # the student's value differs: the worker must answer it
    assert answers[-1].tolist() == [30.25]
    ops = [(m["op"], m.get("fn")) for m in second.log]
    assert ops == [("seed", None), ("call", "m.f"), ("call", "m.Thing"), ("call", ["method", Handle(100, "Thing"), "g"]),
                   ("call", ["method", Handle(100, "Thing"), "g"]), ("free", None)]
    assert second.log[-1]["handles"] == [100]
    assert memo.replayed == 4


def test_another_check_or_seed_is_another_chain():
    memo = ReferenceMemo()
    run_check(FakeWorker(memo))
    other = FakeWorker(memo)
    run_check(other, check="c/notebook")
    assert len(other.log) == 6


def test_a_replay_that_answers_otherwise_is_never_trusted():
    memo = ReferenceMemo()
    run_check(FakeWorker(memo))
    drifting = FakeWorker(memo, offset=1.0)  # answers m.f differently from the one that filled the memo
    with pytest.raises(Diverged):
        run_check(drifting, student_value=0.25)
    assert memo.poisoned("c/hidden")
    drifting.log.clear()
    answers = run_check(drifting, student_value=0.25)  # the check again: live from its seed on
    assert answers[0].tolist() == [2.0] and len(drifting.log) == 6


def test_a_derived_value_is_computed_once_per_key_and_a_failure_keeps_nothing():
    memo, calls = ReferenceMemo(), []

    def compute(value):
        calls.append(value)
        return value

    assert memo.derived("overfit\0" "1\0final", lambda: compute(0.5)) == 0.5
    assert memo.derived("overfit\0" "1\0final", lambda: compute(9.0)) == 0.5
    assert memo.derived("overfit\0" "2\0final", lambda: compute(0.7)) == 0.7  # another seed: computed
    assert calls == [0.5, 0.7]

    def fails():
        raise RuntimeError("the reference's worker ended")

    with pytest.raises(RuntimeError):
        memo.derived("gan\0" "1\0final", fails)
    assert memo.derived("gan\0" "1\0final", lambda: compute(1.5)) == 1.5


class CountingMemo(ReferenceMemo):
    made: list["CountingMemo"] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountingMemo.made.append(self)


CHECKS = "rnn_layers.rnn_backward,classifiers.rnn.CaptioningRNN.loss[rnn],classifiers.rnn.CaptioningRNN.sample[rnn]"
"""Objects kept in the worker (caches, models), and the overfit run, whose final loss the reference measures on
the weights the student's code trained: a request that differs from one submission to the next."""


def test_memoised_reports_equal_live_ones(tmp_path, samples, monkeypatch):
    """In a class graded with the memo, the second submission gets its reference answers from the first where
    they asked alike, and the same report as when it is graded alone (everything live)."""
    monkeypatch.setattr("grader.gradebook.regrade.ReferenceMemo", CountingMemo)
    first, second = samples / "reference", samples / "bug_tanh_projection"  # its training ends elsewhere
    together = grade([first, second], tmp_path / "together", "--seed", "5", "--only", CHECKS)
    batch = CountingMemo.made[-1]
    assert batch.hits > 0 and batch.replayed > 0, (batch.hits, batch.replayed)
    alone = grade([second], tmp_path / "alone", "--seed", "5", "--only", CHECKS)[second.name]
    assert without_timing(alone) == without_timing(together[second.name])
    assert any(c["status"] == "failed" for c in alone["checks"])
    assert memo_module.MEMO_BYTES > batch.bytes > 0


def test_a_derived_value_asked_by_two_threads_at_once_is_computed_once():
    memo, calls, started = ReferenceMemo(), [], threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return 0.5

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(memo.derived, "overfit\0" "1\0final", slow)
        started.wait()
        second = pool.submit(memo.derived, "overfit\0" "1\0final", slow)
        assert (first.result(), second.result()) == (0.5, 0.5)
    assert calls == [1]
