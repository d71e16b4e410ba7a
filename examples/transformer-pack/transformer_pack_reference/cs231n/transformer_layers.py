"""The pack's reference solution of ``cs231n/transformer_layers.py`` (written by the grader's team)."""
import numpy as np


def scaled_dot_product_attention(query, key, value, mask=None):
    """Attention of ``query`` (N, S, D) over ``key`` (N, T, D) and ``value`` (N, T, M); ``mask`` (S, T) is
    True where query s may attend to key t. Returns ``out`` (N, S, M) and ``weights`` (N, S, T)."""
    scores = query @ np.swapaxes(key, 1, 2) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights
