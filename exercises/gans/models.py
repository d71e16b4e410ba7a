"""Checks of the four model builders: parameter counts (the notebook's test) and what the models compute.

Counting follows the notebook's ``count_params``: every weight, BatchNorm's moving statistics included,
summed in the grader from the weight arrays the model hands back. A model whose first layer declares no
input shape has no weights until its first call, so the notebook's test would print 0 for it: the grader
builds it on a batch of zeros first, counts, and says so in the message (an architecture check, not a
check of how the model is declared).

The output checks run the models on random inputs, then again with every weight scaled by 10, which drives
the last layer's pre-activations far from 0: a generator's tanh must still keep its images in [-1, 1] and
reach both ends, and a discriminator must still return raw scores (logits), not probabilities in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from exercises.gans.common import HARNESS, IMAGE_DIM, build_model, weight_arrays
from grader.api import CheckContext, CheckFailure, CheckList, Outcome, expect_array

WEIGHT_SCALE = 10.0


def dense(n_in: int, n_out: int) -> list[tuple[int, ...]]:
    return [(n_in, n_out), (n_out,)]


def batch_norm(n: int) -> list[tuple[int, ...]]:
    return [(n,)] * 4


@dataclass(frozen=True)
class ModelSpec:
    builder: str
    count_args: tuple
    """The notebook's call for the parameter count (``generator(4)``)."""
    params: int
    shapes: tuple[tuple[int, ...], ...]
    """The weight shapes of the notebook's architecture, for the report."""
    generator: bool
    image_shapes: tuple[tuple[int, ...], ...] = ((IMAGE_DIM,),)
    """A generator's accepted output shapes per sample."""


MODELS = {
    "discriminator": ModelSpec("discriminator", (), 267_009, tuple(
        dense(784, 256) + dense(256, 256) + dense(256, 1)), generator=False),
    "generator": ModelSpec("generator", (4,), 1_858_320, tuple(
        dense(4, 1024) + dense(1024, 1024) + dense(1024, 784)), generator=True),
    "dc_discriminator": ModelSpec("dc_discriminator", (), 1_102_721, tuple(
        [(5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,)] + dense(1024, 1024) + dense(1024, 1)), generator=False),
    "dc_generator": ModelSpec("dc_generator", (4,), 6_595_521, tuple(
        dense(4, 1024) + batch_norm(1024) + dense(1024, 7 * 7 * 128) + batch_norm(7 * 7 * 128)
        + [(4, 4, 64, 128), (64,)] + batch_norm(64) + [(4, 4, 1, 64), (1,)]), generator=True,
        image_shapes=((IMAGE_DIM,), (28, 28, 1))),
}


def shape_list(shapes) -> str:
    return ", ".join("x".join(map(str, s)) for s in shapes)


