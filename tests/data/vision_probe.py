"""Test helpers that tests/test_vision.py runs inside a TensorFlow worker (copied into a scratch copy of the
reference package as ``cs231n/vision_probe.py``): they report facts as plain values."""
import numpy as np
import tensorflow as tf

from . import net_visualization_tensorflow as provided, vision_harness
from .classifiers.squeezenet import Fire, build_squeezenet
from .style_transfer_tensorflow import extract_features


def layout(seed):
    """The model's layers, the feature maps' shapes and what a seeded model's scores look like."""
    model = build_squeezenet(seed=seed)
    layers = model.net.layers
    x = np.random.RandomState(seed).randn(3, 224, 224, 3).astype(np.float32)
    scores = model(x).numpy()
    with tf.GradientTape() as tape:
        images = tf.constant(x)
        tape.watch(images)
        picked = tf.reduce_sum(model(images)[:, 7])
    grad = tape.gradient(picked, images).numpy()
    return {
        "names": [layer.name for layer in layers],
        "types": [type(layer).__name__ for layer in layers],
        "fire_attributes": [[type(getattr(layer, a)).__name__ for a in ("squeeze", "expand1x1", "expand3x3")]
                            for layer in layers if isinstance(layer, Fire)],
        "shapes_224": [list(f.shape) for f in extract_features(x[:1], model)],
        "shapes_notebook": [list(f.shape) for f in extract_features(np.zeros((1, 256, 192, 3), np.float32), model)],
        "params": int(model.count_params()),
        "trainable": bool(model.trainable),
        "scores": scores,
        "input_gradient_nonzero": float(np.mean(grad != 0)),
    }


def write_checkpoint(path, seed):
    """A seeded model saved as the course saved its checkpoint (``save_weights`` in the TF format): its
    variable names and weights."""
    model = build_squeezenet(seed=seed)
    model.save_weights(path)
    return [name for name, _ in tf.train.list_variables(path)], model.get_weights()


def load_checkpoint(path):
    return build_squeezenet(weights=path).get_weights()


def write_other_checkpoint(path):
    """A TF checkpoint of something else than a SqueezeNet."""
    tf.train.Checkpoint(v=tf.Variable(np.ones(3, np.float32))).write(path)


def keras2_idioms(path):
    """What 2020 code (and the notebooks' own cells) do with tf.keras, under the worker's TensorFlow."""
    facts = {"keras": tf.keras.__name__ if hasattr(tf.keras, "__name__") else str(tf.keras)}
    seq = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 3), name="features/layer0"),
        tf.keras.layers.MaxPool2D(pool_size=2, name="features/layer1")])
    facts["slash_names"] = [layer.name for layer in seq.layers]
    model = build_squeezenet(seed=1)
    model.save_weights(path)
    loaded = build_squeezenet(seed=2)
    status = loaded.load_weights(path)
    facts["load_weights_tf_checkpoint"] = all(np.array_equal(a, b) for a, b in zip(model.get_weights(),
                                                                                  loaded.get_weights()))
    facts["load_status"] = type(status).__name__
    step = tf.Variable(0, trainable=False)
    rate = tf.keras.optimizers.schedules.PiecewiseConstantDecay([180], [3.0, 0.1])(step)
    optimizer = tf.keras.optimizers.Adam(learning_rate=rate)
    img = tf.Variable(tf.random_uniform_initializer(0, 1)(shape=(1, 64, 64, 3)))
    before = img.numpy()
    with tf.GradientTape() as tape:
        tape.watch(img)
        loss = tf.reduce_sum(extract_features(img, model)[2] ** 2)
    optimizer.apply_gradients([(tape.gradient(loss, img), img)])
    img.assign(tf.clip_by_value(img, -1.5, 1.5))
    facts["adam_step"] = float(np.max(np.abs(img.numpy() - before)))
    model.trainable = False
    facts["trainable_weights_after_freeze"] = len(model.trainable_weights)
    facts["leaky_relu_alpha"] = float(tf.keras.layers.LeakyReLU(alpha=0.2)(tf.constant([-1.0])).numpy()[0])
    return facts


def same_object(a, b):
    return a is b


def provided_helpers_agree(seed):
    """The harness's trusted jitter and blur equal the provided ones; the numpy blur equals scipy's."""
    rng = np.random.RandomState(seed)
    X = rng.randn(1, 20, 24, 3).astype(np.float32)
    out = {}
    for ox, oy in ((0, 0), (3, 5), (-3, -5), (7, 0)):
        out["jitter %d %d" % (ox, oy)] = bool(np.array_equal(np.asarray(provided.jitter(X, ox, oy)),
                                                             np.asarray(vision_harness.jitter(X, ox, oy))))
    out["jitter undone"] = bool(np.array_equal(np.asarray(provided.jitter(provided.jitter(X, 3, 5), -3, -5)), X))
    for sigma in (0.5, 1.0):
        scipy_blur = provided.blur_image(X, sigma)
        out["blur %s" % sigma] = bool(np.allclose(scipy_blur, vision_harness.blur_image(X, sigma)))
        saved, provided.gaussian_filter1d = provided.gaussian_filter1d, None
        try:
            out["numpy blur %s" % sigma] = float(np.max(np.abs(provided.blur_image(X, sigma) - scipy_blur)))
        finally:
            provided.gaussian_filter1d = saved
    return out
