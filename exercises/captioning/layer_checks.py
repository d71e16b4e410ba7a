"""Checks of a forward/backward layer pair of ``rnn_layers``: notebook values, numeric gradients, hidden
inputs against the reference, and the contract (no mutated inputs, backward callable twice).

An exercise module describes each layer once with a ``LayerSpec`` and gets its checks from the builders
below, so every layer is judged the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.api import (CheckContext, CheckFailure, CheckList, Outcome, compare_outputs, describe, expect_array,
                        expect_tuple, numeric_gradient)

HIDDEN_THRESHOLD = 1e-6
"""Student vs reference on the same float64 inputs: only rounding may differ."""

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class LayerSpec:
    """How to call one forward/backward pair and which of its values to judge."""

    forward: str
    backward: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    """What the forward returns before its cache."""
    grads: tuple[str, ...]
    """What the backward returns, in order: the gradients of ``inputs[i]`` for ``i`` in ``wrt``."""
    wrt: tuple[int, ...]
    hidden_inputs: Callable[[np.random.Generator], Inputs]
    notebook_gradient_inputs: Callable[[], tuple[Inputs, list[np.ndarray]]]
    """The notebook's gradient-check inputs and upstream gradients, drawn as it draws them (seed 231)."""
    step: "LayerSpec | None" = None
    """The single-step pair a sequence layer is built from (students call it inside their loop)."""
    probe: "Callable[[CheckContext], str] | None" = None
    """Where the forward fails a check: a sentence naming which of its parts are wrong (issue #18), or ""."""

    @property
    def forward_uses(self) -> tuple[str, ...]:
        """What the forward may call: the step's forward and whatever that calls."""
        return (self.step.forward,) + self.step.forward_uses if self.step else ()

    @property
    def backward_uses(self) -> tuple[str, ...]:
        """What the backward's checks call besides the backward: the forward (for its cache) and the steps."""
        inner = (self.step.backward,) + self.step.backward_uses if self.step else ()
        return (self.forward,) + self.forward_uses + inner

    @property
    def pair(self) -> tuple[str, str]:
        """The forward and the backward that reads its cache: fault localization swaps them together."""
        return (self.forward, self.backward)

    @property
    def forward_name(self) -> str:
        return self.forward.rsplit(".", 1)[-1]

    @property
    def backward_name(self) -> str:
        return self.backward.rsplit(".", 1)[-1]

    def grad_shapes(self, inputs: Inputs) -> dict[str, tuple[int, ...]]:
        values = list(inputs.values())
        return {g: values[i].shape for g, i in zip(self.grads, self.wrt)}


# ------------------------------------------------------------------------------------------ calling


def run_forward(ctx_executor, spec: LayerSpec, inputs: Inputs, shapes: dict[str, tuple] | None = None
                ) -> tuple[dict[str, np.ndarray], Any]:
    """Call the forward; return its named outputs (validated) and the handle of its cache."""
    result = ctx_executor.call(spec.forward, *inputs.values(), keep=[len(spec.outputs)])
    blame = (spec.forward,)
    items = expect_tuple(result, spec.outputs + ("cache",), spec.forward_name, blame)
    outs = {name: expect_array(items[i], name, (shapes or {}).get(name), blame=blame)
            for i, name in enumerate(spec.outputs)}
    return outs, items[-1]


def run_backward(executor, spec: LayerSpec, upstream: list[np.ndarray], cache: Any, inputs: Inputs
                 ) -> dict[str, np.ndarray]:
    result = executor.call(spec.backward, *upstream, cache)
    return validate_grads(spec, result, inputs)


def validate_grads(spec: LayerSpec, result: Any, inputs: Inputs) -> dict[str, np.ndarray]:
    shapes = spec.grad_shapes(inputs)
    blame = (spec.backward,)
    if len(spec.grads) == 1:
        if isinstance(result, tuple):
            raise CheckFailure("%s must return the array %s alone, not %s"
                               % (spec.backward_name, spec.grads[0], describe(result)), blame=blame)
        return {spec.grads[0]: expect_array(result, spec.grads[0], shapes[spec.grads[0]], blame=blame)}
    items = expect_tuple(result, spec.grads, spec.backward_name, blame)
    return {g: expect_array(items[i], g, shapes[g], blame=blame) for i, g in enumerate(spec.grads)}


