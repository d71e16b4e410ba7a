"""What the GAN checks share: calling ``gan_tf`` through the worker-side harness, and judging what a
model builder returned.

Student functions take ``tf.Tensor``s, which the grader cannot send: ``cs231n/gan_harness.py`` (a grader
module staged beside the student's file) turns arrays into tensors, builds training steps and reports
plain facts; the grader decides.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader.api import CheckFailure, Executor, Handle, describe

HARNESS = "gan_harness"
MODULES = ("gan_tf",)
NOISE_DIM = 96
IMAGE_DIM = 784
SKELETON_HINT = " (is the TODO still a `pass`?)"


def tf_call(executor: Executor, name: str, *args: Any, **kwargs: Any) -> Any:
    """``gan_tf.<name>(*args)`` with the arrays passed as ``tf.constant``s, as the notebook does."""
    return executor.call(HARNESS + ".call", name, *args, **kwargs)


def seed(executor: Executor, value: int) -> None:
    """Seed the worker's Python, numpy and TensorFlow generators (Keras initialisers draw from them)."""
    executor.call(HARNESS + ".seed", int(value))


def as_scalar(value: Any, what: str) -> float:
    """A loss value: a number or a one-element numeric array (NaN and inf are returned, not refused)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        hint = SKELETON_HINT if value is None else ""
        raise CheckFailure("%s should be a scalar tensor, got %s%s" % (what, describe(value), hint),
                           unimplemented=value is None)
    if value.size != 1:
        raise CheckFailure("%s should be a scalar, got shape %s (average over the batch: tf.reduce_mean)"
                           % (what, tuple(value.shape)))
    return float(value.reshape(()))


def build_model(executor: Executor, builder: str, args: tuple = (), input_dim: int = IMAGE_DIM) -> tuple[Handle, str]:
    """Call ``gan_tf.<builder>(*args)``, keep the model in the worker, and make sure it has its weights.

    A model whose first layer declares no input shape has no weights until its first call (the notebook's
    ``count_params`` then says 0): it is built on a (2, input_dim) batch of zeros, and the returned note
    says so. A builder that returns no model, or an empty ``Sequential`` (the skeleton's ``dc_generator``),
    fails with a message.
    """
    what = "%s(%s)" % (builder, ", ".join(map(repr, args)))
    model = executor.new("gan_tf." + builder, *args)
    if not isinstance(model, Handle) or model.type == "NoneType":
        raise CheckFailure("%s returned None%s" % (what, SKELETON_HINT), unimplemented=True)
    info = executor.call(HARNESS + ".model_info", model)
    if not info["is_model"]:
        raise CheckFailure("%s should return a tf.keras model, got an object of type %s" % (what, model.type))
    if info["layers"] == [] and info["class"] == "Sequential":
        raise CheckFailure("%s returned an empty Sequential model%s" % (what, SKELETON_HINT), unimplemented=True)
    note = ""
    if not info["built"]:
        executor.method(model, "__call__", np.zeros((2, input_dim), np.float32))
        note = ("%s had no weights before its first call (no input shape on its first layer, so the "
                "notebook's count_params gives 0); the grader built it on a (2, %d) batch first" % (what, input_dim))
    return model, note


def weight_arrays(executor: Executor, model: Handle, attr: str, what: str) -> list[np.ndarray]:
    """``model.<attr>`` (``weights``, ``trainable_weights``) as arrays."""
    values = executor.get_attr(model, attr)
    if not isinstance(values, list) or not all(isinstance(v, np.ndarray) for v in values):
        raise CheckFailure("%s.%s should be a list of tensors, got %s" % (what, attr, describe(values)))
    return values
