"""The PyTorch GAN notebook's checks: ``sample_noise``, the four model builders, ``bce_loss`` and the losses,
``get_optimizer``, and the three short training runs.

They are the TensorFlow twin's checks (``exercises/gans/``: the same inputs, thresholds, uniformity test and
loss comparisons), with what the PyTorch notebook does differently: its loss tests hand float32 tensors over
(``torch.Tensor(logits)``); the discriminators read images of shape (N, 1, 28, 28), as its MNIST loader gives
them; ``count_params`` counts ``model.parameters()`` (BatchNorm's running statistics are buffers, not
parameters: 6,580,801 for ``build_dc_generator(4)``); the DCGAN's classifier is built for one batch size; and
``run_a_gan`` skips the batches that are not full. ``cs231n/gan_harness_pytorch.py`` does the worker's side.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

from exercises.gans.common import IMAGE_DIM, NOISE_DIM, SKELETON_HINT, as_scalar
from exercises.gans.functions import (HIDDEN_THRESHOLD, LOSSES, NOISE_DRAW, NOISE_FALSE_ALARM, NOISE_KS_THRESHOLD,
                                      NPZ_NOTE, LossSpec, compare_loss, large_logits, notebook_logits, probed,
                                      random_logits)
from exercises.gans.models import WEIGHT_SCALE, batch_norm, shape_list
from exercises.gans.training import SAMPLES, picture
from exercises.gans.uniformity import ks_distance
from grader.api import (PUBLIC_SEED, CheckContext, CheckFailure, CheckList, Executor, Handle, Outcome, dtype_threshold,
                        expect_array, images_artifact)

MODULE = "gan_pytorch"
T = MODULE + "."
HARNESS = "gan_harness_pytorch"
IMAGE_SHAPE = (1, 28, 28)

NOTEBOOK_LOSS_THRESHOLD = dtype_threshold(1e-8, np.float32)
"""The notebook hands float32 tensors over (``torch.Tensor(logits)``): float32 rounding is the floor."""
STABLE = "the stable form max(x, 0) - x * y + log(1 + exp(-|x|)), or nn.BCEWithLogitsLoss"
BCE = LossSpec("bce_loss", ("input", "target"), True)


def torch_call(executor: Executor, name: str, *args: Any, **kwargs: Any) -> Any:
    """``gan_pytorch.<name>(*args)`` with the arrays passed as tensors, as the notebook does."""
    return executor.call(HARNESS + ".call", name, *args, **kwargs)


def seed(executor: Executor, value: int) -> None:
    executor.call(HARNESS + ".seed", int(value))


def float32(arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(a, np.float32) for a in arrays]


# ------------------------------------------------------------------------------------------ sample_noise


def add_sample_noise_checks(checks: CheckList) -> None:
    target = T + "sample_noise"

    @checks.add(target + "/notebook", "the notebook's test: torch.manual_seed(231), then sample_noise(3, 4) is a "
                "tensor of shape (3, 4) in [-1, 1] with negative and positive values, new on every call", target, 0.5)
    def notebook(ctx: CheckContext) -> Outcome:
        seed(ctx.student, PUBLIC_SEED)
        z = ctx.student.new(target, 3, 4)
        info = ctx.student.call(HARNESS + ".describe", z)
        if info["class"] == "NoneType":
            raise CheckFailure("sample_noise(3, 4) returned None%s" % SKELETON_HINT)
        if not info["is_tensor"]:
            raise CheckFailure("sample_noise must return a torch Tensor (the notebook asserts torch.is_tensor(z)), "
                               "got an object of type %s" % info["class"])
        z0 = expect_array(ctx.student.call(HARNESS + ".call", "sample_noise", 3, 4), "sample_noise(3, 4)", (3, 4))
        z1 = expect_array(ctx.student.call(target, 3, 4), "sample_noise(3, 4)", (3, 4))
        ctx.details["got"] = "two calls of sample_noise(3, 4):\n%s\n%s" % (z0, z1)
        if np.array_equal(z0, z1):
            raise CheckFailure("two calls of sample_noise(3, 4) gave the same values: each call must draw new noise "
                               "(no fixed seed inside the function)")
        low, high = min(z0.min(), z1.min()), max(z0.max(), z1.max())
        if low < -1.0 or high > 1.0:
            raise CheckFailure("the noise must lie in [-1, 1]; values range over [%.4g, %.4g]" % (low, high))
        if not (np.any(z0 < 0) and np.any(z0 > 0)):
            raise CheckFailure("the notebook asserts the noise has negative and positive values; sample_noise(3, 4) "
                               "gave values in [%.4g, %.4g]" % (z0.min(), z0.max()),
                               diagnosis="pytorch.sample_noise.zero-one" if z0.min() >= 0 else "")
        return Outcome(passed=True, message="a tensor of shape (3, 4) in [-1, 1], new values on every call")

    @checks.add(target + "/uniform", "sample_noise(%d, %d) is uniform on [-1, 1] (Kolmogorov-Smirnov test, "
                "false-alarm rate %g)" % (NOISE_DRAW + (NOISE_FALSE_ALARM,)), target, 0.5,
                metric="ks_distance", threshold=NOISE_KS_THRESHOLD)
    def uniform(ctx: CheckContext) -> Outcome:
        z = expect_array(ctx.student.call(target, *NOISE_DRAW), "sample_noise(%d, %d)" % NOISE_DRAW, NOISE_DRAW)
        low, high = float(z.min()), float(z.max())
        distinct = np.unique(z).size / z.size
        ctx.details["got"] = ("%d values in [%.4f, %.4f], mean %.4f, std %.4f (uniform on [-1, 1]: mean 0, std "
                              "%.4f), %.1f%% distinct" % (z.size, low, high, z.mean(), z.std(), 1 / np.sqrt(3),
                                                         100 * distinct))
        distance = ks_distance(z, -1.0, 1.0)
        if low < -1.0 or high > 1.0:
            raise CheckFailure("the noise must lie in [-1, 1]; values range over [%.4g, %.4g]" % (low, high),
                               metric_value=distance)
        if distinct < 0.9:
            raise CheckFailure("only %.1f%% of the %d values are distinct: rows or columns repeat (draw the whole "
                               "(batch_size, dim) tensor at once)" % (100 * distinct, z.size), metric_value=distance)
        hint, diagnosis = "", ""
        if distance > NOISE_KS_THRESHOLD:
            hint = ("all values are >= 0: is the noise torch.rand's [0, 1) instead of [-1, 1]?" if low >= 0 else
                    "the values are not spread evenly over [-1, 1] (torch.randn, or a clipped distribution?)")
            if low >= 0 and high <= 1 and ks_distance(z, 0.0, 1.0) <= NOISE_KS_THRESHOLD:
                diagnosis = "pytorch.sample_noise.zero-one"
        return Outcome(distance, hint or "largest gap between the sample's CDF and U(-1, 1)'s: %.4f" % distance,
                       diagnosis=diagnosis)


# ------------------------------------------------------------------------------------------ model builders


@dataclass(frozen=True)
class ModelSpec:
    builder: str
    count_args: tuple
    """The notebook's call for the parameter count (``generator(4)``, ``build_dc_classifier(128)``)."""
    params: int
    shapes: tuple[tuple[int, ...], ...]
    """The parameter shapes of the notebook's architecture, in PyTorch's layout, for the report."""
    generator: bool
    image_shapes: tuple[tuple[int, ...], ...] = ((IMAGE_DIM,),)
    """A generator's accepted output shapes per sample."""
    batch_arg: bool = False
    """Built for one batch size (its first argument)."""

    @property
    def title(self) -> str:
        return "%s(%s)" % (self.builder, ", ".join(map(repr, self.count_args)))


