"""Time per submission: the submission's whole budget (``--submission-timeout``), and the student functions
that ran out of time, which are not called again in the same submission.

A check that times out blames the one function it involves that has not finished a call in an earlier check
(the others returned there, so the loop is most likely in the one that never did): from then on every check
involving that function is marked ``timeout`` at once, with a message saying why, instead of waiting out its
own time limit. When more than one function is left, nothing is concluded and later checks run as usual.
The rule uses only the checks' verdicts, never timing, so the same submission gets the same report.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from grader.checks import Check
from grader.localization import Fault, display_name, involved, listing

FINISHED = ("passed", "failed")
"""Verdicts reached only once every function the check called had returned."""


@dataclass
class Stall:
    check: str
    """The check whose time ran out."""
    seconds: float


@dataclass
class SubmissionClock:
    """The time left to one submission, and the functions known not to finish (per submission: make a new one)."""

    budget_s: float | None
    """The submission's time budget (None: unlimited)."""
    started: float = field(default_factory=time.monotonic)
    finished: set[str] = field(default_factory=set)
    stalled: dict[str, Stall] = field(default_factory=dict)

    # ------------------------------------------------------------------ the budget
    @property
    def left(self) -> float:
        if self.budget_s is None:
            return float("inf")
        return self.budget_s - (time.monotonic() - self.started)

    def limit(self, seconds: float) -> tuple[float, bool]:
        """``seconds`` capped by what is left of the budget, and whether the budget is what limits it."""
        left = self.left
        return (left, True) if left < seconds else (seconds, False)

    def out_of_time(self) -> str:
        return ("this submission's time budget (--submission-timeout %.0f s) ran out" % self.budget_s)

    # ------------------------------------------------------------------ stalled functions
    def record(self, check: Check, status: str, seconds: float) -> str | None:
        """Note what a check's verdict says about its functions; a timeout may name the function that does not
        finish (returned, so that the message can say so)."""
        functions = involved(check)
        if status in FINISHED:
            self.finished.update(functions)
            return None
        if status != "timeout":
            return None
        left = [f for f in functions if f not in self.finished and f not in self.stalled]
        if len(left) != 1:
            return None
        self.stalled[left[0]] = Stall(check.id, seconds)
        return left[0]

    def blocked(self, check: Check) -> tuple[str, Fault] | None:
        """A check that calls a function that did not finish earlier: why it is not run, and whom it blames."""
        stuck = [f for f in involved(check) if f in self.stalled]
        if not stuck:
            return None
        first = self.stalled[stuck[0]]
        others = tuple(t for t in check.targets if t not in stuck)
        why = ("%s did not finish within %.0f s in %s (an infinite loop or a very slow implementation?)"
               % (listing(stuck), first.seconds, first.check))
        if others:
            why += ": this check cannot judge %s" % listing(others)
        message = "not run: %s; this submission does not call %s again" % (why, "it" if len(stuck) == 1 else "them")
        return message, Fault(tuple(stuck), others, why if others else "")

    def note(self, function: str) -> str:
        """What the timed-out check's message adds once ``function`` is known not to finish."""
        return ("; `%s` is the one function of this check that never finished a call, so the checks after this "
                "one that call it are not run" % display_name(function))
