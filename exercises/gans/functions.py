"""Checks of the GAN notebook's functions: ``leaky_relu``, ``sample_noise``, the four losses, ``get_solvers``.

The notebook compares against ``gan-checks-tf.npz``, which is not shipped: its ``notebook`` checks run
the same test (the same shapes, float64 ``tf.constant``s, the same threshold) on seed-231 inputs, with
the reference's values. The ``hidden`` checks draw inputs from the run's seed, float32 and float64, with
real and fake batches of different sizes (the last MNIST batch is 96 real images against 128 fakes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exercises.gans import probes as loss_probes
from exercises.gans.common import HARNESS, SKELETON_HINT, as_scalar, tf_call
from exercises.gans.uniformity import ks_critical_distance, ks_distance
from grader.api import (PUBLIC_SEED, CheckContext, CheckFailure, CheckList, Handle, Outcome, StudentError,
                        WorkerProblem, dtype_threshold, expect_array, expect_tuple, rel_error)

T = "gan_tf."
NOTEBOOK_LEAKY_RELU_THRESHOLD = dtype_threshold(1e-10, np.float32)
"""The notebook's 1e-10, raised to float32 rounding: ``tf.nn.leaky_relu`` holds alpha as a float32 attribute
(rel_error 1.1e-8 on float64 input) and a Keras ``LeakyReLU`` layer computes in float32 (3.9e-8)."""
NOTEBOOK_LOSS_THRESHOLD = 1e-8
HIDDEN_THRESHOLD = 1e-5
"""Float32 cases are compared too: different but correct formulas agree to ~1e-7 there."""

NOISE_DRAW = (1000, 100)
NOISE_FALSE_ALARM = 1e-6
"""A correct sampler fails the uniformity test once in a million gradings."""
NOISE_KS_THRESHOLD = ks_critical_distance(NOISE_DRAW[0] * NOISE_DRAW[1], NOISE_FALSE_ALARM)

TENSOR_CLASSES = ("EagerTensor", "Tensor")
"""What ``isinstance(z, tf.Tensor)`` accepts in eager code (a ``tf.Variable`` is not a ``tf.Tensor``)."""


NPZ_NOTE = ("gan-checks-tf.npz is not shipped with the grader: the notebook's test runs on inputs of the same "
            "shape and dtype drawn with seed %d, against the reference" % PUBLIC_SEED)


def notebook_logits() -> tuple[np.ndarray, np.ndarray]:
    """(10, 1) float64 real and fake logits like the npz's, drawn with the notebook's seed."""
    rs = np.random.RandomState(PUBLIC_SEED)
    return rs.randn(10, 1), rs.randn(10, 1)


# ------------------------------------------------------------------------------------------ leaky_relu


def add_leaky_relu_checks(checks: CheckList) -> None:
    target = T + "leaky_relu"

    @checks.add(target + "/notebook", "leaky_relu matches on a (2, 3) float64 tensor (the notebook's error < 1e-10, "
                "or float32 rounding: TensorFlow's own leaky_relu holds alpha as float32)", target,
                0.5, metric="rel_error", threshold=NOTEBOOK_LEAKY_RELU_THRESHOLD)
    def notebook(ctx: CheckContext) -> Outcome:
        x = np.random.RandomState(PUBLIC_SEED).randn(2, 3)
        ctx.note_inputs(x=x)
        ctx.details["note"] = NPZ_NOTE
        want = expect_array(tf_call(ctx.reference, "leaky_relu", x), "reference")
        got = expect_array(tf_call(ctx.student, "leaky_relu", x), "leaky_relu(x)", x.shape)
        ctx.details["expected"], ctx.details["got"] = str(want), str(got)
        err = rel_error(got, want)
        return Outcome(err, "within float32 rounding of the reference (above the notebook's 1e-10: TensorFlow "
                            "holds alpha as float32)" if 1e-10 < err <= NOTEBOOK_LEAKY_RELU_THRESHOLD else "")

    @checks.add(target + "/hidden", "leaky_relu matches the reference on random tensors of any rank, float32 and "
                "float64, with the default and a given alpha", target, 0.5, metric="rel_error", threshold=1e-6)
    def hidden(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        worst, lines = 0.0, []
        for rank, dtype in ((0, np.float64), (1, np.float32), (2, np.float64), (3, np.float32), (4, np.float64)):
            shape = tuple(int(n) for n in rng.integers(1, 6, size=rank))
            x = (3 * rng.standard_normal(shape)).astype(dtype)
            alpha = None if rank % 2 == 0 else round(float(rng.uniform(0.05, 0.5)), 3)
            kwargs = {} if alpha is None else {"alpha": alpha}
            call = "leaky_relu(x%s) with x %s %s" % ("" if alpha is None else ", alpha=%s" % alpha,
                                                    np.dtype(dtype).name, shape)
            want = expect_array(tf_call(ctx.reference, "leaky_relu", x, **kwargs), "reference")
            got = expect_array(tf_call(ctx.student, "leaky_relu", x, **kwargs), call, shape)
            err = rel_error(got, want)
            worst = max(worst, err)
            lines.append("%s: rel_error %.2e" % (call, err))
        ctx.details["errors"] = "\n".join(lines)
        return Outcome(worst)


# ------------------------------------------------------------------------------------------ sample_noise


def add_sample_noise_checks(checks: CheckList) -> None:
    target = T + "sample_noise"

    @checks.add(target + "/notebook", "the notebook's test: a tf.Tensor of shape [3, 4] in [-1, 1], different on "
                "every call", target, 0.5)
    def notebook(ctx: CheckContext) -> Outcome:
        z = ctx.student.new(target, 3, 4)
        if not isinstance(z, Handle) or z.type == "NoneType":
            raise CheckFailure("sample_noise(3, 4) returned None%s" % SKELETON_HINT, unimplemented=True)
        module, _, cls = z.type.rpartition(".")
        if not (module.startswith("tensorflow.") and cls in TENSOR_CLASSES):
            raise CheckFailure("sample_noise must return a tf.Tensor (the notebook asserts isinstance(z, tf.Tensor)), "
                               "got an object of type %s" % z.type)
        z0 = expect_array(ctx.student.method(z, "numpy"), "sample_noise(3, 4)", (3, 4))
        ctx.student.free(z)
        z1 = expect_array(ctx.student.call(target, 3, 4), "sample_noise(3, 4)", (3, 4))
        z2 = expect_array(ctx.student.call(target, 3, 4), "sample_noise(3, 4)", (3, 4))
        ctx.details["got"] = "three calls of sample_noise(3, 4):\n%s\n%s\n%s" % (z0, z1, z2)
        if np.array_equal(z1, z2) or np.array_equal(z0, z1):
            raise CheckFailure("two calls of sample_noise(3, 4) gave the same values: each call must draw new noise "
                               "(no fixed seed inside the function)")
        low, high = min(z0.min(), z1.min(), z2.min()), max(z0.max(), z1.max(), z2.max())
        if low < -1.0 or high > 1.0:
            raise CheckFailure("the noise must lie in [-1, 1]; values range over [%.4g, %.4g]" % (low, high))
        return Outcome(passed=True, message="a tf.Tensor of shape [3, 4] in [-1, 1], new values on every call")

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
                               "[batch_size, dim] tensor at once)" % (100 * distinct, z.size), metric_value=distance)
        hint, diagnosis = "", ""
        if distance > NOISE_KS_THRESHOLD:
            hint = ("all values are >= 0: is the noise drawn from [0, 1) instead of [-1, 1]?" if low >= 0 else
                    "the values are not spread evenly over [-1, 1] (a normal or clipped distribution?)")
            if low >= 0 and high <= 1 and ks_distance(z, 0.0, 1.0) <= NOISE_KS_THRESHOLD:
                diagnosis = "sample_noise.zero-one"  # uniform, on [0, 1)
        return Outcome(distance, hint or "largest gap between the sample's CDF and U(-1, 1)'s: %.4f" % distance,
                       diagnosis=diagnosis)


# ------------------------------------------------------------------------------------------ losses


@dataclass(frozen=True)
class LossSpec:
    name: str
    inputs: tuple[str, ...]
    """``("logits_real", "logits_fake")`` or ``("logits_fake",)``."""
    cross_entropy: bool
    """Binary cross-entropy on logits (checked at large magnitudes) rather than least squares."""


LOSSES = {
    "discriminator_loss": LossSpec("discriminator_loss", ("logits_real", "logits_fake"), True),
    "generator_loss": LossSpec("generator_loss", ("logits_fake",), True),
    "ls_discriminator_loss": LossSpec("ls_discriminator_loss", ("scores_real", "scores_fake"), False),
    "ls_generator_loss": LossSpec("ls_generator_loss", ("scores_fake",), False),
}


def compare_loss(ctx: CheckContext, spec: LossSpec, cases: list[tuple[str, list[np.ndarray]]],
                 overflow: str = "", caller=tf_call, stable: str = "") -> Outcome:
    """The student's loss vs the reference's on each case; the worst rel_error, per-case lines in details.
    ``overflow``: the misconception to name when the loss is inf or NaN on a case but finite on the same logits
    clipped to an ordinary range. ``caller(executor, name, *arrays)`` calls the loss (``tf_call``: with
    ``tf.constant``s); ``stable``: how to write it stably, in the framework's terms."""
    worst, lines = 0.0, []
    for label, arrays in cases:
        call = "%s(%s) with %s" % (spec.name, ", ".join(spec.inputs), label)
        want = as_scalar(caller(ctx.reference, spec.name, *arrays), "the reference's loss")
        ctx.details["call"] = call  # says which inputs an exception came from (e.g. 96 real vs 128 fake)
        got = as_scalar(caller(ctx.student, spec.name, *arrays), call)
        if not np.isfinite(got):
            hint = ("; the loss overflows: compute it from the logits with a stable formula (%s), not as the log "
                    "of a sigmoid" % (stable or "tf.nn.sigmoid_cross_entropy_with_logits or "
                                      "BinaryCrossentropy(from_logits=True)") if spec.cross_entropy else "")
            tame = overflow and finite_when_clipped(ctx, spec, arrays, caller)
            raise CheckFailure("%s returned %s (expected %.6g)%s" % (call, got, want, hint),
                               diagnosis=overflow if tame else "")
        err = rel_error(np.float64(got), np.float64(want))
        worst = max(worst, err)
        lines.append("%s: expected %.10g, got %.10g (rel_error %.2e)" % (call, want, got, err))
    del ctx.details["call"]
    ctx.details["errors"] = "\n".join(lines)
    return Outcome(worst)


