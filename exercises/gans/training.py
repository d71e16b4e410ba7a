"""The notebook's three training runs (vanilla GAN, least-squares GAN, DCGAN), short and bounded.

The grader picks everything a run depends on: the real batches (from the embedded digits or the given
``mnist.npz``, the last one short as MNIST's 96-of-128), the noise of every step, the seed of the
worker's initialisers, and fresh Adam solvers (lr 1e-3, beta_1 0.5) inside the harness, so a
``get_solvers`` bug fails only the ``get_solvers`` checks. The steps themselves are the notebook's
``run_a_gan`` steps, run by ``cs231n/gan_harness.py`` in the student's worker on the student's models and
losses. The verdict comes from values the grader checks itself: every step's losses (finite scalars),
the trainable weights before and after (every tensor of D and G changed), and the samples of the
trained generator on the grader's noise (shape, finite, in [-1, 1]). The reference makes the same run in
its own worker, side by side with the student's (and once per grading thread, for all its submissions),
for the report's pictures and loss curves.
"""
from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from exercises.gans.common import HARNESS, IMAGE_DIM, NOISE_DIM, as_scalar, build_model, seed, weight_arrays
from grader.api import CheckContext, CheckFailure, CheckList, Outcome, expect_array, grid, images_artifact

SAMPLES = 16
SHORT_BATCH = 0.75
"""The last real batch holds this fraction of a full one (MNIST's last batch: 96 of 128)."""


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
        return tuple("gan_tf." + f for f in (self.discriminator, self.generator, self.d_loss, self.g_loss))


FLAVOURS = {
    "vanilla": Flavour("vanilla", "vanilla GAN", "discriminator", "generator", "discriminator_loss",
                       "generator_loss", steps=4, batch=16),
    "lsgan": Flavour("lsgan", "least-squares GAN", "discriminator", "generator", "ls_discriminator_loss",
                     "ls_generator_loss", steps=4, batch=16),
    "dcgan": Flavour("dcgan", "DCGAN", "dc_discriminator", "dc_generator", "discriminator_loss",
                     "generator_loss", steps=3, batch=8),
}
"""Enough steps for every weight to move (the verdict is structural: finite scalar losses, every weight changed,
samples in [-1, 1]; no loss is compared with a number, so no floating-point path can move it); few enough that a
run costs a fraction of a second of student code (a DCGAN step costs as much as four GAN steps).

Calibrated with ``bench/training_margins.py`` (20 seeds x {default, 2 TensorFlow/BLAS threads}, 2026-12-07, on
4 steps of 16 / 3 of 8): the reference passes all 40 runs of each flavour; every bug that must fail fails all 40
(vanilla: ``bug_d_loss_labels_other_batch`` errors, ``mutant_g_loss_detached`` fails; lsgan: ``bug_ls_loss_numpy``;
dcgan: ``bug_d_loss_labels_other_batch``, ``mutant_dc_discriminator_takes_images``); the bugs whose samples pass
(``bug_loss_log_sigmoid``, ``bug_d_loss_concat_batches``, ``bug_discriminator_sigmoid``,
``bug_dc_generator_no_batchnorm``) pass all 40; ``bug_generator_no_tanh`` (may fail) fails vanilla 40/40 and lsgan
28/40; no verdict moved between the two variants of a seed. Was 16 steps of 32 (dcgan 6 of 16)."""


@dataclass
class RunInputs:
    reals: list[np.ndarray]
    noise_d: list[np.ndarray]
    noise_g: list[np.ndarray]
    final_noise: np.ndarray


