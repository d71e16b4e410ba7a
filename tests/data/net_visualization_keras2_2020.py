"""A correct solution written the way 2020 submissions were (TF 2.3, Keras 2 API): it must score full marks
unchanged. Tensors returned where the docstring says numpy, Keras backend helpers, numpy updates between
model calls, two model calls per fooling iteration with a cap, a print."""
import numpy as np
import tensorflow as tf
from scipy.ndimage.filters import gaussian_filter1d

K = tf.keras.backend


def compute_saliency_maps(X, y, model):
    saliency = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N = X.shape[0]
    X_tensor = tf.convert_to_tensor(X)
    with tf.GradientTape() as tape:
        tape.watch(X_tensor)
        scores = model(X_tensor)
        correct_scores = tf.gather_nd(scores, tf.stack((tf.range(N), tf.cast(y, tf.int32)), axis=1))
    grads = tape.gradient(correct_scores, X_tensor)
    saliency = K.max(K.abs(grads), axis=3)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return saliency


def make_fooling_image(X, target_y, model):
    X_fooling = X.copy()
    learning_rate = 1
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    for i in range(100):
        X_var = tf.Variable(X_fooling)
        with tf.GradientTape() as tape:
            scores = model(X_var)
            target_score = scores[0, target_y]
        if tf.math.argmax(scores[0]).numpy() == target_y:
            print("fooled after %d iterations" % i)
            break
        g = tape.gradient(target_score, X_var)
        dX = learning_rate * g / tf.norm(g)
        X_fooling += dX.numpy()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return X_fooling


def class_visualization_update_step(X, model, target_y, l2_reg, learning_rate):
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    if not isinstance(X, tf.Variable):
        X = tf.Variable(X)
    with tf.GradientTape() as tape:
        score = model(X)[0, target_y]
        loss = score - l2_reg * tf.norm(X) ** 2
    dX = tape.gradient(loss, X)
    X = X + learning_rate * dX
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return X


def blur_image(X, sigma=1):
    X = gaussian_filter1d(X, sigma, axis=1)
    X = gaussian_filter1d(X, sigma, axis=2)
    return X


def jitter(X, ox, oy):
    if ox != 0:
        left = X[:, :, :-ox]
        right = X[:, :, -ox:]
        X = tf.concat([right, left], axis=2)
    if oy != 0:
        top = X[:, :-oy]
        bottom = X[:, -oy:]
        X = tf.concat([bottom, top], axis=1)
    return X