def linear(n_in: int, n_out: int) -> list[tuple[int, ...]]:
    return [(n_out, n_in), (n_out,)]


def norm(n: int) -> list[tuple[int, ...]]:
    return batch_norm(n)[:2]


MODELS = {
    "discriminator": ModelSpec("discriminator", (), 267_009, tuple(linear(784, 256) + linear(256, 256)
                                                                   + linear(256, 1)), generator=False),
    "generator": ModelSpec("generator", (4,), 1_858_320, tuple(linear(4, 1024) + linear(1024, 1024)
                                                               + linear(1024, 784)), generator=True),
    "build_dc_classifier": ModelSpec("build_dc_classifier", (128,), 1_102_721, tuple(
        [(32, 1, 5, 5), (32,), (64, 32, 5, 5), (64,)] + linear(1024, 1024) + linear(1024, 1)), generator=False,
        batch_arg=True),
    "build_dc_generator": ModelSpec("build_dc_generator", (4,), 6_580_801, tuple(
        linear(4, 1024) + norm(1024) + linear(1024, 7 * 7 * 128) + norm(7 * 7 * 128) + [(128, 64, 4, 4), (64,)]
        + norm(64) + [(64, 1, 4, 4), (1,)]), generator=True, image_shapes=((IMAGE_DIM,), IMAGE_SHAPE)),
}
BATCH_NORM_PARAMS = 2 * (1024 + 7 * 7 * 128 + 64)
"""What the DCGAN generator's three BatchNorm layers add to its count."""


