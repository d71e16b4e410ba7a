"""Kinds of worker: what a worker's environment holds for the exercises that run in it."""
from __future__ import annotations

import os
from pathlib import Path

RUNTIME_ENV: dict[str, dict[str, str]] = {
    "numpy": {},
    "tensorflow": {
        "TF_USE_LEGACY_KERAS": "1",  # tf.keras is Keras 2 (the tf_keras package), as in 2020 student code
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
    },
}
"""Environment additions per runtime. A numpy worker never imports TensorFlow."""


BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
"""Workers start from this environment, not the grader's: nothing secret is passed on."""

PASSED_ON = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Machine settings that keep numerical libraries working on some processors."""


def worker_env(runtime: str, home: Path | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a worker of ``runtime`` whose writable folder is ``home``."""
    if runtime not in RUNTIME_ENV:
        raise ValueError("unknown runtime %r (known: %s)" % (runtime, ", ".join(RUNTIME_ENV)))
    env = {**BASE_ENV, **{k: os.environ[k] for k in PASSED_ON if k in os.environ}, **RUNTIME_ENV[runtime],
           **(extra or {})}
    if home is not None:
        env.update(HOME=str(home), TMPDIR=str(home))
    return env
