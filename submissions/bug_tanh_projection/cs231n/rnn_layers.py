"""Layers for recurrent networks (vanilla RNN, LSTM, word embeddings, temporal
affine and temporal softmax), forward and backward, in plain numpy.

Shapes: N minibatch size, T sequence length, D input size, H hidden size,
V vocabulary size, M output size.
"""
import numpy as np


# ---------------------------------------------------------------------------
# Vanilla RNN
# ---------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One timestep of a vanilla RNN with a tanh nonlinearity.

    Inputs:
    - x: input data for this timestep, shape (N, D)
    - prev_h: hidden state from the previous timestep, shape (N, H)
    - Wx: input-to-hidden weights, shape (D, H)
    - Wh: hidden-to-hidden weights, shape (H, H)
    - b: biases, shape (H,)

    Returns a tuple of:
    - next_h: next hidden state, shape (N, H)
    - cache: values needed by rnn_step_backward
    """
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass for one timestep of a vanilla RNN.

    Inputs:
    - dnext_h: gradient of the loss with respect to the next hidden state, (N, H)
    - cache: cache from rnn_step_forward

    Returns a tuple of:
    - dx: gradient of the input data, shape (N, D)
    - dprev_h: gradient of the previous hidden state, shape (N, H)
    - dWx: gradient of the input-to-hidden weights, shape (D, H)
    - dWh: gradient of the hidden-to-hidden weights, shape (H, H)
    - db: gradient of the biases, shape (H,)
    """
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h * next_h)
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run a vanilla RNN over a whole sequence of T inputs.

    Inputs:
    - x: input data for the whole sequence, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - Wx: input-to-hidden weights, shape (D, H)
    - Wh: hidden-to-hidden weights, shape (H, H)
    - b: biases, shape (H,)

    Returns a tuple of:
    - h: hidden states for every timestep (h0 excluded), shape (N, T, H)
    - cache: values needed by rnn_backward
    """
    T = x.shape[1]
    states, step_caches = [], []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        states.append(prev_h)
        step_caches.append(step_cache)
    h = np.stack(states, axis=1)
    cache = tuple(step_caches)
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass of a vanilla RNN over a whole sequence.

    Inputs:
    - dh: upstream gradients of all hidden states, shape (N, T, H). These are
      only the gradients coming from each timestep's own output; the gradient
      flowing between timesteps is accumulated here.
    - cache: cache from rnn_forward

    Returns a tuple of:
    - dx: gradient of the inputs, shape (N, T, D)
    - dh0: gradient of the initial hidden state, shape (N, H)
    - dWx: gradient of the input-to-hidden weights, shape (D, H)
    - dWh: gradient of the hidden-to-hidden weights, shape (H, H)
    - db: gradient of the biases, shape (H,)
    """
    T = dh.shape[1]
    dxs = [None] * T
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev_h = np.zeros_like(dh[:, 0, :])
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(
            dh[:, t, :] + dprev_h, cache[t])
        dxs[t] = dx_t
        dWx = dWx + dWx_t
        dWh = dWh + dWh_t
        db = db + db_t
    dx = np.stack(dxs, axis=1)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ---------------------------------------------------------------------------
# Word embeddings
# ---------------------------------------------------------------------------

