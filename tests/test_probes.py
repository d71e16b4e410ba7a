"""Probes of the class-visualization step (issue #18): every combination of its factors is recognised from
the two answers the probes read, and named in one sentence; pure numpy, no worker."""
from __future__ import annotations

import numpy as np
import pytest

from exercises.vision.probes import L2_TERMS, SCALINGS, candidate, combinations, judge

LR, L2 = 25.0, 1e-3


def answers(seed: int, scaling: str, l2: str):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((1, 8, 8, 3)) * 20
    g = rng.standard_normal(X.shape) * 0.5
    ref0 = candidate(X, g, 0.0, LR, "raw", "right")
    return X, ref0, candidate(X, g, 0.0, LR, scaling, l2), candidate(X, g, L2, LR, scaling, l2)


@pytest.mark.parametrize("scaling,l2", combinations())
@pytest.mark.parametrize("seed", range(3))
def test_every_combination_of_factors_is_named(seed, scaling, l2):
    finding = judge(*answers(seed, scaling, l2), L2, LR)
    assert (finding.scaling, finding.l2) == (scaling, l2)
    named = [SCALINGS[scaling]] * (scaling != "raw") + [L2_TERMS[l2]] * (l2 != "right")
    for words in named:
        assert words in finding.message
    assert finding.catalogued_alone == (len(named) == 1 and l2 not in ("not-squared-sign", "on-step"))
    factors = len(named) + (l2 == "not-squared-sign")
    words = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}[factors] if named else "right"
    assert finding.message.startswith("your step has %s" % words) or (not named and "is right" in finding.message)


def test_the_issue_s_example_reads_as_one_sentence():
    finding = judge(*answers(0, "normalised", "sign"), L2, LR)
    assert finding.message == ("your step has two mistakes: %s, and %s" % (SCALINGS["normalised"], L2_TERMS["sign"]))


@pytest.mark.parametrize("seed", range(20))
def test_the_reference_step_shows_no_mistake(seed):
    finding = judge(*answers(seed, "raw", "right"), L2, LR)
    assert finding.mistakes == () and "yet fails" in finding.message


def test_an_unknown_l2_term_and_a_wrong_score_are_said_so():
    X, ref0, stu0, _ = answers(1, "raw", "right")
    assert "none of the usual mistakes" in judge(X, ref0, stu0, X + (ref0 - X) - 7 * L2 * X, L2, LR).message
    assert "neither learning_rate" in judge(X, ref0, X + 3 * (ref0 - X), X, L2, LR).message


def test_probes_run_only_in_the_checks_own_run_and_stay_out_of_the_transcript(tmp_path):
    from grader.checks import Check, CheckContext
    from grader.config import GradingConfig
    from grader.worker.client import Executor

    student = Executor(tmp_path, "the student", "cs231n")  # never started: nothing asked of it
    check = Check("x/notebook", "", ("f",), 1.0, lambda ctx: None, ("m",))
    student.transcript = [("ok", 1)]
    seen = []

    def probe():
        seen.append(student.transcript)
        return "Your f has two mistakes. "

    ctx = CheckContext(check, GradingConfig(seed=1), student, student, {})
    assert ctx.probe(probe) == "Your f has two mistakes. " and seen == [None]  # not recorded while probing
    assert student.transcript == [("ok", 1)]  # and recorded again after
    rerun = CheckContext(check, GradingConfig(seed=1), student, student, {}, probing=False)
    assert rerun.probe(probe) == "" and rerun.probe(probe, None) is None and len(seen) == 1
