"""Known mistakes: the catalogue, comparing two runs' answers, and the hook a course uses to add its own."""
from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, grade, write_submission
from grader import hookimpl
from grader.misconceptions import CannotMatch, MatchingTranscript, Misconception, catalog, distance, value_distance
from grader.runner import short_message
from grader.worker import template
from grader.worker.protocol import Handle


def test_transcripts_match_within_tolerance_and_only_in_kind():
    a = [("ok", (np.array([1.0, 2.0]), Handle(1, "tuple"))), ("raise", "ValueError")]
    b = [("ok", (np.array([1.0, 2.0 + 1e-9]), Handle(7, "dict"))), ("raise", "ValueError")]
    assert distance(a, b) < 1e-8  # caches are opaque: any object kept in the worker will do
    assert distance(a, b[:1]) is None
    assert distance(a, [b[0], ("raise", "TypeError")]) is None
    assert distance(a, [b[0], ("ok", None)]) is None
    assert value_distance(np.array([1.0, np.nan]), np.array([1.0, np.nan])) == 0.0
    assert value_distance(np.array([1.0, np.nan]), np.array([np.nan, 1.0])) is None
    assert value_distance(np.ones((2, 3)), np.ones((3, 2))) is None
    assert value_distance({"dW": np.ones(3)}, {"dW": 2 * np.ones(3)}) == pytest.approx(0.5)
    assert value_distance({"dW": np.ones(3)}, {"db": np.ones(3)}) is None
    assert value_distance(3, 3.0) == 0.0 and value_distance("a", "b") is None


def test_a_catalogue_refuses_duplicates_and_ambiguous_entries():
    m = Misconception("x.wrong", "m.x", "msg", "hint", implementation="a:b")
    assert catalog([[m]]) == {"x.wrong": m}
    with pytest.raises(ValueError, match="two plugins"):
        catalog([[m], [m]])
    with pytest.raises(ValueError, match="not both"):
        catalog([[Misconception("y", "m.y", "msg", "hint", implementation="a:b", raises="E")]])


def test_exception_signatures_and_short_messages():
    m = Misconception("x.raises", "m.x", "msg", "hint", raises=r"^UnboundLocalError: .*next_c")
    assert m.explains("UnboundLocalError: cannot access local variable 'next_c' where it is not associated")
    assert not m.explains("NameError: next_c")
    dump = "Passed in object of type numpy.ndarray: [[[0.1 0.2 0.3]\n  [0.4 0.5 0.6]]] " + "0.1 " * 500
    text = short_message("ValueError: " + dump)
    assert "\n" not in text and len(text) <= 300 and "[...]" in text


# ---- end to end: a course adds a misconception through the hook ------------------------------------------

COURSE_MISTAKE = Misconception(
    "rnn_step_forward.no-bias", "rnn_layers.rnn_step_forward",
    "your rnn_step_forward leaves out the bias b", "add b inside the tanh",
    implementation="course_mistakes_for_tests:rnn_step_forward_no_bias")
COURSE_MODULE = '''
import os

import numpy as np


def rnn_step_forward_no_bias(x, prev_h, Wx, Wh, b):
    with open(os.path.join(os.path.dirname(__file__), "calls.log"), "a") as log:
        log.write("call\\n")
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh))
    return next_h, (x, prev_h, Wx, Wh, next_h)
'''


