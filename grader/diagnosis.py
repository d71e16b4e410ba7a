"""Naming the mistake behind a failing check, from the catalogue of misconceptions.

For each failing check of a function at fault, in order: a misconception the check recognised itself; one
whose exception signature matches what the student's code raised; else every catalogued wrong
implementation of that function runs the check again in a trusted worker (never the student's), and the
one whose answers equal the student's answers, request by request, and that fails the check too, is the
diagnosis (the closest if several do). A run stops at its first answer that rules the match out. Only
failing checks cost anything, within a time budget per submission.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.checks import Check
from grader.localization import Fault
from grader.misconceptions import Misconception, distance

Rerun = Callable[[Check, "Misconception | None", float, "list[tuple[str, Any]]", float],
                 "list[tuple[str, Any]] | None"]
"""``rerun(check, misconception, timeout, student_transcript, tolerance)``: the transcript of the check run with
the misconception standing in for its function (``None``: the reference's own run); None if it could not run,
if it stopped once its answers could no longer match the student's within ``tolerance``
(``MatchingTranscript``), or if the misconception passes the check."""

LONG_CHECK_FACTOR = 1.0
"""Checks with a larger timeout factor (training runs) are only tried for misconceptions that name them."""


@dataclass
class Evidence:
    """What the failing check left behind for diagnosis."""

    declared: str = ""
    """A misconception id the check recognised itself."""
    exception: str = ""
    """``"Type: message"`` of the student's exception, if it raised."""
    transcript: list[tuple[str, Any]] = field(default_factory=list)
    """The student worker's answers during the check."""
    unimplemented: bool = False
    """The student's code returned nothing (None) where a value was due: the check's runs with catalogued wrong
    implementations, which each return a value, cannot answer what it did, so none is run (an untouched skeleton
    costs no reruns)."""


class Diagnoser:
    def __init__(self, catalog: dict[str, Misconception], rerun: Rerun | None, budget_s: float):
        self.catalog = catalog
        self.rerun = rerun
        self.deadline = time.monotonic() + budget_s
        self.tried = 0

    def candidates(self, check: Check, fault: Fault | None) -> list[Misconception]:
        at_fault = fault.culprits if fault else check.targets
        return [m for m in self.catalog.values() if m.applies_to(check.id)
                and (not m.function or any(m.concerns(f) for f in at_fault))]

    def diagnose(self, check: Check, fault: Fault | None, evidence: Evidence) -> Misconception | None:
        declared = self.catalog.get(evidence.declared)
        if declared is not None and (fault is None or not fault.culprits or not declared.function
                                     or any(declared.concerns(f) for f in fault.culprits)):
            return declared  # (what a check recognised in a function it then did not blame is not named)
        candidates = self.candidates(check, fault)
        if evidence.exception:
            for m in candidates:
                if m.explains(evidence.exception):
                    return m
        runnable = [m for m in candidates if m.implementation and m.function and not evidence.unimplemented
                    and (check.timeout_factor <= LONG_CHECK_FACTOR or check.id in m.checks)]
        best: tuple[float, Misconception] | None = None
        for m in runnable:
            left = self.deadline - time.monotonic()
            if self.rerun is None or left <= 0:
                break
            self.tried += 1
            theirs = self.rerun(check, m, left, evidence.transcript, m.tolerance)
            gap = distance(evidence.transcript, theirs) if theirs is not None else None
            if gap is not None and gap <= m.tolerance and (best is None or gap < best[0]):
                best = (gap, m)
        if best is None or self.indistinct(check, evidence, best[1].tolerance):
            return None
        return best[1]

    def indistinct(self, check: Check, evidence: Evidence, tolerance: float) -> bool:
        """Whether the reference's own run of the check answers what the student's code answered, within
        ``tolerance``: then the answers cannot tell one mistake from another (a gradient check whose model has
        zero biases sees no difference between leaving ``b`` out and adding ``2 * b``), and the check
        diagnoses nothing. Asked only once a misconception matches, and usually settled at the first answer,
        where the student's code went wrong; without the time to ask, the answer is yes (name no mistake)."""
        left = self.deadline - time.monotonic()
        if self.rerun is None or left <= 0:
            return True
        return self.rerun(check, None, left, evidence.transcript, tolerance) is not None
