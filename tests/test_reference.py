"""The reference cs231n package (numpy parts) and the untouched-skeleton sample.

Every expected value and numeric gradient check of the RNN_Captioning and
LSTM_Captioning notebooks is reproduced with the notebook's seeds and sizes,
plus contract checks (no input mutation, sample() layout, optimiser, solver,
COCO helpers).
"""
import copy
import importlib
import json
import os
import shutil
import subprocess
import sys
import uuid
import warnings

import numpy as np
import pytest

from reference.cs231n import captioning_solver, coco_utils, gradient_check, image_utils
from reference.cs231n import layers, optim
from reference.cs231n import rnn_layers as L
from reference.cs231n.classifiers.rnn import CaptioningRNN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF_PKG = os.path.join(ROOT, "reference", "cs231n")
SKELETON_PKG = os.path.join(ROOT, "submissions", "skeleton", "cs231n")

num_grad = gradient_check.eval_numerical_gradient_array


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


# ---------------------------------------------------------------------------
# Forward passes against the notebook's expected values
# ---------------------------------------------------------------------------

def test_rnn_step_forward_expected():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    next_h, _ = L.rnn_step_forward(x, prev_h, Wx, Wh, b)
    expected = np.asarray([
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    assert rel_error(expected, next_h) < 1e-7


def test_rnn_forward_expected():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)
    h, _ = L.rnn_forward(x, h0, Wx, Wh, b)
    expected = np.asarray([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])
    assert h.shape == (N, T, H)
    assert rel_error(expected, h) < 1e-6


def test_word_embedding_forward_expected():
    V, D = 5, 3
    x = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
    W = np.linspace(0, 1, num=V * D).reshape(V, D)
    out, _ = L.word_embedding_forward(x, W)
    expected = np.asarray([
        [[0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429],
         [0.21428571, 0.28571429, 0.35714286],
         [0.42857143, 0.5, 0.57142857]],
        [[0.42857143, 0.5, 0.57142857],
         [0.21428571, 0.28571429, 0.35714286],
         [0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429]]])
    assert rel_error(expected, out) < 1e-7


def test_lstm_step_forward_expected():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    next_h, next_c, _ = L.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    expected_h = np.asarray([
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_c = np.asarray([
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    assert rel_error(expected_h, next_h) < 1e-7
    assert rel_error(expected_c, next_c) < 1e-7


def test_lstm_forward_expected():
    N, D, H, T = 2, 5, 4, 3
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    h, _ = L.lstm_forward(x, h0, Wx, Wh, b)
    expected = np.asarray([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])
    assert h.shape == (N, T, H)
    assert rel_error(expected, h) < 1e-6


def test_sigmoid_is_stable_and_correct():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = L.sigmoid(x)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s[1:-1], 1.0 / (1.0 + np.exp(-x[1:-1])), rtol=1e-12)
    assert s[0] == 0.0 and s[-1] == 1.0


# ---------------------------------------------------------------------------
# Numeric gradient checks (notebook seeds and sizes)
# ---------------------------------------------------------------------------

def test_rnn_step_backward_gradcheck():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    x = np.random.randn(N, D)
    h = np.random.randn(N, H)
    Wx = np.random.randn(D, H)
    Wh = np.random.randn(H, H)
    b = np.random.randn(H)
    out, cache = L.rnn_step_forward(x, h, Wx, Wh, b)
    dnext_h = np.random.randn(*out.shape)
    f = lambda _: L.rnn_step_forward(x, h, Wx, Wh, b)[0]
    nums = [num_grad(f, a, dnext_h) for a in (x, h, Wx, Wh, b)]
    grads = L.rnn_step_backward(dnext_h, cache)
    for name, n, g in zip(("dx", "dprev_h", "dWx", "dWh", "db"), nums, grads):
        assert rel_error(n, g) < 1e-7, name


def test_rnn_backward_gradcheck():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 5
    x = np.random.randn(N, T, D)
    h0 = np.random.randn(N, H)
    Wx = np.random.randn(D, H)
    Wh = np.random.randn(H, H)
    b = np.random.randn(H)
    out, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    dout = np.random.randn(*out.shape)
    grads = L.rnn_backward(dout, cache)
    f = lambda _: L.rnn_forward(x, h0, Wx, Wh, b)[0]
    nums = [num_grad(f, a, dout) for a in (x, h0, Wx, Wh, b)]
    for name, n, g in zip(("dx", "dh0", "dWx", "dWh", "db"), nums, grads):
        assert g.shape == n.shape, name
        assert rel_error(n, g) < 1e-5, name


def test_word_embedding_backward_gradcheck():
    np.random.seed(231)
    N, T, V, D = 50, 3, 5, 6
    x = np.random.randint(V, size=(N, T))
    W = np.random.randn(V, D)
    out, cache = L.word_embedding_forward(x, W)
    dout = np.random.randn(*out.shape)
    dW = L.word_embedding_backward(dout, cache)
    assert isinstance(dW, np.ndarray) and dW.shape == (V, D)
    dW_num = num_grad(lambda _: L.word_embedding_forward(x, W)[0], W, dout)
    assert rel_error(dW, dW_num) < 1e-10


def test_temporal_affine_gradcheck():
    np.random.seed(231)
    N, T, D, M = 2, 3, 4, 5
    x = np.random.randn(N, T, D)
    w = np.random.randn(D, M)
    b = np.random.randn(M)
    out, cache = L.temporal_affine_forward(x, w, b)
    assert isinstance(cache, tuple) and len(cache) == 4 and cache[3] is out
    dout = np.random.randn(*out.shape)
    f = lambda _: L.temporal_affine_forward(x, w, b)[0]
    nums = [num_grad(f, a, dout) for a in (x, w, b)]
    grads = L.temporal_affine_backward(dout, cache)
    for name, n, g in zip(("dx", "dw", "db"), nums, grads):
        assert rel_error(n, g) < 1e-8, name


def test_temporal_softmax_loss_sanity_and_gradcheck(capsys):
    np.random.seed(231)

    def check_loss(N, T, V, p):
        x = 0.001 * np.random.randn(N, T, V)
        y = np.random.randint(V, size=(N, T))
        mask = np.random.rand(N, T) <= p
        return L.temporal_softmax_loss(x, y, mask)[0]

    assert abs(check_loss(100, 1, 10, 1.0) - np.log(10)) < 0.01
    assert abs(check_loss(100, 10, 10, 1.0) - 10 * np.log(10)) < 0.05
    assert 2.2 <= check_loss(5000, 10, 10, 0.1) <= 2.4

    N, T, V = 7, 8, 9
    x = np.random.randn(N, T, V)
    y = np.random.randint(V, size=(N, T))
    mask = np.random.rand(N, T) > 0.5
    loss, dx = L.temporal_softmax_loss(x, y, mask, verbose=False)
    dx_num = gradient_check.eval_numerical_gradient(
        lambda _: L.temporal_softmax_loss(x, y, mask)[0], x, verbose=False)
    assert rel_error(dx, dx_num) < 1e-6
    # masked positions get no gradient; loss is divided by N only
    assert np.all(dx[~mask] == 0)
    shifted = x - x.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(logp, y[..., None], axis=2)[..., 0]
    assert np.isclose(loss, -(picked * mask).sum() / N, rtol=1e-12)
    capsys.readouterr()
    L.temporal_softmax_loss(x, y, mask, verbose=True)
    assert "(56, 9)" in capsys.readouterr().out


def test_lstm_step_backward_gradcheck():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    x = np.random.randn(N, D)
    prev_h = np.random.randn(N, H)
    prev_c = np.random.randn(N, H)
    Wx = np.random.randn(D, 4 * H)
    Wh = np.random.randn(H, 4 * H)
    b = np.random.randn(4 * H)
    next_h, next_c, cache = L.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    dnext_h = np.random.randn(*next_h.shape)
    dnext_c = np.random.randn(*next_c.shape)
    fh = lambda _: L.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[0]
    fc = lambda _: L.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[1]
    nums = [num_grad(fh, a, dnext_h) + num_grad(fc, a, dnext_c)
            for a in (x, prev_h, prev_c, Wx, Wh, b)]
    grads = L.lstm_step_backward(dnext_h, dnext_c, cache)
    for name, n, g in zip(("dx", "dh", "dc", "dWx", "dWh", "db"), nums, grads):
        assert rel_error(n, g) < 1e-6, name


def test_lstm_backward_gradcheck():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 6
    x = np.random.randn(N, T, D)
    h0 = np.random.randn(N, H)
    Wx = np.random.randn(D, 4 * H)
    Wh = np.random.randn(H, 4 * H)
    b = np.random.randn(4 * H)
    out, cache = L.lstm_forward(x, h0, Wx, Wh, b)
    dout = np.random.randn(*out.shape)
    grads = L.lstm_backward(dout, cache)
    f = lambda _: L.lstm_forward(x, h0, Wx, Wh, b)[0]
    nums = [num_grad(f, a, dout) for a in (x, h0, Wx, Wh, b)]
    limits = {"dx": 1e-7, "dh0": 1e-7, "dWx": 1e-7, "dWh": 1e-5, "db": 1e-7}
    for name, n, g in zip(("dx", "dh0", "dWx", "dWh", "db"), nums, grads):
        assert g.shape == n.shape, name
        assert rel_error(n, g) < limits[name], name


# ---------------------------------------------------------------------------
# Backward functions: no input mutation, callable twice
# ---------------------------------------------------------------------------

def _arrays(obj):
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [a for item in obj for a in _arrays(item)]
    if isinstance(obj, dict):
        return [a for item in obj.values() for a in _arrays(item)]
    return []


def _backward_cases():
    rng = np.random.RandomState(0)
    N, T, D, H, V = 3, 4, 5, 6, 7
    x2, x3 = rng.randn(N, D), rng.randn(N, T, D)
    h = rng.randn(N, H)
    c = rng.randn(N, H)
    cases = []
    _, cache = L.rnn_step_forward(x2, h, rng.randn(D, H), rng.randn(H, H), rng.randn(H))
    cases.append(("rnn_step_backward", L.rnn_step_backward, (rng.randn(N, H),), cache))
    _, cache = L.rnn_forward(x3, h, rng.randn(D, H), rng.randn(H, H), rng.randn(H))
    cases.append(("rnn_backward", L.rnn_backward, (rng.randn(N, T, H),), cache))
    idx = rng.randint(V, size=(N, T))
    _, cache = L.word_embedding_forward(idx, rng.randn(V, D))
    cases.append(("word_embedding_backward", L.word_embedding_backward,
                  (rng.randn(N, T, D),), cache))
    _, _, cache = L.lstm_step_forward(x2, h, c, rng.randn(D, 4 * H), rng.randn(H, 4 * H),
                                      rng.randn(4 * H))
    cases.append(("lstm_step_backward", L.lstm_step_backward,
                  (rng.randn(N, H), rng.randn(N, H)), cache))
    _, cache = L.lstm_forward(x3, h, rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H))
    cases.append(("lstm_backward", L.lstm_backward, (rng.randn(N, T, H),), cache))
    _, cache = L.temporal_affine_forward(x3, rng.randn(D, V), rng.randn(V))
    cases.append(("temporal_affine_backward", L.temporal_affine_backward,
                  (rng.randn(N, T, V),), cache))
    return cases


@pytest.mark.parametrize("name,fn,upstream,cache", _backward_cases(),
                         ids=[c[0] for c in _backward_cases()])
def test_backward_does_not_mutate_and_is_repeatable(name, fn, upstream, cache):
    assert isinstance(cache, tuple)
    before_up = [u.copy() for u in upstream]
    before_cache = [a.copy() for a in _arrays(cache)]
    first = fn(*upstream, cache)
    second = fn(*upstream, cache)
    for u, b in zip(upstream, before_up):
        np.testing.assert_array_equal(u, b)
    for a, b in zip(_arrays(cache), before_cache):
        np.testing.assert_array_equal(a, b)
    first, second = _arrays(first), _arrays(second)
    assert len(first) == len(second) > 0
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_softmax_loss_does_not_mutate_inputs():
    rng = np.random.RandomState(1)
    x = rng.randn(3, 4, 5)
    y = rng.randint(5, size=(3, 4))
    mask = rng.rand(3, 4) > 0.3
    copies = (x.copy(), y.copy(), mask.copy())
    a = L.temporal_softmax_loss(x, y, mask)
    b = L.temporal_softmax_loss(x, y, mask)
    for orig, cp in zip((x, y, mask), copies):
        np.testing.assert_array_equal(orig, cp)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


# ---------------------------------------------------------------------------
# CaptioningRNN
# ---------------------------------------------------------------------------

TOY_VOCAB = {"<NULL>": 0, "cat": 2, "dog": 3}


@pytest.mark.parametrize("cell_type,feat_lo,feat_hi,expected", [
    ("rnn", -1.5, 0.3, 9.83235591003),
    ("lstm", -0.5, 1.7, 9.82445935443),
])
def test_captioning_rnn_expected_loss(cell_type, feat_lo, feat_hi, expected):
    N, D, W, H, T = 10, 20, 30, 40, 13
    V = len(TOY_VOCAB)
    model = CaptioningRNN(TOY_VOCAB, input_dim=D, wordvec_dim=W, hidden_dim=H,
                          cell_type=cell_type, dtype=np.float64)
    for k, v in model.params.items():
        model.params[k] = np.linspace(-1.4, 1.3, num=v.size).reshape(*v.shape)
    features = np.linspace(feat_lo, feat_hi, num=N * D).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    loss, grads = model.loss(features, captions)
    assert abs(loss - expected) < 1e-8
    assert set(grads) == set(model.params)
    for k in grads:
        assert grads[k].shape == model.params[k].shape, k


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_captioning_rnn_gradcheck(cell_type):
    np.random.seed(231)
    batch_size, timesteps, input_dim, wordvec_dim, hidden_dim = 2, 3, 4, 5, 6
    vocab_size = len(TOY_VOCAB)
    captions = np.random.randint(vocab_size, size=(batch_size, timesteps))
    features = np.random.randn(batch_size, input_dim)
    model = CaptioningRNN(TOY_VOCAB, input_dim=input_dim, wordvec_dim=wordvec_dim,
                          hidden_dim=hidden_dim, cell_type=cell_type, dtype=np.float64)
    loss, grads = model.loss(features, captions)
    assert sorted(grads) == ["W_embed", "W_proj", "W_vocab", "Wh", "Wx", "b", "b_proj", "b_vocab"]
    # The RNN case is the notebook's check (h=1e-6, errors ~e-6 or less). The
    # notebook has no LSTM model check; there tiny dWx entries (~1e-7) make the
    # max relative error noise-dominated at h=1e-6, so use h=1e-5 and also bound
    # the error relative to the gradient's scale.
    h, limit = (1e-6, 1e-5) if cell_type == "rnn" else (1e-5, 1e-4)
    for name in sorted(grads):
        f = lambda _: model.loss(features, captions)[0]
        num = gradient_check.eval_numerical_gradient(f, model.params[name], verbose=False, h=h)
        assert rel_error(num, grads[name]) < limit, name
        scale = max(np.abs(grads[name]).max(), 1e-8)
        assert np.abs(num - grads[name]).max() / scale < 1e-6, name


def test_captioning_rnn_constructor():
    with pytest.raises(ValueError):
        CaptioningRNN(TOY_VOCAB, cell_type="gru")
    np.random.seed(0)
    m = CaptioningRNN(TOY_VOCAB, input_dim=4, wordvec_dim=5, hidden_dim=6, cell_type="lstm")
    assert m._null == 0 and m._start is None and m._end is None
    assert m.idx_to_word == {0: "<NULL>", 2: "cat", 3: "dog"}
    shapes = {"W_embed": (3, 5), "W_proj": (4, 6), "b_proj": (6,), "Wx": (5, 24),
              "Wh": (6, 24), "b": (24,), "W_vocab": (6, 3), "b_vocab": (3,)}
    assert {k: v.shape for k, v in m.params.items()} == shapes
    assert all(v.dtype == np.float32 for v in m.params.values())
    # draws happen in table order with np.random.randn
    np.random.seed(0)
    e = np.random.randn(3, 5) / 100
    p = np.random.randn(4, 6) / 2
    wx = np.random.randn(5, 24) / np.sqrt(5)
    wh = np.random.randn(6, 24) / np.sqrt(6)
    wv = np.random.randn(6, 3) / np.sqrt(6)
    for k, v in (("W_embed", e), ("W_proj", p), ("Wx", wx), ("Wh", wh), ("W_vocab", wv)):
        np.testing.assert_array_equal(m.params[k], v.astype(np.float32))
    for k in ("b_proj", "b", "b_vocab"):
        assert not m.params[k].any()
    with pytest.raises(KeyError):
        CaptioningRNN({"cat": 0})


def _greedy(model, features, max_length):
    p = model.params
    h = features.dot(p["W_proj"]) + p["b_proj"]
    c = np.zeros_like(h)
    H = h.shape[1]
    word = np.full(features.shape[0], model._start)
    out = []
    for _ in range(max_length):
        a = p["W_embed"][word].dot(p["Wx"]) + h.dot(p["Wh"]) + p["b"]
        if model.cell_type == "rnn":
            h = np.tanh(a)
        else:
            sig = lambda z: 1.0 / (1.0 + np.exp(-z))
            i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        word = np.argmax(h.dot(p["W_vocab"]) + p["b_vocab"], axis=1)
        out.append(word)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_layout_and_greedy(cell_type):
    vocab = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3, "a": 4, "cat": 5, "dog": 6}
    np.random.seed(231)
    model = CaptioningRNN(vocab, input_dim=8, wordvec_dim=6, hidden_dim=10,
                          cell_type=cell_type, dtype=np.float64)
    for k in model.params:
        model.params[k] = np.random.randn(*model.params[k].shape)
    model.params["b_vocab"][model._start] = -1e3  # <START> can never be sampled
    features = np.random.randn(5, 8)
    caps = model.sample(features, max_length=7)
    assert caps.shape == (5, 7)
    assert caps.dtype == np.int32
    assert not np.any(caps[:, 0] == model._start)
    np.testing.assert_array_equal(caps, _greedy(model, features, 7))
    assert model.sample(features).shape == (5, 30)


# ---------------------------------------------------------------------------
# optim and CaptioningSolver
# ---------------------------------------------------------------------------

def test_adam_matches_hand_computation():
    rng = np.random.RandomState(3)
    x = rng.randn(4, 3)
    x0 = x.copy()
    dxs = [rng.randn(4, 3), rng.randn(4, 3)]
    config = {"learning_rate": 1e-2}
    ret = x
    for dx in dxs:
        ret, config = optim.adam(ret, dx, config)
    assert ret is x  # updated in place
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    m = np.zeros_like(x0)
    v = np.zeros_like(x0)
    w = x0.copy()
    for t, dx in enumerate(dxs, start=1):
        m = b1 * m + (1 - b1) * dx
        v = b2 * v + (1 - b2) * dx ** 2
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - alpha * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)
    assert config["t"] == 2 and config["beta1"] == 0.9 and config["beta2"] == 0.999
    assert config["epsilon"] == 1e-8
    np.testing.assert_allclose(config["m"], m, rtol=1e-12)
    np.testing.assert_allclose(config["v"], v, rtol=1e-12)
    # defaults
    _, cfg = optim.adam(np.zeros(2), np.ones(2))
    assert cfg["learning_rate"] == 1e-3 and cfg["t"] == 1


def test_sgd_in_place():
    w = np.ones(3)
    ret, cfg = optim.sgd(w, np.full(3, 2.0))
    assert ret is w and cfg["learning_rate"] == 1e-2
    np.testing.assert_allclose(w, 1 - 2e-2)


def _fake_data(rng, vocab, n_caps=20, n_imgs=10, T1=6, D=8):
    caps = rng.randint(4, len(vocab), size=(n_caps, T1)).astype(np.int32)
    caps[:, 0] = vocab["<START>"]
    caps[:, -2] = vocab["<END>"]
    caps[:, -1] = vocab["<NULL>"]
    return {
        "train_captions": caps,
        "train_image_idxs": rng.randint(n_imgs, size=n_caps).astype(np.int32),
        "train_features": rng.randn(n_imgs, D).astype(np.float32),
        "train_urls": np.asarray(["http://x/%d.jpg" % i for i in range(n_imgs)]),
        "val_captions": caps[:5].copy(),
        "val_image_idxs": np.arange(5, dtype=np.int32),
        "val_features": rng.randn(5, D).astype(np.float32),
        "val_urls": np.asarray(["http://v/%d.jpg" % i for i in range(5)]),
        "word_to_idx": vocab,
        "idx_to_word": sorted(vocab, key=vocab.get),
    }


VOCAB7 = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3, "a": 4, "cat": 5, "dog": 6}