@pytest.fixture
def installed_course_module(tmp_path_factory):
    """The course's module of wrong implementations, importable by workers as an installed pack's would be."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "course_mistakes_for_tests.py").write_text(COURSE_MODULE)
    (folder / "calls.log").touch()
    os.chmod(folder / "calls.log", 0o666)  # the wrong implementation counts its calls there
    pth = Path(sysconfig.get_paths()["purelib"]) / "course_mistakes_for_tests.pth"
    pth.write_text(str(folder) + "\n")
    template.close_all()  # workers start from templates that see it, as a grader started after the install would
    yield folder
    pth.unlink()
    template.close_all()


class CoursePack:
    @hookimpl
    def grader_misconceptions(self, config):
        return [COURSE_MISTAKE]


NO_BIAS = ("    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n", "    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh))\n")
OTHER_BUG = ("    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n", "    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + 2 * b)\n")
REF = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()


SCALED = ("    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n",
          "    next_h = 1.01 * np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n")
MODEL_GRADIENT_CHECK = "classifiers.rnn.CaptioningRNN.loss[rnn]/numeric-gradient"
ONLY_WITH_MODEL_GRADIENT = "rnn_layers.rnn_step_forward,%s" % MODEL_GRADIENT_CHECK


def grade_with_pack(tmp_path, name, edit, monkeypatch, only="rnn_layers.rnn_step_forward"):
    import grader.cli
    import grader.plugins

    original = grader.plugins.get_plugin_manager
    monkeypatch.setattr(grader.cli, "get_plugin_manager", lambda **kw: original(extra_plugins=[CoursePack()], **kw))
    sub = write_submission(tmp_path / name, rnn_layers=REF.replace(*edit) if edit else None)
    return grade([sub], tmp_path / "out", "--seed", "5", "--only", only)[name]


def diagnoses(report) -> set:
    return {c["details"]["diagnosis"]["id"] for c in report["checks"] if "diagnosis" in c["details"]}


def test_a_course_misconception_is_recognised_on_its_mistake_only(tmp_path, monkeypatch, installed_course_module):
    report = grade_with_pack(tmp_path, "nobias", NO_BIAS, monkeypatch)
    assert diagnoses(report) == {"rnn_step_forward.no-bias"}
    failed = [c for c in report["checks"] if c["status"] != "passed"]
    assert failed and all(c["message"].startswith("Your rnn_step_forward leaves out the bias b: add b") for c in failed)
    assert diagnoses(grade_with_pack(tmp_path / "2", "other", OTHER_BUG, monkeypatch)) == set()
    assert diagnoses(grade_with_pack(tmp_path / "3", "correct", None, monkeypatch)) == set()


def test_a_check_that_cannot_tell_mistakes_apart_diagnoses_none(tmp_path, monkeypatch, installed_course_module):
    """The model's gradient check has zero biases: adding ``2 * b`` answers what leaving ``b`` out (or the
    reference) answers, so that check must not name either mistake."""
    report = grade_with_pack(tmp_path, "other", OTHER_BUG, monkeypatch, ONLY_WITH_MODEL_GRADIENT)
    assert MODEL_GRADIENT_CHECK in {c["id"] for c in report["checks"] if c["status"] == "failed"}
    assert diagnoses(report) == set()


class NeverRuledOut(MatchingTranscript):
    """The same rule without the early stop: the run goes on to the end, then counts as not matching."""

    def append(self, answer):
        try:
            super().append(answer)
        except CannotMatch:
            pass


def test_a_misconception_run_stops_at_its_first_answer_that_cannot_match(tmp_path, monkeypatch,
                                                                         installed_course_module):
    """The model's gradient check asks for many losses: a misconception whose first loss differs from the
    student's is ruled out there, without computing the others."""
    import grader.runner

    calls = installed_course_module / "calls.log"
    report = grade_with_pack(tmp_path, "scaled", SCALED, monkeypatch, ONLY_WITH_MODEL_GRADIENT)
    assert MODEL_GRADIENT_CHECK in {c["id"] for c in report["checks"] if c["status"] == "failed"}
    assert diagnoses(report) == set()
    stopped_early = len(calls.read_text().splitlines())
    calls.write_text("")
    monkeypatch.setattr(grader.runner, "MatchingTranscript", NeverRuledOut)
    assert diagnoses(grade_with_pack(tmp_path / "2", "scaled", SCALED, monkeypatch, ONLY_WITH_MODEL_GRADIENT)) == set()
    assert 0 < stopped_early < len(calls.read_text().splitlines()) / 4


def test_a_matching_transcript_rules_a_misconception_out_at_the_first_answer_too_far_or_too_many():
    student = [("ok", np.array([1.0, 2.0])), ("raise", "ValueError")]
    close = MatchingTranscript(student, tolerance=1e-4)
    close.append(("ok", np.array([1.0, 2.00001])))
    close.append(("raise", "ValueError"))
    assert not close.ruled_out and distance(student, close) <= 1e-4
    with pytest.raises(CannotMatch):
        close.append(("ok", None))  # one answer more than the student gave
    for wrong in [("ok", np.array([1.0, 2.1])), ("raise", "TypeError"), ("ok", np.ones(3))]:
        far = MatchingTranscript(student[:1] + [wrong], tolerance=1e-4)
        far.append(student[0])
        with pytest.raises(CannotMatch):
            far.append(student[1])
        assert far.ruled_out


# ---- the captioning and GAN catalogues: exception signatures and the checks' own recognitions ----------------

def builtin_catalog() -> dict[str, Misconception]:
    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.session import collect_misconceptions

    return collect_misconceptions(get_plugin_manager(autoload=False), GradingConfig(seed=0))


