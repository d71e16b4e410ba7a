"""The Adam step the grader applies, in its own process, in an overfit run it drives itself (where the worker's
solver loop left a step to it: ``model_checks.grader_train``): the update of the course's provided ``optim.adam``,
so that the run trains as the notebook's solver does, without importing the reference package (a student's
self-check has none)."""
from __future__ import annotations

import numpy as np


def adam(x: np.ndarray, dx: np.ndarray, config: dict) -> tuple[np.ndarray, dict]:
    """One step on ``x`` with gradient ``dx``; ``config`` holds learning_rate (and, after the first step, the
    moments m and v and the step count t). Returns the new ``x`` and ``config``; the moments are updated in
    place (the same operations in the same order as the provided update, without its temporaries), so a
    config is not to be used again after its step."""
    lr = config.get("learning_rate", 1e-3)
    beta1, beta2, eps = config.get("beta1", 0.9), config.get("beta2", 0.999), config.get("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = config["m"] if "m" in config else np.zeros_like(x)
    v = config["v"] if "v" in config else np.zeros_like(x)
    m *= beta1
    m += (1 - beta1) * dx
    scaled = dx * dx
    scaled *= 1 - beta2
    v *= beta2
    v += scaled
    alpha = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    denominator = np.sqrt(v, out=scaled)
    denominator += eps
    step = alpha * m
    step /= denominator
    return (x - step).astype(x.dtype), {**config, "m": m, "v": v, "t": t}
