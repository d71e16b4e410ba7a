"""Time per submission: a function that never returns costs one timeout, not one per check that calls it; the
submission's whole budget (``--submission-timeout``) stops the rest of its grading, not the batch."""
from __future__ import annotations

from conftest import grade, write_submission
from test_hostile import REFERENCE_LAYERS, hostile_layers

STEP = ("rnn_layers.rnn_step_forward/notebook", "rnn_layers.rnn_step_forward/hidden",
        "rnn_layers.rnn_step_forward/large-inputs")
CALLERS = ("rnn_layers.rnn_forward/notebook", "rnn_layers.rnn_forward/hidden")
"""Checks of rnn_forward, which calls rnn_step_forward."""
CONTROL = ("rnn_layers.word_embedding_forward/notebook", "rnn_layers.word_embedding_forward/hidden")
LOOP = "while True:\n    pass\n"


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"]}


def test_a_function_that_never_returns_costs_one_timeout(tmp_path):
    sub = write_submission(tmp_path / "loops", rnn_layers=hostile_layers(LOOP))
    report = grade([sub], tmp_path / "out", "--seed", "3", "--timeout", "3",
                   "--only", ",".join(STEP + CALLERS + CONTROL))["loops"]
    checks = by_id(report)
    first = checks[STEP[0]]
    assert first["status"] == "timeout" and first["duration_s"] >= 3, first
    assert "stopped after 3 s" in first["message"] and "not run" in first["message"], first["message"]
    for check in STEP[1:] + CALLERS:
        assert checks[check]["status"] == "timeout" and checks[check]["score"] == 0, checks[check]
        assert checks[check]["message"].startswith(
            "not run: `rnn_step_forward` did not finish within 3 s in %s" % STEP[0]), checks[check]["message"]
        assert checks[check]["duration_s"] == 0, checks[check]  # never started: no second timeout
    assert all(checks[c]["status"] == "passed" for c in CONTROL)
    functions = report["functions"]
    assert functions["rnn_layers.rnn_step_forward"]["status"] == "timeout"
    # rnn_forward could not be judged: it is not failed for the function it calls
    assert functions["rnn_layers.rnn_forward"]["status"] == "inconclusive", functions["rnn_layers.rnn_forward"]
    assert "rnn_step_forward" in functions["rnn_layers.rnn_forward"]["blame"]


def test_a_loop_in_the_caller_blames_the_caller(tmp_path):
    """rnn_step_forward returns in its own checks; rnn_forward loops: its checks stop once, the step's pass."""
    layers = hostile_layers("import numpy as np\nwhile True:\n    np.tanh(x)\n", name="rnn_forward")
    sub = write_submission(tmp_path / "caller", rnn_layers=layers)
    report = grade([sub], tmp_path / "out", "--seed", "3", "--timeout", "3", "--only", ",".join(STEP + CALLERS))
    checks = by_id(report["caller"])
    assert all(checks[c]["status"] == "passed" for c in STEP)
    assert checks[CALLERS[0]]["duration_s"] >= 3
    assert checks[CALLERS[1]]["message"].startswith("not run: `rnn_forward` did not finish"), checks[CALLERS[1]]
    assert report["caller"]["functions"]["rnn_layers.rnn_step_forward"]["status"] == "passed"


def test_the_submission_budget_stops_one_submission_not_the_batch(tmp_path):
    slow = write_submission(tmp_path / "slow", rnn_layers=hostile_layers("import time\ntime.sleep(600)\n"))
    fine = write_submission(tmp_path / "fine", rnn_layers=REFERENCE_LAYERS)
    reports = grade([slow, fine], tmp_path / "out", "--seed", "3", "--timeout", "300", "--submission-timeout", "8",
                    "--only", ",".join(STEP + CONTROL))
    checks = by_id(reports["slow"])
    assert set(checks) == set(STEP + CONTROL)
    budget = "this submission's time budget (--submission-timeout 8 s) ran out"
    for check in checks.values():
        assert check["status"] == "timeout" and check["score"] == 0, check
        assert check["message"] in ("stopped: " + budget, "not run: " + budget), check["message"]
    assert sum(c["duration_s"] for c in checks.values()) < 60  # not one 300 s limit
    assert reports["slow"]["functions"]["rnn_layers.word_embedding_forward"]["status"] == "inconclusive"
    assert all(c["status"] == "passed" for c in reports["fine"]["checks"])  # its own budget, untouched
