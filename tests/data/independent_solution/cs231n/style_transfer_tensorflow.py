"""Style transfer with TensorFlow: the content, style and total-variation losses.

The four losses are the student's work (between the START/END markers); ``extract_features`` and
``rel_error`` are provided.
"""
import numpy as np
import tensorflow as tf


def tv_loss(img, tv_weight):
    """Total-variation loss of an image.

    Inputs:
    - img: the image, of shape (1, H, W, 3) (a numpy array, a Tensor or a Variable)
    - tv_weight: the weight of the loss

    Returns tv_weight times the sum, over the 3 channels, of the squared differences between vertically
    adjacent pixels plus the squared differences between horizontally adjacent pixels: a scalar Tensor.
    Write it without loops.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    vertical = tf.reduce_sum((img[:, 1:] - img[:, :-1]) ** 2)
    horizontal = tf.reduce_sum((img[:, :, 1:] - img[:, :, :-1]) ** 2)
    return tv_weight * (vertical + horizontal)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def style_loss(feats, style_layers, style_targets, style_weights):
    """Style loss at a set of layers.

    Inputs:
    - feats: the current image's features at every layer, as ``extract_features`` returns them
    - style_layers: indices into feats of the layers to use
    - style_targets: the style image's Gram matrices at those layers, in the same order
    - style_weights: one weight per layer, in the same order

    Returns the sum over the layers of weight * sum((G - target) ** 2), where G is the current image's Gram
    matrix at that layer (``gram_matrix`` with its default normalisation): a scalar Tensor.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    terms = [w * tf.reduce_sum((gram_matrix(feats[layer]) - target) ** 2)
             for layer, target, w in zip(style_layers, style_targets, style_weights)]
    return tf.add_n(terms)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def gram_matrix(features, normalize=True):
    """Gram matrix of a feature map.

    Inputs:
    - features: a Tensor of shape (1, H, W, C)
    - normalize: whether to divide by the number of entries of the feature map, H * W * C

    Returns the (C, C) matrix F^T F, where F is the feature map reshaped to (H * W, C).
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    dims = tf.shape(features)
    rows = tf.reshape(features, [dims[1] * dims[2], dims[3]])
    G = tf.transpose(rows) @ rows
    if not normalize:
        return G
    return G / tf.cast(dims[1] * dims[2] * dims[3], G.dtype)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def content_loss(content_weight, content_current, content_original):
    """Content loss.

    Inputs:
    - content_weight: the weight of the loss
    - content_current: the current image's features at the content layer, of shape (1, H, W, C)
    - content_original: the content image's features at the same layer, of the same shape

    Returns content_weight times the sum of the squared differences: a scalar Tensor.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    difference = content_current - content_original
    return tf.reduce_sum(difference * difference) * content_weight

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def extract_features(x, cnn):
    """The feature maps of images x (N, H, W, C) after each layer of ``cnn.net`` except the classifier's
    last two: a list of 12 Tensors, index i being the output of ``cnn.net.layers[i]``."""
    features = []
    current = x
    for layer in cnn.net.layers[:-2]:
        current = layer(current)
        features.append(current)
    return features


def rel_error(x, y):
    """The largest relative error between x and y."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))