def test_captioning_solver_runs_and_decays(capsys):
    np.random.seed(231)
    data = _fake_data(np.random.RandomState(0), VOCAB7)
    model = CaptioningRNN(VOCAB7, input_dim=8, wordvec_dim=6, hidden_dim=10, cell_type="lstm")
    before = {k: v.copy() for k, v in model.params.items()}
    solver = captioning_solver.CaptioningSolver(
        model, data, update_rule="adam", num_epochs=2, batch_size=5,
        optim_config={"learning_rate": 5e-3}, lr_decay=0.5, print_every=4, verbose=True)
    assert solver.update_rule is optim.adam
    assert set(solver.optim_configs) == set(model.params)
    solver.train()
    out = capsys.readouterr().out
    assert "(Iteration 1 / 8) loss:" in out and "(Iteration 5 / 8) loss:" in out
    assert len(solver.loss_history) == 8 and solver.epoch == 2
    assert all(np.isfinite(solver.loss_history))
    for k, cfg in solver.optim_configs.items():
        assert cfg["learning_rate"] == pytest.approx(5e-3 * 0.25)
        assert cfg["t"] == 8
        assert not np.array_equal(model.params[k], before[k]), k
    assert solver.check_accuracy(None, None) == 0.0
    # batch larger than the data: one iteration per epoch
    s2 = captioning_solver.CaptioningSolver(model, data, num_epochs=3, batch_size=100,
                                            verbose=False)
    s2.train()
    assert len(s2.loss_history) == 3