def build(executor: Executor, spec: ModelSpec, args: tuple) -> tuple[Handle, dict[str, Any]]:
    """Call ``gan_pytorch.<builder>(*args)``, keep the model in the worker, and describe it."""
    what = "%s(%s)" % (spec.builder, ", ".join(map(repr, args)))
    model = executor.new(T + spec.builder, *args)
    if not isinstance(model, Handle) or model.type == "NoneType":
        raise CheckFailure("%s returned None%s" % (what, SKELETON_HINT))
    info = executor.call(HARNESS + ".model_info", model)
    if not info["is_model"]:
        raise CheckFailure("%s should return a torch.nn.Module (an nn.Sequential), got an object of type %s"
                           % (what, model.type))
    if not info["shapes"]:
        raise CheckFailure("%s returned a model without parameters%s" % (what, SKELETON_HINT))
    return model, info


def model_output(ctx: CheckContext, model: Handle, x: np.ndarray, spec: ModelSpec, call: str) -> np.ndarray:
    """The model's output on ``x`` (images as (N, 1, 28, 28) for a discriminator), which must have an accepted
    shape and finite values."""
    shape = None if spec.generator else (len(x),) + IMAGE_SHAPE
    out = expect_array(ctx.student.call(HARNESS + ".forward", model, x, shape), call)
    batch = x.shape[0]
    accepted = [(batch,) + s for s in spec.image_shapes] if spec.generator else [(batch, 1)]
    if tuple(out.shape) not in accepted:
        raise CheckFailure("%s has shape %s, expected %s" % (call, tuple(out.shape), " or ".join(map(str, accepted))))
    return out


