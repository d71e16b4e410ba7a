"""Known mistakes, as data: a named wrong way to write a student function and what to tell a student who did.

Exercise packs (and courses, through the ``grader_misconceptions`` hook) contribute ``Misconception``s.
One is recognised in one of three ways:

* ``implementation``: the team's own wrong implementation of the function (``"module:attribute"``,
  importable where the reference runs). When a check of that function fails, the check runs again with it
  standing in for the function, in a trusted worker; if everything the student's code answered equals what
  the wrong implementation answers, within ``tolerance``, that is the diagnosis;
* ``raises``: a regular expression on the exception the student's code raised (``"Type: message"``);
* declared: a check that recognises a mistake itself names its id (``Outcome(diagnosis=...)``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from grader.worker.protocol import Handle, Unsupported

TOLERANCE = 1e-4
"""How close the student's answers must be to the wrong implementation's, relative to their size."""


@dataclass(frozen=True)
class Misconception:
    """A catalogued mistake in ``function`` (a target name, e.g. ``style_transfer_tensorflow.tv_loss``)."""

    id: str
    """Stable, e.g. ``tv_loss.wraps-around``: reports and dashboards count students by it."""
    function: str
    message: str
    """What the student did, in one line: "your tv_loss wraps around the image borders"."""
    hint: str
    """What to change: "take differences of neighbouring pixels with slices, img[:, 1:] - img[:, :-1]"."""
    implementation: str = ""
    raises: str = ""
    checks: tuple[str, ...] = ()
    """The check ids where it is tried (default: every failing check of ``function``)."""
    tolerance: float = TOLERANCE

    @property
    def sentence(self) -> str:
        return "%s: %s" % (self.message, self.hint)

    def concerns(self, function: str) -> bool:
        """``function`` is this one (``CaptioningRNN.sample`` covers ``CaptioningRNN.sample[rnn]``)."""
        return function == self.function or function.startswith(self.function + "[")

    def applies_to(self, check_id: str) -> bool:
        return not self.checks or check_id in self.checks

    def explains(self, exception: str) -> bool:
        """The student's exception (``"Type: message"``) is this mistake's signature."""
        return bool(self.raises) and re.search(self.raises, exception) is not None


def catalog(contributed: Iterable[Iterable[Misconception]]) -> dict[str, Misconception]:
    """Every plugin's misconceptions by id; an id given twice is an error."""
    out: dict[str, Misconception] = {}
    for group in contributed:
        for m in group or ():
            if m.id in out:
                raise ValueError("two plugins define the misconception %s" % m.id)
            if bool(m.implementation) == bool(m.raises) and (m.implementation or m.raises):
                raise ValueError("misconception %s: give an implementation or an exception pattern, not both"
                                 % m.id)
            out[m.id] = m
    return out


# ------------------------------------------------------------------------------------------ transcripts


def distance(ours: list[tuple[str, Any]], theirs: list[tuple[str, Any]]) -> float | None:
    """How far apart two transcripts of a check are (what one worker answered, request by request): the
    largest relative difference of their numbers, or None when they differ in kind (a different number of
    requests, an exception against a value, other types or shapes)."""
    if len(ours) != len(theirs):
        return None
    worst = 0.0
    for a, b in zip(ours, theirs):
        d = answer_distance(a, b)
        if d is None:
            return None
        worst = max(worst, d)
    return worst


def answer_distance(ours: tuple[str, Any], theirs: tuple[str, Any]) -> float | None:
    """How far apart two answers to one request are (``("ok", value)`` or ``("raise", type name)``)."""
    (kind_a, a), (kind_b, b) = ours, theirs
    if kind_a != kind_b:
        return None
    return (0.0 if a == b else None) if kind_a == "raise" else value_distance(a, b)


class CannotMatch(Exception):
    """A misconception's run has answered something the student's code did not: it cannot be the diagnosis."""


class MatchingTranscript(list):
    """A misconception run's transcript that stops the run (``CannotMatch``) at the first answer that rules
    the match out: one past the student's last, or one farther than ``tolerance`` from the student's answer to
    the same request. A long check (a style-transfer loop) is then not run to the end for nothing; whatever
    ends early would not have matched anyway."""

    def __init__(self, student: list[tuple[str, Any]], tolerance: float):
        super().__init__()
        self.student = student
        self.tolerance = tolerance
        self.ruled_out = False

    def append(self, answer: tuple[str, Any]) -> None:
        i = len(self)
        super().append(answer)
        gap = answer_distance(self.student[i], answer) if i < len(self.student) else None
        if gap is None or not gap <= self.tolerance:
            self.ruled_out = True
            raise CannotMatch("answer %d rules the misconception out" % (i + 1))


def value_distance(a: Any, b: Any) -> float | None:
    """max |a - b| / max |b| over numbers (NaN and inf must sit at the same places); None if incomparable."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if type(a) is not type(b) or len(a) != len(b):
            return None
        return _worst(value_distance(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return None
        return _worst(value_distance(a[k], b[k]) for k in a)
    if isinstance(a, Handle) and isinstance(b, Handle):
        return 0.0  # an object kept in a worker (a cache, a model): opaque, its type is the author's choice
    if isinstance(a, Unsupported) or isinstance(b, Unsupported):
        same = isinstance(a, Unsupported) and isinstance(b, Unsupported) and a.description == b.description
        return 0.0 if same else None
    numeric = (int, float, np.ndarray, np.number)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) and not isinstance(b, bool):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
            return None
        x, y = x.astype(np.float64), y.astype(np.float64)
        finite = np.isfinite(y)
        if not np.array_equal(np.isfinite(x), finite) or not np.array_equal(x[~finite], y[~finite], equal_nan=True):
            return None
        if not finite.any():
            return 0.0
        scale = max(float(np.max(np.abs(y[finite]))), 1e-12)
        return float(np.max(np.abs(x[finite] - y[finite]))) / scale
    try:
        return 0.0 if type(a) is type(b) and bool(a == b) else None
    except Exception:  # a value whose == is not a truth value: not comparable
        return None


def _worst(values: Iterable[float | None]) -> float | None:
    worst = 0.0
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        worst = max(worst, v)
    return worst
