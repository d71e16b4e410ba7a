"""The public API for exercise packs: everything a pack imports from the grader comes from here.

A pack is a module (or several) of plugins: an ``Assignment`` part (``grader_assignment``), ``Exercise``s
made of checks (``grader_exercises``), catalogued ``Misconception``s (``grader_misconceptions``) and options
(``grader_add_options``); see ``grader.hookspecs`` for every hook and ``docs/exercise-packs.md`` for a guide.

A check is a function of a ``CheckContext``: it calls the student's functions through ``ctx.student`` and the
reference's through ``ctx.reference`` (workers: only plain values come back), judges what came back with
the comparison helpers, and returns an ``Outcome`` or raises ``CheckFailure``. The grader's core modules
are not part of this API and may change.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from grader import hookimpl
from grader.assignment import Assignment, Runtime
from grader.checks import PUBLIC_SEED, Check, CheckContext, CheckFailure, CheckList, Exercise, Outcome, Undecided
from grader.compare import (compare_outputs, describe, dtype_threshold, expect_array, expect_tuple, index_text,
                            rel_error, worst_mismatch)
from grader.config import GradingConfig
from grader.misconceptions import Misconception
from grader.numgrad import numeric_gradient, numeric_param_gradient
from grader.pictures import grid, images_artifact
from grader.runtimes import worker_env
from grader.sandbox import Limits
from grader.submission import UsageError
from grader.worker.client import Executor, StudentError, WorkerProblem
from grader.worker.protocol import Handle
from grader.written.questions import RubricItem, WrittenQuestion


@contextlib.contextmanager
def reference_worker(config: GradingConfig, runtime: str, label: str, timeout_s: float) -> Iterator[Executor]:
    """A worker over the reference package (trusted code only, no sandbox) for work outside any check, such
    as reading a checkpoint once per run; its requests must answer within ``timeout_s``. Raises
    ``UsageError`` where no reference is installed (a student's self-check package)."""
    assignment = config.assignment
    if assignment is None or assignment.reference is None:
        raise UsageError("%s needs the reference, which is not installed here (an instructor's install has it)"
                         % label)
    executor = Executor(assignment.reference, label, assignment.package,
                        env=worker_env(assignment.runtime(runtime)))
    try:
        with executor.time_limit(timeout_s):
            yield executor
    finally:
        executor.close()


__all__ = [
    "Assignment", "Check", "CheckContext", "CheckFailure", "CheckList", "Exercise", "Executor", "GradingConfig",
    "Handle", "Limits", "Misconception", "Outcome", "PUBLIC_SEED", "Runtime", "StudentError", "Undecided",
    "UsageError", "WorkerProblem", "compare_outputs", "describe", "dtype_threshold", "expect_array", "expect_tuple",
    "grid", "hookimpl", "images_artifact", "index_text", "numeric_gradient", "numeric_param_gradient", "reference_worker",
    "rel_error", "worst_mismatch", "RubricItem", "WrittenQuestion",
]