def draw_inputs(rng: np.random.Generator, images: np.ndarray, flavour: Flavour) -> RunInputs:
    sizes = [flavour.batch] * (flavour.steps - 1) + [int(flavour.batch * SHORT_BATCH)]
    order = np.concatenate([rng.permutation(len(images)) for _ in range(-(-sum(sizes) // len(images)))])
    bounds = np.cumsum([0] + sizes)
    reals = [images[order[a:b]] for a, b in zip(bounds[:-1], bounds[1:])]

    def noise(n: int) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, size=(n, NOISE_DIM)).astype(np.float32)

    return RunInputs(reals, [noise(flavour.batch) for _ in sizes], [noise(flavour.batch) for _ in sizes],
                     noise(SAMPLES))


def run(executor, flavour: Flavour, inputs: RunInputs, seed_value: int, watch: bool = True) -> dict[str, Any]:
    """Build D and G in the worker, train them on ``inputs``, sample; with ``watch``, read the trainable
    weights before and after."""
    seed(executor, seed_value)
    D, d_note = build_model(executor, flavour.discriminator, (), IMAGE_DIM)
    G, g_note = build_model(executor, flavour.generator, (), NOISE_DIM)

    def weights() -> dict[str, list[np.ndarray]]:
        return {"D": weight_arrays(executor, D, "trainable_weights", flavour.discriminator + "()"),
                "G": weight_arrays(executor, G, "trainable_weights", flavour.generator + "()")} if watch else {}

    before = weights()
    steps = executor.call(HARNESS + ".train", D, G, flavour.d_loss, flavour.g_loss, inputs.reals, inputs.noise_d,
                          inputs.noise_g)
    after = weights()
    samples = executor.method(G, "__call__", inputs.final_noise)
    executor.free(D, G)
    return {"steps": steps, "before": before, "after": after, "samples": samples,
            "notes": [n for n in (d_note, g_note) if n]}


_reference_runs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per reference executor (one per grading thread), its finished runs: every submission a thread grades
shares them, since the inputs depend only on the run's seed and data."""
_reference_lock = threading.Lock()


def reference_run(ctx: CheckContext, flavour: Flavour, inputs: RunInputs) -> dict[str, Any]:
    """The reference's run on the same inputs: its losses and samples."""
    key = (ctx.seed, flavour.name, str(ctx.config.option("mnist")))
    with _reference_lock:
        done = _reference_runs.setdefault(ctx.reference, {})
        if key in done:
            return done[key]
    result = run(ctx.reference, flavour, inputs, ctx.seed, watch=False)
    summary = {"d_loss": [float(np.asarray(v)) for v in result["steps"]["d_loss"]],
               "g_loss": [float(np.asarray(v)) for v in result["steps"]["g_loss"]],
               "samples": np.asarray(result["samples"])}
    with _reference_lock:
        done[key] = summary
    return summary


def losses(values: Any, what: str) -> list[float]:
    if not isinstance(values, list):
        raise CheckFailure("the training steps returned no %s losses" % what)
    return [as_scalar(v, "the %s loss at step %d" % (what, i + 1)) for i, v in enumerate(values)]


def unchanged(before: list[np.ndarray], after: list[np.ndarray]) -> list[tuple[int, ...]]:
    """Shapes of the trainable tensors that training left exactly as they were."""
    if len(before) != len(after):
        raise CheckFailure("the model's number of trainable tensors changed during training (%d, then %d)"
                           % (len(before), len(after)))
    return [tuple(a.shape) for a, b in zip(before, after) if a.shape == b.shape and np.array_equal(a, b)]


def picture(samples: np.ndarray) -> np.ndarray:
    """16 samples in [-1, 1] as one 4x4 grid of 28x28 pictures, magnified twice."""
    images = (np.clip(np.asarray(samples, np.float64).reshape(-1, 28, 28), -1, 1) + 1.0) / 2.0
    tiled = grid(list(images), columns=4)
    return np.repeat(np.repeat(tiled, 2, axis=0), 2, axis=1)


def check_run(ctx: CheckContext, flavour: Flavour) -> Outcome:
    images = ctx.fixtures["mnist"]
    inputs = draw_inputs(ctx.rng(), images, flavour)
    ctx.details["inputs"] = {"real images": "%d batches of %d (the last one %d)" % (
        flavour.steps, flavour.batch, len(inputs.reals[-1])), "noise": "(%d, %d) uniform in [-1, 1] per step" % (
        flavour.batch, NOISE_DIM)}
    with ThreadPoolExecutor(max_workers=1) as pool:  # the two workers train side by side
        pending = pool.submit(reference_run, ctx, flavour, inputs)
        got = run(ctx.student, flavour, inputs, ctx.seed)
        reference = pending.result()
    d_loss = losses(got["steps"].get("d_loss"), "discriminator")
    g_loss = losses(got["steps"].get("g_loss"), "generator")
    samples = expect_array(got["samples"], "G(noise) after training", finite=False)
    ctx.artifacts.append({"kind": "curve", "title": "%s: losses over %d steps" % (flavour.title, flavour.steps),
                          "series": {"D loss": d_loss, "G loss": g_loss, "D loss (reference)": reference["d_loss"],
                                     "G loss (reference)": reference["g_loss"]},
                          "xlabel": "step", "ylabel": "loss"})
    pictures = [("your generator", picture(samples))] if samples.size == SAMPLES * IMAGE_DIM else []
    pictures += [("reference's generator", picture(reference["samples"])),
                 ("real digits (first batch)", picture(inputs.reals[0][:SAMPLES] * 2.0 - 1.0))]
    ctx.artifacts.append(images_artifact("%s: samples after %d steps (same noise)" % (flavour.title, flavour.steps),
                                         pictures))

    problems = []
    for label, values in (("discriminator", d_loss), ("generator", g_loss)):
        bad = [i for i, v in enumerate(values) if not np.isfinite(v)]
        if bad:
            problems.append("the %s loss became %s at step %d of %d" % (label, values[bad[0]], bad[0] + 1,
                                                                       len(values)))
    steps = got["steps"]
    for key, label, loss in (("D", "discriminator", flavour.d_loss), ("G", "generator", flavour.g_loss)):
        still = unchanged(got["before"][key], got["after"][key])
        if not got["before"][key]:
            problems.append("the %s has no trainable weights" % label)
        elif still:
            reached = max(steps.get(key.lower() + "_with_gradient") or [0])
            cause = (": %s gives them no gradient (computed outside TensorFlow, e.g. with numpy or .numpy()?)"
                     % loss if reached == 0 else "")
            problems.append("%d of %d trainable tensors of the %s did not change (shapes %s)%s" % (
                len(still), len(got["before"][key]), label, ", ".join(map(str, still[:4])), cause))
    if samples.size != SAMPLES * IMAGE_DIM:  # run_a_gan reshapes them to (N, 784): any such shape will do
        problems.append("the trained generator's samples have shape %s: %d images of 784 values were expected"
                        % (tuple(samples.shape), SAMPLES))
    elif not np.all(np.isfinite(samples)):
        problems.append("the trained generator's samples contain NaN or inf")
    elif samples.min() < -1.0 or samples.max() > 1.0:
        problems.append("the trained generator's samples reach [%.4g, %.4g], outside [-1, 1]"
                        % (samples.min(), samples.max()))
    ctx.details["got"] = ("losses over %d steps: discriminator %.4g -> %.4g, generator %.4g -> %.4g\n"
                          "reference on the same batches: discriminator %.4g -> %.4g, generator %.4g -> %.4g"
                          % (len(d_loss), d_loss[0], d_loss[-1], g_loss[0], g_loss[-1], reference["d_loss"][0],
                             reference["d_loss"][-1], reference["g_loss"][0], reference["g_loss"][-1]))
    if got["notes"]:
        ctx.details["note"] = "\n".join(got["notes"])
    summary = ("losses finite over %d steps; every trainable tensor of D (%d) and G (%d) changed; samples %s in "
               "[%.3f, %.3f]" % (len(d_loss), len(got["before"]["D"]), len(got["before"]["G"]),
                                 tuple(samples.shape), samples.min(), samples.max()) if not problems else "")
    return Outcome(passed=not problems, message="; ".join(problems) or summary)


def add_training_check(checks: CheckList, name: str, points: float) -> None:
    flavour = FLAVOURS[name]

    @checks.add("gan_tf.run_a_gan[%s]/training" % name, "a short %s run (%d steps of %d images): losses stay finite, "
                "D and G learn, samples in [-1, 1]" % (flavour.title, flavour.steps, flavour.batch),
                flavour.targets, points, uses=("gan_tf.leaky_relu",), timeout_factor=4.0)
    def training(ctx: CheckContext) -> Outcome:
        return check_run(ctx, flavour)
