"""Network visualization with TensorFlow: saliency maps, fooling images and class visualization.

The three functions at the top are the student's work (between the START/END markers); ``blur_image`` and
``jitter`` are provided helpers that the notebook's class-visualization loop uses.
"""
import numpy as np
import tensorflow as tf

try:
    from scipy.ndimage import gaussian_filter1d
except ImportError:  # scipy is optional: a numpy Gaussian filter with scipy's defaults stands in
    gaussian_filter1d = None


def compute_saliency_maps(X, y, model):
    """Saliency maps of images X for their labels y.

    Inputs:
    - X: images, a numpy array of shape (N, H, W, 3), preprocessed
    - y: labels, a numpy array of shape (N,) with integers in [0, 1000)
    - model: the SqueezeNet (``model(X)`` gives raw class scores of shape (N, 1000))

    Returns a numpy array of shape (N, H, W): for each pixel, the largest absolute value over the three
    channels of the gradient of the correct class's raw score with respect to the image.
    """
    saliency = None
    # or tf.gather), take its gradient with respect to the images and reduce it to the saliency map.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    images = tf.Variable(X, dtype=tf.float32)
    with tf.GradientTape() as tape:
        logits = model(images)
        chosen = tf.reduce_sum(logits * tf.one_hot(y, logits.shape[1]), axis=1)
    gradient = tape.gradient(chosen, images).numpy()
    saliency = np.abs(gradient).max(axis=-1)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return saliency


def make_fooling_image(X, target_y, model):
    """An image close to X that the model classifies as target_y.

    Inputs:
    - X: one image, a numpy array of shape (1, 224, 224, 3)
    - target_y: the class to reach, an integer in [0, 1000)
    - model: the SqueezeNet

    Returns the fooling image, of X's shape. X itself must not change.
    """
    X_fooling = X.copy()
    learning_rate = 1
    # learning_rate * g / ||g||_2 (g: the gradient of the score with respect to the image, the norm taken
    # over the whole gradient) to X_fooling, until the model's top class is target_y.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    X_fooling = X_fooling.astype(np.float32)
    while True:
        image = tf.constant(X_fooling)
        with tf.GradientTape() as tape:
            tape.watch(image)
            logits = model(image)
            wanted = logits[0, target_y]
        if np.argmax(logits.numpy()[0]) == target_y:
            break
        step = tape.gradient(wanted, image).numpy()
        X_fooling = X_fooling + learning_rate * step / np.sqrt(np.sum(step ** 2))

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return X_fooling


def class_visualization_update_step(X, model, target_y, l2_reg, learning_rate):
    """One step of gradient ascent on s_y(X) - l2_reg * ||X||_2^2 (s_y: the raw score of target_y).

    X arrives as a tf.Variable, a tf.Tensor or a numpy array of shape (1, H, W, 3); returns the updated
    image X + learning_rate * gradient (the gradient is not normalised). Mind the signs.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    image = tf.cast(tf.convert_to_tensor(X), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(image)
        objective = model(image)[0, target_y] - l2_reg * tf.norm(image) ** 2
    X = image + learning_rate * tape.gradient(objective, image)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return X


def blur_image(X, sigma=1):
    """Gaussian blur along H and W of a batch of NHWC images; returns a numpy array."""
    X = _gaussian_filter1d(X, sigma, axis=1)
    X = _gaussian_filter1d(X, sigma, axis=2)
    return X


def jitter(X, ox, oy):
    """Roll the images X (N, H, W, C) circularly by ox pixels along W and oy pixels along H (negative
    offsets roll back); returns a Tensor."""
    if ox != 0:
        left = X[:, :, :-ox]
        right = X[:, :, -ox:]
        X = tf.concat([right, left], axis=2)
    if oy != 0:
        top = X[:, :-oy]
        bottom = X[:, -oy:]
        X = tf.concat([bottom, top], axis=1)
    return X


def _gaussian_filter1d(X, sigma, axis):
    """``scipy.ndimage.gaussian_filter1d(X, sigma, axis=axis)`` (its defaults: reflected borders, a kernel
    of radius 4 sigma), with a numpy stand-in where scipy is missing."""
    X = np.asarray(X)
    if gaussian_filter1d is not None:
        return gaussian_filter1d(X, sigma, axis=axis)
    radius = int(4.0 * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (offsets / float(sigma)) ** 2)
    weights /= weights.sum()
    moved = np.moveaxis(X, axis, -1)
    pad = [(0, 0)] * (moved.ndim - 1) + [(radius, radius)]
    padded = np.pad(moved, pad, mode="symmetric")
    out = sum(w * padded[..., radius + o: radius + o + moved.shape[-1]] for w, o in zip(weights, offsets))
    return np.moveaxis(out, -1, axis).astype(X.dtype, copy=False)
