"""The grader's helpers for the network-visualization and style-transfer checks, run inside a worker next
to the student's ``net_visualization_tensorflow`` and ``style_transfer_tensorflow``.

Not a file of the course's package. Models, tensors and gradient tapes cannot be sent from the grader, so
these helpers build the SqueezeNet inside the worker (once per process), turn the grader's arrays into
``tf.Variable``s / ``tf.Tensor``s, count a model's calls, and run the notebooks' loops (class
visualization, style transfer) around the package's own functions. They decide nothing: every verdict is
made by the grader from the arrays that come back.

The loops use the trusted copies below of the provided helpers (``extract_features``, ``jitter``,
``blur_image``), never the ones in the student's files.
"""
import numpy as np
import tensorflow as tf

from .classifiers.squeezenet import SqueezeNet, build_squeezenet

_MODELS = {}


# ---------------------------------------------------------------------------------------------- the model


def squeezenet(seed=0, digest=None):
    """This process's SqueezeNet: with weights drawn from ``seed`` (built on first use), or the weights sent
    earlier under ``digest`` by ``squeezenet_from_arrays`` (None when this process has not got them)."""
    key = ("digest", digest) if digest else ("seed", int(seed))
    if key not in _MODELS:
        if digest:
            return None
        _MODELS[key] = build_squeezenet(seed=int(seed))
    return _MODELS[key]


def squeezenet_from_arrays(digest, arrays):
    """A SqueezeNet holding ``arrays`` (``model.get_weights()`` order), kept under ``digest``."""
    key = ("digest", digest)
    if key not in _MODELS:
        model = SqueezeNet()
        model(np.zeros((1, 224, 224, 3), np.float32))
        model.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])
        model.trainable = False
        _MODELS[key] = model
    return _MODELS[key]


def checkpoint_arrays(path):
    """The weights of the course's checkpoint at ``path`` (``.../squeezenet.ckpt``), as numpy arrays."""
    return build_squeezenet(weights=path).get_weights()


def scores(model, X):
    """Raw class scores of images X: a numpy array (N, 1000)."""
    return model(tf.constant(X, dtype=tf.float32)).numpy()


class BudgetExceeded(RuntimeError):
    """A function called the model more often than the grader allows."""


class MissingValue(TypeError):
    """A student function returned None where the loop needs a value (or its input unchanged where the loop
    needs a step: an untouched TODO)."""


def _value(value, name, before=None):
    if value is None:
        raise MissingValue("%s returned None" % name)
    if before is not None and np.array_equal(np.asarray(value), np.asarray(before)):
        raise MissingValue("%s returned its input unchanged" % name)
    return value


class CallBudget:
    """Stands in for a model: counts the calls and stops the run once there are more than ``limit``.

    With ``watch`` (a class), ``trace`` keeps that class's score on the first image of every call: how a
    run went, even one stopped by the budget. Every other attribute is the model's own, so code that looks
    at the model sees the SqueezeNet.
    """

    def __init__(self, model, limit, watch=None):
        self.model = model
        self.limit = int(limit)
        self.calls = 0
        self.watch = watch
        self._trace = []

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.limit:
            raise BudgetExceeded("the model was called more than %d times" % self.limit)
        scores = self.model(*args, **kwargs)
        if self.watch is not None:
            self._trace.append(float(tf.reshape(scores, (-1, scores.shape[-1]))[0, int(self.watch)]))
        return scores

    @property
    def trace(self):
        """The watched class's score at every call so far: a numpy array."""
        return np.array(self._trace, dtype=np.float64)

    def __getattr__(self, name):
        return getattr(self.model, name)


# ---------------------------------------------------------------------------------------------- inputs


def as_input(value, kind):
    """``value`` (an array, or a list of arrays) as the notebook would pass it: ``"numpy"`` (float32),
    ``"tensor"`` (a ``tf.constant``) or ``"variable"`` (a ``tf.Variable``)."""
    if isinstance(value, list):
        return [as_input(v, kind) for v in value]
    if kind == "numpy":
        return np.asarray(value, dtype=np.float32)
    if kind == "tensor":
        return tf.constant(value, dtype=tf.float32)
    if kind == "variable":
        return tf.Variable(np.asarray(value, dtype=np.float32))
    raise ValueError("unknown input kind %r" % kind)


def feature_maps(model, image, layers):
    """The feature maps of one image (1, H, W, 3) at ``layers`` (indices into ``extract_features``'s list),
    as the notebook computes them: ``tf.Tensor``s."""
    feats = extract_features(tf.constant(image, dtype=tf.float32), model)
    return [feats[i] for i in layers]