def add_model_checks(checks: CheckList, name: str) -> None:
    spec = MODELS[name]
    target = T + name
    what = "images" if spec.generator else "scores"

    @checks.add(target + "/params", "%s has %s parameters (the notebook's count_params)" % (
        spec.title, format(spec.params, ",")), target, 0.5)
    def params(ctx: CheckContext) -> Outcome:
        model, info = build(ctx.student, spec, spec.count_args)
        ctx.student.free(model)
        shapes = [tuple(s) for s in info["shapes"]]
        count = sum(prod(s) for s in shapes)
        if info["layers"]:
            ctx.details["layers"] = ", ".join(info["layers"])
        ctx.details["got"] = "%s parameters; shapes: %s" % (format(count, ","), shape_list(shapes))
        ctx.details["expected"] = "%s parameters; shapes: %s" % (format(spec.params, ","), shape_list(spec.shapes))
        if count == spec.params:
            return Outcome(passed=True, message="%s parameters, as expected" % format(count, ","))
        message = "%s has %s parameters instead of %s" % (spec.title, format(count, ","), format(spec.params, ","))
        missing = [s for s in spec.shapes if s not in shapes]
        if missing:
            message += " (no parameter of shape %s)" % shape_list(missing[:4])
        no_norm = name == "build_dc_generator" and count == spec.params - BATCH_NORM_PARAMS and \
            "BatchNorm1d" not in (info["layers"] or [])
        return Outcome(passed=False, message=message, diagnosis="pytorch.%s.%s" % (
            name, "no-batchnorm" if no_norm else "layer-sizes"))

    if spec.generator:
        title = "%s maps (B, noise_dim) noise to %s images in [-1, 1] (a tanh output)" % (
            name, " or ".join(str(("B",) + s).replace("'", "") for s in spec.image_shapes))
    else:
        title = "%s maps (B, 1, 28, 28) images to (B, 1) raw scores (logits)" % name

    @checks.add(target + "/outputs", title, target, 0.5)
    def outputs(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        batch = int(rng.integers(3, 9))
        input_dim = int(rng.integers(2, 20)) if spec.generator else IMAGE_DIM
        args = (batch,) if spec.batch_arg else (input_dim,) if spec.generator else ()
        label = "%s(%s)" % (name, ", ".join(map(str, args)))
        model, _ = build(ctx.student, spec, args)
        x = rng.uniform(-1.0, 1.0, size=(batch, input_dim)).astype(np.float32)
        ctx.note_inputs(x=x)
        shape = "(%d, %d)" % (batch, input_dim) if spec.generator else "(%d, 1, 28, 28)" % batch
        out = model_output(ctx, model, x, spec, "%s on a %s batch" % (label, shape))
        ctx.student.call(HARNESS + ".scale_parameters", model, WEIGHT_SCALE)
        scaled = model_output(ctx, model, x, spec, "%s with its parameters scaled x%g" % (label, WEIGHT_SCALE))
        ctx.student.free(model)
        ctx.details["got"] = "%s: values in [%.4g, %.4g]; with parameters x%g: [%.4g, %.4g]" % (
            what, out.min(), out.max(), WEIGHT_SCALE, scaled.min(), scaled.max())
        problems, diagnosis = [], ""
        if spec.generator:
            for values, when in ((out, ""), (scaled, " with the parameters scaled x%g" % WEIGHT_SCALE)):
                if values.min() < -1.0 or values.max() > 1.0:
                    problems.append("the images reach [%.4g, %.4g]%s: the output layer must be a tanh, which keeps "
                                    "them in [-1, 1]" % (values.min(), values.max(), when))
                    diagnosis = "pytorch.generator.no-tanh"
                    break
            else:
                if not (scaled.min() < -0.5 and scaled.max() > 0.5):
                    problems.append("with the parameters scaled x%g (pre-activations far from 0) the images stay in "
                                    "[%.4g, %.4g]: a tanh output reaches both -1 and 1 (a sigmoid only [0, 1])"
                                    % (WEIGHT_SCALE, scaled.min(), scaled.max()))
                    diagnosis = "pytorch.generator.no-tanh"
        elif np.all((scaled >= 0.0) & (scaled <= 1.0)):
            problems.append("with the parameters scaled x%g the scores stay in [%.4g, %.4g]: the discriminator must "
                            "return raw scores (logits) for the losses, not probabilities (no sigmoid at the end)"
                            % (WEIGHT_SCALE, scaled.min(), scaled.max()))
            diagnosis = "pytorch.discriminator.sigmoid"
        summary = "%s -> %s %s" % (shape, tuple(out.shape), what)
        return Outcome(passed=not problems, message="; ".join(problems or [summary]),
                       diagnosis=diagnosis if name in ("generator", "discriminator") else "")


# ------------------------------------------------------------------------------------------ losses


def add_bce_checks(checks: CheckList) -> None:
    target = T + "bce_loss"

    def cases(rng: np.random.Generator, logits) -> list[tuple[str, list[np.ndarray]]]:
        out = []
        for dtype in (np.float32, np.float64):
            n = int(rng.integers(8, 65))
            x = logits(rng, n, dtype).reshape(-1)
            y = rng.integers(0, 2, size=n).astype(dtype)
            out.append(("(%d,) %s scores and 0/1 targets" % (n, np.dtype(dtype).name), [x, y]))
        return out

    @checks.add(target + "/hidden", "bce_loss matches the reference's mean binary cross-entropy on random scores and "
                "0/1 targets, float32 and float64", target, 0.5, metric="rel_error", threshold=HIDDEN_THRESHOLD)
    def hidden(ctx: CheckContext) -> Outcome:
        return compare_loss(ctx, BCE, cases(ctx.rng(), random_logits), caller=torch_call, stable=STABLE)

    @checks.add(target + "/large-logits", "bce_loss stays finite and exact for scores of magnitude up to 1000 (the "
                "numerically stable formula)", target, 0.5, metric="rel_error", threshold=HIDDEN_THRESHOLD)
    def large(ctx: CheckContext) -> Outcome:
        outcome = compare_loss(ctx, BCE, cases(ctx.rng(), large_logits), overflow="pytorch.bce_loss.unstable",
                               caller=torch_call, stable=STABLE)
        if outcome.metric_value > HIDDEN_THRESHOLD:
            outcome.message = ("the loss saturates at large scores (probabilities clipped, e.g. a cross-entropy of "
                               "torch.sigmoid outputs?): use %s" % STABLE)
        return outcome


PROBED = {"caller": torch_call, "stable": STABLE, "prefix": "pytorch."}
"""How the loss probes (``exercises.gans.probes``) call and name things on this track."""


def add_loss_checks(checks: CheckList, name: str, points: dict[str, float]) -> None:
    spec = LOSSES[name]
    target = T + name
    pair = len(spec.inputs) == 2
    uses = (T + "bce_loss",) if spec.cross_entropy else ()

    def arrays(real: np.ndarray, fake: np.ndarray) -> list[np.ndarray]:
        return [real, fake] if pair else [fake]

    @checks.add(target + "/notebook", "the notebook's test: (10, 1) %s as float32 tensors (torch.Tensor), error "
                "within float32 rounding" % " and ".join(spec.inputs), target, points["notebook"], uses=uses,
                metric="rel_error", threshold=NOTEBOOK_LOSS_THRESHOLD)
    def notebook(ctx: CheckContext) -> Outcome:
        real, fake = notebook_logits()
        inputs = float32(arrays(real, fake))
        ctx.note_inputs(**dict(zip(spec.inputs, inputs)))
        ctx.details["note"] = NPZ_NOTE.replace("gan-checks-tf.npz", "gan-checks-tf.npz (the PyTorch notebook's too)")
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, [("(10, 1) float32 inputs (seed %d)" % PUBLIC_SEED,
                                                                     inputs)], caller=torch_call, stable=STABLE),
                      NOTEBOOK_LOSS_THRESHOLD, "the notebook's (10, 1) float32 inputs", **PROBED)

    @checks.add(target + "/hidden", "%s matches the reference on random scores of shapes (N, 1) and (N,), float32 "
                "and float64" % name, target, points["hidden"], uses=uses, metric="rel_error",
                threshold=HIDDEN_THRESHOLD)
    def hidden(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        cases = []
        for dtype, flat in ((np.float32, False), (np.float64, False), (np.float32, True)):
            n = int(rng.integers(2, 129))
            real, fake = random_logits(rng, n, dtype), random_logits(rng, n, dtype)
            if flat:
                real, fake = real.reshape(-1), fake.reshape(-1)
            cases.append(("%s %s" % ("(%d,)" % n if flat else "(%d, 1)" % n, np.dtype(dtype).name),
                          arrays(real, fake)))
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, cases, caller=torch_call, stable=STABLE),
                      HIDDEN_THRESHOLD, "the random float32 and float64 inputs listed below", **PROBED)

    if not spec.cross_entropy:
        return

    @checks.add(target + "/large-logits", "%s stays finite and exact for scores of magnitude up to 1000 (float32 "
                "and float64)" % name, target, points["large-logits"], uses=uses, metric="rel_error",
                threshold=HIDDEN_THRESHOLD)
    def large(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        cases = []
        for dtype in (np.float32, np.float64):
            real, fake = large_logits(rng, 16, dtype), large_logits(rng, 16, dtype)
            cases.append(("(16, 1) %s, half of magnitude 50..1000" % np.dtype(dtype).name, arrays(real, fake)))
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, cases, overflow="pytorch.%s.log-of-sigmoid" % name,
                                                      caller=torch_call, stable=STABLE),
                      HIDDEN_THRESHOLD, "scores of magnitude 50..1000 in float32 and float64", **PROBED,
                      guess="the loss saturates at large scores (probabilities clipped, e.g. a cross-entropy of "
                            "torch.sigmoid outputs?)")


