"""Q4, notebook StyleTransfer-TensorFlow: content, style and total-variation losses (15 points).

The ``notebook`` checks build the notebook's test inputs (its images at size 192 through the grader's own
``load_image``, its layers and weights) and compare with the reference on the same SqueezeNet; the course's
``style-transfer-checks-tf.npz`` holds values for the course's trained weights only, so it is not used.
``hidden`` checks use random feature maps and images of random sizes. Two short runs of the notebook's
``style_transfer`` loop (style transfer, feature inversion) use the student's losses on small images; the
reference measures how good the final image is (in a student's self-check, the student's own losses do, once
they give the losses the reference recorded in the answer bundle), and the pictures go in the report.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from exercises.vision.common import (HARNESS, as_input, feature_handles, harness_call, scalar,
                                     side_by_side, squeezenet)
from exercises.vision.images import deprocess, enlarge, load_image, preprocess
from exercises.vision.loops import find_loops
from exercises.vision.options import vision_fixtures
from exercises.vision import style_probes
from grader.api import (CheckContext, CheckFailure, CheckList, Exercise, Outcome, StudentError, Undecided,
                        WorkerProblem, describe, expect_array, hookimpl, images_artifact, rel_error)

EXERCISE_ID = "style_transfer"
MODULE = "style_transfer_tensorflow"
T = MODULE + "."
checks = CheckList(EXERCISE_ID, modules=(MODULE,))

NOTEBOOK_SIZE = 192
CONTENT_LAYER, CONTENT_WEIGHT = 2, 6e-2
STYLE_LAYERS, STYLE_WEIGHTS = [0, 3, 5, 6], [300000, 1000, 15, 3]
GRAM_LAYER = 4
TV_WEIGHT = 2e-2
THRESHOLD = 1e-3
"""The notebook's tolerance for the Gram matrix, style and TV checks; correct float32 code agrees to ~1e-6."""
CONTENT_THRESHOLD = 1e-4
"""Tighter than the notebook's printed 3 decimals (its text says 1e-8, out of reach for float32 sums)."""

RUN = {"image_size": 64, "style_size": 64, "iterations": 15}
"""Small images and few iterations: the student's losses run eagerly, about 0.1 s per step."""
STYLE_RUN = {"content_layer": 2, "content_weight": 6e-2, "style_layers": [0, 3, 5, 6],
             "style_weights": [300000, 1000, 15, 3], "tv_weight": 2e-2}
"""The notebook's third parameter set (Starry Night + Tubingen)."""
INVERSION_RUN = dict(STYLE_RUN, style_weights=[0, 0, 0, 0])
RUN_THRESHOLD = 0.2
"""How much higher the loss of your run's final image may be than the reference's, relative to it (both
measured with the reference's losses): correct code ends within ~0.5% (float rounding makes the runs drift
apart), wrong weightings or losses without gradients end far above."""
OWN_LOSS_AGREEMENT = 1e-3
"""Self-check measures a run's final image with the student's own losses only where each of them gives the
reference's value within this relative error (the notebook's tolerance; correct float32 code agrees to ~1e-6)."""


# ------------------------------------------------------------------------------------------ inputs


@functools.lru_cache(maxsize=8)
def picture(path: Path, size: int) -> np.ndarray:
    """``preprocess_image(load_image(path, size=size))[None]``, as the notebook builds its test images."""
    return preprocess(load_image(path, size))[None]


def notebook_images(ctx: CheckContext, size: int = NOTEBOOK_SIZE) -> tuple[np.ndarray, np.ndarray]:
    content, style = ctx.fixtures["style_paths"]
    return picture(content, size), picture(style, size)


def random_features(rng: np.random.Generator, low: int = 3, high: int = 12) -> np.ndarray:
    """A random non-negative (1, H, W, C) feature map, as after a ReLU, H and W different."""
    h, w, c = (int(rng.integers(low, high)) for _ in range(3))
    return np.maximum(rng.standard_normal((1, h, w + 1, c)), 0).astype(np.float32)