TF_STABLE = "tf.nn.sigmoid_cross_entropy_with_logits or BinaryCrossentropy(from_logits=True)"


def probed(ctx: CheckContext, spec: LossSpec, judged, threshold: float, failing: str, caller=tf_call,
           stable: str = TF_STABLE, prefix: str = "", guess: str = "") -> Outcome:
    """``judged()`` (a ``compare_loss``), with the probes' sentence (``exercises.gans.probes``) before the message
    where the check fails, on a wrong value or a non-finite one; a mistake the catalogue names alone becomes the
    check's diagnosis instead. The verdict and the metric stay as they are; a probe that cannot run adds nothing.
    ``prefix``: the track's prefix of catalogue ids (``"pytorch."``); ``guess``: the check's message on a wrong
    value where the probes find no other mistake than saturation (or none, or cannot run)."""
    try:
        outcome = judged()
    except CheckFailure as failure:
        if not failure.unimplemented:
            amend(failure, loss_finding(ctx, spec, caller, stable, failing), prefix)
        raise
    if outcome.metric_value is not None and not outcome.metric_value <= threshold:
        finding = loss_finding(ctx, spec, caller, stable, failing)
        if guess and (finding is None or set(finding.mistakes) <= {"saturates"}):
            outcome.message = guess
        amend(outcome, finding, prefix)
    return outcome