# ------------------------------------------------------------------------------------------ get_optimizer

ADAM = (1e-3, (0.5, 0.999))


def add_optimizer_checks(checks: CheckList) -> None:
    target = T + "get_optimizer"

    def optimizers(ctx: CheckContext, count: int) -> list[dict[str, Any]]:
        """``get_optimizer`` of ``count`` fresh models (small ones the grader's harness builds: only the optimizer
        is the student's)."""
        infos = []
        seed(ctx.student, ctx.seed)
        for _ in range(count):
            model = ctx.student.new(HARNESS + ".small_model")
            optimizer = ctx.student.new(target, model)
            if not isinstance(optimizer, Handle) or optimizer.type == "NoneType":
                raise CheckFailure("get_optimizer(model) returned None%s" % SKELETON_HINT)
            infos.append(ctx.student.call(HARNESS + ".optimizer_info", optimizer, model))
        return infos

    @checks.add(target + "/settings", "get_optimizer(model) returns a torch.optim.Adam with learning rate 1e-3 and "
                "betas (0.5, 0.999)", target, 0.5)
    def settings(ctx: CheckContext) -> Outcome:
        [info] = optimizers(ctx, 1)
        ctx.details["got"] = "%s, lr %s, betas %s" % (info["class"], info["learning_rate"], info["betas"])
        if info["class"].rpartition(".")[2] != "Adam":
            raise CheckFailure("get_optimizer should return a torch.optim.Adam, got %s" % info["class"])
        problems = []
        if info["learning_rate"] is None or abs(info["learning_rate"] - ADAM[0]) > 1e-9:
            problems.append("learning rate %s, expected 1e-3" % info["learning_rate"])
        betas = info["betas"] or []
        if len(betas) != 2 or any(b is None or abs(b - w) > 1e-9 for b, w in zip(betas, ADAM[1])):
            problems.append("betas %s, expected (0.5, 0.999)" % (tuple(betas),))
        default = len(betas) == 2 and abs(betas[0] - 0.9) < 1e-9
        return Outcome(passed=not problems, message="; ".join(problems) or "Adam, lr 1e-3, betas (0.5, 0.999)",
                       diagnosis="pytorch.get_optimizer.default-betas" if problems and default else "")

    @checks.add(target + "/parameters", "get_optimizer(model) optimizes exactly that model's parameters, a new "
                "optimizer for every model", target, 0.5)
    def parameters(ctx: CheckContext) -> Outcome:
        infos = optimizers(ctx, 2)
        foreign = [i for i, info in enumerate(infos) if not info["own_parameters"]]
        if foreign:
            return Outcome(passed=False, message="the optimizer get_optimizer returned for model %d does not hold "
                           "exactly that model's parameters (pass model.parameters())" % (foreign[0] + 1))
        return Outcome(passed=True, message="each optimizer holds its own model's parameters")