def compare_scalar(ctx: CheckContext, got, want: float, what: str, threshold: float,
                   one_element: str = "") -> Outcome:
    """``one_element``: the misconception id to name when ``got`` has shape (1,)."""
    value = scalar(got, what, one_element)
    err = rel_error(np.float64(value), np.float64(want))
    ctx.details["expected"], ctx.details["got"] = "%.8g" % want, "%.8g" % value
    if err > threshold and want != 0 and abs(value / want - 1) > 0.01:
        ctx.details["hint"] = "yours / reference = %.6g" % (value / want)
    return Outcome(err, "%s: expected %.6g, got %.6g" % (what, want, value))


# ------------------------------------------------------------------------------------------ content loss


@checks.add(T + "content_loss/notebook", "content_loss on the notebook's test (layer 2 of the content image vs "
            "a black image, weight 6e-2) equals the reference's", T + "content_loss", 1.5, metric="rel_error",
            threshold=CONTENT_THRESHOLD)
def content_notebook(ctx: CheckContext) -> Outcome:
    content, _ = notebook_images(ctx)
    ctx.note_inputs(content_img_test=content)

    def run(executor):
        model = squeezenet(ctx, executor)
        [current] = feature_handles(executor, model, content, [CONTENT_LAYER])
        [original] = feature_handles(executor, model, np.zeros_like(content), [CONTENT_LAYER])
        return executor.call(T + "content_loss", CONTENT_WEIGHT, current, original)

    want, got = side_by_side(ctx, run)
    return compare_scalar(ctx, got, scalar(want, "reference"), "content_loss", CONTENT_THRESHOLD)


@checks.add(T + "content_loss/hidden", "content_loss equals the reference's on random feature maps and weight",
            T + "content_loss", 1.0, metric="rel_error", threshold=CONTENT_THRESHOLD)
def content_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    current = random_features(rng, 3, 20)
    original = np.maximum(rng.standard_normal(current.shape), 0).astype(np.float32)
    weight = float(rng.uniform(1e-3, 1.0))
    ctx.note_inputs(content_current=current, content_original=original, content_weight=weight)

    def run(executor):
        return executor.call(T + "content_loss", weight, as_input(executor, current, "tensor"),
                             as_input(executor, original, "tensor"))

    want, got = side_by_side(ctx, run)
    return compare_scalar(ctx, got, scalar(want, "reference"), "content_loss", CONTENT_THRESHOLD)


# ------------------------------------------------------------------------------------------ gram matrix


def gram(executor, features, *normalize: bool):
    return executor.call(T + "gram_matrix", features, *normalize)


def judge_gram(got, want: np.ndarray, call: str) -> float:
    if got is None:
        raise CheckFailure("%s returned None (is the TODO still a `pass`?)" % call, unimplemented=True)
    if isinstance(got, np.ndarray) and got.shape != want.shape and got.size == want.size:
        raise CheckFailure("%s has shape %s; the TensorFlow notebook's Gram matrix is (C, C) = %s, without a batch "
                           "dimension" % (call, got.shape, want.shape),
                           diagnosis="gram_matrix.batch-axis" if got.shape == (1, *want.shape) else "")
    return rel_error(expect_array(got, call, want.shape), want)


@checks.add(T + "gram_matrix/notebook", "gram_matrix of the style image's features at layer 4 (the notebook's "
            "test) equals the reference's", T + "gram_matrix", 1.5, metric="rel_error", threshold=THRESHOLD)
def gram_notebook(ctx: CheckContext) -> Outcome:
    _, style = notebook_images(ctx)
    ctx.note_inputs(style_img_test=style)
    want, got = side_by_side(ctx, lambda ex: gram(ex, feature_handles(ex, squeezenet(ctx, ex), style, [GRAM_LAYER])[0]))
    err = judge_gram(got, expect_array(want, "reference"), "gram_matrix(features[4])")
    return Outcome(err, "gram_matrix(features[4]): rel_error %.2e" % err)


@checks.add(T + "gram_matrix/hidden", "gram_matrix equals the reference's on random feature maps, with "
            "normalize left out, True and False; the result is (C, C)", T + "gram_matrix", 1.5, metric="rel_error",
            threshold=THRESHOLD)