def add_model_checks(checks: CheckList, name: str) -> None:
    spec = MODELS[name]
    target = "gan_tf." + name
    call = "%s(%s)" % (name, ", ".join(map(repr, spec.count_args)))
    what = "images" if spec.generator else "scores"
    uses = () if spec.generator else ("gan_tf.leaky_relu",)  # a discriminator may call the student's leaky_relu

    @checks.add(target + "/params", "%s has %s parameters (the notebook's count_params)" % (call, format(
        spec.params, ",")), target, 0.5, uses=uses)
    def params(ctx: CheckContext) -> Outcome:
        input_dim = spec.count_args[0] if spec.generator else IMAGE_DIM
        model, note = build_model(ctx.student, name, spec.count_args, input_dim)
        layers = ctx.student.call(HARNESS + ".model_info", model)["layers"]
        if layers:
            ctx.details["layers"] = ", ".join(layers)
        shapes = [tuple(w.shape) for w in weight_arrays(ctx.student, model, "weights", call)]
        ctx.student.free(model)
        count = sum(prod(s) for s in shapes)
        ctx.details["got"] = "%s parameters; weight shapes: %s" % (format(count, ","), shape_list(shapes))
        ctx.details["expected"] = "%s parameters; weight shapes: %s" % (format(spec.params, ","),
                                                                         shape_list(spec.shapes))
        if count == spec.params:
            message = "%s parameters, as expected" % format(count, ",")
        else:
            message = "%s has %s parameters instead of %s" % (call, format(count, ","), format(spec.params, ","))
            missing = sorted(set(spec.shapes) - set(shapes))
            if missing:
                message += " (no weight of shape %s)" % shape_list(missing[:4])
        return Outcome(passed=count == spec.params, message="; ".join(m for m in (message, note) if m))

    if spec.generator:
        title = "%s maps (B, noise_dim) noise to %s images in [-1, 1] (a tanh output)" % (
            name, " or ".join(str(("B",) + s).replace("'", "") for s in spec.image_shapes))
    else:
        title = "%s maps (B, 784) images to (B, 1) raw scores (logits)" % name

    @checks.add(target + "/outputs", title, target, 0.5, uses=uses)
    def outputs(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        batch = int(rng.integers(3, 9))
        input_dim = int(rng.integers(2, 20)) if spec.generator else IMAGE_DIM
        args = (input_dim,) if spec.generator else ()
        label = "%s(%s)" % (name, ", ".join(map(str, args)))
        model, note = build_model(ctx.student, name, args, input_dim)
        x = rng.uniform(-1.0, 1.0, size=(batch, input_dim)).astype(np.float32)
        ctx.note_inputs(x=x)
        out = model_output(ctx, model, x, spec, "%s on a (%d, %d) batch" % (label, batch, input_dim))
        weights = ctx.student.method(model, "get_weights")
        if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
            raise CheckFailure("%s.get_weights() should return a list of arrays" % label)
        ctx.student.method(model, "set_weights", [w * np.asarray(WEIGHT_SCALE, w.dtype) for w in weights])
        scaled = model_output(ctx, model, x, spec, "%s with its weights scaled x%g" % (label, WEIGHT_SCALE))
        ctx.student.free(model)
        ctx.details["got"] = "%s: values in [%.4g, %.4g]; with weights x%g: [%.4g, %.4g]" % (
            what, out.min(), out.max(), WEIGHT_SCALE, scaled.min(), scaled.max())
        problems = []
        if spec.generator:
            for values, when in ((out, ""), (scaled, " with the weights scaled x%g" % WEIGHT_SCALE)):
                if values.min() < -1.0 or values.max() > 1.0:
                    problems.append("the images reach [%.4g, %.4g]%s: the output layer must be a tanh, which keeps "
                                    "them in [-1, 1]" % (values.min(), values.max(), when))
                    break
            else:
                if not (scaled.min() < -0.5 and scaled.max() > 0.5):
                    problems.append("with the weights scaled x%g (pre-activations far from 0) the images stay in "
                                    "[%.4g, %.4g]: a tanh output reaches both -1 and 1 (a sigmoid only [0, 1])"
                                    % (WEIGHT_SCALE, scaled.min(), scaled.max()))
        elif np.all((scaled >= 0.0) & (scaled <= 1.0)):
            problems.append("with the weights scaled x%g the scores stay in [%.4g, %.4g]: the discriminator must "
                            "return raw scores (logits) for the losses, not probabilities (no sigmoid at the end)"
                            % (WEIGHT_SCALE, scaled.min(), scaled.max()))
        summary = "(%d, %d) -> %s %s" % (batch, input_dim, tuple(out.shape), what)
        return Outcome(passed=not problems, message="; ".join(m for m in (problems or [summary]) + [note] if m))


def model_output(ctx: CheckContext, model, x: np.ndarray, spec: ModelSpec, call: str) -> np.ndarray:
    """The model's output on ``x``, which must have an accepted shape and finite values."""
    out = expect_array(ctx.student.method(model, "__call__", x), call)
    batch = x.shape[0]
    accepted = [(batch,) + s for s in spec.image_shapes] if spec.generator else [(batch, 1)]
    if tuple(out.shape) not in accepted:
        raise CheckFailure("%s has shape %s, expected %s" % (call, tuple(out.shape), " or ".join(map(str, accepted))))
    return out
