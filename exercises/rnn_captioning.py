"""Q1, notebook RNN_Captioning: vanilla RNN layers, word embeddings and the RNN captioning model (29 points)."""
from __future__ import annotations

import numpy as np

from exercises.captioning.layer_checks import (LayerSpec, add_backward_checks, add_forward_checks,
                                               add_large_input_check, dims, linspace)
from exercises.captioning.model_checks import CAPTIONING_COUPLINGS, add_model_checks
from exercises.captioning.options import captioning_fixtures
from grader.api import PUBLIC_SEED, CheckList, Exercise, hookimpl

EXERCISE_ID = "rnn_captioning"
checks = CheckList(EXERCISE_ID, modules=("rnn_layers",))


# ------------------------------------------------------------------------------------------ rnn step

def _step_hidden(rng):
    d = dims(rng, N=(2, 6), D=(2, 9), H=(2, 9))
    N, D, H = d["N"], d["D"], d["H"]
    return {"x": rng.standard_normal((N, D)), "prev_h": rng.standard_normal((N, H)),
            "Wx": rng.standard_normal((D, H)), "Wh": rng.standard_normal((H, H)), "b": rng.standard_normal(H)}


def _step_notebook_gradient():
    rs = np.random.RandomState(PUBLIC_SEED)
    N, D, H = 4, 5, 6
    inputs = {"x": rs.randn(N, D), "prev_h": rs.randn(N, H), "Wx": rs.randn(D, H), "Wh": rs.randn(H, H),
              "b": rs.randn(H)}
    return inputs, [rs.randn(N, H)]


RNN_STEP = LayerSpec(
    forward="rnn_layers.rnn_step_forward", backward="rnn_layers.rnn_step_backward",
    inputs=("x", "prev_h", "Wx", "Wh", "b"), outputs=("next_h",),
    grads=("dx", "dprev_h", "dWx", "dWh", "db"), wrt=(0, 1, 2, 3, 4),
    hidden_inputs=_step_hidden, notebook_gradient_inputs=_step_notebook_gradient)

add_forward_checks(
    checks, RNN_STEP,
    notebook_inputs={"x": linspace(-0.4, 0.7, (3, 10)), "prev_h": linspace(-0.2, 0.5, (3, 4)),
                     "Wx": linspace(-0.1, 0.9, (10, 4)), "Wh": linspace(-0.3, 0.7, (4, 4)),
                     "b": linspace(-0.2, 0.4, (4,))},
    expected={"next_h": np.asarray([
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353]])},
    threshold=1e-7, points=(1.5, 0.5))
add_large_input_check(checks, RNN_STEP, ("Wx", "Wh", "b"), 0.5)
add_backward_checks(checks, RNN_STEP, threshold=1e-6, points=(2.0, 1.0, 0.5))


# ------------------------------------------------------------------------------------------ rnn sequence

def _seq_hidden(rng):
    d = dims(rng, N=(2, 5), T=(2, 7), D=(2, 7), H=(2, 7))
    N, T, D, H = d["N"], d["T"], d["D"], d["H"]
    return {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
            "Wx": rng.standard_normal((D, H)) / np.sqrt(D), "Wh": rng.standard_normal((H, H)) / np.sqrt(H),
            "b": rng.standard_normal(H)}


def _seq_notebook_gradient():
    rs = np.random.RandomState(PUBLIC_SEED)
    N, D, T, H = 2, 3, 10, 5
    inputs = {"x": rs.randn(N, T, D), "h0": rs.randn(N, H), "Wx": rs.randn(D, H), "Wh": rs.randn(H, H),
              "b": rs.randn(H)}
    return inputs, [rs.randn(N, T, H)]


RNN_SEQUENCE = LayerSpec(
    forward="rnn_layers.rnn_forward", backward="rnn_layers.rnn_backward",
    inputs=("x", "h0", "Wx", "Wh", "b"), outputs=("h",),
    grads=("dx", "dh0", "dWx", "dWh", "db"), wrt=(0, 1, 2, 3, 4),
    hidden_inputs=_seq_hidden, notebook_gradient_inputs=_seq_notebook_gradient, step=RNN_STEP)

add_forward_checks(
    checks, RNN_SEQUENCE,
    notebook_inputs={"x": linspace(-0.1, 0.3, (2, 3, 4)), "h0": linspace(-0.3, 0.1, (2, 5)),
                     "Wx": linspace(-0.2, 0.4, (4, 5)), "Wh": linspace(-0.4, 0.1, (5, 5)),
                     "b": linspace(-0.7, 0.1, (5,))},
    expected={"h": np.asarray([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])},
    threshold=1e-6, points=(1.5, 1.0))
add_backward_checks(checks, RNN_SEQUENCE, threshold=1e-5, points=(2.5, 1.5, 0.5))


# ------------------------------------------------------------------------------------------ word embedding

def _embed_hidden(rng):
    d = dims(rng, N=(3, 8), T=(3, 8), V=(3, 7), D=(2, 6))
    return {"x": rng.integers(d["V"], size=(d["N"], d["T"])), "W": rng.standard_normal((d["V"], d["D"]))}


def _embed_notebook_gradient():
    rs = np.random.RandomState(PUBLIC_SEED)
    N, T, V, D = 50, 3, 5, 6
    inputs = {"x": rs.randint(V, size=(N, T)), "W": rs.randn(V, D)}
    return inputs, [rs.randn(N, T, D)]


WORD_EMBEDDING = LayerSpec(
    forward="rnn_layers.word_embedding_forward", backward="rnn_layers.word_embedding_backward",
    inputs=("x", "W"), outputs=("out",), grads=("dW",), wrt=(1,),
    hidden_inputs=_embed_hidden, notebook_gradient_inputs=_embed_notebook_gradient)

add_forward_checks(
    checks, WORD_EMBEDDING,
    notebook_inputs={"x": np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]]), "W": linspace(0, 1, (5, 3))},
    expected={"out": np.asarray([
        [[0., 0.07142857, 0.14285714], [0.64285714, 0.71428571, 0.78571429],
         [0.21428571, 0.28571429, 0.35714286], [0.42857143, 0.5, 0.57142857]],
        [[0.42857143, 0.5, 0.57142857], [0.21428571, 0.28571429, 0.35714286],
         [0., 0.07142857, 0.14285714], [0.64285714, 0.71428571, 0.78571429]]])},
    threshold=1e-7, points=(1.0, 1.0))
add_backward_checks(checks, WORD_EMBEDDING, threshold=1e-8, points=(1.5, 1.0, 0.5))


# ------------------------------------------------------------------------------------------ the model

add_model_checks(checks, cell_type="rnn", expected_loss=9.83235591003, features_range=(-1.5, 0.3),
                 gradient_h=1e-6, gradient_threshold=1e-5, final_loss_threshold=0.1,
                 points={"notebook": 2.0, "numeric-gradient": 2.0, "hidden": 1.5, "contract": 0.5,
                         "sample-contract": 1.0, "sample-greedy": 1.5, "overfit": 2.5})

EXERCISE = Exercise(EXERCISE_ID, "Q1: Image captioning with vanilla RNNs", tuple(checks.checks),
                    fixtures=captioning_fixtures, couplings=CAPTIONING_COUPLINGS)


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