def amend(result, finding, prefix: str) -> None:
    """Add ``finding`` to an ``Outcome`` or a ``CheckFailure`` (both have ``message`` and ``diagnosis``)."""
    if finding is None:
        return
    if finding.catalogued and prefix + finding.catalogued in catalogue(prefix):
        result.diagnosis = result.diagnosis or prefix + finding.catalogued
    else:
        words = finding.message[0].upper() + finding.message[1:]
        result.message = words + (". " + result.message if result.message else "")


def catalogue(prefix: str) -> set[str]:
    """The ids of the track's catalogued GAN mistakes."""
    if prefix:
        from exercises.gans.misconceptions_pytorch import MISCONCEPTIONS as known
    else:
        from exercises.gans.misconceptions import MISCONCEPTIONS as known
    return {m.id for m in known}


def loss_finding(ctx: CheckContext, spec: LossSpec, caller, stable: str, failing: str):
    def call(*arrays):
        try:
            return as_scalar(caller(ctx.student, spec.name, *arrays), spec.name)
        except (StudentError, CheckFailure):
            return None

    try:
        return loss_probes.probe(spec.name, call, stable, failing)
    except WorkerProblem:
        return None


ORDINARY_LOGIT = 5.0
"""Logits clipped to this magnitude keep sigmoid(x) and 1 - sigmoid(x) far from 0, even in float32."""


