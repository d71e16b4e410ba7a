"""Q4 on the PyTorch track, notebook StyleTransfer-PyTorch: content, style and total-variation losses
(15 points; the twin of ``style_transfer``, one of the two counts).

The checks of the TensorFlow twin, with the PyTorch notebook's own settings: its test images read as
``preprocess`` reads them (``T.Resize(192)``, bilinear), its layer indices (torchvision's ``features`` keeps
each ReLU as a module of its own, so content layer 3, style layers 1, 4, 6, 7, the Gram test at 5), Gram
matrices of shape (N, C, C), and the TV tolerance its text gives (1e-4). The course's
``style-transfer-checks.npz`` holds values for the trained weights only, so it is not used; the two short runs
of the notebook's loop are measured as on the TensorFlow track (``exercises.style_transfer.measure_run``).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from exercises.network_visualization_pytorch import nchw, nhwc, tensor
from exercises.style_transfer import (CONTENT_THRESHOLD, CONTENT_WEIGHT, RUN, RUN_THRESHOLD, STYLE_WEIGHTS,
                                      THRESHOLD, TV_WEIGHT, answer, compare_scalar, measure_run, random_features,
                                      with_probes)
from exercises.vision import style_probes
from exercises.vision.common import harness_call, scalar, side_by_side, squeezenet
from exercises.vision.images import deprocess, enlarge, load_image_resized, preprocess
from exercises.vision.loops import find_loops
from exercises.vision.options import vision_fixtures
from grader.api import (CheckContext, CheckFailure, CheckList, Exercise, Executor, Handle, Outcome, describe,
                        expect_array, hookimpl, images_artifact, rel_error)

EXERCISE_ID = "style_transfer_pytorch"
MODULE = "style_transfer_pytorch"
T = MODULE + "."
HARNESS = "vision_harness_pytorch"
checks = CheckList(EXERCISE_ID, modules=(MODULE,))

NOTEBOOK_SIZE = 192
CONTENT_LAYER = 3
STYLE_LAYERS = [1, 4, 6, 7]
GRAM_LAYER = 5
FEATURES = 13
"""``extract_features`` on torchvision's SqueezeNet ``features``: one map per module, ReLUs included."""
TV_THRESHOLD = 1e-4
"""The PyTorch notebook's "Error should be less than 0.0001"; correct float32 code agrees to ~1e-6."""

STYLE_RUN = {"content_layer": CONTENT_LAYER, "content_weight": CONTENT_WEIGHT, "style_layers": STYLE_LAYERS,
             "style_weights": STYLE_WEIGHTS, "tv_weight": TV_WEIGHT}
"""The notebook's third parameter set (Starry Night + Tubingen), in the PyTorch notebook's indices."""
INVERSION_RUN = dict(STYLE_RUN, style_weights=[0, 0, 0, 0])


# ------------------------------------------------------------------------------------------ inputs


@functools.lru_cache(maxsize=8)
def picture(path: Path, size: int) -> np.ndarray:
    """``preprocess(PIL.Image.open(path), size=size)``, as the notebook builds its test images: (1, 3, H, W)."""
    return nchw(preprocess(load_image_resized(path, size))[None])


def notebook_images(ctx: CheckContext, size: int = NOTEBOOK_SIZE) -> tuple[np.ndarray, np.ndarray]:
    content, style = ctx.fixtures["style_paths"]
    return picture(content, size), picture(style, size)


def random_batch(rng: np.random.Generator, batch: int, low: int = 2, high: int = 16) -> np.ndarray:
    """Random non-negative (N, C, H, W) feature maps, as after a ReLU, H and W different."""
    c, h, w = (int(rng.integers(low, high)) for _ in range(3))
    return np.maximum(rng.standard_normal((batch, c, h, w + 1)), 0).astype(np.float32)


def cnn(ctx: CheckContext, executor: Executor) -> Handle:
    """The notebook's ``cnn``: the SqueezeNet's ``features``."""
    return executor.call(HARNESS + ".features", squeezenet(ctx, executor, HARNESS))


def feature_handles(executor: Executor, features: Handle, image: np.ndarray, layers) -> list[Handle]:
    """Handles to the image's feature maps (tensors) at ``layers``, as ``extract_features`` gives them."""
    layers = list(layers)
    handles = executor.call(HARNESS + ".feature_maps", features, image, layers, keep=list(range(len(layers))))
    if not isinstance(handles, list) or not all(isinstance(h, Handle) for h in handles):
        raise CheckFailure("the worker could not compute the feature maps (it returned %s)" % describe(handles))
    return handles


