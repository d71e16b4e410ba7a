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
    next_h, cache = None, None
    affine = prev_h @ Wh + x @ Wx + b
    next_h = np.tanh(affine)
    cache = {"x": x, "h": prev_h, "Wx": Wx, "Wh": Wh, "out": next_h}
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
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    dz = dnext_h * (1 - cache["out"] ** 2)
    db = np.sum(dz, axis=0)
    dWh = cache["h"].T @ dz
    dWx = cache["x"].T @ dz
    dprev_h = dz @ cache["Wh"].T
    dx = dz @ cache["Wx"].T
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
    h, cache = None, None
    N, T, _ = x.shape
    steps = []
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx, Wh, b))
    current = h0
    for step in range(T):
        current, step_cache = rnn_step_forward(x[:, step], current, Wx, Wh, b)
        h[:, step] = current
        steps.append(step_cache)
    cache = steps
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
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0]["x"].shape[1]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dWx = np.zeros((D, H), dtype=dh.dtype)
    dWh = np.zeros((H, H), dtype=dh.dtype)
    db = np.zeros(H, dtype=dh.dtype)
    carry = np.zeros((N, H), dtype=dh.dtype)
    for step in range(T - 1, -1, -1):
        grads = rnn_step_backward(dh[:, step] + carry, cache[step])
        dx[:, step], carry = grads[0], grads[1]
        dWx = dWx + grads[2]
        dWh = dWh + grads[3]
        db = db + grads[4]
    dh0 = carry
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
    out, cache = None, None
    out = np.take(W, x, axis=0)
    cache = (x, W)
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass for word embeddings (only the word vectors get a gradient).

    Inputs:
    - dout: upstream gradients, shape (N, T, D)
    - cache: cache from word_embedding_forward

    Returns:
    - dW: gradient of the word vectors, shape (V, D)
    """
    dW = None
    words, W = cache
    dW = np.zeros_like(W, dtype=np.result_type(W, dout))
    np.add.at(dW, words.reshape(-1), dout.reshape(-1, dout.shape[-1]))
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
    next_h, next_c, cache = None, None, None
    activation = x @ Wx + prev_h @ Wh + b
    a_i, a_f, a_o, a_g = np.split(activation, 4, axis=1)
    gate_i, gate_f, gate_o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    cand = np.tanh(a_g)
    next_c = prev_c * gate_f + cand * gate_i
    squashed = np.tanh(next_c)
    next_h = squashed * gate_o
    cache = dict(x=x, h=prev_h, c=prev_c, Wx=Wx, Wh=Wh, gates=(gate_i, gate_f, gate_o, cand), squashed=squashed)
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
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    gate_i, gate_f, gate_o, cand = cache["gates"]
    squashed = cache["squashed"]
    d_o = squashed * dnext_h
    total_c = dnext_c + (1 - squashed ** 2) * gate_o * dnext_h
    d_g = gate_i * total_c
    d_f = cache["c"] * total_c
    d_i = cand * total_c
    dprev_c = gate_f * total_c
    grad_a = np.hstack((gate_i * (1 - gate_i) * d_i, gate_f * (1 - gate_f) * d_f,
                        gate_o * (1 - gate_o) * d_o, (1 - cand ** 2) * d_g))
    db = grad_a.sum(0)
    dWh = cache["h"].T @ grad_a
    dWx = cache["x"].T @ grad_a
    dprev_h = grad_a @ cache["Wh"].T
    dx = grad_a @ cache["Wx"].T
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
    h, cache = None, None
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    state_h, state_c = h0, np.zeros_like(h0)
    cache = []
    for step in range(T):
        state_h, state_c, step_cache = lstm_step_forward(x[:, step], state_h, state_c, Wx, Wh, b)
        h[:, step] = state_h
        cache.append(step_cache)
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
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0]["x"].shape[1]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dWx, dWh, db = np.zeros((D, 4 * H), dh.dtype), np.zeros((H, 4 * H), dh.dtype), np.zeros(4 * H, dh.dtype)
    carry_h = np.zeros((N, H), dh.dtype)
    carry_c = np.zeros((N, H), dh.dtype)
    for step in reversed(range(T)):
        dx_t, carry_h, carry_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, step] + carry_h, carry_c, cache[step])
        dx[:, step] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dh0 = carry_h
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