def gram_matrices(model, image, layers):
    """Normalised Gram matrices (C, C) of the image's feature maps at ``layers``, as numpy arrays: the style
    targets. Only the reference's worker computes them (with its ``gram_matrix``); this file is staged in
    students' packages too, so it holds no solution."""
    from .style_transfer_tensorflow import gram_matrix

    return [np.asarray(gram_matrix(f), dtype=np.float32) for f in feature_maps(model, image, layers)]


# ---------------------------------------------------------------------------------------------- runs


def class_visualization(model, target_y, X, offsets, l2_reg, learning_rate, blur_every, sigma):
    """The notebook's ``create_class_visualization`` loop, one iteration per (ox, oy) in ``offsets``, around
    this package's ``class_visualization_update_step``; starts from X (1, H, W, 3), returns the image."""
    from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD
    from .net_visualization_tensorflow import class_visualization_update_step

    low, high = -SQUEEZENET_MEAN / SQUEEZENET_STD, (1.0 - SQUEEZENET_MEAN) / SQUEEZENET_STD
    X = tf.Variable(np.asarray(X, dtype=np.float32))
    for t, (ox, oy) in enumerate(offsets):
        X = jitter(X, int(ox), int(oy))
        X = _value(class_visualization_update_step(X, model, int(target_y), l2_reg, learning_rate),
                   "class_visualization_update_step", X)
        X = jitter(X, -int(ox), -int(oy))
        X = tf.clip_by_value(X, low, high)
        if t % blur_every == 0:
            X = blur_image(X, sigma=sigma)
    return np.asarray(X, dtype=np.float32)


def style_transfer(model, content_img, style_targets, init_img, content_layer, content_weight, style_layers,
                   style_weights, tv_weight, iterations, learning_rate=3.0):
    """The notebook's ``style_transfer`` loop around this package's three losses, without the plots.

    ``style_targets`` are the style image's Gram matrices (``gram_matrices``). Adam on the image, clipped
    to [-1.5, 1.5] after each step, from ``init_img`` (the content image, or noise for feature inversion).
    The notebook's rate is 3.0: its schedule would drop it to 0.1 at iteration 180, but the notebook never
    advances the schedule's step, so the rate stays 3.0. Returns the final image and the loss per step.
    """
    from .style_transfer_tensorflow import content_loss, style_loss, tv_loss

    content_target = feature_maps(model, content_img, [content_layer])[0]
    targets = [tf.constant(t, dtype=tf.float32) for t in style_targets]
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    img_var = tf.Variable(np.asarray(init_img, dtype=np.float32))
    losses = []
    for _ in range(int(iterations)):
        with tf.GradientTape() as tape:
            tape.watch(img_var)
            feats = extract_features(img_var, model)
            loss = (_value(content_loss(content_weight, feats[content_layer], content_target), "content_loss")
                    + _value(style_loss(feats, list(style_layers), targets, list(style_weights)), "style_loss")
                    + _value(tv_loss(img_var, tv_weight), "tv_loss"))
        grad = tape.gradient(loss, img_var)
        optimizer.apply_gradients([(grad, img_var)])
        img_var.assign(tf.clip_by_value(img_var, -1.5, 1.5))
        losses.append(float(loss))
    return img_var.numpy(), np.array(losses)


def style_transfer_losses(model, images, content_img, style_targets, content_layer, content_weight, style_layers,
                          style_weights, tv_weight):
    """(content, style, tv) loss of each image, computed with this package's losses: a numpy array (N, 3)."""
    from .style_transfer_tensorflow import content_loss, style_loss, tv_loss

    content_target = feature_maps(model, content_img, [content_layer])[0]
    targets = [tf.constant(t, dtype=tf.float32) for t in style_targets]
    out = []
    for image in images:
        img = tf.constant(image, dtype=tf.float32)
        feats = extract_features(img, model)
        out.append([float(content_loss(content_weight, feats[content_layer], content_target)),
                    float(style_loss(feats, list(style_layers), targets, list(style_weights))),
                    float(tv_loss(img, tv_weight))])
    return np.array(out)


# ---------------------------------------------------------------------------------------------- provided


def extract_features(x, cnn):
    """The provided ``extract_features``: the outputs of ``cnn.net.layers[:-2]``, in order."""
    feats = []
    for layer in cnn.net.layers[:-2]:
        x = layer(x)
        feats.append(x)
    return feats


def jitter(X, ox, oy):
    """The provided ``jitter``: a circular roll by ox along W and oy along H (a Tensor)."""
    if ox:
        X = tf.concat([X[:, :, -ox:], X[:, :, :-ox]], axis=2)
    if oy:
        X = tf.concat([X[:, -oy:], X[:, :-oy]], axis=1)
    return X


def blur_image(X, sigma=1):
    """The provided ``blur_image``: a Gaussian blur along H, then W (a numpy array)."""
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(gaussian_filter1d(np.asarray(X), sigma, axis=1), sigma, axis=2)