# ------------------------------------------------------------------------------------------ content loss


@checks.add(T + "content_loss/notebook", "content_loss on the notebook's test (layer 3 of the content image vs "
            "a black image, weight 6e-2) equals the reference's", T + "content_loss", 1.5, metric="rel_error",
            threshold=CONTENT_THRESHOLD)
def content_notebook(ctx: CheckContext) -> Outcome:
    content, _ = notebook_images(ctx)
    ctx.note_inputs(content_img=content)

    def run(executor):
        features = cnn(ctx, executor)
        [current] = feature_handles(executor, features, content, [CONTENT_LAYER])
        [original] = feature_handles(executor, features, np.zeros_like(content), [CONTENT_LAYER])
        return executor.call(T + "content_loss", CONTENT_WEIGHT, current, original)

    want, got = side_by_side(ctx, run)
    return compare_scalar(ctx, got, scalar(want, "reference"), "content_loss", CONTENT_THRESHOLD)


@checks.add(T + "content_loss/hidden", "content_loss equals the reference's on random feature maps and weight",
            T + "content_loss", 1.0, metric="rel_error", threshold=CONTENT_THRESHOLD)
def content_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    current = nchw(random_features(rng, 3, 20))
    original = np.maximum(rng.standard_normal(current.shape), 0).astype(np.float32)
    weight = float(rng.uniform(1e-3, 1.0))
    ctx.note_inputs(content_current=current, content_original=original, content_weight=weight)

    def run(executor):
        return executor.call(T + "content_loss", weight, tensor(executor, current), tensor(executor, original))

    want, got = side_by_side(ctx, run)
    return compare_scalar(ctx, got, scalar(want, "reference"), "content_loss", CONTENT_THRESHOLD)


# ------------------------------------------------------------------------------------------ gram matrix


def judge_gram(got: Any, want: np.ndarray, call: str) -> float:
    if got is None:
        raise CheckFailure("%s returned None (is the TODO still a `pass`?)" % call)
    if isinstance(got, np.ndarray) and got.shape != want.shape and got.size == want.size:
        raise CheckFailure("%s has shape %s; the PyTorch notebook's Gram matrices are (N, C, C) = %s, one per image "
                           "of the batch" % (call, got.shape, want.shape),
                           diagnosis="pytorch.gram_matrix.no-batch-axis" if (1,) + got.shape == want.shape else "")
    return rel_error(expect_array(got, call, want.shape), want)


@checks.add(T + "gram_matrix/notebook", "gram_matrix of the style image's features at layer 5 (the notebook's "
            "test) equals the reference's", T + "gram_matrix", 1.5, metric="rel_error", threshold=THRESHOLD)
def gram_notebook(ctx: CheckContext) -> Outcome:
    _, style = notebook_images(ctx)
    ctx.note_inputs(style_img=style)

    def run(executor):
        [features] = feature_handles(executor, cnn(ctx, executor), style, [GRAM_LAYER])
        return executor.call(T + "gram_matrix", features)

    want, got = side_by_side(ctx, run)
    err = judge_gram(got, expect_array(want, "reference"), "gram_matrix(feats[5])")
    return Outcome(err, "gram_matrix(feats[5]): rel_error %.2e" % err)


@checks.add(T + "gram_matrix/hidden", "gram_matrix equals the reference's on a random batch of two feature maps, "
            "with normalize left out, True and False; the result is (N, C, C)", T + "gram_matrix", 1.5,
            metric="rel_error", threshold=THRESHOLD)
def gram_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    features = random_batch(rng, 2)
    ctx.note_inputs(features=features)
    tensors = {ex: tensor(ex, features) for ex in (ctx.reference, ctx.student)}
    errors = {}
    for normalize, call in (((), "gram_matrix(features)"), ((True,), "gram_matrix(features, True)"),
                            ((False,), "gram_matrix(features, False)")):
        want = expect_array(ctx.reference.call(T + "gram_matrix", tensors[ctx.reference], *normalize), "reference")
        errors[call] = judge_gram(ctx.student.call(T + "gram_matrix", tensors[ctx.student], *normalize), want, call)
    ctx.details["errors"] = "\n".join("%s: rel_error %.2e" % item for item in errors.items())
    bad = [call for call, err in errors.items() if not err <= THRESHOLD]
    return Outcome(max(errors.values()), "wrong: %s" % ", ".join(bad) if bad else "all three calls match")


# ------------------------------------------------------------------------------------------ style loss


