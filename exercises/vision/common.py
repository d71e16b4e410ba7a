"""Calling the worker-side harness (``cs231n/vision_harness.py``) and judging images.

Models and tensors cannot cross the worker boundary: each worker builds its own SqueezeNet (the same
weights in both: drawn from one seed, or the checkpoint's arrays sent by the grader) and keeps it; checks
get a handle to it with ``squeezenet`` and pass that handle as the ``model`` argument. The model is built
once per worker process; a worker restarted after a crash or a timeout builds it again on its first use.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np

from exercises.vision.options import DEFAULT_WEIGHTS_SEED
from grader.api import CheckContext, CheckFailure, Executor, Handle, StudentError, describe

HARNESS = "vision_harness"
SKELETON_HINT = " (is the TODO still a `pass`?)"
INPUT_KINDS = ("variable", "tensor", "numpy")


def squeezenet(ctx: CheckContext, executor: Executor, harness: str = HARNESS) -> Handle:
    """A handle to the worker's SqueezeNet (built on first use in that process), made by ``harness`` (the
    TensorFlow one, or ``vision_harness_pytorch``: the same weights in torchvision's layout).

    Ask once per check and worker: the answer bundle keys the reference's answers by check and request, so
    one request must not get two different answers (two handles) within a check.
    """
    weights = ctx.fixtures["weights"]
    if weights is None:
        model = executor.call(harness + ".squeezenet", DEFAULT_WEIGHTS_SEED)
    else:
        model = executor.call(harness + ".squeezenet", 0, weights.digest)
        if model is None:
            model = executor.call(harness + ".squeezenet_from_arrays", weights.digest, list(weights.arrays))
    if not isinstance(model, Handle):
        raise CheckFailure("the worker could not build the SqueezeNet (it returned %s)" % describe(model))
    return model


def as_input(executor: Executor, value: np.ndarray | list[np.ndarray], kind: str) -> Any:
    """``value`` as the notebook passes it: a float32 array as is, or a handle to a ``tf.Tensor`` /
    ``tf.Variable`` (or a list of them) made in the worker."""
    if kind == "numpy":
        return [np.asarray(v, np.float32) for v in value] if isinstance(value, list) else np.asarray(value, np.float32)
    return executor.new(HARNESS + ".as_input", value, kind)


def feature_handles(executor: Executor, model: Handle, image: np.ndarray, layers: Sequence[int]) -> list[Handle]:
    """Handles to the image's feature maps (``tf.Tensor``s) at ``layers``, as ``extract_features`` gives them."""
    handles = executor.call(HARNESS + ".feature_maps", model, image, list(layers), keep=list(range(len(layers))))
    if not isinstance(handles, list) or not all(isinstance(h, Handle) for h in handles):
        raise CheckFailure("the worker could not compute the feature maps (it returned %s)" % describe(handles))
    return handles


def scalar(value: Any, what: str, diagnosis: str = "") -> float:
    """A loss: a number or a 0-d array (a scalar ``tf.Tensor`` arrives as one). A one-element array of
    shape (1,) is refused, as the docstrings promise a scalar and ``float()`` of it fails in today's numpy;
    ``diagnosis``: the misconception id to name for it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise CheckFailure("%s should be a scalar (a number or a 0-d tensor), got %s%s"
                           % (what, describe(value), SKELETON_HINT if value is None else ""),
                           unimplemented=value is None)
    if value.shape != ():
        raise CheckFailure("%s should be a scalar tensor of shape (), got an array of shape %s" % (what, value.shape),
                           diagnosis=diagnosis if value.size == 1 else "")
    return float(value)


def scaled_error(got: np.ndarray, want: np.ndarray, scale: np.ndarray | float | None = None) -> float:
    """max |got - want| / max |scale| (``scale`` defaults to ``want``): an error relative to the size of
    the whole result, so entries near zero (where float rounding is relatively large) do not dominate."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    top = float(np.max(np.abs(want if scale is None else scale)))
    return float(np.max(np.abs(got - want)) / max(top, 1e-12)) if want.size else 0.0


def harness_call(executor: Executor, fn: str, *args: Any, harness: str = HARNESS) -> Any:
    """Run a harness loop around the package's functions; a student function that returned None becomes a
    failure that says so (the untouched skeleton), not an error."""
    try:
        return executor.call(harness + "." + fn, *args)
    except StudentError as exc:
        if exc.type_name == "MissingValue":
            raise CheckFailure("%s inside the loop%s" % (exc.message, SKELETON_HINT), unimplemented=True) from None
        raise


def side_by_side(ctx: CheckContext, run: Callable[[Executor], Any]) -> tuple[Any, Any]:
    """``(run(ctx.reference), run(ctx.student))``, the two workers computing at the same time.

    The reference's request always finishes before this returns or raises, so its worker is never left
    in the middle of a request; a student's exception is raised after it, a reference's one otherwise.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(run, ctx.reference)
        try:
            got = run(ctx.student)
        except BaseException:
            pending.exception()
            raise
        return pending.result(), got