def test_captioning_solver_rejects_bad_arguments():
    data = _fake_data(np.random.RandomState(0), VOCAB7)
    model = CaptioningRNN(VOCAB7, input_dim=8, wordvec_dim=6, hidden_dim=10)
    with pytest.raises(ValueError):
        captioning_solver.CaptioningSolver(model, data, learning_rate=1e-3)
    with pytest.raises(ValueError):
        captioning_solver.CaptioningSolver(model, data, update_rule="rmsprop")


# ---------------------------------------------------------------------------
# coco_utils
# ---------------------------------------------------------------------------

def test_decode_captions():
    idx_to_word = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]
    as_dict = dict(enumerate(idx_to_word))
    one = np.array([1, 4, 0, 5, 2, 4, 4])
    for itw in (idx_to_word, as_dict):
        assert coco_utils.decode_captions(one, itw) == "<START> a cat <END>"
        two = np.array([[1, 4, 5, 2, 0, 0], [4, 4, 0, 0, 0, 0]])
        assert coco_utils.decode_captions(two, itw) == ["<START> a cat <END>", "a a"]


def test_sample_coco_minibatch():
    data = _fake_data(np.random.RandomState(0), VOCAB7)
    np.random.seed(5)
    caps, feats, urls = coco_utils.sample_coco_minibatch(data, batch_size=7, split="train")
    np.random.seed(5)
    mask = np.random.choice(20, 7)
    np.testing.assert_array_equal(caps, data["train_captions"][mask])
    img = data["train_image_idxs"][mask]
    np.testing.assert_array_equal(feats, data["train_features"][img])
    np.testing.assert_array_equal(urls, data["train_urls"][img])
    caps, feats, urls = coco_utils.sample_coco_minibatch(data, batch_size=3, split="val")
    assert caps.shape == (3, 6) and feats.shape == (3, 8) and urls.shape == (3,)