@pytest.mark.parametrize("misconception, exception, expected", [
    ("sample.next-c-unbound",
     "UnboundLocalError: cannot access local variable 'next_c' where it is not associated with a value", True),
    ("sample.next-c-unbound", "UnboundLocalError: local variable 'c' referenced before assignment", True),  # 3.7
    ("sample.next-c-unbound", "UnboundLocalError: local variable 'scores' referenced before assignment", False),
    ("sample.array-as-number", "TypeError: only 0-dimensional arrays can be converted to Python scalars", True),
    ("sample.array-as-number", "TypeError: only size-1 arrays can be converted to Python scalars", True),  # NumPy 1
    ("sample.array-as-number", "ValueError: setting an array element with a sequence.", True),
    ("sample.array-as-number", "TypeError: 'NoneType' object is not subscriptable", False),
    ("discriminator_loss.labels-other-batch",  # tf_keras and TensorFlow today
     "ValueError: `logits` and `labels` must have the same shape, received ((96, 1) vs (128, 1)).", True),
    ("discriminator_loss.labels-other-batch",  # TensorFlow 2.2-2.4
     "ValueError: logits and labels must have the same shape ((96, 1) vs (128, 1))", True),
    ("discriminator_loss.labels-other-batch",  # Keras 3
     "ValueError: Arguments `target` and `output` must have the same shape. Received: target.shape=(128, 1), "
     "output.shape=(96, 1)", True),
    ("discriminator_loss.labels-other-batch",  # the labels' product written out
     "InvalidArgumentError: {{function_node __wrapped__Mul_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
     "Incompatible shapes: [128,1] vs. [96,1] [Op:Mul] name: ", True),
    ("discriminator_loss.labels-other-batch",  # labels of the wrong rank: another mistake
     "ValueError: `logits` and `labels` must have the same shape, received ((96, 1) vs (96,)).", False),
])
def test_exception_signatures_of_the_catalogue(misconception, exception, expected):
    assert builtin_catalog()[misconception].explains(exception) is expected


def test_get_solvers_mistakes_are_recognised_from_the_optimizers_settings():
    from exercises.gans.functions import recognised_mistake

    def both(lr, beta):
        return ({"learning_rate": lr, "beta_1": beta},) * 2

    assert recognised_mistake(both(1e-3, 0.5), 3e-4, 0.3) == "get_solvers.ignores-arguments"
    assert recognised_mistake(both(3e-4, 0.9), 3e-4, 0.3) == "get_solvers.default-beta1"
    assert recognised_mistake(both(1e-3, 0.9), 1e-3, 0.5) == "get_solvers.default-beta1"
    assert recognised_mistake(both(1e-3, 0.9), 3e-4, 0.3) == ""  # both arguments ignored, and not 0.5 either
    assert recognised_mistake(both(3e-4, 0.5), 3e-4, 0.3) == ""  # beta1 hard-coded: not catalogued
    assert recognised_mistake(({"learning_rate": 1e-3, "beta_1": 0.5}, {"learning_rate": 3e-4, "beta_1": 0.3}),
                              3e-4, 0.3) == ""  # only one of the two


# ---- an untouched TODO costs no reruns ---------------------------------------------------------------------


def test_a_check_whose_function_returned_nothing_runs_no_wrong_implementation():
    """The skeleton's None (or its input back unchanged) matches no catalogued implementation, so none is run;
    a mistake the check declared, or an exception signature, is still named."""
    from grader.checks import Check
    from grader.diagnosis import Diagnoser, Evidence

    check = Check("m.f/hidden", "t", ("m.f",), 1.0, run=lambda ctx: None, modules=("m",))
    runs = []
    wrong = Misconception("f.wrong", "m.f", "msg", "hint", implementation="a:b")
    raising = Misconception("f.raises", "m.f", "msg", "hint", raises="^TypeError")

    def rerun(check, misconception, timeout, transcript, tolerance):  # the wrong one answers what the student did
        runs.append(misconception)
        return list(transcript) if misconception is not None else None

    catalogue = {m.id: m for m in (wrong, raising)}
    assert Diagnoser(catalogue, rerun, 60).diagnose(check, None, Evidence(transcript=[("ok", None)])) is wrong
    runs.clear()
    assert Diagnoser(catalogue, rerun, 60).diagnose(check, None, Evidence(transcript=[("ok", None)],
                                                                          unimplemented=True)) is None
    assert runs == []
    found = Diagnoser(catalogue, rerun, 60).diagnose(check, None, Evidence(exception="TypeError: x", unimplemented=True))
    assert found is raising and runs == []


def test_every_catalogued_implementation_returns_a_value():
    """What the rule above relies on: no wrong implementation of the catalogue returns None (every ``return``
    has a value, and the function ends with one)."""
    import ast
    import importlib.util

    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.session import collect_misconceptions

    found = collect_misconceptions(get_plugin_manager(), GradingConfig(seed=0))
    implementations = [m for m in found.values() if m.implementation]
    assert len(implementations) > 20
    def returns_a_value(function: ast.FunctionDef) -> bool:
        returns = [node for node in ast.walk(function) if isinstance(node, ast.Return)]
        return bool(returns) and isinstance(function.body[-1], ast.Return) and all(
            r.value is not None and not (isinstance(r.value, ast.Constant) and r.value.value is None) for r in returns)

    def function_of(path: Path, name: str) -> ast.FunctionDef:
        [function] = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef) and n.name == name]
        return function

    for m in implementations:
        module, _, name = m.implementation.partition(":")  # imported where the reference runs: read, not imported
        reference_module, _, reference_name = m.function.rpartition(".")
        reference = ROOT / "reference" / "cs231n" / (reference_module.replace(".", "/") + ".py")
        if reference.is_file() and not returns_a_value(function_of(reference, reference_name)):
            continue  # an in-place API (PyTorch's class-visualization step updates img and returns None)
        assert returns_a_value(function_of(Path(importlib.util.find_spec(module).origin), name)), m.id
