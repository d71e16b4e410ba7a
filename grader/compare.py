"""Judging returned values in the grader: contract checks and error metrics, with messages to act on."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from grader.checks import CheckFailure
from grader.worker.protocol import Handle, Unsupported


FLOAT32_ROUNDING = 2.0 ** -22
"""The ``rel_error`` a few float32 roundings can reach (2.4e-7; one rounding is at most 2**-24 relative, which
``rel_error`` halves): the least threshold for a result computed, even in part, in float32."""


def dtype_threshold(threshold: float, computes_in: Any) -> float:
    """``threshold`` for a function that legitimately computes in ``computes_in`` (e.g. ``np.float32`` for a
    TensorFlow op holding an attribute as float32, or a Keras layer): never below that dtype's rounding."""
    return max(threshold, FLOAT32_ROUNDING) if np.dtype(computes_in) == np.float32 else threshold


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """The notebooks' metric: max |x - y| / max(1e-8, |x| + |y|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))) if x.size else 0.0


def describe(value: Any) -> str:
    """A short description of a returned value, for messages."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return "an array of dtype %s and shape %s" % (value.dtype, tuple(value.shape))
    if isinstance(value, Handle):
        return "an object of type %s" % value.type
    if isinstance(value, Unsupported):
        return value.description
    if isinstance(value, tuple):
        return "a tuple of %d items" % len(value)
    if isinstance(value, list):
        return "a list of %d items" % len(value)
    if isinstance(value, dict):
        return "a dict with keys %s" % sorted(map(str, value))[:12]
    return "%s %r" % (type(value).__name__, value) if isinstance(value, (int, float, str, bool)) else "a value"


def expect_tuple(value: Any, names: Sequence[str], what: str, blame: tuple[str, ...] = ()) -> tuple:
    """``value`` must be a tuple (or list) with one item per name. ``blame``: the function that returned it,
    at fault whatever it was given (see ``CheckFailure.blame``)."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        hint = " (the untouched skeleton returns None)" if value is None or (
            isinstance(value, tuple) and all(v is None for v in value)) else ""
        raise CheckFailure("%s must return a tuple (%s); it returned %s%s"
                           % (what, ", ".join(names), describe(value), hint), blame=blame, unimplemented=bool(hint))
    return tuple(value)


def expect_array(value: Any, name: str, shape: Sequence[int] | None = None, *, kinds: str = "f",
                 finite: bool = True, blame: tuple[str, ...] = ()) -> np.ndarray:
    """``value`` must be a numeric array (dtype kind in ``kinds``) of the given shape, without NaN/inf.

    ``blame``: the function that returned it, at fault when it is not an array at all or has the wrong kind
    of dtype (a wrong shape or NaN may come from what it was given, so localization decides those)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and shape == ():
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        hint = " (is the TODO still a `pass`?)" if value is None else ""
        raise CheckFailure("%s should be a numpy array, got %s%s" % (name, describe(value), hint), blame=blame,
                           unimplemented=value is None)
    if value.dtype.kind not in kinds:
        wanted = {"f": "floating-point", "iu": "integer", "biu": "integer"}.get(kinds, kinds)
        raise CheckFailure("%s should have a %s dtype, got %s" % (name, wanted, value.dtype), blame=blame)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise CheckFailure("%s has shape %s, expected %s" % (name, tuple(value.shape), tuple(shape)))
    if finite and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        raise CheckFailure("%s contains %d NaN or infinite value(s)" % (name, bad))
    return value


def index_text(index: Sequence[Any]) -> str:
    """``[0, 2, 1]`` for an index tuple, whatever integer types it holds (NumPy 2 reprs ``np.int64(0)``)."""
    return "[%s]" % ", ".join(str(int(i)) for i in index)


def worst_mismatch(name: str, got: np.ndarray, expected: np.ndarray) -> str:
    """Where ``got`` and ``expected`` differ most, in words."""
    err = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    if err.size == 0:
        return "%s: empty" % name
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    where = index_text(idx) if idx else ""
    return "%s%s: expected %.8g, got %.8g (rel_error %.2e)" % (name, where, expected[idx], got[idx], err[idx])


def compare_outputs(got: dict[str, np.ndarray], expected: dict[str, np.ndarray],
                    threshold: float) -> tuple[float, str, dict[str, Any]]:
    """The largest rel_error over named outputs, a message naming the wrong ones, and per-output details."""
    errors = {name: rel_error(got[name], expected[name]) for name in expected}
    worst = max(errors.values()) if errors else 0.0
    bad = [name for name, e in errors.items() if not e <= threshold]
    message = ("wrong: %s" % ", ".join(bad)) if bad else "all of %s match" % ", ".join(errors)
    details: dict[str, Any] = {"errors": "\n".join("%-10s rel_error %.3e" % (n, e) for n, e in errors.items())}
    mismatches = [worst_mismatch(n, np.asarray(got[n], float), np.asarray(expected[n], float)) for n in bad]
    if mismatches:
        details["worst entries"] = "\n".join(mismatches)
    return worst, message, details