def test_load_coco_data_from_tiny_files(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    rng = np.random.RandomState(0)
    with h5py.File(tmp_path / "coco2014_captions.h5", "w") as f:
        f["train_captions"] = rng.randint(7, size=(12, 5)).astype(np.int32)
        f["train_image_idxs"] = rng.randint(4, size=12).astype(np.int32)
        f["val_captions"] = rng.randint(7, size=(6, 5)).astype(np.int32)
        f["val_image_idxs"] = rng.randint(3, size=6).astype(np.int32)
    for split, n in (("train", 4), ("val", 3)):
        for suffix, d in (("_pca", 5), ("", 9)):
            with h5py.File(tmp_path / ("%s2014_vgg16_fc7%s.h5" % (split, suffix)), "w") as f:
                f["features"] = rng.randn(n, d).astype(np.float32)
        (tmp_path / ("%s2014_urls.txt" % split)).write_text(
            "".join("http://%s/%d.jpg \n" % (split, i) for i in range(n)))
    (tmp_path / "coco2014_vocab.json").write_text(json.dumps(
        {"idx_to_word": sorted(VOCAB7, key=VOCAB7.get), "word_to_idx": VOCAB7}))

    data = coco_utils.load_coco_data(base_dir=str(tmp_path))
    assert "base dir" in capsys.readouterr().out
    assert data["train_captions"].shape == (12, 5) and data["train_features"].shape == (4, 5)
    assert data["val_features"].shape == (3, 5)
    assert isinstance(data["idx_to_word"], list) and data["word_to_idx"] == VOCAB7
    assert data["train_urls"].tolist() == ["http://train/%d.jpg" % i for i in range(4)]
    full = coco_utils.load_coco_data(base_dir=str(tmp_path), pca_features=False)
    assert full["train_features"].shape == (4, 9)
    np.random.seed(1)
    small = coco_utils.load_coco_data(base_dir=str(tmp_path), max_train=3)
    np.random.seed(1)
    mask = np.random.randint(12, size=3)
    np.testing.assert_array_equal(small["train_captions"], data["train_captions"][mask])
    np.testing.assert_array_equal(small["train_image_idxs"], data["train_image_idxs"][mask])
    assert small["train_features"].shape == (4, 5) and small["val_captions"].shape == (6, 5)
    assert coco_utils.BASE_DIR.endswith(os.path.join("cs231n", "datasets", "coco_captioning"))


# ---------------------------------------------------------------------------
# gradient_check, layers, image_utils
# ---------------------------------------------------------------------------

def test_gradient_check_helpers_restore_x(capsys):
    x = np.random.RandomState(0).randn(3, 2)
    x0 = x.copy()
    g = gradient_check.eval_numerical_gradient(lambda a: np.sum(a ** 2), x, verbose=False)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(g, 2 * x0, rtol=1e-7)
    df = np.ones((3, 2))
    g2 = gradient_check.eval_numerical_gradient_array(lambda a: a * 3.0, x, df)
    np.testing.assert_allclose(g2, 3.0, rtol=1e-7)
    np.testing.assert_array_equal(x, x0)
    gradient_check.grad_check_sparse(lambda a: np.sum(a ** 2), x, 2 * x, num_checks=3)
    assert capsys.readouterr().out.count("relative error") == 3


def test_layers_gradcheck():
    rng = np.random.RandomState(0)
    x = rng.randn(4, 2, 3)
    w = rng.randn(6, 5)
    b = rng.randn(5)
    out, cache = layers.affine_forward(x, w, b)
    assert out.shape == (4, 5) and isinstance(cache, tuple) and len(cache) == 3
    dout = rng.randn(4, 5)
    dx, dw, db = layers.affine_backward(dout, cache)
    f = lambda _: layers.affine_forward(x, w, b)[0]
    assert rel_error(dx, num_grad(f, x, dout)) < 1e-8
    assert rel_error(dw, num_grad(f, w, dout)) < 1e-8
    assert rel_error(db, num_grad(f, b, dout)) < 1e-8

    xb = rng.randn(6, 4) * 3 + 2
    gamma, beta = rng.randn(4), rng.randn(4)
    bn = {"mode": "train"}
    outb, cache = layers.batchnorm_forward(xb, gamma, beta, bn)
    np.testing.assert_allclose(((outb - beta) / gamma).mean(axis=0), 0, atol=1e-10)
    doutb = rng.randn(6, 4)
    fb = lambda _: layers.batchnorm_forward(xb, gamma, beta, {"mode": "train"})[0]
    dx_num = num_grad(fb, xb, doutb)
    for back in (layers.batchnorm_backward, layers.batchnorm_backward_alt):
        dxb, dg, dbt = back(doutb, cache)
        assert rel_error(dxb, dx_num) < 1e-6
        assert rel_error(dg, num_grad(fb, gamma, doutb)) < 1e-8
        assert rel_error(dbt, num_grad(fb, beta, doutb)) < 1e-8
    test_out, _ = layers.batchnorm_forward(xb, gamma, beta, dict(bn, mode="test"))
    assert test_out.shape == xb.shape

    xs = rng.randn(2, 3, 4, 5)
    gs, bs = rng.randn(3), rng.randn(3)
    outs, cache = layers.spatial_batchnorm_forward(xs, gs, bs, {"mode": "train"})
    douts = rng.randn(*xs.shape)
    dxs, _, _ = layers.spatial_batchnorm_backward(douts, cache)
    fs = lambda _: layers.spatial_batchnorm_forward(xs, gs, bs, {"mode": "train"})[0]
    assert rel_error(dxs, num_grad(fs, xs, douts)) < 1e-6

    xr = rng.randn(5, 4)
    outr, cache = layers.relu_forward(xr)
    np.testing.assert_array_equal(layers.relu_backward(np.ones_like(xr), cache), xr > 0)

    scores = rng.randn(10, 6)
    y = rng.randint(6, size=10)
    for loss_fn in (layers.softmax_loss, layers.svm_loss):
        loss, dsc = loss_fn(scores, y)
        num = gradient_check.eval_numerical_gradient(lambda _: loss_fn(scores, y)[0], scores,
                                                     verbose=False)
        assert rel_error(dsc, num) < 1e-6, loss_fn.__name__
    assert abs(layers.softmax_loss(0.001 * rng.randn(500, 10), rng.randint(10, size=500))[0]
               - np.log(10)) < 0.05


def test_blur_image():
    X = np.ones((2, 3, 5, 4))
    out = image_utils.blur_image(X)
    assert out.shape == X.shape
    np.testing.assert_allclose(out[:, :, 1:-1, 1:-1], 1.0)
    np.testing.assert_allclose(out[:, :, 0, 0], (188 + 2 + 2 + 1) / 200.0)
    # channels are independent
    Y = np.zeros((1, 2, 3, 3))
    Y[0, 0, 1, 1] = 200.0
    out = image_utils.blur_image(Y)
    np.testing.assert_allclose(out[0, 0], [[1, 2, 1], [2, 188, 2], [1, 2, 1]])
    assert not out[0, 1].any()


def test_image_pre_and_deprocess():
    assert image_utils.SQUEEZENET_MEAN.dtype == np.float32
    assert image_utils.SQUEEZENET_STD.dtype == np.float32
    img = np.random.RandomState(0).randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
    pre = image_utils.preprocess_image(img)
    assert pre.dtype == np.float32 and pre.shape == img.shape
    back = image_utils.deprocess_image(pre)
    assert back.dtype == np.uint8
    assert np.abs(back.astype(int) - img.astype(int)).max() <= 1
    resc = image_utils.deprocess_image(pre, rescale=True)
    assert resc.min() == 0 and resc.max() == 255


TENSORFLOW_MODULES = {"gan_tf.py", "gan_harness.py", "net_visualization_tensorflow.py", "style_transfer_tensorflow.py",
                      "squeezenet.py", "vision_harness.py"}
"""The TensorFlow track's modules; every other reference module is numpy-only."""


def test_reference_never_imports_tensorflow_or_eager_pil():
    for dirpath, _, files in os.walk(REF_PKG):
        for name in files:
            if name.endswith(".py") and name not in TENSORFLOW_MODULES:
                src = open(os.path.join(dirpath, name)).read()
                assert "tensorflow" not in src, name
    src = open(os.path.join(REF_PKG, "image_utils.py")).read()
    top_level = [ln for ln in src.splitlines() if ln.startswith(("import ", "from "))]
    assert top_level == ["import numpy as np"]
    src = open(os.path.join(REF_PKG, "rnn_layers.py")).read()
    assert [ln for ln in src.splitlines() if "import" in ln] == ["import numpy as np"]


def test_reference_imports_as_top_level_cs231n():
    code = ("import numpy as np; from cs231n.classifiers.rnn import CaptioningRNN; "
            "from cs231n.captioning_solver import CaptioningSolver; "
            "import cs231n.rnn_layers as r, cs231n.image_utils, sys; "
            "m = CaptioningRNN({'<NULL>': 0, 'a': 1}, input_dim=3, wordvec_dim=2, hidden_dim=2); "
            "assert r.__file__.endswith('reference/cs231n/rnn_layers.py'); "
            "assert 'PIL' not in sys.modules and 'imageio' not in sys.modules; print('ok')")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "reference"))
    res = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