# ------------------------------------------------------------------------------------------ training


@dataclass(frozen=True)
class Flavour:
    name: str
    title: str
    discriminator: str
    generator: str
    d_loss: str
    g_loss: str
    steps: int
    batch: int

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(T + f for f in (self.discriminator, self.generator, self.d_loss, self.g_loss))

    def d_args(self) -> tuple:
        return (self.batch,) if self.discriminator == "build_dc_classifier" else ()


FLAVOURS = {
    "vanilla": Flavour("vanilla", "vanilla GAN", "discriminator", "generator", "discriminator_loss",
                       "generator_loss", steps=16, batch=32),
    "lsgan": Flavour("lsgan", "least-squares GAN", "discriminator", "generator", "ls_discriminator_loss",
                     "ls_generator_loss", steps=16, batch=32),
    "dcgan": Flavour("dcgan", "DCGAN", "build_dc_classifier", "build_dc_generator", "discriminator_loss",
                     "generator_loss", steps=6, batch=16),
}
"""As on the TensorFlow track; every batch is full (``run_a_gan`` skips the others)."""


def draw_inputs(rng: np.random.Generator, images: np.ndarray, flavour: Flavour) -> dict[str, Any]:
    order = np.concatenate([rng.permutation(len(images)) for _ in range(-(-flavour.steps * flavour.batch
                                                                          // len(images)))])
    reals = [images[order[i * flavour.batch:(i + 1) * flavour.batch]] for i in range(flavour.steps)]

    def noise(n: int) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, size=(n, NOISE_DIM)).astype(np.float32)

    return {"reals": reals, "noise_d": [noise(flavour.batch) for _ in reals],
            "noise_g": [noise(flavour.batch) for _ in reals], "final": noise(SAMPLES)}


def train(executor: Executor, flavour: Flavour, inputs: dict[str, Any], seed_value: int,
          watch: bool = True) -> dict[str, Any]:
    """Build D and G in the worker, train them on ``inputs``, sample; with ``watch``, read their parameters before
    and after."""
    seed(executor, seed_value)
    D, _ = build(executor, MODELS[flavour.discriminator], flavour.d_args())
    G, _ = build(executor, MODELS[flavour.generator], ())
    before = {"D": executor.call(HARNESS + ".trainable", D), "G": executor.call(HARNESS + ".trainable", G)} \
        if watch else {}
    steps = executor.call(HARNESS + ".train", D, G, flavour.d_loss, flavour.g_loss, inputs["reals"],
                          inputs["noise_d"], inputs["noise_g"])
    after = {"D": executor.call(HARNESS + ".trainable", D), "G": executor.call(HARNESS + ".trainable", G)} \
        if watch else {}
    samples = executor.call(HARNESS + ".forward", G, inputs["final"])
    executor.free(D, G)
    return {"steps": steps, "before": before, "after": after, "samples": samples}


def losses(values: Any, what: str) -> list[float]:
    if not isinstance(values, list):
        raise CheckFailure("the training steps returned no %s losses" % what)
    return [as_scalar(v, "the %s loss at step %d" % (what, i + 1)) for i, v in enumerate(values)]


def check_run(ctx: CheckContext, flavour: Flavour) -> Outcome:
    from concurrent.futures import ThreadPoolExecutor

    inputs = draw_inputs(ctx.rng(), ctx.fixtures["mnist"], flavour)
    ctx.details["inputs"] = {"real images": "%d batches of %d" % (flavour.steps, flavour.batch),
                             "noise": "(%d, %d) uniform in [-1, 1] per step" % (flavour.batch, NOISE_DIM)}
    with ThreadPoolExecutor(max_workers=1) as pool:  # the two workers train side by side
        pending = pool.submit(train, ctx.reference, flavour, inputs, ctx.seed, False)
        got = train(ctx.student, flavour, inputs, ctx.seed)
        reference = pending.result()
    d_loss = losses(got["steps"].get("d_loss"), "discriminator")
    g_loss = losses(got["steps"].get("g_loss"), "generator")
    ref_d, ref_g = (losses(reference["steps"].get(k), "reference") for k in ("d_loss", "g_loss"))
    samples = expect_array(got["samples"], "G(noise) after training", finite=False)
    ctx.artifacts.append({"kind": "curve", "title": "%s: losses over %d steps" % (flavour.title, flavour.steps),
                          "series": {"D loss": d_loss, "G loss": g_loss, "D loss (reference)": ref_d,
                                     "G loss (reference)": ref_g}, "xlabel": "step", "ylabel": "loss"})
    pictures = [("your generator", picture(samples))] if samples.size == SAMPLES * IMAGE_DIM else []
    pictures += [("reference's generator", picture(expect_array(reference["samples"], "reference samples"))),
                 ("real digits (first batch)", picture(inputs["reals"][0][:SAMPLES] * 2.0 - 1.0))]
    ctx.artifacts.append(images_artifact("%s: samples after %d steps (same noise)" % (flavour.title, flavour.steps),
                                         pictures))
    problems = []
    for label, values in (("discriminator", d_loss), ("generator", g_loss)):
        bad = [i for i, v in enumerate(values) if not np.isfinite(v)]
        if bad:
            problems.append("the %s loss became %s at step %d of %d" % (label, values[bad[0]], bad[0] + 1,
                                                                       len(values)))
    for key, label, loss in (("D", "discriminator", flavour.d_loss), ("G", "generator", flavour.g_loss)):
        before, after = got["before"][key], got["after"][key]
        still = [tuple(a.shape) for a, b in zip(before, after) if a.shape == b.shape and np.array_equal(a, b)]
        if still:
            reached = max(got["steps"].get(key.lower() + "_with_gradient") or [0])
            cause = (": %s gives them no gradient (computed outside PyTorch's graph, e.g. with numpy, .item() or "
                     ".detach()?)" % loss if reached == 0 else "")
            problems.append("%d of %d parameter tensors of the %s did not change (shapes %s)%s" % (
                len(still), len(before), label, ", ".join(map(str, still[:4])), cause))
    if samples.size != SAMPLES * IMAGE_DIM:
        problems.append("the trained generator's samples have shape %s: %d images of 784 values were expected"
                        % (tuple(samples.shape), SAMPLES))
    elif not np.all(np.isfinite(samples)):
        problems.append("the trained generator's samples contain NaN or inf")
    elif samples.min() < -1.0 or samples.max() > 1.0:
        problems.append("the trained generator's samples reach [%.4g, %.4g], outside [-1, 1]"
                        % (samples.min(), samples.max()))
    ctx.details["got"] = ("losses over %d steps: discriminator %.4g -> %.4g, generator %.4g -> %.4g\n"
                          "reference on the same batches: discriminator %.4g -> %.4g, generator %.4g -> %.4g"
                          % (len(d_loss), d_loss[0], d_loss[-1], g_loss[0], g_loss[-1], ref_d[0], ref_d[-1],
                             ref_g[0], ref_g[-1]))
    summary = ("losses finite over %d steps; every parameter tensor of D (%d) and G (%d) changed; samples %s in "
               "[%.3f, %.3f]" % (len(d_loss), len(got["before"]["D"]), len(got["before"]["G"]),
                                 tuple(samples.shape), samples.min(), samples.max()) if not problems else "")
    return Outcome(passed=not problems, message="; ".join(problems) or summary)


def add_training_check(checks: CheckList, name: str, points: float) -> None:
    flavour = FLAVOURS[name]

    @checks.add(T + "run_a_gan[%s]/training" % name, "a short %s run (%d steps of %d images): losses stay finite, "
                "D and G learn, samples in [-1, 1]" % (flavour.title, flavour.steps, flavour.batch),
                flavour.targets, points, uses=(T + "bce_loss",) if "ls_" not in flavour.d_loss else (),
                timeout_factor=4.0)
    def training(ctx: CheckContext) -> Outcome:
        return check_run(ctx, flavour)