def numeric_grads(executor, spec: LayerSpec, inputs: Inputs, upstream: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The parent-driven numeric gradient of every ``wrt`` input, summed over the forward's outputs."""
    args = list(inputs.values())
    grads = {}
    for g, i in zip(spec.grads, spec.wrt):
        grads[g] = sum(numeric_gradient(executor, spec.forward, args, i, df, output=k)
                       for k, df in enumerate(upstream))
    return grads


def upstream_like(rng: np.random.Generator, outputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(v.shape) for v in outputs.values()]


# ------------------------------------------------------------------------------------------ builders


def add_forward_checks(checks: CheckList, spec: LayerSpec, notebook_inputs: Inputs, expected: Inputs,
                       threshold: float, points: tuple[float, float]) -> None:
    """``<forward>/notebook`` (the notebook's inputs and printed values) and ``<forward>/hidden``."""
    name = spec.forward_name

    @checks.add(spec.forward + "/notebook", "%s matches the notebook's expected values" % name,
                spec.forward, points[0], uses=spec.forward_uses, metric="rel_error", threshold=threshold)
    def notebook(ctx: CheckContext) -> Outcome:
        ctx.note_inputs(**notebook_inputs)
        got, _ = run_forward(ctx.student, spec, notebook_inputs, {k: v.shape for k, v in expected.items()})
        worst, message, details = compare_outputs({k: got[k] for k in expected}, expected, threshold)
        ctx.details.update(details)
        return Outcome(worst, probed(ctx, spec, worst, threshold, message))

    @checks.add(spec.forward + "/hidden", "%s matches the reference on hidden random inputs" % name,
                spec.forward, points[1], uses=spec.forward_uses, metric="rel_error", threshold=HIDDEN_THRESHOLD)
    def hidden(ctx: CheckContext) -> Outcome:
        inputs = spec.hidden_inputs(ctx.rng())
        ctx.note_inputs(**inputs)
        want, _ = run_forward(ctx.reference, spec, inputs)
        got, _ = run_forward(ctx.student, spec, inputs, {k: v.shape for k, v in want.items()})
        worst, message, details = compare_outputs(got, want, HIDDEN_THRESHOLD)
        ctx.details.update(details)
        return Outcome(worst, probed(ctx, spec, worst, HIDDEN_THRESHOLD, message))


LARGE_SCALE = 300.0
"""Weights and bias times this: pre-activations reach several hundred, where exp overflows float64 (~710)."""


def add_large_input_check(checks: CheckList, spec: LayerSpec, weights: tuple[str, ...], points: float) -> None:
    """``<forward>/large-inputs``: the forward stays finite and equal to the reference when its
    pre-activations are large (a tanh or sigmoid written with exponentials overflows there)."""
    name = spec.forward_name

    @checks.add(spec.forward + "/large-inputs", "%s stays finite and matches the reference for pre-activations "
                "of several hundred" % name, spec.forward, points, uses=spec.forward_uses, metric="rel_error",
                threshold=HIDDEN_THRESHOLD)
    def large(ctx: CheckContext) -> Outcome:
        inputs = spec.hidden_inputs(ctx.rng())
        inputs.update({k: inputs[k] * LARGE_SCALE for k in weights})
        ctx.note_inputs(**inputs)
        want, _ = run_forward(ctx.reference, spec, inputs)
        result = ctx.student.call(spec.forward, *inputs.values(), keep=[len(spec.outputs)])
        items = expect_tuple(result, spec.outputs + ("cache",), name, (spec.forward,))
        got = {o: expect_array(items[i], o, want[o].shape, blame=(spec.forward,), finite=False)
               for i, o in enumerate(spec.outputs)}
        broken = [o for o, v in got.items() if not np.all(np.isfinite(v))]
        if broken:
            raise CheckFailure("%s returned NaN or infinite values in %s for large pre-activations: use np.tanh "
                               "(and the provided sigmoid), which stay finite where exp(z) overflows"
                               % (name, ", ".join(broken)))
        worst, message, details = compare_outputs(got, want, HIDDEN_THRESHOLD)
        ctx.details.update(details)
        return Outcome(worst, probed(ctx, spec, worst, HIDDEN_THRESHOLD, message))


def probed(ctx: CheckContext, spec: LayerSpec, worst: float, threshold: float, message: str) -> str:
    """``message``, after the probes' sentence where the forward failed and ``spec`` has probes."""
    return spec.probe(ctx) + message if spec.probe is not None and not worst <= threshold else message


def add_backward_checks(checks: CheckList, spec: LayerSpec, threshold: float,
                        points: tuple[float, float, float]) -> None:
    """``<backward>/numeric-gradient`` (the notebook's check), ``/hidden`` and ``/contract``."""
    name = spec.backward_name
    targets, uses = spec.backward, spec.backward_uses

    @checks.add(spec.backward + "/numeric-gradient",
                "%s matches numeric gradients of %s (the notebook's check)" % (name, spec.forward_name),
                targets, points[0], uses=uses, metric="rel_error", threshold=threshold)
    def numeric(ctx: CheckContext) -> Outcome:
        inputs, upstream = spec.notebook_gradient_inputs()
        ctx.note_inputs(**inputs, **{"d" + o: u for o, u in zip(spec.outputs, upstream)})
        outs, cache = run_forward(ctx.student, spec, inputs, {o: u.shape for o, u in zip(spec.outputs, upstream)})
        analytic = run_backward(ctx.student, spec, upstream, cache, inputs)
        numerical = numeric_grads(ctx.student, spec, inputs, upstream)
        worst, message, details = compare_outputs(analytic, numerical, threshold)
        ctx.details.update(details)
        return Outcome(worst, message)

    @checks.add(spec.backward + "/hidden", "%s matches the reference on hidden random inputs" % name,
                targets, points[1], uses=uses, metric="rel_error", threshold=HIDDEN_THRESHOLD)
    def hidden(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        inputs = spec.hidden_inputs(rng)
        ref_outs, ref_cache = run_forward(ctx.reference, spec, inputs)
        upstream = upstream_like(rng, ref_outs)
        ctx.note_inputs(**inputs, **{"d" + o: u for o, u in zip(spec.outputs, upstream)})
        want = run_backward(ctx.reference, spec, upstream, ref_cache, inputs)
        _, cache = run_forward(ctx.student, spec, inputs, {k: v.shape for k, v in ref_outs.items()})
        got = run_backward(ctx.student, spec, upstream, cache, inputs)
        worst, message, details = compare_outputs(got, want, HIDDEN_THRESHOLD)
        ctx.details.update(details)
        return Outcome(worst, message)

    @checks.add(spec.backward + "/contract",
                "%s and %s leave their inputs unchanged; the backward can run twice on one cache"
                % (spec.forward_name, name), targets, points[2], uses=uses)
    def contract(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        inputs = spec.hidden_inputs(rng)
        ctx.note_inputs(**inputs)
        result, after = ctx.student.call_echo(spec.forward, *inputs.values(), keep=[len(spec.outputs)])
        problems = {spec.forward: mutated(spec.forward_name, list(inputs), list(inputs.values()), after)}
        items = expect_tuple(result, spec.outputs + ("cache",), spec.forward_name)
        outs = {o: expect_array(items[i], o) for i, o in enumerate(spec.outputs)}
        upstream = upstream_like(rng, outs)
        cache = items[-1]
        first, after = ctx.student.call_echo(spec.backward, *upstream, cache)
        problems[spec.backward] = mutated(name, ["d" + o for o in spec.outputs], upstream, after[:-1])
        first = validate_grads(spec, first, inputs)
        second = validate_grads(spec, ctx.student.call(spec.backward, *upstream, cache), inputs)
        changed = [g for g in spec.grads if not np.array_equal(first[g], second[g])]
        if changed:
            problems[spec.backward].append("calling %s twice on the same cache gave different %s (does it modify "
                                           "the cache?)" % (name, ", ".join(changed)))
        at_fault = tuple(f for f, found in problems.items() if found)
        return Outcome(passed=not at_fault, blame=at_fault, message="; ".join(
            p for found in problems.values() for p in found) or "inputs untouched, backward repeatable")


def couplings(*specs: LayerSpec) -> tuple[tuple[str, str], ...]:
    """Every forward/backward pair of ``specs`` (and their steps): they share caches."""
    pairs: list[tuple[str, str]] = []
    for spec in specs:
        while spec is not None:
            if spec.pair not in pairs:
                pairs.append(spec.pair)
            spec = spec.step
    return tuple(pairs)


def mutated(fn: str, names: list[str], before: list[np.ndarray], after: list[Any]) -> list[str]:
    changed = [n for n, b, a in zip(names, before, after)
               if not (isinstance(a, np.ndarray) and a.shape == b.shape and np.array_equal(a, b))]
    return ["%s modified its input %s in place" % (fn, ", ".join(changed))] if changed else []


def linspace(lo: float, hi: float, shape: tuple[int, ...]) -> np.ndarray:
    """The notebooks' fixed inputs: ``np.linspace(lo, hi, num=prod(shape)).reshape(shape)``."""
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


def dims(rng: np.random.Generator, **ranges: tuple[int, int]) -> dict[str, int]:
    """Random sizes for hidden inputs (so hard-coded shapes fail), each in ``[lo, hi]``."""
    return {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in ranges.items()}
