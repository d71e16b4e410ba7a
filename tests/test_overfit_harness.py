"""#19: the overfit runs' solver loop runs in the model's own worker (``cs231n/captioning_harness.py``), one request
per run; it trains exactly as the grader-driven loop did, and a step it does not take is asked again by the grader,
whose validation gives the message (or drives the run itself, where the grader takes what the harness did not)."""
from __future__ import annotations

import json

import numpy as np

from conftest import ROOT, grade, write_submission
from exercises.captioning import model_checks
from grader.worker import protocol
from grader.worker.server import plain
from reference.cs231n import captioning_harness
from reference.cs231n.classifiers.rnn import CaptioningRNN

OVERFIT = "classifiers.rnn.CaptioningRNN.loss[rnn]/overfit"
REFERENCE_MODEL = (ROOT / "reference" / "cs231n" / "classifiers" / "rnn.py").read_text()


class InProcess:
    """The two requests ``grader_train`` makes, on a model in this process, their values sent as a worker's are."""

    def set_items(self, obj, attr, items):
        getattr(obj, attr).update(wire(items))

    def method(self, obj, name, *args):
        return wire(plain(getattr(obj, name)(*wire(args))))


def wire(value):
    """``value`` as the other end of a worker's channel receives it."""
    header, buffers = protocol.encode(value)
    return protocol.decode(json.loads(header), [bytes(b) for b in buffers])


def small_run(cell_type: str, steps: int = 12):
    rs = np.random.RandomState(3)
    vocab = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{"w%d" % i: i + 3 for i in range(20)}}
    D, W, H = 16, 8, 12
    shapes = model_checks.param_shapes(len(vocab), D, W, H, cell_type)
    params = model_checks.draw_params(rs, shapes, dtype=np.float32)
    batches = [(rs.randint(0, len(vocab), (5, 7)), rs.randn(5, D).astype(np.float32)) for _ in range(steps)]
    model = CaptioningRNN(vocab, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell_type, dtype=np.float32)
    return model, params, batches, shapes


def scribbling(model):
    """``model`` with a ``loss`` that also changes the weights it was given, in place."""
    plain_loss = model.loss

    def loss(features, captions):
        answer = plain_loss(features, captions)
        model.params["W_vocab"] *= 0.5
        return answer

    model.loss = loss
    return model


def test_the_harness_trains_bit_for_bit_as_the_grader_driven_loop():
    """Both cell types; and a model that changes its weights in place, which changes neither run's weights."""
    setup = {"learning_rate": 2e-2, "lr_decay": 0.9}
    for cell_type, change in (("rnn", lambda m: m), ("lstm", lambda m: m), ("rnn", scribbling)):
        model, params, batches, shapes = small_run(cell_type)
        history: list[float] = []
        want = model_checks.grader_train(InProcess(), change(model), params, batches, setup, 2, shapes,
                                         history=history)
        model, params, batches, shapes = small_run(cell_type)
        model = change(model)
        got = captioning_harness.overfit(model, params, batches, setup["learning_rate"], setup["lr_decay"], 2)
        assert got["stopped"] is None and got["losses"] == history
        for key in shapes:
            assert got["params"][key].dtype == np.float32 and np.array_equal(got["params"][key], want[key]), key


def test_the_harness_stops_at_the_first_answer_it_does_not_take_with_the_weights_that_step_was_given():
    model, params, batches, shapes = small_run("rnn")
    calls = []
    original = model.loss

    def loss(features, captions):
        calls.append(1)
        value, grads = original(features, captions)
        return (np.float64(np.inf) if len(calls) == 4 else value), grads

    model.loss = loss
    got = captioning_harness.overfit(model, params, batches, 1e-2, 1.0, 2)
    assert got["stopped"] == 3 and len(got["losses"]) == 3
    model, params, batches, shapes = small_run("rnn")
    three = captioning_harness.overfit(model, params, batches[:3], 1e-2, 1.0, 2)
    assert all(np.array_equal(got["params"][k], three["params"][k]) for k in shapes)


def _wrapped(body: str) -> str:
    """The reference's model with its ``loss`` wrapped: ``body`` may change ``value`` and ``grads``."""
    return REFERENCE_MODEL + ("\n\nimport numpy as _np\n_loss = CaptioningRNN.loss\n\n\n"
                              "def _wrapped(self, features, captions):\n"
                              "    value, grads = _loss(self, features, captions)\n%s\n"
                              "    return value, grads\n\n\nCaptioningRNN.loss = _wrapped\n" % body)


def test_a_step_the_harness_stops_at_gets_the_graders_message_and_a_step_it_leaves_to_the_grader_is_graded(tmp_path):
    late = "    if _np.abs(self.params['b_vocab']).max() > 0.025:  # from the fourth step on\n"
    subs = [write_submission(tmp_path / "nan", rnn=_wrapped(late + "        value = float('nan')")),
            write_submission(tmp_path / "raises", rnn=_wrapped(late + "        raise ValueError('step went wrong')")),
            write_submission(tmp_path / "subclass", rnn=_wrapped(  # the grader takes it (sent as a plain array)
                "    class _Grad(_np.ndarray):\n        pass\n    grads = {k: v.view(_Grad) for k, v in grads.items()}"))]
    reports = grade(subs, tmp_path / "out", "--seed", "5", "--only", OVERFIT)
    check = {name: next(c for c in r["checks"] if c["id"] == OVERFIT) for name, r in reports.items()}
    nan = check["nan"]
    assert nan["status"] == "failed" and "loss contains 1 NaN or infinite value(s)" in nan["message"]
    assert len(nan["artifacts"][0]["series"]["your model (reported loss)"]) == 3  # the steps before
    raises = check["raises"]
    assert raises["status"] == "error" and "ValueError: step went wrong" in raises["message"]
    assert "cs231n/classifiers/rnn.py" in raises["details"]["traceback"]
    assert check["subclass"]["status"] == "passed"
    assert len(check["subclass"]["artifacts"][0]["series"]["your model (reported loss)"]) == 100
