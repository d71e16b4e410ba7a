"""Kinds of worker: what a worker's environment holds for the exercises that run in it."""
from __future__ import annotations

import os

RUNTIME_ENV: dict[str, dict[str, str]] = {
    "numpy": {},
    "tensorflow": {
        "TF_USE_LEGACY_KERAS": "1",  # tf.keras is Keras 2 (the tf_keras package), as in 2020 student code
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
    },
}
"""Environment additions per runtime. A numpy worker never imports TensorFlow."""


def worker_env(runtime: str) -> dict[str, str]:
    if runtime not in RUNTIME_ENV:
        raise ValueError("unknown runtime %r (known: %s)" % (runtime, ", ".join(RUNTIME_ENV)))
    return {**os.environ, **RUNTIME_ENV[runtime]}
