"""The checks of ``scaled_dot_product_attention``: the notebook's values, hidden inputs against the reference,
and its contract. Written only against ``grader.api``."""
from __future__ import annotations

import numpy as np

from grader.api import (CheckContext, CheckFailure, CheckList, Exercise, Outcome, compare_outputs, expect_array,
                        expect_tuple, index_text)

EXERCISE_ID = "transformer_attention"
MODULE = "transformer_layers"
FUNCTION = MODULE + ".scaled_dot_product_attention"
NAME = "scaled_dot_product_attention"
OUTPUTS = ("out", "weights")
THRESHOLD = 1e-6
"""Student vs expected values in float64: only rounding (and the notebook's 8 printed decimals) may differ."""
LARGE_SCORE = 5000.0
"""Scores this large overflow ``np.exp`` (past ~709) unless each row's maximum is subtracted first."""

checks = CheckList(EXERCISE_ID, modules=(MODULE,))


def linspace(lo: float, hi: float, shape: tuple[int, ...]) -> np.ndarray:
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


NOTEBOOK_INPUTS = {
    "query": linspace(-0.4, 0.6, (2, 3, 4)),
    "key": linspace(-0.5, 0.7, (2, 5, 4)),
    "value": linspace(-0.3, 0.9, (2, 5, 3)),
    "mask": np.tril(np.ones((3, 5), dtype=bool), k=2),
}
"""The inputs of the notebook's test cell (query s may attend to keys 0 to s + 2)."""
NOTEBOOK_EXPECTED = {
    "out": np.array([
        [[-0.18267434, -0.14129503, -0.09991572],
         [-0.11993500, -0.07855568, -0.03717637],
         [-0.05092700, -0.00954769, 0.03183162]],
        [[0.44863480, 0.49001411, 0.53139342],
         [0.52064971, 0.56202902, 0.60340833],
         [0.60140534, 0.64278465, 0.68416396]]]),
    "weights": np.array([
        [[0.36114827, 0.33258005, 0.30627168, 0.0, 0.0],
         [0.26503956, 0.25474943, 0.24485881, 0.23535220, 0.0],
         [0.19871779, 0.19935683, 0.19999794, 0.20064110, 0.20128634]],
        [[0.31811632, 0.33309814, 0.34878554, 0.0, 0.0],
         [0.21773759, 0.23796415, 0.26006965, 0.28422862, 0.0],
         [0.15107488, 0.17233055, 0.19657680, 0.22423442, 0.25578335]]]),
}
"""The values the notebook prints as expected."""