def gram_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    features = random_features(rng, 2, 16)
    ctx.note_inputs(features=features)
    tensors = {ex: as_input(ex, features, "tensor") for ex in (ctx.reference, ctx.student)}
    errors = {}
    for normalize, call in (((), "gram_matrix(features)"), ((True,), "gram_matrix(features, True)"),
                            ((False,), "gram_matrix(features, False)")):
        want = expect_array(gram(ctx.reference, tensors[ctx.reference], *normalize), "reference")
        errors[call] = judge_gram(gram(ctx.student, tensors[ctx.student], *normalize), want, call)
    ctx.details["errors"] = "\n".join("%s: rel_error %.2e" % item for item in errors.items())
    bad = [call for call, err in errors.items() if not err <= THRESHOLD]
    return Outcome(max(errors.values()), "wrong: %s" % ", ".join(bad) if bad else "all three calls match")


# ------------------------------------------------------------------------------------------ style loss


def judge_style_loss(ctx: CheckContext, run, failing: str) -> Outcome:
    want, got = side_by_side(ctx, run)
    outcome = compare_scalar(ctx, got, scalar(want, "reference"), "style_loss", THRESHOLD, "style_loss.one-element")
    return with_probes(outcome, lambda: probe_style_loss(ctx, failing))


# ------------------------------------------------------------------------------------------ probes (#18)


def with_probes(outcome: Outcome, probe, threshold: float = THRESHOLD, prefix: str = "") -> Outcome:
    """``outcome`` with the probes' sentence (``exercises.vision.style_probes``) before its message where it
    fails, or the catalogued mistake they found alone named as the check's diagnosis (``prefix``: the track's
    prefix of catalogue ids); the verdict and the metric stay as they are. A probe that cannot run (the worker
    broke, a wrong answer type) adds nothing."""
    if outcome.metric_value is None or outcome.metric_value <= threshold:
        return outcome
    try:
        finding = probe()
    except (WorkerProblem, StudentError, CheckFailure):
        return outcome
    if finding.catalogued and prefix + finding.catalogued in catalogue(prefix):
        outcome.diagnosis = outcome.diagnosis or prefix + finding.catalogued
    else:
        outcome.message = finding.message[0].upper() + finding.message[1:] + ". " + outcome.message
    return outcome


def catalogue(prefix: str) -> set[str]:
    """The ids of the track's catalogued mistakes."""
    if prefix:
        from exercises.vision.misconceptions_pytorch import MISCONCEPTIONS as known
    else:
        from exercises.vision.misconceptions import MISCONCEPTIONS as known
    return {m.id for m in known}


def answer(value_of) -> float | None:
    """A loss the student's function returned, or None where it raised or returned no number."""
    try:
        return scalar(value_of(), "the loss")
    except (StudentError, CheckFailure):
        return None