# ---------------------------------------------------------------------------
# The untouched-skeleton sample submission
# ---------------------------------------------------------------------------

@pytest.fixture
def skeleton(tmp_path):
    """The reference package with the two skeleton student files dropped in,
    imported under a unique top-level name (so nothing clashes with cs231n)."""
    name = "skel_%s" % uuid.uuid4().hex[:8]
    pkg = tmp_path / name
    shutil.copytree(REF_PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(SKELETON_PKG, "rnn_layers.py"), pkg / "rnn_layers.py")
    shutil.copy(os.path.join(SKELETON_PKG, "classifiers", "rnn.py"), pkg / "classifiers" / "rnn.py")
    sys.path.insert(0, str(tmp_path))
    try:
        layers_mod = importlib.import_module(name + ".rnn_layers")
        rnn_mod = importlib.import_module(name + ".classifiers.rnn")
        yield layers_mod, rnn_mod
    finally:
        sys.path.remove(str(tmp_path))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def test_skeleton_files_exist_with_empty_inits():
    for rel in ("__init__.py", os.path.join("classifiers", "__init__.py")):
        path = os.path.join(SKELETON_PKG, rel)
        assert os.path.isfile(path) and open(path).read() == ""
    for rel in ("rnn_layers.py", os.path.join("classifiers", "rnn.py")):
        assert "pass" in open(os.path.join(SKELETON_PKG, rel)).read()


