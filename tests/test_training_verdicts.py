"""#23: the verdict of every training check (both overfits, the three GAN trainings, the style-transfer,
feature-inversion and class-visualization runs) does not move with the machine's floating-point path.

Correct code (the reference as a submission) and one catalogued bug the check must catch are run on one seed under
two variants of the numerical libraries, as on another machine: another OpenBLAS kernel (``OPENBLAS_CORETYPE``,
for the numpy overfits) or two threads instead of one (TensorFlow's and BLAS's, for the TensorFlow runs). The
reference passes under both (an overfit's final loss under half its threshold); the bug fails under both. The full
calibration (20 seeds, every bug, four variants) is ``bench/training_margins.py``; margins are in each check's
docstring.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import training_margins  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.sweep]  # 7.5 min: tests/test_training_machines.py is CI's (slow) version

OVERFIT_THRESHOLDS = {"classifiers.rnn.CaptioningRNN.loss[rnn]/overfit": 0.1,
                      "classifiers.rnn.CaptioningRNN.loss[lstm]/overfit": 0.5}
NUMPY_CHECKS = set(OVERFIT_THRESHOLDS)


@pytest.mark.parametrize("check_id", list(training_margins.CHECKS))
def test_training_verdict_does_not_move_with_the_floating_point_path(check_id, tmp_path):
    variants = ["default", "prescott" if check_id in NUMPY_CHECKS else "threads2"]
    bug = training_margins.CHECKS[check_id][0][0]
    rows = training_margins.run_check(check_id, [0], variants, tmp_path, names=["reference", bug])
    by = {(r["impl"], r["variant"]): r for r in rows}
    for variant in variants:
        assert by["reference", variant]["status"] == "passed", by["reference", variant]["message"]
        assert by[bug, variant]["status"] in ("failed", "error"), (bug, by[bug, variant]["message"])
    if check_id in OVERFIT_THRESHOLDS:  # room to spare: the final loss of correct code under half the threshold
        worst = max(by["reference", v]["metric"] for v in variants)
        assert math.isfinite(worst) and worst <= OVERFIT_THRESHOLDS[check_id] / 2, worst