def judge_style_loss(ctx: CheckContext, run, failing: str) -> Outcome:
    want, got = side_by_side(ctx, run)
    outcome = compare_scalar(ctx, got, scalar(want, "reference"), "style_loss", THRESHOLD,
                             "pytorch.style_loss.one-element")
    return with_probes(outcome, lambda: probe_style_loss(ctx, failing), prefix="pytorch.")


def probe_style_loss(ctx: CheckContext, failing: str) -> style_probes.Finding:
    """The style-loss probes (``exercises.vision.style_probes``) on (1, C, H, W) maps and (1, C, C) targets."""
    rng = np.random.default_rng((ctx.seed, 18))
    feats = [nchw(random_features(rng, 3, 7)) for _ in range(FEATURES)]
    others = [np.maximum(rng.standard_normal(f.shape), 0).astype(np.float32) for f in feats]
    ex = ctx.student

    def gram_of(x):
        return expect_array(ex.call(T + "gram_matrix", tensor(ex, x)), "gram_matrix", (1,) + (x.shape[1],) * 2)

    def loss(fs, layers, targets, weights):
        return answer(lambda: ex.call(T + "style_loss", tensor(ex, fs), layers,
                                      tensor(ex, [np.asarray(t, np.float32) for t in targets]), weights))

    return style_probes.probe_style(gram_of, loss, feats, others, failing)


def probe_tv_loss(ctx: CheckContext, failing: str) -> style_probes.Finding:
    ex = ctx.student

    def tv(img, weight):
        return answer(lambda: ex.call(T + "tv_loss", tensor(ex, img.astype(np.float32)), weight))

    return style_probes.probe_tv(tv, (1, 3, 6, 9), {"height": 2, "width": 3, "channels": 1},
                                 np.random.default_rng((ctx.seed, 18)), failing)


@checks.add(T + "style_loss/notebook", "style_loss on the notebook's test (content image features, style image "
            "Gram targets, layers 1, 4, 6, 7) equals the reference's", T + "style_loss", 1.5,
            uses=(T + "gram_matrix",), metric="rel_error", threshold=THRESHOLD)
def style_notebook(ctx: CheckContext) -> Outcome:
    content, style = notebook_images(ctx)
    ctx.note_inputs(content_img=content, style_img=style)
    features = {ex: cnn(ctx, ex) for ex in (ctx.reference, ctx.student)}
    targets = ctx.reference.call(HARNESS + ".gram_matrices", features[ctx.reference], style, STYLE_LAYERS)

    def run(executor):
        feats = feature_handles(executor, features[executor], content, range(FEATURES))
        return executor.call(T + "style_loss", feats, STYLE_LAYERS, tensor(executor, targets), STYLE_WEIGHTS)

    return judge_style_loss(ctx, run, "the notebook's test")


@checks.add(T + "style_loss/hidden", "style_loss equals the reference's on random features, layers, targets and "
            "weights", T + "style_loss", 1.0, uses=(T + "gram_matrix",), metric="rel_error", threshold=THRESHOLD)
def style_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    feats = [nchw(random_features(rng, 2, 9)) for _ in range(FEATURES)]
    layers = sorted(int(i) for i in rng.choice(FEATURES, size=int(rng.integers(2, 5)), replace=False))
    weights = [float(w) for w in 10.0 ** rng.uniform(0, 4, size=len(layers))]
    targets = []
    for i in layers:
        other = np.maximum(rng.standard_normal(feats[i].shape), 0)
        flat = other.reshape(other.shape[1], -1)
        targets.append((flat @ flat.T / other.size)[None].astype(np.float32))
    ctx.note_inputs(style_layers=layers, style_weights=weights)

    def run(executor):
        return executor.call(T + "style_loss", tensor(executor, feats), layers, tensor(executor, targets), weights)

    return judge_style_loss(ctx, run, "random features, layers %s and weights %s"
                            % (layers, ", ".join("%.4g" % w for w in weights)))


# ------------------------------------------------------------------------------------------ tv loss


@checks.add(T + "tv_loss/notebook", "tv_loss of the notebook's content image (weight 2e-2) equals the "
            "reference's (the notebook's error < 1e-4)", T + "tv_loss", 1.5, metric="rel_error",
            threshold=TV_THRESHOLD)
def tv_notebook(ctx: CheckContext) -> Outcome:
    content, _ = notebook_images(ctx)
    ctx.note_inputs(content_img=content)
    want, got = side_by_side(ctx, lambda ex: ex.call(T + "tv_loss", tensor(ex, content), TV_WEIGHT))
    outcome = compare_scalar(ctx, got, scalar(want, "reference"), "tv_loss", TV_THRESHOLD)
    return with_probes(outcome, lambda: probe_tv_loss(ctx, "the notebook's content image"), TV_THRESHOLD,
                       "pytorch.")


