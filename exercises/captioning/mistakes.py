"""Wrong implementations of the captioning functions, as students write them: the misconceptions of
``exercises/captioning/misconceptions.py`` run these in a trusted worker, next to the reference package
(``cs231n`` there), to see whether a failing student function answers exactly as one of them.

Imported only in workers (they use the reference package's caches and helpers), never by the grader. A
backward reads the reference forward's cache, since the forward in that worker is the reference's.
"""
import numpy as np

from cs231n.layers import affine_forward
from cs231n.rnn_layers import lstm_step_backward, lstm_step_forward, rnn_step_backward, rnn_step_forward, sigmoid

# ------------------------------------------------------------------------------------------ layers


def word_embedding_backward_assign(dout, cache):
    """``dW[x] += dout``: fancy-index assignment keeps one update per repeated word."""
    x, W_shape, W_dtype = cache
    dW = np.zeros(W_shape, dtype=np.result_type(W_dtype, dout.dtype))
    dW[x] += dout
    return dW


def exp_tanh(z):
    """tanh written with exponentials: NaN where e^z overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def rnn_step_forward_exp_tanh(x, prev_h, Wx, Wh, b):
    next_h = exp_tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def lstm_step(x, prev_h, prev_c, Wx, Wh, b, order="ifog", tanh=np.tanh):
    """One LSTM step reading the four H-wide blocks of the activation in ``order`` (the assignment's is
    i, f, o, g), with ``tanh`` for the candidate and the output; the reference's cache."""
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
    i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    g = tanh(blocks["g"])
    next_c = f * prev_c + i * g
    tanh_c = tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_forward_gates_ifgo(x, prev_h, prev_c, Wx, Wh, b):
    """The gates read in PyTorch's order i, f, g, o."""
    return lstm_step(x, prev_h, prev_c, Wx, Wh, b, order="ifgo")


def lstm_step_forward_exp_tanh(x, prev_h, prev_c, Wx, Wh, b):
    return lstm_step(x, prev_h, prev_c, Wx, Wh, b, tanh=exp_tanh)


def rnn_backward_no_carry(dh, cache):
    """Each step's backward gets only its own upstream dh[:, t], not the gradient carried from step t + 1."""
    N, T, H = dh.shape
    dx, dWx, dWh, db = None, 0.0, 0.0, 0.0
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :], cache[t])
        if dx is None:
            dx = np.zeros((N, T, dx_t.shape[1]))
        dx[:, t, :] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_backward_dropping(dh, cache, carry_h=True, carry_c=True):
    """lstm_backward, carrying the hidden state's gradient and the cell's from step t + 1 to t only where
    asked (a zero ``dprev_c`` made anew at every step drops the cell's)."""
    N, T, H = dh.shape
    dx, dWx, dWh, db = None, 0.0, 0.0, 0.0
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        upstream_h = dh[:, t, :] + dprev_h if carry_h else dh[:, t, :]
        upstream_c = dprev_c if carry_c else np.zeros((N, H))
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(upstream_h, upstream_c, cache[t])
        if dx is None:
            dx = np.zeros((N, T, dx_t.shape[1]))
        dx[:, t, :] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_backward_no_carried_dh(dh, cache):
    return lstm_backward_dropping(dh, cache, carry_h=False)


def lstm_backward_no_carried_dc(dh, cache):
    return lstm_backward_dropping(dh, cache, carry_c=False)


# ------------------------------------------------------------------------------------------ CaptioningRNN.sample


def greedy_decode(model, features, max_length, start_column=0, per_image=False, reset=True, swap_hc=False,
                  mask_unk=False):
    """``CaptioningRNN.sample`` with one of the students' mistakes switched on:

    * ``start_column=1``: ``<START>`` written into column 0, the words stored from column 1;
    * ``per_image``: one image at a time; ``reset=False`` then carries the last word of an image over as the
      first input of the next instead of ``<START>``;
    * ``swap_hc``: ``lstm_step_forward(x, prev_c, prev_h, ...)``;
    * ``mask_unk``: ``<UNK>`` never chosen.
    """
    p = model.params
    N = features.shape[0]
    captions = model._null * np.ones((N, max_length), dtype=np.int32)
    if start_column:
        captions[:, 0] = model._start
    h0, _ = affine_forward(features, p["W_proj"], p["b_proj"])
    unk = model.word_to_idx.get("<UNK>")
    rows = [slice(n, n + 1) for n in range(N)] if per_image else [slice(0, N)]
    word = np.full(N, model._start, dtype=np.int64)
    for row in rows:
        h = h0[row]
        c = np.zeros_like(h)
        if reset or row.start == 0:
            word = np.full(h.shape[0], model._start, dtype=np.int64)
        for t in range(start_column, max_length):
            x = p["W_embed"][word]
            if model.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, p["Wx"], p["Wh"], p["b"])
            elif swap_hc:
                h, c, _ = lstm_step_forward(x, c, h, p["Wx"], p["Wh"], p["b"])
            else:
                h, c, _ = lstm_step_forward(x, h, c, p["Wx"], p["Wh"], p["b"])
            scores = h.dot(p["W_vocab"]) + p["b_vocab"]
            if mask_unk and unk is not None:
                scores[:, unk] = -np.inf
            word = np.argmax(scores, axis=1)
            captions[row, t] = word
    return captions


def sample_start_in_column_0(self, features, max_length=30):
    return greedy_decode(self, features, max_length, start_column=1)


def sample_start_not_reset(self, features, max_length=30):
    return greedy_decode(self, features, max_length, per_image=True, reset=False)


def sample_h_c_swapped(self, features, max_length=30):
    return greedy_decode(self, features, max_length, swap_hc=True)


def sample_unk_masked(self, features, max_length=30):
    return greedy_decode(self, features, max_length, mask_unk=True)
