"""Kinds of worker: the environment a worker starts with (the assignment plugin adds each runtime's part)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.assignment import Runtime

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
"""Workers start from this environment, not the grader's: nothing secret is passed on."""

PASSED_ON = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ONEDNN_MAX_CPU_ISA")
"""Machine settings that keep numerical libraries working on some processors (or pick their kernels, as
``tests/test_training_machines.py`` does)."""


def worker_env(runtime: Runtime, home: Path | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a worker of ``runtime`` whose writable folder is ``home``."""
    env = {**BASE_ENV, **{k: os.environ[k] for k in PASSED_ON if k in os.environ}, **runtime.env, **(extra or {})}
    if home is not None:
        env.update(HOME=str(home), TMPDIR=str(home))
    return env
