"""Q2, notebook LSTM_Captioning: LSTM layers and the LSTM captioning model (23 points)."""
from __future__ import annotations

import numpy as np

from exercises.captioning import gate_probes
from exercises.captioning.layer_checks import (LayerSpec, add_backward_checks, add_forward_checks,
                                               add_large_input_check, dims, linspace, run_forward)
from exercises.captioning.model_checks import CAPTIONING_COUPLINGS, add_model_checks
from exercises.captioning.options import captioning_fixtures
from grader.api import PUBLIC_SEED, CheckContext, CheckFailure, CheckList, Exercise, WorkerProblem, hookimpl

EXERCISE_ID = "lstm_captioning"
checks = CheckList(EXERCISE_ID, modules=("rnn_layers",))


# ------------------------------------------------------------------------------------------ lstm step

def _step_hidden(rng):
    d = dims(rng, N=(2, 6), D=(2, 7), H=(2, 6))
    N, D, H = d["N"], d["D"], d["H"]
    return {"x": rng.standard_normal((N, D)), "prev_h": rng.standard_normal((N, H)),
            "prev_c": rng.standard_normal((N, H)), "Wx": rng.standard_normal((D, 4 * H)),
            "Wh": rng.standard_normal((H, 4 * H)), "b": rng.standard_normal(4 * H)}


def _step_notebook_gradient():
    rs = np.random.RandomState(PUBLIC_SEED)
    N, D, H = 4, 5, 6
    inputs = {"x": rs.randn(N, D), "prev_h": rs.randn(N, H), "prev_c": rs.randn(N, H),
              "Wx": rs.randn(D, 4 * H), "Wh": rs.randn(H, 4 * H), "b": rs.randn(4 * H)}
    return inputs, [rs.randn(N, H), rs.randn(N, H)]


def probe_gates(ctx: CheckContext) -> str:
    """The probes' sentence for a failing step ("" when they find PyTorch's gate order alone, which the catalogue
    names, or cannot run): two more steps of the student's, with ``prev_c = 0`` and a random ``prev_c``, on
    inputs that isolate each gate (``exercises.captioning.gate_probes``)."""
    inputs = gate_probes.probe_inputs()
    shapes = {"next_h": (gate_probes.N, gate_probes.H), "next_c": (gate_probes.N, gate_probes.H)}
    try:
        answers = []
        for prev_c in (np.zeros_like(inputs["prev_c"]), inputs["prev_c"]):
            outs, _ = run_forward(ctx.student, LSTM_STEP, dict(inputs, prev_c=prev_c), shapes)
            answers.append((outs["next_h"], outs["next_c"]))
    except (WorkerProblem, CheckFailure):  # a probe never changes the verdict: no words then
        return ""
    finding = gate_probes.judge(inputs, *answers)
    if finding.catalogued_alone:
        return ""
    return finding.message[0].upper() + finding.message[1:] + ". "


LSTM_STEP = LayerSpec(
    forward="rnn_layers.lstm_step_forward", backward="rnn_layers.lstm_step_backward",
    inputs=("x", "prev_h", "prev_c", "Wx", "Wh", "b"), outputs=("next_h", "next_c"),
    grads=("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"), wrt=(0, 1, 2, 3, 4, 5),
    hidden_inputs=_step_hidden, notebook_gradient_inputs=_step_notebook_gradient, probe=probe_gates)

add_forward_checks(
    checks, LSTM_STEP,
    notebook_inputs={"x": linspace(-0.4, 1.2, (3, 4)), "prev_h": linspace(-0.3, 0.7, (3, 5)),
                     "prev_c": linspace(-0.4, 0.9, (3, 5)), "Wx": linspace(-2.1, 1.3, (4, 20)),
                     "Wh": linspace(-0.7, 2.2, (5, 20)), "b": linspace(0.3, 0.7, (20,))},
    expected={
        "next_h": np.asarray([
            [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
            [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
            [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]]),
        "next_c": np.asarray([
            [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
            [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
            [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])},
    threshold=1e-7, points=(1.5, 0.5))
add_large_input_check(checks, LSTM_STEP, ("Wx", "Wh", "b"), 0.5)
add_backward_checks(checks, LSTM_STEP, threshold=1e-6, points=(2.5, 1.5, 0.5))


# ------------------------------------------------------------------------------------------ lstm sequence

def _seq_hidden(rng):
    d = dims(rng, N=(2, 5), T=(2, 7), D=(2, 6), H=(2, 6))
    N, T, D, H = d["N"], d["T"], d["D"], d["H"]
    return {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
            "Wx": rng.standard_normal((D, 4 * H)) / np.sqrt(D), "Wh": rng.standard_normal((H, 4 * H)) / np.sqrt(H),
            "b": rng.standard_normal(4 * H)}


def _seq_notebook_gradient():
    rs = np.random.RandomState(PUBLIC_SEED)
    N, D, T, H = 2, 3, 10, 6
    inputs = {"x": rs.randn(N, T, D), "h0": rs.randn(N, H), "Wx": rs.randn(D, 4 * H), "Wh": rs.randn(H, 4 * H),
              "b": rs.randn(4 * H)}
    return inputs, [rs.randn(N, T, H)]


LSTM_SEQUENCE = LayerSpec(
    forward="rnn_layers.lstm_forward", backward="rnn_layers.lstm_backward",
    inputs=("x", "h0", "Wx", "Wh", "b"), outputs=("h",),
    grads=("dx", "dh0", "dWx", "dWh", "db"), wrt=(0, 1, 2, 3, 4),
    hidden_inputs=_seq_hidden, notebook_gradient_inputs=_seq_notebook_gradient, step=LSTM_STEP)

add_forward_checks(
    checks, LSTM_SEQUENCE,
    notebook_inputs={"x": linspace(-0.4, 0.6, (2, 3, 5)), "h0": linspace(-0.4, 0.8, (2, 4)),
                     "Wx": linspace(-0.2, 0.9, (5, 16)), "Wh": linspace(-0.3, 0.6, (4, 16)),
                     "b": linspace(0.2, 0.7, (16,))},
    expected={"h": np.asarray([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])},
    threshold=1e-6, points=(1.5, 1.0))
add_backward_checks(checks, LSTM_SEQUENCE, threshold=1e-5, points=(2.5, 1.5, 0.5))


# ------------------------------------------------------------------------------------------ the model

add_model_checks(checks, cell_type="lstm", expected_loss=9.82445935443, features_range=(-0.5, 1.7),
                 gradient_h=1e-5, gradient_threshold=1e-4, final_loss_threshold=0.5,
                 points={"notebook": 1.5, "numeric-gradient": 1.5, "hidden": 1.0, "contract": 0.5,
                         "sample-contract": 0.5, "sample-greedy": 1.0, "overfit": 3.0})

EXERCISE = Exercise(EXERCISE_ID, "Q2: Image captioning with LSTMs", tuple(checks.checks),
                    fixtures=captioning_fixtures, couplings=CAPTIONING_COUPLINGS)


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