def hidden_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random sizes and values (so that hard-coded shapes or values fail); a random mask that leaves every
    query at least one key."""
    n, s, t, d, m = (int(rng.integers(lo, hi + 1)) for lo, hi in ((1, 4), (1, 6), (2, 7), (1, 8), (1, 5)))
    mask = rng.random((s, t)) < 0.6
    mask[np.arange(s), rng.integers(t, size=s)] = True
    return {"query": rng.standard_normal((n, s, d)), "key": rng.standard_normal((n, t, d)),
            "value": rng.standard_normal((n, t, m)), "mask": mask}


def shapes(inputs: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    n, s, _ = inputs["query"].shape
    t, m = inputs["value"].shape[1:]
    return {"out": (n, s, m), "weights": (n, s, t)}


def outputs(result: object, inputs: dict[str, np.ndarray], finite: bool = True) -> dict[str, np.ndarray]:
    """The returned (out, weights), each a float array of the right shape."""
    items = expect_tuple(result, OUTPUTS, NAME, (FUNCTION,))
    want = shapes(inputs)
    return {name: expect_array(items[i], name, want[name], finite=finite, blame=(FUNCTION,))
            for i, name in enumerate(OUTPUTS)}


@checks.add(FUNCTION + "/notebook", "%s matches the notebook's expected values" % NAME, FUNCTION, 2.0,
            metric="rel_error", threshold=THRESHOLD)
def notebook(ctx: CheckContext) -> Outcome:
    ctx.note_inputs(**NOTEBOOK_INPUTS)
    got = outputs(ctx.student.call(FUNCTION, *NOTEBOOK_INPUTS.values()), NOTEBOOK_INPUTS)
    worst, message, details = compare_outputs(got, NOTEBOOK_EXPECTED, THRESHOLD)
    ctx.details.update(details)
    return Outcome(worst, message)


@checks.add(FUNCTION + "/hidden", "%s matches the reference on hidden random inputs, with and without a mask"
            % NAME, FUNCTION, 2.0, metric="rel_error", threshold=THRESHOLD)
def hidden(ctx: CheckContext) -> Outcome:
    inputs = hidden_inputs(ctx.rng())
    ctx.note_inputs(**inputs)
    got, want = {}, {}
    for label, args in (("", inputs), (" (no mask)", {**inputs, "mask": None})):
        for name, value in outputs(ctx.reference.call(FUNCTION, *args.values()), inputs).items():
            want[name + label] = value
        for name, value in outputs(ctx.student.call(FUNCTION, *args.values()), inputs).items():
            got[name + label] = value
    worst, message, details = compare_outputs(got, want, THRESHOLD)
    ctx.details.update(details)
    return Outcome(worst, message)


@checks.add(FUNCTION + "/contract", "%s leaves its inputs unchanged; its weights are a softmax over the allowed "
            "keys (rows sum to 1, masked keys 0) that stays finite for scores in the thousands" % NAME,
            FUNCTION, 1.0)
def contract(ctx: CheckContext) -> Outcome:
    inputs = hidden_inputs(ctx.rng())
    ctx.note_inputs(**inputs)
    result, after = ctx.student.call_echo(FUNCTION, *inputs.values())
    changed = [name for (name, before), now in zip(inputs.items(), after)
               if not (isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before))]
    if changed:
        raise CheckFailure("%s modified its input %s in place: compute into new arrays instead"
                           % (NAME, ", ".join(changed)), blame=(FUNCTION,))
    weights, mask = outputs(result, inputs, finite=False)["weights"], inputs["mask"]
    sums = weights.sum(axis=-1)
    wrong = np.argwhere(~(np.abs(sums - 1.0) <= 1e-8))
    if wrong.size:
        n, s = wrong[0]
        raise CheckFailure("each row of weights must sum to 1 (a softmax over the keys, the last axis): "
                           "weights[%d, %d, :] sums to %.6g" % (n, s, sums[n, s]), blame=(FUNCTION,))
    leaked = np.argwhere(~mask[None] & (np.abs(weights) > 1e-12))
    if leaked.size:
        n, s, t = leaked[0]
        raise CheckFailure("a masked key gets attention: weights%s is %.3g where mask%s is False (give masked "
                           "scores -inf before the softmax)" % (index_text((n, s, t)), weights[n, s, t],
                                                                index_text((s, t))), blame=(FUNCTION,))
    scores = inputs["query"] @ np.swapaxes(inputs["key"], 1, 2) / np.sqrt(inputs["query"].shape[-1])
    large = {**inputs, "query": inputs["query"] * (LARGE_SCORE / np.abs(scores).max())}
    got = outputs(ctx.student.call(FUNCTION, *large.values()), large, finite=False)
    broken = [name for name, value in got.items() if not np.all(np.isfinite(value))]
    if broken:
        raise CheckFailure("%s returned NaN or infinite %s for scores up to %g: subtract each row's largest score "
                           "before np.exp (the softmax is unchanged, and exp no longer overflows)"
                           % (NAME, " and ".join(broken), LARGE_SCORE), blame=(FUNCTION,))
    return Outcome(passed=True, message="inputs unchanged, rows sum to 1, masked keys get 0, finite for large scores")


EXERCISE = Exercise(EXERCISE_ID, "Transformer: scaled dot-product attention", tuple(checks.checks))
