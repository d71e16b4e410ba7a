"""Broken student code gets a clear message in its report, and the rest of the grading goes on."""
from __future__ import annotations

import time

from conftest import ROOT, failing, grade, statuses, write_submission

REFERENCE_LAYERS = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()
FAST = ("--seed", "5", "--only", "rnn_captioning")


def replace_function(source: str, name: str, body: str) -> str:
    """Swap the body of ``def name(...)`` for ``body`` (indented code)."""
    start = source.index("def %s(" % name)
    end = source.index("\ndef ", start + 1)
    header = source[start:source.index(":\n", start) + 2]
    return source[:start] + header + body + "\n" + source[end:]


def test_syntax_error_fails_only_the_checks_that_import_the_file(tmp_path):
    sub = write_submission(tmp_path / "syntax", rnn_layers=REFERENCE_LAYERS + "\ndef broken(:\n")
    report = grade([sub], tmp_path / "out", *FAST)["syntax"]
    assert all(c["status"] == "error" for c in report["checks"])
    first = report["checks"][0]
    assert "could not be imported" in first["message"] and "SyntaxError" in first["message"]
    assert "rnn_layers.py" in first["details"]["traceback"]


def test_import_error_at_module_top_shows_the_student_traceback(tmp_path):
    sub = write_submission(tmp_path / "imp", rnn_layers="import tensorflow_addons_that_is_not_there\n" + REFERENCE_LAYERS)
    report = grade([sub], tmp_path / "out", *FAST)["imp"]
    assert all(c["status"] == "error" for c in report["checks"])
    assert "ModuleNotFoundError" in report["checks"][0]["message"]


def test_missing_model_file_fails_only_the_model_checks(tmp_path):
    sub = write_submission(tmp_path / "nomodel", rnn="")
    report = grade([sub], tmp_path / "out", *FAST)["nomodel"]
    for c in report["checks"]:
        if "CaptioningRNN" in c["id"]:
            assert c["status"] == "error" and "classifiers/rnn.py is missing" in c["message"]
        else:
            assert c["status"] == "passed", c
    assert any("classifiers/rnn.py is missing" in p for p in report["problems"])


def test_exception_in_one_function_fails_only_its_checks(tmp_path):
    layers = replace_function(REFERENCE_LAYERS, "word_embedding_forward",
                              "    raise ValueError('my embedding is not done yet')\n")
    sub = write_submission(tmp_path / "exc", rnn_layers=layers)
    report = grade([sub], tmp_path / "out", *FAST)["exc"]
    errored = {c["id"] for c in report["checks"] if c["status"] == "error"}
    assert "rnn_layers.word_embedding_forward/notebook" in errored
    assert all("word_embedding" in i or "CaptioningRNN" in i for i in errored)
    check = next(c for c in report["checks"] if c["id"] == "rnn_layers.word_embedding_forward/notebook")
    assert "ValueError: my embedding is not done yet" in check["message"]
    assert "in word_embedding_forward" in check["details"]["traceback"]
    assert "grader/worker" not in check["details"]["traceback"]
    assert statuses(report)["rnn_layers.rnn_step_forward/notebook"] == "passed"


def test_infinite_loop_times_out_and_the_rest_is_graded(tmp_path):
    layers = replace_function(REFERENCE_LAYERS, "rnn_step_forward", "    while True:\n        pass\n")
    sub = write_submission(tmp_path / "hang", rnn_layers=layers)
    start = time.monotonic()
    report = grade([sub], tmp_path / "out", "--seed", "5", "--timeout", "2",
                   "--only", "rnn_layers.rnn_step_forward,rnn_layers.word_embedding_forward")["hang"]
    took = time.monotonic() - start
    st = statuses(report)
    assert st["rnn_layers.rnn_step_forward/notebook"] == "timeout"
    assert st["rnn_layers.rnn_step_forward/hidden"] == "timeout"
    assert st["rnn_layers.word_embedding_forward/notebook"] == "passed"
    assert st["rnn_layers.word_embedding_forward/hidden"] == "passed"
    timed_out = next(c for c in report["checks"] if c["status"] == "timeout")
    assert "stopped after 2 s" in timed_out["message"] and timed_out["score"] == 0
    assert took < 30


def test_crash_and_exit_fail_their_checks_with_a_message(tmp_path):
    layers = replace_function(REFERENCE_LAYERS, "rnn_step_forward", "    import os\n    os._exit(0)\n")
    layers = replace_function(layers, "rnn_forward", "    import sys\n    sys.exit(0)\n")
    sub = write_submission(tmp_path / "crash", rnn_layers=layers)
    report = grade([sub], tmp_path / "out", "--seed", "5",
                   "--only", "rnn_layers.rnn_step_forward,rnn_layers.rnn_forward,rnn_layers.word_embedding_forward")
    report = report["crash"]
    by_id = {c["id"]: c for c in report["checks"]}
    crash = by_id["rnn_layers.rnn_step_forward/notebook"]
    assert crash["status"] == "error" and "exited with code 0" in crash["message"]
    exit_ = by_id["rnn_layers.rnn_forward/notebook"]
    assert exit_["status"] == "error" and "SystemExit" in exit_["message"]
    assert by_id["rnn_layers.word_embedding_forward/hidden"]["status"] == "passed"


def test_wrong_return_types_are_explained(tmp_path):
    layers = replace_function(REFERENCE_LAYERS, "rnn_step_forward",
                              "    return np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n")
    layers = replace_function(layers, "word_embedding_forward", "    return W[x].astype(complex), None\n")
    sub = write_submission(tmp_path / "types", rnn_layers=layers)
    report = grade([sub], tmp_path / "out", "--seed", "5",
                   "--only", "rnn_layers.rnn_step_forward/notebook,rnn_layers.word_embedding_forward/notebook")
    by_id = {c["id"]: c for c in report["types"]["checks"]}
    assert "must return a tuple (next_h, cache)" in by_id["rnn_layers.rnn_step_forward/notebook"]["message"]
    assert "complex" in by_id["rnn_layers.word_embedding_forward/notebook"]["message"]
    assert failing(report["types"]) == set(by_id)
