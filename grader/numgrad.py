"""Numeric gradients driven by the grader: it builds every perturbed input, the worker only evaluates.

Centred differences as in the course's ``gradient_check``: for each entry i of x,
``grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / (2h)``. All perturbed copies go to the worker in one
request (a sweep), so a student cannot see, skip or forge the finite-difference loop.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from grader.worker.client import Executor
from grader.worker.protocol import Handle


def perturbations(x: np.ndarray, h: float) -> np.ndarray:
    """A (2 * x.size, *x.shape) stack: x + h e_i and x - h e_i for every entry i, interleaved."""
    flat = np.asarray(x, dtype=np.float64).reshape(-1)
    stack = np.repeat(flat[None, :], 2 * flat.size, axis=0)
    idx = np.arange(flat.size)
    stack[2 * idx, idx] += h
    stack[2 * idx + 1, idx] -= h
    return stack.reshape((2 * flat.size,) + np.shape(x))


def gradient_from_sweep(outputs: np.ndarray, x_shape: Sequence[int], df: np.ndarray | float, h: float) -> np.ndarray:
    plus, minus = outputs[0::2], outputs[1::2]
    weighted = (plus - minus) * np.asarray(df, dtype=np.float64)
    return (weighted.reshape(len(plus), -1).sum(axis=1) / (2 * h)).reshape(x_shape)


def numeric_gradient(executor: Executor, fn: str, args: Sequence[Any], wrt: int, df: np.ndarray | float,
                     *, output: int | None = 0, h: float = 1e-5) -> np.ndarray:
    """Gradient of ``sum(fn(*args)[output] * df)`` with respect to ``args[wrt]``."""
    x = np.asarray(args[wrt], dtype=np.float64)
    outputs = executor.sweep(fn, args, perturbations(x, h), arg=wrt, output=output)
    return gradient_from_sweep(outputs, x.shape, df, h)


def numeric_param_gradient(executor: Executor, model: Handle, method: str, args: Sequence[Any], key: str,
                           value: np.ndarray, *, output: int | None = 0, h: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar ``model.method(*args)[output]`` with respect to ``model.params[key]``."""
    x = np.asarray(value, dtype=np.float64)
    outputs = executor.sweep(["method", model, method], args, perturbations(x, h),
                             param=(model, "params", key), output=output)
    return gradient_from_sweep(outputs, x.shape, 1.0, h)