def finite_when_clipped(ctx: CheckContext, spec: LossSpec, arrays: list[np.ndarray], caller=tf_call) -> bool:
    """The student's loss is finite on ``arrays`` clipped to ordinary logits (it overflows only at large ones)."""
    clipped = [np.clip(a, -ORDINARY_LOGIT, ORDINARY_LOGIT) for a in arrays]
    try:
        return bool(np.isfinite(as_scalar(caller(ctx.student, spec.name, *clipped), spec.name)))
    except (StudentError, CheckFailure):
        return False


def random_logits(rng: np.random.Generator, n: int, dtype, scale: float = 2.0) -> np.ndarray:
    return (scale * rng.standard_normal((n, 1))).astype(dtype)


def large_logits(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    """Half ordinary logits, half of magnitude 50..1000 with random signs (a confident discriminator)."""
    logits = 2.0 * rng.standard_normal((n, 1))
    big = rng.permutation(n)[: n // 2]
    logits[big, 0] = rng.choice([-1.0, 1.0], size=big.size) * rng.uniform(50, 1000, size=big.size)
    return logits.astype(dtype)


def add_loss_checks(checks: CheckList, name: str, points: dict[str, float]) -> None:
    spec = LOSSES[name]
    target = T + name
    pair = len(spec.inputs) == 2

    def arrays(real: np.ndarray, fake: np.ndarray) -> list[np.ndarray]:
        return [real, fake] if pair else [fake]

    @checks.add(target + "/notebook", "the notebook's test: (10, 1) float64 %s, error < 1e-8"
                % " and ".join(spec.inputs), target, points["notebook"], metric="rel_error",
                threshold=NOTEBOOK_LOSS_THRESHOLD)
    def notebook(ctx: CheckContext) -> Outcome:
        real, fake = notebook_logits()
        ctx.note_inputs(**dict(zip(spec.inputs, arrays(real, fake))))
        ctx.details["note"] = NPZ_NOTE
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, [("(10, 1) float64 inputs (seed %d)" % PUBLIC_SEED,
                                                                     arrays(real, fake))]),
                      NOTEBOOK_LOSS_THRESHOLD, "the notebook's (10, 1) float64 inputs")

    sizes = "unequal real and fake batch sizes, " if pair else ""

    @checks.add(target + "/hidden", "%s matches the reference on random inputs: %sfloat32 and float64"
                % (name, sizes), target, points["hidden"], metric="rel_error", threshold=HIDDEN_THRESHOLD)
    def hidden(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        n_real, n_fake = (int(n) for n in rng.choice(np.arange(2, 65), size=2, replace=False))
        cases = []
        for dtype, (nr, nf) in ((np.float64, (96, 128)), (np.float32, (n_real, n_fake)),
                                (np.float64, (n_fake, n_real))):
            real, fake = random_logits(rng, nr, dtype), random_logits(rng, nf, dtype)
            shapes = "(%d, 1) real and (%d, 1) fake" % (nr, nf) if pair else "(%d, 1)" % nf
            cases.append(("%s %s" % (shapes, np.dtype(dtype).name), arrays(real, fake)))
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, cases), HIDDEN_THRESHOLD,
                      "the random float32 and float64 inputs listed below")

    if not spec.cross_entropy:
        return

    @checks.add(target + "/large-logits", "%s stays finite and exact for logits of magnitude up to 1000 (float32 "
                "and float64)" % name, target, points["large-logits"], metric="rel_error",
                threshold=HIDDEN_THRESHOLD)
    def large(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        cases = []
        for dtype in (np.float32, np.float64):
            real, fake = large_logits(rng, 16, dtype), large_logits(rng, 16, dtype)
            cases.append(("(16, 1) %s, half of magnitude 50..1000" % np.dtype(dtype).name, arrays(real, fake)))
        return probed(ctx, spec, lambda: compare_loss(ctx, spec, cases, overflow="%s.log-of-sigmoid" % name),
                      HIDDEN_THRESHOLD, "logits of magnitude 50..1000 in float32 and float64",
                      guess="the loss saturates at large logits (probabilities clipped, e.g. a cross-entropy on "
                            "sigmoid outputs?)")


# ------------------------------------------------------------------------------------------ get_solvers


def solver_settings(ctx: CheckContext, args: tuple) -> tuple[dict, dict, bool]:
    call = "get_solvers(%s)" % ", ".join(map(repr, args))
    solvers = expect_tuple(ctx.student.call(T + "get_solvers", *args, keep=[0, 1]), ("D_solver", "G_solver"), call)
    infos = []
    for label, solver in zip(("D_solver", "G_solver"), solvers):
        if not isinstance(solver, Handle) or solver.type == "NoneType":
            raise CheckFailure("%s returned None as %s%s" % (call, label, SKELETON_HINT), unimplemented=True)
        info = ctx.student.call(HARNESS + ".optimizer_info", solver)
        if info["class"].rpartition(".")[2] != "Adam":
            raise CheckFailure("%s: %s should be a tf.optimizers.Adam, got %s" % (call, label, info["class"]))
        infos.append(info)
    same = bool(ctx.student.call(HARNESS + ".same_object", *solvers))
    ctx.student.free(*solvers)
    ctx.details["got"] = "\n".join("%s: %s, learning_rate %s, beta_1 %s" % (
        label, i["class"], i["learning_rate"], i["beta_1"]) for label, i in zip(("D_solver", "G_solver"), infos))
    return infos[0], infos[1], same


def settings_problems(infos: tuple[dict, dict], learning_rate: float, beta1: float) -> list[str]:
    problems = []
    for label, info in zip(("D_solver", "G_solver"), infos):
        for key, want in (("learning_rate", learning_rate), ("beta_1", beta1)):
            got = info[key]
            if got is None or not abs(got - want) <= 1e-6 * abs(want):
                problems.append("%s has %s %s, expected %g" % (label, key, got, want))
    return problems


ADAM_DEFAULT_BETA1 = 0.9
SOLVER_DEFAULTS = (1e-3, 0.5)
"""get_solvers' default learning_rate and beta1."""


def recognised_mistake(infos: tuple[dict, dict], learning_rate: float, beta1: float) -> str:
    """The catalogued get_solvers mistake that both optimizers' settings show, if any."""
    def both_have(lr: float, b: float) -> bool:
        return not settings_problems(infos, lr, b)

    if (learning_rate, beta1) != SOLVER_DEFAULTS and both_have(*SOLVER_DEFAULTS):
        return "get_solvers.ignores-arguments"
    if beta1 != ADAM_DEFAULT_BETA1 and both_have(learning_rate, ADAM_DEFAULT_BETA1):
        return "get_solvers.default-beta1"
    return ""


def add_solver_checks(checks: CheckList) -> None:
    target = T + "get_solvers"

    @checks.add(target + "/defaults", "get_solvers() returns two distinct Adam optimizers with learning rate 1e-3 "
                "and beta_1 0.5", target, 0.5)
    def defaults(ctx: CheckContext) -> Outcome:
        d, g, same = solver_settings(ctx, ())
        problems = settings_problems((d, g), *SOLVER_DEFAULTS)
        mistake = recognised_mistake((d, g), *SOLVER_DEFAULTS) if problems else ""
        if same:
            problems.insert(0, "D_solver and G_solver are the same object: each network needs its own Adam (its "
                               "moment estimates belong to that network's variables)")
        return Outcome(passed=not problems, message="; ".join(problems) or "two Adam optimizers, lr 1e-3, beta_1 0.5",
                       diagnosis=mistake)

    @checks.add(target + "/arguments", "get_solvers(learning_rate, beta1) uses the values it is given", target, 0.5)
    def arguments(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        learning_rate = float("%.3g" % 10 ** rng.uniform(-4.5, -2.5))
        beta1 = round(float(rng.uniform(0.1, 0.85)), 3)
        d, g, _ = solver_settings(ctx, (learning_rate, beta1))
        problems = settings_problems((d, g), learning_rate, beta1)
        return Outcome(passed=not problems, message="; ".join(problems) or
                       "learning_rate %g and beta1 %g honoured" % (learning_rate, beta1),
                       diagnosis=recognised_mistake((d, g), learning_rate, beta1) if problems else "")