def word_embedding_forward(x, W):
    """Look up word vectors for a minibatch of integer word indices.

    Inputs:
    - x: integer array of shape (N, T), each entry in [0, V)
    - W: word vectors, shape (V, D)

    Returns a tuple of:
    - out: word vectors for all inputs, shape (N, T, D)
    - cache: values needed by word_embedding_backward
    """
    out = W[x]
    cache = (x, W.shape, W.dtype)
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass for word embeddings (only the word vectors get a gradient).

    Inputs:
    - dout: upstream gradients, shape (N, T, D)
    - cache: cache from word_embedding_forward

    Returns:
    - dW: gradient of the word vectors, shape (V, D)
    """
    x, W_shape, W_dtype = cache
    dW = np.zeros(W_shape, dtype=np.result_type(W_dtype, dout.dtype))
    np.add.at(dW, x, dout)
    return dW


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------

def sigmoid(x):
    """A numerically stable version of the logistic sigmoid function.

    Positive and negative entries are handled separately (boolean masks) so
    that np.exp is only ever called on non-positive numbers.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    pos_mask = x >= 0
    neg_mask = ~pos_mask
    z = np.zeros_like(x)
    z[pos_mask] = np.exp(-x[pos_mask])
    z[neg_mask] = np.exp(x[neg_mask])
    top = np.ones_like(x)
    top[neg_mask] = z[neg_mask]
    return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One timestep of an LSTM.

    The activation a = x Wx + prev_h Wh + b of shape (N, 4H) is split into the
    four consecutive H-wide blocks i, f, o, g (in that order).

    Inputs:
    - x: input data, shape (N, D)
    - prev_h: previous hidden state, shape (N, H)
    - prev_c: previous cell state, shape (N, H)
    - Wx: input-to-hidden weights, shape (D, 4H)
    - Wh: hidden-to-hidden weights, shape (H, 4H)
    - b: biases, shape (4H,)

    Returns a tuple of:
    - next_h: next hidden state, shape (N, H)
    - next_c: next cell state, shape (N, H)
    - cache: values needed by lstm_step_backward
    """
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass for one timestep of an LSTM.

    Inputs:
    - dnext_h: gradient of the next hidden state, shape (N, H)
    - dnext_c: gradient of the next cell state, shape (N, H)
    - cache: cache from lstm_step_forward

    Returns a tuple of:
    - dx: gradient of the input data, shape (N, D)
    - dprev_h: gradient of the previous hidden state, shape (N, H)
    - dprev_c: gradient of the previous cell state, shape (N, H)
    - dWx: gradient of the input-to-hidden weights, shape (D, 4H)
    - dWh: gradient of the hidden-to-hidden weights, shape (H, 4H)
    - db: gradient of the biases, shape (4H,)
    """
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    # Total gradient reaching the cell state (new array; inputs untouched).
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c * tanh_c)
    do = dnext_h * tanh_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.concatenate([
        di * i * (1.0 - i),
        df * f * (1.0 - f),
        do * o * (1.0 - o),
        dg * (1.0 - g * g),
    ], axis=1)
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """Run an LSTM over a whole sequence of T inputs.

    The initial cell state is zero; the cell state is internal and is not
    returned. Only the hidden states of the T steps are returned (no h0).

    Inputs:
    - x: input data, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - Wx: input-to-hidden weights, shape (D, 4H)
    - Wh: hidden-to-hidden weights, shape (H, 4H)
    - b: biases, shape (4H,)

    Returns a tuple of:
    - h: hidden states for all timesteps, shape (N, T, H)
    - cache: values needed by lstm_backward
    """
    T = x.shape[1]
    prev_h = h0
    prev_c = np.zeros_like(h0)
    states, step_caches = [], []
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(
            x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        states.append(prev_h)
        step_caches.append(step_cache)
    h = np.stack(states, axis=1)
    cache = tuple(step_caches)
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass of an LSTM over a whole sequence.

    Inputs:
    - dh: upstream gradients of the hidden states, shape (N, T, H)
    - cache: cache from lstm_forward

    Returns a tuple of:
    - dx: gradient of the input data, shape (N, T, D)
    - dh0: gradient of the initial hidden state, shape (N, H)
    - dWx: gradient of the input-to-hidden weights, shape (D, 4H)
    - dWh: gradient of the hidden-to-hidden weights, shape (H, 4H)
    - db: gradient of the biases, shape (4H,)
    """
    T = dh.shape[1]
    dxs = [None] * T
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev_h = np.zeros_like(dh[:, 0, :])
    dprev_c = np.zeros_like(dh[:, 0, :])
    for t in reversed(range(T)):
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dxs[t] = dx_t
        dWx = dWx + dWx_t
        dWh = dWh + dWh_t
        db = db + db_t
    dx = np.stack(dxs, axis=1)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ---------------------------------------------------------------------------
# Provided layers: temporal affine and temporal softmax loss
# ---------------------------------------------------------------------------

def temporal_affine_forward(x, w, b):
    """Apply the same affine map at every timestep.

    Inputs:
    - x: inputs, shape (N, T, D)
    - w: weights, shape (D, M)
    - b: biases, shape (M,)

    Returns a tuple of:
    - out: outputs, shape (N, T, M)
    - cache: (x, w, b, out)
    """
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    cache = (x, w, b, out)
    return out, cache


def temporal_affine_backward(dout, cache):
    """Backward pass for the temporal affine layer.

    Inputs:
    - dout: upstream gradients, shape (N, T, M)
    - cache: cache from temporal_affine_forward

    Returns a tuple of:
    - dx: gradient of the inputs, shape (N, T, D)
    - dw: gradient of the weights, shape (D, M)
    - db: gradient of the biases, shape (M,)
    """
    x, w, b, out = cache
    N, T, D = x.shape
    M = b.shape[0]
    dout2 = dout.reshape(N * T, M)
    dx = dout2.dot(w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T.dot(dout2)
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax loss summed over the masked timesteps, averaged over the batch.

    The loss is the sum over every (n, t) with mask[n, t] true of
    -log softmax(x[n, t])[y[n, t]], divided by N (not by N*T nor by the number
    of unmasked entries).

    Inputs:
    - x: scores, shape (N, T, V)
    - y: ground-truth indices, shape (N, T), each in [0, V)
    - mask: boolean array of shape (N, T); only true entries count
    - verbose: if true, print the shape of the flattened gradient

    Returns a tuple of:
    - loss: scalar loss
    - dx: gradient of the loss with respect to x, shape (N, T, V)
    """
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    shifted = x_flat - np.max(x_flat, axis=1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(sums)
    probs = exp / sums
    rows = np.arange(N * T)
    loss = -np.sum(mask_flat * log_probs[rows, y_flat]) / N

    dx_flat = probs.copy()
    dx_flat[rows, y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]
    if verbose:
        print("dx_flat: ", dx_flat.shape)
    dx = dx_flat.reshape(N, T, V)
    return loss, dx
