"""Probes of ``class_visualization_update_step``: which ingredient of a wrong step is wrong (issue #18).

A step has independent ingredients: how the gradient is scaled (raw, or divided by its norm), the L2 term
(present, its sign, squared or not) and where the penalty goes (inside the objective, or subtracted from the
image after the step). Two answers of the student's step settle them, both on the check's own image and
class: one with ``l2_reg = 0`` (the scaling alone, against the reference's step) and one with an ``l2_reg``
so large that the L2 term dominates the step (``probe_l2_reg``: the L2 term alone, given the scaling, as a
model whose score has zero gradient would show it). Every combination of the factors is written out here as the step it gives,
from the score's gradient (read off the reference's ``l2_reg = 0`` step), and the student's answers are
matched against them: the probe names *every* mistake found, in one sentence.

Pure numpy and plain values: the student's answers come from its sandboxed worker, the judgement runs here.
Probes add words to a failing check's message; they never change its verdict or score.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

MATCH = 1e-3
"""A candidate explains an answer when max |answer - candidate| / max |answer's step| is below this (the check's
own threshold)."""

SCALINGS = {"raw": "", "normalised": "the step is divided by the gradient's norm (step by learning_rate * the raw "
                                      "gradient; normalising is for the fooling images)"}
L2_TERMS = {
    "right": "",
    "sign": "the L2 term is added to the objective (it must be subtracted: ascend s_y - l2_reg * ||X||^2)",
    "not-squared": "the L2 term uses ||X||, not squared (use l2_reg * ||X||^2)",
    "not-squared-sign": "the L2 term uses ||X||, not squared, and is added (subtract l2_reg * ||X||^2)",
    "absent": "the L2 term adds nothing to the gradient (it is left out, or computed outside the tape with numpy)",
    "on-step": "the penalty is subtracted from the image itself after the step, not from the objective whose "
               "gradient you step along (put - l2_reg * ||X||^2 inside the GradientTape)",
}


@dataclass(frozen=True)
class Finding:
    """What the probes found: the factors (``None`` where no candidate explains an answer) and the sentence."""

    scaling: str | None
    l2: str | None
    message: str

    @property
    def mistakes(self) -> tuple[str, ...]:
        return tuple(f for f in (self.scaling, self.l2) if f not in (None, "raw", "right"))

    @property
    def catalogued_alone(self) -> bool:
        """One mistake that a catalogue entry describes alone (the catalogue names it; the probes need not)."""
        return len(self.mistakes) == 1 and self.mistakes[0] in ("normalised", "sign", "not-squared", "absent")


def _direction(g: np.ndarray, scaling: str) -> np.ndarray:
    return g / max(float(np.linalg.norm(g)), 1e-30) if scaling == "normalised" else g


def candidate(X: np.ndarray, g: np.ndarray, l2_reg: float, lr: float, scaling: str, l2: str) -> np.ndarray:
    """The image a step with these factors returns (``g``: the gradient of the class score at ``X``)."""
    norm_x = max(float(np.linalg.norm(X)), 1e-30)
    term = {"right": -2 * l2_reg * X, "sign": 2 * l2_reg * X, "not-squared": -l2_reg * X / norm_x,
            "not-squared-sign": l2_reg * X / norm_x, "absent": 0 * X, "on-step": 0 * X}[l2]
    out = X + lr * _direction(g + term, scaling)
    if l2 == "on-step":
        out = out - 2 * l2_reg * X
    return out


def _matches(answer: np.ndarray, want: np.ndarray, X: np.ndarray) -> float:
    return float(np.max(np.abs(answer - want)) / max(float(np.max(np.abs(answer - X))), 1e-30))


def judge(X: np.ndarray, reference_at_zero: np.ndarray, student_at_zero: np.ndarray, student: np.ndarray,
          l2_reg: float, lr: float) -> Finding:
    """The factors of the student's step: ``reference_at_zero`` / ``student_at_zero`` are the two steps with
    ``l2_reg = 0``, ``student`` the student's step with ``l2_reg`` (all as float64 images)."""
    X, ref0, stu0, stu = (np.asarray(a, np.float64) for a in (X, reference_at_zero, student_at_zero, student))
    g = (ref0 - X) / lr
    scaling = min(SCALINGS, key=lambda s: _matches(stu0, candidate(X, g, 0.0, lr, s, "right"), X))
    if _matches(stu0, candidate(X, g, 0.0, lr, scaling, "right"), X) > MATCH:
        return Finding(None, None, "with l2_reg = 0 your step is neither learning_rate * the gradient of the "
                                   "class score nor its normalised version: check the score you differentiate "
                                   "(the raw score of target_y, before any softmax)")
    gaps = {l2: _matches(stu, candidate(X, g, l2_reg, lr, scaling, l2), X) for l2 in L2_TERMS}
    l2 = min(gaps, key=gaps.get)
    if gaps[l2] > MATCH:
        l2 = None
    mistakes = [SCALINGS[scaling]] if scaling != "raw" else []
    if l2 is None:
        mistakes.append("the L2 term is none of the usual mistakes: its gradient must be -2 * l2_reg * X, "
                        "inside the objective")
    elif l2 != "right":
        mistakes.append(L2_TERMS[l2])
    if not mistakes:
        return Finding(scaling, l2, "your step is right with l2_reg = 0 and on its L2 term alone, yet fails: "
                                    "compare your answer on this check's image")
    factors = len(mistakes) + (l2 == "not-squared-sign")  # that term is two mistakes in one
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}[factors]
    return Finding(scaling, l2, "your step has %s: %s" % (count, ", and ".join(mistakes)))


def probe_l2_reg(X: np.ndarray, reference_at_zero: np.ndarray, lr: float) -> float:
    """The ``l2_reg`` of the L2 probe: ten times the score gradient's norm, so that the L2 term dominates the
    step (as with a model whose score has zero gradient) and even ``l2_reg * ||X||`` stands out of it."""
    g = (np.asarray(reference_at_zero, np.float64) - np.asarray(X, np.float64)) / lr
    return float(10 * max(np.linalg.norm(g), 1e-6))


def combinations() -> list[tuple[str, str]]:
    """Every combination of the factors the probes tell apart (scaling, L2 term)."""
    return list(itertools.product(SCALINGS, L2_TERMS))