def test_skeleton_returns_nones(skeleton):
    S, R = skeleton
    rng = np.random.RandomState(0)
    N, T, D, H, V = 2, 3, 4, 5, 6
    x2, x3, h = rng.randn(N, D), rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, H), rng.randn(H, H), rng.randn(H)
    Wx4, Wh4, b4 = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    assert S.rnn_step_forward(x2, h, Wx, Wh, b) == (None, None)
    assert S.rnn_step_backward(h, None) == (None,) * 5
    assert S.rnn_forward(x3, h, Wx, Wh, b) == (None, None)
    assert S.rnn_backward(rng.randn(N, T, H), None) == (None,) * 5
    assert S.word_embedding_forward(rng.randint(V, size=(N, T)), rng.randn(V, D)) == (None, None)
    assert S.word_embedding_backward(rng.randn(N, T, D), None) is None
    assert S.lstm_step_forward(x2, h, h, Wx4, Wh4, b4) == (None, None, None)
    assert S.lstm_step_backward(h, h, None) == (None,) * 6
    assert S.lstm_forward(x3, h, Wx4, Wh4, b4) == (None, None)
    assert S.lstm_backward(rng.randn(N, T, H), None) == (None,) * 5
    # provided helpers stay complete
    np.testing.assert_allclose(S.sigmoid(np.array([0.0, 2.0])), L.sigmoid(np.array([0.0, 2.0])))
    out, cache = S.temporal_affine_forward(x3, rng.randn(D, V), rng.randn(V))
    assert out.shape == (N, T, V) and len(S.temporal_affine_backward(out, cache)) == 3
    y = rng.randint(V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    assert S.temporal_softmax_loss(out, y, mask)[0] == L.temporal_softmax_loss(out, y, mask)[0]

    vocab = dict(VOCAB7)
    for cell in ("rnn", "lstm"):
        model = R.CaptioningRNN(vocab, input_dim=D, wordvec_dim=3, hidden_dim=H, cell_type=cell)
        assert set(model.params) == {"W_embed", "W_proj", "b_proj", "Wx", "Wh", "b",
                                     "W_vocab", "b_vocab"}
        loss, grads = model.loss(rng.randn(N, D), rng.randint(len(vocab), size=(N, T + 1)))
        assert loss == 0.0 and grads == {}
        caps = model.sample(rng.randn(N, D), max_length=4)
        assert caps.shape == (N, 4) and caps.dtype == np.int32
        assert np.all(caps == vocab["<NULL>"])
    with pytest.raises(ValueError):
        R.CaptioningRNN(vocab, cell_type="gru")
