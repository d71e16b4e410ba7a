"""The grader's helpers for the GAN checks, run inside a worker next to the student's ``gan_tf``.

Not a file of the course's package. The student's functions take ``tf.Tensor``s and training needs a
``GradientTape``, neither of which can be sent from the grader; these helpers turn the grader's arrays
into tensors, call ``cs231n.gan_tf`` and return plain values. They decide nothing: every verdict is
made by the grader from what comes back (weights, losses, samples).
"""
import random

import numpy as np
import tensorflow as tf

IMAGE_DIM = 784


def _gan_tf():
    from . import gan_tf
    return gan_tf


def seed(value):
    """Seed Python's, numpy's and TensorFlow's generators (Keras's default initialisers draw from them)."""
    random.seed(value)
    np.random.seed(value)
    tf.random.set_seed(value)


def call(name, *args, **kwargs):
    """``gan_tf.<name>(*args, **kwargs)`` with every array argument turned into a ``tf.constant``, as the
    notebook passes them."""
    fn = getattr(_gan_tf(), name)
    return fn(*[tf.constant(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)


def same_object(a, b):
    return a is b


def model_info(model):
    """What kind of object a model builder returned: is it a model, its class, is it built, its layers' classes."""
    layers = getattr(model, "layers", None)
    cls = type(model)  # an unbuilt model raises on .weights: look at its class
    return {
        "is_model": isinstance(model, tf.Module) and callable(model)
        and hasattr(cls, "trainable_variables") and hasattr(cls, "weights"),
        "class": cls.__name__,
        "built": bool(getattr(model, "built", False)),
        "layers": [type(layer).__name__ for layer in layers] if isinstance(layers, (list, tuple)) else None,
    }


def optimizer_info(optimizer):
    """An optimizer's class and its learning rate and beta_1 as plain numbers (None where it has none)."""

    def number(value):
        if value is None or callable(value):
            return None
        try:
            return float(np.asarray(value.numpy() if hasattr(value, "numpy") else value))
        except (TypeError, ValueError):
            return None

    cls = type(optimizer)
    return {"class": "%s.%s" % (cls.__module__, cls.__qualname__),
            "learning_rate": number(getattr(optimizer, "learning_rate", None)),
            "beta_1": number(getattr(optimizer, "beta_1", None))}


def train(D, G, d_loss, g_loss, reals, noise_d, noise_g, learning_rate=1e-3, beta1=0.5):
    """The steps of the notebook's ``run_a_gan``, on the grader's batches and noise, with fresh Adam solvers.

    ``d_loss``/``g_loss`` name the loss functions of ``gan_tf``; ``reals`` holds one (B_i, 784) batch of
    images in [0, 1] per step, ``noise_d``/``noise_g`` the noise of its discriminator and generator steps.
    Returns each step's losses and how many variables received a gradient.
    """
    gan_tf = _gan_tf()
    d_loss_fn, g_loss_fn = getattr(gan_tf, d_loss), getattr(gan_tf, g_loss)
    adam = getattr(tf.keras.optimizers, "legacy", tf.keras.optimizers).Adam  # the legacy one steps faster
    D_solver = adam(learning_rate=learning_rate, beta_1=beta1)
    G_solver = adam(learning_rate=learning_rate, beta_1=beta1)
    out = {"d_loss": [], "g_loss": [], "d_with_gradient": [], "g_with_gradient": [],
           "d_variables": len(D.trainable_variables), "g_variables": len(G.trainable_variables)}

    def step(solver, loss, tape, variables, name):
        # a loss computed outside TensorFlow (numpy, .numpy()) has no gradient: report it, train nothing
        grads = tape.gradient(loss, variables) if tf.is_tensor(loss) else [None] * len(variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if pairs:
            solver.apply_gradients(pairs)
        out[name + "_loss"].append(loss)
        out[name + "_with_gradient"].append(len(pairs))

    for x, z_d, z_g in zip(reals, noise_d, noise_g):
        with tf.GradientTape() as tape:
            logits_real = D(tf.constant(2.0 * x - 1.0))
            fake_images = tf.reshape(G(tf.constant(z_d)), [len(z_d), IMAGE_DIM])
            logits_fake = D(fake_images)
            loss = d_loss_fn(logits_real, logits_fake)
        step(D_solver, loss, tape, D.trainable_variables, "d")
        with tf.GradientTape() as tape:
            fake_images = tf.reshape(G(tf.constant(z_g)), [len(z_g), IMAGE_DIM])
            loss = g_loss_fn(D(fake_images))
        step(G_solver, loss, tape, G.trainable_variables, "g")
    return out