def probe_maps(seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The style-loss probes' 12 feature maps and as many others of the same shapes, from the run's seed."""
    rng = np.random.default_rng((seed, 18))
    feats = [random_features(rng, 3, 7) for _ in range(12)]
    return feats, [np.maximum(rng.standard_normal(f.shape), 0).astype(np.float32) for f in feats]


TV_PROBE_SHAPE, TV_PROBE_AXES = (1, 6, 9, 3), {"height": 1, "width": 2, "channels": 3}


def probe_style_loss(ctx: CheckContext, failing: str) -> style_probes.Finding:
    feats, others = probe_maps(ctx.seed)
    ex = ctx.student

    def gram_of(x):
        return expect_array(gram(ex, as_input(ex, x, "tensor")), "gram_matrix", (x.shape[-1],) * 2)

    def loss(fs, layers, targets, weights):
        return answer(lambda: ex.call(T + "style_loss", as_input(ex, fs, "tensor"), layers,
                                      as_input(ex, [np.asarray(t, np.float32) for t in targets], "tensor"), weights))

    return style_probes.probe_style(gram_of, loss, feats, others, failing)


def probe_tv_loss(ctx: CheckContext, failing: str) -> style_probes.Finding:
    ex = ctx.student

    def tv(img, weight):
        return answer(lambda: ex.call(T + "tv_loss", as_input(ex, img.astype(np.float32), "tensor"), weight))

    return style_probes.probe_tv(tv, TV_PROBE_SHAPE, TV_PROBE_AXES, np.random.default_rng((ctx.seed, 18)), failing)


@checks.add(T + "style_loss/notebook", "style_loss on the notebook's test (content image features, style image "
            "Gram targets, layers 0, 3, 5, 6) equals the reference's", T + "style_loss", 1.5,
            uses=(T + "gram_matrix",), metric="rel_error", threshold=THRESHOLD)
def style_notebook(ctx: CheckContext) -> Outcome:
    content, style = notebook_images(ctx)
    ctx.note_inputs(content_img_test=content, style_img_test=style)
    models = {ex: squeezenet(ctx, ex) for ex in (ctx.reference, ctx.student)}
    targets = ctx.reference.call(HARNESS + ".gram_matrices", models[ctx.reference], style, STYLE_LAYERS)

    def run(executor):
        feats = feature_handles(executor, models[executor], content, range(12))
        return executor.call(T + "style_loss", feats, STYLE_LAYERS, as_input(executor, targets, "tensor"),
                             STYLE_WEIGHTS)

    return judge_style_loss(ctx, run, "the notebook's test")


@checks.add(T + "style_loss/hidden", "style_loss equals the reference's on random features, layers, targets and "
            "weights", T + "style_loss", 1.0, uses=(T + "gram_matrix",), metric="rel_error", threshold=THRESHOLD)
def style_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    feats = [random_features(rng, 2, 9) for _ in range(12)]
    layers = sorted(int(i) for i in rng.choice(12, size=int(rng.integers(2, 5)), replace=False))
    weights = [float(w) for w in 10.0 ** rng.uniform(0, 4, size=len(layers))]
    targets = []
    for i in layers:
        other = np.maximum(rng.standard_normal(feats[i].shape), 0)
        flat = other.reshape(-1, other.shape[-1])
        targets.append((flat.T @ flat / other.size).astype(np.float32))
    ctx.note_inputs(style_layers=layers, style_weights=weights)

    def run(executor):
        return executor.call(T + "style_loss", as_input(executor, feats, "tensor"), layers,
                             as_input(executor, targets, "tensor"), weights)

    return judge_style_loss(ctx, run, "random features, layers %s and weights %s"
                            % (layers, ", ".join("%.4g" % w for w in weights)))


# ------------------------------------------------------------------------------------------ tv loss


@checks.add(T + "tv_loss/notebook", "tv_loss of the notebook's content image (a numpy array, weight 2e-2) equals "
            "the reference's", T + "tv_loss", 1.5, metric="rel_error", threshold=THRESHOLD)
def tv_notebook(ctx: CheckContext) -> Outcome:
    content, _ = notebook_images(ctx)
    ctx.note_inputs(content_img_test=content)
    want = scalar(ctx.reference.call(T + "tv_loss", content, TV_WEIGHT), "reference")
    outcome = compare_scalar(ctx, ctx.student.call(T + "tv_loss", content, TV_WEIGHT), want, "tv_loss", THRESHOLD)
    return with_probes(outcome, lambda: probe_tv_loss(ctx, "the notebook's content image as a numpy array"))


@checks.add(T + "tv_loss/hidden", "tv_loss equals the reference's on a random tf.Variable image (H and W "
            "different) and weight", T + "tv_loss", 1.0, metric="rel_error", threshold=THRESHOLD)
def tv_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    h, w = int(rng.integers(5, 40)), int(rng.integers(41, 70))
    img = rng.uniform(-1.5, 1.5, size=(1, h, w, 3)).astype(np.float32)
    weight = float(rng.uniform(1e-3, 1.0))
    ctx.note_inputs(img=img, tv_weight=weight)

    def run(executor):
        return executor.call(T + "tv_loss", as_input(executor, img, "variable"), weight)

    want, got = side_by_side(ctx, run)
    outcome = compare_scalar(ctx, got, scalar(want, "reference"), "tv_loss", THRESHOLD)
    return with_probes(outcome, lambda: probe_tv_loss(ctx, "a (1, %d, %d, 3) tf.Variable image" % (h, w)))


@checks.add(T + "tv_loss/no-loops", "tv_loss is written without Python loops (the source is parsed, not run) and "
            "returns a number", T + "tv_loss", 1.5)
def tv_no_loops(ctx: CheckContext) -> Outcome:
    source = ctx.source(MODULE)
    loops = find_loops(source, "tv_loss")
    img = np.random.default_rng(ctx.seed).uniform(-1, 1, size=(1, 6, 7, 3)).astype(np.float32)
    scalar(ctx.student.call(T + "tv_loss", img, TV_WEIGHT), "tv_loss")
    if loops is None:
        raise CheckFailure("%s.py defines no function tv_loss at its top level" % MODULE)
    if loops:
        ctx.details["loops"] = "\n".join("line %d: %s" % (line, text) for line, text in loops)
        line, text = loops[0]
        return Outcome(passed=False, message="tv_loss uses a loop: line %d: %s%s"
                       % (line, text, " and %d more" % (len(loops) - 1) if len(loops) > 1 else ""),
                       diagnosis="tv_loss.loops")
    return Outcome(passed=True, message="no loop in tv_loss")


# ------------------------------------------------------------------------------------------ the runs


def run_loop(ctx: CheckContext, params: dict, init_random: bool, title: str) -> Outcome:
    """The notebook's loop with the student's losses and with the reference's, from the same start; the
    reference then measures the (correct) loss of both final images. Pixels are not compared: Adam's
    sign-like first steps and the clipping let float rounding move single pixels far apart."""
    content, _ = notebook_images(ctx, RUN["image_size"])
    _, style = notebook_images(ctx, RUN["style_size"])
    init = ctx.rng().uniform(0, 1, size=content.shape).astype(np.float32) if init_random else content
    ctx.note_inputs(content_image=content, style_image=style, init=init)
    setting = (params["content_layer"], params["content_weight"], params["style_layers"], params["style_weights"],
               params["tv_weight"])
    models = {ex: squeezenet(ctx, ex) for ex in (ctx.reference, ctx.student)}
    model = models[ctx.reference]
    targets = ctx.reference.call(HARNESS + ".gram_matrices", model, style, params["style_layers"])
    want, result = side_by_side(ctx, lambda ex: harness_call(ex, "style_transfer", models[ex], content, targets,
                                                             init, *setting, RUN["iterations"]))
    want = expect_array(want[0], "reference")
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("the run returned %s" % describe(result))
    got = expect_array(result[0], "the final image", content.shape)
    pictures = [("content", deprocess(content[0]))]
    pictures += [("random start", deprocess(init[0]))] if init_random else [("style", deprocess(style[0]))]
    pictures += [("with your losses", deprocess(got[0], rescale=True)),
                 ("with the reference's", deprocess(want[0], rescale=True))]
    ctx.artifacts.append(images_artifact(
        "%s: %d iterations at %dx%d (shown twice as large)" % (title, RUN["iterations"], *content.shape[1:3]),
        [(label, enlarge(p, 2)) for label, p in pictures]))
    return measure_run(ctx, models, [init, want, got], content, targets, setting)


def measure_run(ctx: CheckContext, models: dict, images: list[np.ndarray], content: np.ndarray, targets,
                setting: tuple, harness: str = HARNESS) -> Outcome:
    """A run's verdict: the losses of its start, the reference's final image and the student's (``images``),
    measured by the reference's losses (in self-check, by the student's own, see ``judge_with_own_losses``)."""
    if ctx.self_check:
        return judge_with_own_losses(ctx, models[ctx.student], images, content, targets, setting, harness)
    with ctx.unrecorded():
        losses = expect_array(ctx.reference.call(harness + ".style_transfer_losses", models[ctx.reference], images,
                                                 content, targets, *setting), "reference losses", (3, 3))
    ctx.record("losses", lambda: losses[:2])
    start, reference, yours = losses.sum(axis=1)
    ctx.details["losses"] = "\n".join(loss_line(name, row) for name, row in zip(IMAGES, losses))
    excess = float(yours / reference - 1)
    return Outcome(excess, "the loss of your final image (measured with the reference's losses) is %.6g, the "
                   "reference's %.6g (start %.6g)" % (yours, reference, start))


IMAGES = ("start", "reference's final image", "your final image")
PARTS = ("content_loss", "style_loss (with your gram_matrix)", "tv_loss")
"""The function behind each column of ``style_transfer_losses``."""


def loss_line(name: str, row: np.ndarray) -> str:
    return "%-28s total %-11.6g content %-11.6g style %-11.6g tv %.6g" % (name, row.sum(), *row)


def judge_with_own_losses(ctx: CheckContext, model, images: list[np.ndarray], content: np.ndarray, targets,
                          setting: tuple, harness: str = HARNESS) -> Outcome:
    """Self-check's measure of a run (no reference can measure the student's final image): the student's own
    losses, trusted only where each gives the reference's value (recorded in the bundle) on the start and on
    the reference's final image; the final loss is then compared with the reference's recorded one. Where a
    loss disagrees, the check is undecided (the losses' own checks fail it; the run is not judged)."""
    mine = expect_array(ctx.student.call(harness + ".style_transfer_losses", model, images, content, targets,
                                         *setting), "your losses", (3, 3))
    recorded = expect_array(np.asarray(ctx.recorded("losses"), dtype=np.float64), "the recorded losses", (2, 3))
    zero = zero_parts(setting)
    mine = np.where(zero, 0.0, mine)  # a part weighted 0 is 0 on every image, as the reference's
    ctx.details["losses"] = "\n".join(
        [loss_line(name + ", yours", row) for name, row in zip(IMAGES, mine)]
        + [loss_line(name + ", reference's", row) for name, row in zip(IMAGES, recorded)])
    scale = np.maximum(np.abs(recorded), 1e-6 * np.abs(recorded).sum(axis=1, keepdims=True))
    off = ~(np.abs(mine[:2] - recorded) <= OWN_LOSS_AGREEMENT * scale)
    if off.any():
        row, part = min(zip(*np.nonzero(off)), key=lambda rp: (-rp[0], rp[1]))  # the final image first
        culprits = [PARTS[k] for k in range(3) if off[:, k].any()]
        raise Undecided("self-check cannot measure your final image with your losses: on the %s your %s gives "
                        "%.6g where the reference's gives %.6g (recorded in the answer bundle). Fix %s first (its "
                        "notebook and hidden checks say how); the instructor's grading measures your final image "
                        "with the reference's losses" % (IMAGES[row], PARTS[part].split()[0], mine[row, part],
                                                         recorded[row, part], " and ".join(culprits)))
    yours, reference, start = float(mine[2].sum()), float(recorded[1].sum()), float(recorded[0].sum())
    zero = [PARTS[k].split()[0] for k in np.flatnonzero(zero)]
    return Outcome(yours / reference - 1, "the loss of your final image is %.6g, the reference's %.6g (start %.6g) "
                   "(self-check: measured with your own losses, which give the reference's values on the start and "
                   "on the reference's final image%s; the instructor's grading measures it with the reference's "
                   "losses)" % (yours, reference, start, ", %s taken as 0: its weights are 0" % " and ".join(zero)
                                if zero else ""))


def zero_parts(setting: tuple) -> np.ndarray:
    """Which of (content, style, tv) the run's weights make 0 on every image (feature inversion: every style
    weight 0): self-check takes them as 0, not from the student's function, whose other mistakes (a Gram
    matrix, weights ignored) do not touch this run for the instructor either."""
    _, content_weight, _, style_weights, tv_weight = setting
    return np.array([content_weight == 0, all(w == 0 for w in style_weights), tv_weight == 0])


@checks.add(MODULE + "/style-transfer", "a short style-transfer run (the notebook's loop and Adam settings) with "
            "your losses reaches an image as good as the reference's", (T + "content_loss", T + "gram_matrix",
                                                                        T + "style_loss", T + "tv_loss"), 2.0,
            metric="loss_excess", threshold=RUN_THRESHOLD)
def style_run(ctx: CheckContext) -> Outcome:
    return run_loop(ctx, STYLE_RUN, init_random=False, title="Style transfer")


@checks.add(MODULE + "/feature-inversion", "a short feature-inversion run (style weights 0, random start) with "
            "your losses reaches an image as good as the reference's", (T + "content_loss", T + "style_loss",
                                                                        T + "tv_loss"), 1.0,
            uses=(T + "gram_matrix",), metric="loss_excess", threshold=RUN_THRESHOLD)
def inversion_run(ctx: CheckContext) -> Outcome:
    return run_loop(ctx, INVERSION_RUN, init_random=True, title="Feature inversion")


EXERCISE = Exercise(EXERCISE_ID, "Q4: Style transfer (TensorFlow)", tuple(checks.checks), fixtures=vision_fixtures,
                    runtime="tensorflow", track="tensorflow")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
