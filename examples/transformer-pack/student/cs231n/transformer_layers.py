"""Transformer layers: the attention at the heart of a transformer, in numpy."""
import numpy as np


def scaled_dot_product_attention(query, key, value, mask=None):
    """
    Scaled dot-product attention.

    Inputs:
    - query: array of shape (N, S, D): S queries for each of N examples
    - key: array of shape (N, T, D): T keys for each example
    - value: array of shape (N, T, M): one value for each key
    - mask: None, or a boolean array of shape (S, T): mask[s, t] is True where query s may attend to key t
      (every query may attend to at least one key)

    Returns a tuple of:
    - out: array of shape (N, S, M): for each query, the values averaged with its attention weights
    - weights: array of shape (N, S, T): for each query, the softmax over the keys of the scores
      query . key / sqrt(D); a masked key gets weight 0, and each row sums to 1

    Leave the inputs unchanged, and keep the result finite when the scores are large.
    """
    out, weights = None, None
    ###########################################################################
    # TODO: Implement scaled dot-product attention.                           #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return out, weights
