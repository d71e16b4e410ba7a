"""Wrong implementations of the captioning functions, as students write them: the misconceptions of
``exercises/captioning/misconceptions.py`` run these in a trusted worker, next to the reference package
(``cs231n`` there), to see whether a failing student function answers exactly as one of them.

Imported only in workers (they use the reference package's caches and helpers), never by the grader.
"""
import numpy as np


def word_embedding_backward_assign(dout, cache):
    """``dW[x] += dout``: fancy-index assignment keeps one update per repeated word."""
    x, W_shape, W_dtype = cache
    dW = np.zeros(W_shape, dtype=np.result_type(W_dtype, dout.dtype))
    dW[x] += dout
    return dW


def rnn_step_forward_exp_tanh(x, prev_h, Wx, Wh, b):
    """tanh written with exponentials: NaN where e^z overflows."""
    z = x.dot(Wx) + prev_h.dot(Wh) + b
    with np.errstate(over="ignore", invalid="ignore"):
        next_h = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    return next_h, (x, prev_h, Wx, Wh, next_h)