@checks.add(T + "tv_loss/hidden", "tv_loss equals the reference's on a random image that requires its gradient "
            "(H and W different) and weight", T + "tv_loss", 1.0, metric="rel_error", threshold=TV_THRESHOLD)
def tv_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    h, w = int(rng.integers(5, 40)), int(rng.integers(41, 70))
    img = rng.uniform(-1.5, 1.5, size=(1, 3, h, w)).astype(np.float32)
    weight = float(rng.uniform(1e-3, 1.0))
    ctx.note_inputs(img=img, tv_weight=weight)
    want, got = side_by_side(ctx, lambda ex: ex.call(T + "tv_loss", tensor(ex, img, requires_grad=True), weight))
    outcome = compare_scalar(ctx, got, scalar(want, "reference"), "tv_loss", TV_THRESHOLD)
    return with_probes(outcome, lambda: probe_tv_loss(ctx, "a (1, 3, %d, %d) image" % (h, w)), TV_THRESHOLD,
                       "pytorch.")


@checks.add(T + "tv_loss/no-loops", "tv_loss is written without Python loops (the source is parsed, not run) and "
            "returns a number", T + "tv_loss", 1.5)
def tv_no_loops(ctx: CheckContext) -> Outcome:
    source = ctx.source(MODULE)
    loops = find_loops(source, "tv_loss")
    img = np.random.default_rng(ctx.seed).uniform(-1, 1, size=(1, 3, 6, 7)).astype(np.float32)
    scalar(ctx.student.call(T + "tv_loss", tensor(ctx.student, img), TV_WEIGHT), "tv_loss")
    if loops is None:
        raise CheckFailure("%s.py defines no function tv_loss at its top level" % MODULE)
    if loops:
        ctx.details["loops"] = "\n".join("line %d: %s" % (line, text) for line, text in loops)
        line, text = loops[0]
        return Outcome(passed=False, message="tv_loss uses a loop: line %d: %s%s"
                       % (line, text, " and %d more" % (len(loops) - 1) if len(loops) > 1 else ""),
                       diagnosis="pytorch.tv_loss.loops")
    return Outcome(passed=True, message="no loop in tv_loss")


# ------------------------------------------------------------------------------------------ the runs


def run_loop(ctx: CheckContext, params: dict, init_random: bool, title: str) -> Outcome:
    """The notebook's loop with the student's losses and with the reference's, from the same start, both
    final images then measured (``measure_run``)."""
    content, _ = notebook_images(ctx, RUN["image_size"])
    _, style = notebook_images(ctx, RUN["style_size"])
    init = ctx.rng().uniform(0, 1, size=content.shape).astype(np.float32) if init_random else content
    ctx.note_inputs(content_image=content, style_image=style, init=init)
    setting = (params["content_layer"], params["content_weight"], params["style_layers"], params["style_weights"],
               params["tv_weight"])
    models = {ex: cnn(ctx, ex) for ex in (ctx.reference, ctx.student)}
    targets = ctx.reference.call(HARNESS + ".gram_matrices", models[ctx.reference], style, params["style_layers"])
    want, result = side_by_side(ctx, lambda ex: harness_call(ex, "style_transfer", models[ex], content, targets,
                                                             init, *setting, RUN["iterations"], harness=HARNESS))
    want = expect_array(want[0], "reference")
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("the run returned %s" % describe(result))
    got = expect_array(result[0], "the final image", content.shape)
    pictures = [("content", deprocess(nhwc(content)[0]))]
    pictures += [("random start", deprocess(nhwc(init)[0]))] if init_random else [
        ("style", deprocess(nhwc(style)[0]))]
    pictures += [("with your losses", deprocess(nhwc(got)[0], rescale=True)),
                 ("with the reference's", deprocess(nhwc(want)[0], rescale=True))]
    ctx.artifacts.append(images_artifact(
        "%s: %d iterations at %dx%d (shown twice as large)" % (title, RUN["iterations"], *content.shape[2:4]),
        [(label, enlarge(p, 2)) for label, p in pictures]))
    return measure_run(ctx, models, [init, want, got], content, targets, setting, HARNESS)


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


EXERCISE = Exercise(EXERCISE_ID, "Q4: Style transfer (PyTorch)", tuple(checks.checks), fixtures=vision_fixtures,
                    runtime="pytorch", track="pytorch", twin="style_transfer")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
