"""Wrong implementations of the network-visualization and style-transfer functions, as students write them:
the misconceptions of ``exercises/vision/misconceptions.py`` run these in a trusted worker, next to the
reference package (``cs231n`` there), to see whether a failing student function answers exactly as one of
them.

Imported only in TensorFlow workers, never by the grader.
"""
import numpy as np
import tensorflow as tf

import cs231n.style_transfer_tensorflow as style_transfer

# ---------------------------------------------------------------------------------------------- saliency


def _saliency(X, y, model, objective):
    """The reference's saliency map of ``objective(scores, labels)`` (one value per image)."""
    images = tf.convert_to_tensor(X, dtype=tf.float32)
    labels = tf.convert_to_tensor(y, dtype=tf.int32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        chosen = objective(model(images), labels)
    return tf.reduce_max(tf.abs(tape.gradient(chosen, images)), axis=3).numpy()


def saliency_max_score(X, y, model):
    """The gradient of each image's highest score, whatever its label."""
    return _saliency(X, y, model, lambda scores, labels: tf.reduce_max(scores, axis=1))


def saliency_cross_entropy(X, y, model):
    """The gradient of the softmax cross-entropy loss of the labels instead of their raw scores."""
    return _saliency(X, y, model, lambda scores, labels: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=scores))


# ---------------------------------------------------------------------------------------------- fooling


def _fool(X, target_y, model, step):
    """The reference's loop with ``step(g)`` added to the image at each iteration."""
    X_fooling = tf.Variable(tf.convert_to_tensor(X.copy(), dtype=tf.float32))
    while True:
        with tf.GradientTape() as tape:
            scores = model(X_fooling)
            target_score = scores[0, target_y]
        if int(tf.argmax(scores[0])) == target_y:
            break
        X_fooling.assign_add(step(tape.gradient(target_score, X_fooling)))
    return X_fooling.numpy()


def fooling_norm_squared(X, target_y, model):
    """Steps of g / ||g||^2: they shrink as the gradient grows."""
    return _fool(X, target_y, model, lambda g: g / tf.norm(g) ** 2)


def fooling_descent(X, target_y, model):
    """Gradient descent on the target's score: X -= g / ||g||."""
    return _fool(X, target_y, model, lambda g: -g / tf.norm(g))


# ---------------------------------------------------------------------------------------------- class visualization


def _ascend(X, model, target_y, learning_rate, objective, normalize=False):
    """One step of ascent on ``objective(score, X)``; ``normalize``: the gradient divided by its norm."""
    X = tf.convert_to_tensor(X, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(X)
        value = objective(tf.reduce_sum(model(X)[:, target_y]), X)
    g = tape.gradient(value, X)
    return X + (learning_rate * g / tf.norm(g) if normalize else learning_rate * g)


def class_vis_l2_sign(X, model, target_y, l2_reg, learning_rate):
    """s_y + l2_reg ||X||^2."""
    return _ascend(X, model, target_y, learning_rate, lambda s, X: s + l2_reg * tf.reduce_sum(X * X))


def class_vis_l2_not_squared(X, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg ||X||."""
    return _ascend(X, model, target_y, learning_rate, lambda s, X: s - l2_reg * tf.norm(X))


def class_vis_l2_no_gradient(X, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg * np.sum(X * X): a numpy constant, so the step is the score's gradient alone (as when the
    L2 term is left out)."""
    return _ascend(X, model, target_y, learning_rate, lambda s, X: s - l2_reg * np.sum(X.numpy() ** 2))


def class_vis_l2_on_score(X, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg s_y^2: the penalty on the score instead of the image."""
    return _ascend(X, model, target_y, learning_rate, lambda s, X: s - l2_reg * s * s)


def class_vis_normalized(X, model, target_y, l2_reg, learning_rate):
    """The right objective, the gradient divided by its norm."""
    return _ascend(X, model, target_y, learning_rate, lambda s, X: s - l2_reg * tf.reduce_sum(X * X), normalize=True)


def class_vis_mean_penalty(X, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg sum((X - mean(X))^2): a made-up penalty on the spread, not the size."""
    return _ascend(X, model, target_y, learning_rate,
                   lambda s, X: s - l2_reg * tf.reduce_sum(tf.square(X - tf.reduce_mean(X))))


# ---------------------------------------------------------------------------------------------- style transfer


def content_loss_mean(content_weight, content_current, content_original):
    return content_weight * tf.reduce_mean(tf.square(content_current - content_original))


def gram_matrix_not_normalized(features, normalize=True):
    """F^T F whatever ``normalize`` says."""
    flat = tf.reshape(features, (-1, tf.shape(features)[-1]))
    return tf.matmul(flat, flat, transpose_a=True)


def style_loss_gram_of_targets(feats, style_layers, style_targets, style_weights):
    """``gram_matrix`` applied to the targets too (the package's own, which expects (1, H, W, C) features)."""
    loss = 0.0
    for i, layer in enumerate(style_layers):
        gram = style_transfer.gram_matrix(feats[layer])
        loss += style_weights[i] * tf.reduce_sum(tf.square(gram - style_transfer.gram_matrix(style_targets[i])))
    return loss


def _tv(img, tv_weight, down, right):
    return tv_weight * (tf.reduce_sum(tf.square(down)) + tf.reduce_sum(tf.square(right)))


def tv_loss_roll(img, tv_weight):
    """Differences with tf.roll: the last row and column are paired with the first."""
    return _tv(img, tv_weight, tf.roll(img, shift=-1, axis=1) - img, tf.roll(img, shift=-1, axis=2) - img)


def tv_loss_channel_axis(img, tv_weight):
    """The 'vertical' differences taken along the channels (axis 3) instead of the height (axis 1)."""
    return _tv(img, tv_weight, img[:, :, :, 1:] - img[:, :, :, :-1], img[:, :, 1:, :] - img[:, :, :-1, :])


def tv_loss_no_vertical(img, tv_weight):
    """Horizontal differences only."""
    return tv_weight * tf.reduce_sum(tf.square(img[:, :, 1:, :] - img[:, :, :-1, :]))
