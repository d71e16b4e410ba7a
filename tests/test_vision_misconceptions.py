"""The network-visualization and style-transfer catalogue: exception signatures against the real texts of this
TensorFlow and numpy, and the losses' checks refusing a result of shape (1,)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from exercises.assignment import RUNTIMES
from exercises.vision.common import scalar
from exercises.vision.misconceptions import MISCONCEPTIONS
from grader.checks import CheckFailure
from grader.runner import short_message
from grader.runtimes import worker_env
from grader.worker.server import head_and_tail

RAISING = """
import json, numpy as np, tensorflow as tf
out = {}
def catch(name, action):
    try:
        action()
    except Exception as exc:
        out[name] = [type(exc).__name__, str(exc)]
def iadd():
    v = tf.Variable(np.zeros((1, 4, 4, 3), np.float32))
    v += 1.0
def watch():
    with tf.GradientTape() as tape:
        tape.watch(np.random.randn(5, 224, 224, 3).astype(np.float32))  # the notebook's five images
catch("variable-iadd", iadd)
catch("watch-numpy", watch)
catch("one-element", lambda: float(tf.zeros(1) + 2.0))
print(json.dumps(out))
"""
"""What students' code runs into, run on this machine's TensorFlow and numpy (no compatibility shims)."""

EXPECTED = {
    "variable-iadd": {"class_visualization_update_step.variable-iadd"},
    "watch-numpy": {"class_visualization_update_step.watch-numpy", "compute_saliency_maps.watch-numpy"},
    "one-element": {"style_loss.one-element"},
}


@pytest.fixture(scope="module")
def raised() -> dict[str, str]:
    """``"Type: message"`` of each exception, cut by the worker and shortened by the runner as a student's is."""
    run = subprocess.run([sys.executable, "-c", RAISING], capture_output=True, text=True, timeout=300,
                         env=worker_env(RUNTIMES["tensorflow"]), cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    texts = json.loads(run.stdout.strip().splitlines()[-1])
    return {name: "%s: %s" % (kind, short_message(head_and_tail(message))) for name, (kind, message) in texts.items()}


def test_exception_signatures_match_the_real_texts(raised):
    assert set(raised) == set(EXPECTED)
    for name, text in raised.items():
        assert {m.id for m in MISCONCEPTIONS if m.explains(text)} == EXPECTED[name], text


def test_a_watched_numpy_array_reads_well_in_one_line(raised):
    text = raised["watch-numpy"]
    assert text == ("ValueError: Passed in object [...] of type 'ndarray', not tf.Tensor or tf.Variable or "
                    "ExtensionType.")


def test_losses_must_be_scalars_not_one_element_arrays():
    assert scalar(2.5, "loss") == 2.5 and scalar(np.array(2.5, np.float32), "loss") == 2.5
    with pytest.raises(CheckFailure, match=r"a scalar tensor of shape \(\), got an array of shape \(1,\)$") as one:
        scalar(np.array([2.5]), "style_loss", "style_loss.one-element")
    assert one.value.diagnosis == "style_loss.one-element"
    with pytest.raises(CheckFailure, match=r"got an array of shape \(2,\)$") as two:
        scalar(np.array([2.5, 1.0]), "style_loss", "style_loss.one-element")
    assert two.value.diagnosis == ""
    with pytest.raises(CheckFailure, match="is the TODO still a `pass`"):
        scalar(None, "tv_loss")
