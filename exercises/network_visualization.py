"""Q3, notebook NetworkVisualization-TensorFlow: saliency maps, fooling images, class visualization (15 points).

Student and reference run on the same SqueezeNet (see ``exercises.vision.common``) and the same images.
The fooling image is judged by the reference's forward pass, never by the student's own claim (in a student's
self-check, by the provided SqueezeNet in the student's worker, with the call budget the answer bundle
recorded), and the class visualization is the notebook's loop around the student's update step (fewer
iterations).
"""
from __future__ import annotations

import numpy as np

from exercises.vision.common import (HARNESS, INPUT_KINDS, as_input, harness_call, scaled_error,
                                     side_by_side, squeezenet)
from exercises.vision.images import SQUEEZENET_STD, deprocess, heat, preprocess
from exercises.vision import probes as step_probes
from exercises.vision.options import vision_fixtures
from grader.api import (CheckContext, CheckFailure, CheckList, Exercise, Outcome, StudentError, expect_array, grid,
                        WorkerProblem, hookimpl, images_artifact, index_text)

EXERCISE_ID = "network_visualization"
T = "net_visualization_tensorflow."
checks = CheckList(EXERCISE_ID, modules=("net_visualization_tensorflow",))

SALIENCY_THRESHOLD = 1e-4
"""max |yours - reference| / max |reference|: different correct formulations agree to ~1e-6."""
STEP_THRESHOLD = 1e-3
"""One class-visualization step, relative to the size of the reference's step (the L2 term alone is ~10%)."""
RUN_THRESHOLD = 1e-2
"""The class-visualization run, relative to how far the reference's image moved (no randomness: the same
jitter offsets in both runs, so correct steps stay within float rounding)."""

NOTEBOOK_FOOLING_TARGET = 6
"""The notebook's target (stingray), used with the course's trained weights."""
NOTEBOOK_FOOLING_RANK, HIDDEN_FOOLING_RANKS = 10, (6, 12)
"""With seeded weights the target is the class ranked k-th on the image (k drawn from the range for the
hidden check): a few steps away, as the notebook's target is for the trained net, so a run takes a second;
the step size still matters: dividing by ||g||^2 instead of ||g|| needs 15-20 times as many steps."""
REFERENCE_CALL_LIMIT = 400
FOOLING_CALLS = (2, 6)
"""A fooling run may call the model 2n + 6 times where the reference calls it n times (some solutions call
it twice per step; the last step may differ by one)."""
FOOLING_SMALL_MEAN = 0.02
"""A fooling image differs from the original by at most this mean |delta| (preprocessed units, about one
grey level), or 3 times the reference's perturbation where that is larger."""

CLASS_VIS = {"l2_reg": 1e-3, "learning_rate": 25.0}
"""The notebook's ``create_class_visualization`` defaults (one step)."""
CLASS_VIS_RUN = {"iterations": 8, "l2_reg": 1e-3, "learning_rate": 25.0, "blur_every": 4, "sigma": 0.5,
                 "max_jitter": 16}
"""The short run: the notebook's loop and settings with fewer iterations (and blurs every 4 instead of 10)."""


# ------------------------------------------------------------------------------------------ helpers


def imagenet(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    X, y = ctx.fixtures["imagenet"]
    return preprocess(X), y


def random_image(rng: np.random.Generator) -> np.ndarray:
    """The notebook's start for class visualization: ``preprocess_image(255 * rand(224, 224, 3))[None]``."""
    return preprocess(255 * rng.random((224, 224, 3)))[None]


def grey_image(rng: np.random.Generator) -> np.ndarray:
    """A mid-grey image with a little noise: the start of the short run, where what the steps add shows."""
    return preprocess(255 * (0.45 + 0.1 * rng.random((224, 224, 3))))[None]


def strip(pictures: list[np.ndarray]) -> np.ndarray:
    return grid(pictures, columns=len(pictures))


# ------------------------------------------------------------------------------------------ saliency


def judge_saliency(ctx: CheckContext, X: np.ndarray, y: np.ndarray) -> Outcome:
    ctx.note_inputs(X=X, y=y)
    want, got = side_by_side(ctx, lambda ex: ex.call(T + "compute_saliency_maps", X, y, squeezenet(ctx, ex)))
    want = expect_array(want, "reference")
    got = expect_array(got, "the saliency maps", X.shape[:3])
    if np.any(got < 0):
        raise CheckFailure("the saliency maps have negative entries (the smallest is %.4g)" % float(got.min()),
                           diagnosis="compute_saliency_maps.no-abs")
    top = float(want.max())
    ctx.artifacts.append(images_artifact("Saliency maps (same colour scale per image)", [
        ("images", strip([deprocess(x) for x in X])),
        ("your saliency maps", strip([heat(g, w.max()) for g, w in zip(got, want)])),
        ("the reference's", strip([heat(w, w.max()) for w in want]))]))
    err = scaled_error(got, want)
    worst = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
    ctx.details["worst entries"] = ("saliency%s: expected %.6g, got %.6g (largest reference value %.6g)"
                                    % (index_text(worst), want[worst], got[worst], top))
    return Outcome(err, "max |yours - reference| / max |reference| = %.2e" % err)


@checks.add(T + "compute_saliency_maps/notebook",
            "compute_saliency_maps on the notebook's five images equals the reference's", T + "compute_saliency_maps",
            2.5, metric="scaled_error", threshold=SALIENCY_THRESHOLD)
def saliency_notebook(ctx: CheckContext) -> Outcome:
    X, y = imagenet(ctx)
    return judge_saliency(ctx, X[:5], y[:5])


@checks.add(T + "compute_saliency_maps/hidden",
            "compute_saliency_maps equals the reference's on hidden images and labels", T + "compute_saliency_maps",
            2.0, metric="scaled_error", threshold=SALIENCY_THRESHOLD)
def saliency_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X, _ = imagenet(ctx)
    n = int(rng.integers(2, 4))
    picks = rng.choice(len(X), size=n, replace=False)
    X = X[picks][:, :, ::-1].copy() if rng.random() < 0.5 else X[picks].copy()  # mirrored or not
    X += (0.1 * rng.standard_normal(X.shape)).astype(np.float32)
    y = rng.integers(0, 1000, size=n).astype(np.int64)
    return judge_saliency(ctx, X, y)


# ------------------------------------------------------------------------------------------ fooling


def judge_fooling(ctx: CheckContext, X: np.ndarray, rank: int | None) -> Outcome:
    """The student's fooling run on X, judged by the reference's forward pass (in self-check, where the
    reference's answers come from the bundle, by the provided model in the student's worker)."""
    target_fn = T + "make_fooling_image"
    model_r, model_s = squeezenet(ctx, ctx.reference), squeezenet(ctx, ctx.student)
    scores = expect_array(ctx.reference.call(HARNESS + ".scores", model_r, X), "reference scores")[0]
    target = NOTEBOOK_FOOLING_TARGET if rank is None else int(np.argsort(scores)[::-1][rank - 1])
    ctx.note_inputs(X=X, target_y=target)
    budget = ctx.reference.new(HARNESS + ".CallBudget", model_r, REFERENCE_CALL_LIMIT)
    ref_image = expect_array(ctx.reference.call(target_fn, X, target, budget), "reference")
    ref_calls = int(ctx.reference.get_attr(budget, "calls"))
    limit = FOOLING_CALLS[0] * ref_calls + FOOLING_CALLS[1]
    budget = ctx.student.new(HARNESS + ".CallBudget", model_s, limit, target)
    try:
        result, echoed = ctx.student.call_echo(target_fn, X, target, budget)
    except StudentError as exc:
        if exc.executor is ctx.student and exc.type_name == "BudgetExceeded":
            # how the target's score moved tells a slow ascent from a descent (and is what diagnosis compares)
            trace = expect_array(ctx.student.get_attr(budget, "trace"), "the target's scores")
            ctx.details["target scores"] = describe_trace(trace, target, float(scores[target]))
            raise CheckFailure("make_fooling_image called the model more than %d times without reaching class %d (the "
                               "reference needed %d calls): is the step gradient *ascent* with "
                               "learning_rate * g / ||g||_2?" % (limit, target, ref_calls)) from None
        raise
    calls = int(ctx.student.get_attr(budget, "calls"))
    got = expect_array(result, "X_fooling", X.shape)
    if np.array_equal(got, X):
        raise CheckFailure("make_fooling_image returned X unchanged (is the TODO still a `pass`?)", unimplemented=True)
    if ctx.self_check:
        judge = ("the provided SqueezeNet (self-check: run in your own worker; the instructor's grading runs it in "
                 "the grader's)")
        scores = ctx.student.call(HARNESS + ".scores", model_s, got)
    else:
        judge = "the grader's forward pass"
        with ctx.unrecorded():
            scores = ctx.reference.call(HARNESS + ".scores", model_r, got)
    predicted = int(np.argmax(expect_array(scores, "scores")[0]))
    delta, ref_delta = got - X, ref_image - X
    mean, top = float(np.mean(np.abs(delta))), float(np.max(np.abs(delta)))
    grey = float(np.mean(np.abs(delta) * SQUEEZENET_STD) * 255)
    allowed = max(FOOLING_SMALL_MEAN, 3 * float(np.mean(np.abs(ref_delta))))
    ctx.artifacts.append(images_artifact("Fooling image (target class %d)" % target, [
        ("original", deprocess(X[0])), ("your fooling image", deprocess(got[0])),
        ("your difference x10", deprocess(10 * (X - got)[0])),
        ("the reference's x10", deprocess(10 * (X - ref_image)[0]))]))
    ctx.details["got"] = ("%s classifies your image as %d (target %d); %d model calls (the reference made %d, "
                          "the limit was %d); perturbation mean |delta| %.4f (about %.2f grey levels), max %.3f; the "
                          "reference's mean %.4f" % (judge, predicted, target, calls, ref_calls, limit, mean, grey, top,
                                                     float(np.mean(np.abs(ref_delta)))))
    problems = []
    if not (isinstance(echoed[0], np.ndarray) and np.array_equal(echoed[0], X)):
        problems.append("make_fooling_image modified its input X (work on a copy)")
    if predicted != target:
        problems.append("%s classifies the returned image as %d, not the target %d" % (judge, predicted, target))
    if mean > allowed:
        problems.append("the perturbation is not small: mean |delta| %.4f > %.4f (steps of "
                        "learning_rate * g / ||g||_2 with learning_rate 1)" % (mean, allowed))
    if problems:
        return Outcome(passed=False, message="; ".join(problems))
    return Outcome(passed=True, message="classified as the target %d by %s after %d model calls; mean |delta| "
                   "%.4f, max %.3f" % (target, judge, calls, mean, top))


def describe_trace(trace: np.ndarray, target: int, start: float) -> str:
    """The target class's score over a fooling run's model calls, in words."""
    if not trace.size:
        return "the model was never called with the image"
    picks = sorted({0, trace.size // 4, trace.size // 2, 3 * trace.size // 4, trace.size - 1})
    return ("score of class %d on the original image %.4g; at model calls %s: %s"
            % (target, start, ", ".join(str(i + 1) for i in picks), ", ".join("%.4g" % trace[i] for i in picks)))


@checks.add(T + "make_fooling_image/notebook",
            "make_fooling_image on the notebook's first image: classified as the target by the grader, input "
            "unchanged, small perturbation, within a limit of model calls", T + "make_fooling_image", 2.5)
def fooling_notebook(ctx: CheckContext) -> Outcome:
    X, _ = imagenet(ctx)
    rank = None if ctx.fixtures["weights"] is not None else NOTEBOOK_FOOLING_RANK
    return judge_fooling(ctx, X[:1].copy(), rank)


@checks.add(T + "make_fooling_image/hidden",
            "make_fooling_image on a hidden image and target: classified as the target by the grader, input "
            "unchanged, small perturbation, within a limit of model calls", T + "make_fooling_image", 2.0)
def fooling_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X, _ = imagenet(ctx)
    image = X[int(rng.integers(1, len(X)))][:, ::-1][None].copy()
    low, high = HIDDEN_FOOLING_RANKS
    return judge_fooling(ctx, image, int(rng.integers(low, high + 1)))


# ------------------------------------------------------------------------------------------ class visualization


def add_step_check(kind: str, points: float) -> None:
    target = T + "class_visualization_update_step"
    article = {"variable": "a tf.Variable", "tensor": "a tf.Tensor", "numpy": "a numpy array"}[kind]

    @checks.add(target + "/" + kind, "one class_visualization_update_step on %s equals the reference's" % article,
                target, points, metric="step_error", threshold=STEP_THRESHOLD)
    def step(ctx: CheckContext) -> Outcome:
        rng = ctx.rng()
        X = random_image(rng)
        y = int(rng.integers(0, 1000))
        l2_reg, lr = CLASS_VIS["l2_reg"], CLASS_VIS["learning_rate"]
        ctx.note_inputs(X=X, target_y=y, l2_reg=l2_reg, learning_rate=lr)
        want, result = side_by_side(ctx, lambda ex: ex.call(target, as_input(ex, X, kind), squeezenet(ctx, ex), y,
                                                            l2_reg, lr))
        want = expect_array(want, "reference")
        if result is None:
            raise CheckFailure("class_visualization_update_step returned None: return the updated image",
                               unimplemented=True)
        got = expect_array(result, "the updated X", X.shape)
        if np.array_equal(got, X):
            raise CheckFailure("class_visualization_update_step returned X unchanged (is the TODO still a `pass`?)",
                               unimplemented=True)
        err = scaled_error(got, want, want - X)
        wrong_l2 = want + 4 * l2_reg * lr * X  # the step with the L2 term's sign flipped
        flipped = scaled_error(got, wrong_l2, want - X) < STEP_THRESHOLD
        message = "max |yours - reference| / max |reference step| = %.2e" % err
        if err > STEP_THRESHOLD and not flipped:  # probes (#18): which ingredients are wrong, all of them
            message = ctx.probe(lambda: probe_step(ctx, kind, X, y, got, l2_reg, lr)) + message
        return Outcome(err, message, diagnosis="class_visualization_update_step.l2-sign" if flipped else "")


def probe_step(ctx: CheckContext, kind: str, X: np.ndarray, y: int, got: np.ndarray, l2_reg: float,
               lr: float) -> str:
    """The probes' sentence for a failing step ("" when they find a single catalogued mistake, which the
    catalogue names, or cannot run): one more step of each worker with ``l2_reg = 0``, and one of the student's
    with an ``l2_reg`` that makes the L2 term dominate (``exercises.vision.probes``)."""
    target = T + "class_visualization_update_step"
    try:
        want0, got0 = side_by_side(ctx, lambda ex: ex.call(target, as_input(ex, X, kind), squeezenet(ctx, ex), y,
                                                           0.0, lr))
        want0, got0 = expect_array(want0, "reference"), expect_array(got0, "the updated X", X.shape)
        big = step_probes.probe_l2_reg(X, want0, lr)
        got_big = expect_array(ctx.student.call(target, as_input(ctx.student, X, kind), squeezenet(ctx, ctx.student),
                                                y, big, lr), "the updated X", X.shape)
    except (WorkerProblem, CheckFailure):  # a probe never changes the verdict: no words then
        return ""
    finding = step_probes.judge(X, want0, got0, got_big, big, lr)
    if finding.catalogued_alone:
        return ""
    return finding.message[0].upper() + finding.message[1:] + ". "


for _kind, _points in zip(INPUT_KINDS, (1.5, 1.5, 1.5)):
    add_step_check(_kind, _points)


@checks.add(T + "class_visualization_update_step/run",
            "the notebook's class-visualization loop (%d iterations) with your step ends where the reference's "
            "does" % CLASS_VIS_RUN["iterations"], T + "class_visualization_update_step", 1.5,
            metric="run_error", threshold=RUN_THRESHOLD)
def class_vis_run(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X = grey_image(rng)
    y = int(rng.integers(0, 1000))
    run = CLASS_VIS_RUN
    offsets = rng.integers(0, run["max_jitter"], size=(run["iterations"], 2))
    args = (y, X, offsets, run["l2_reg"], run["learning_rate"], run["blur_every"], run["sigma"])
    ctx.note_inputs(X=X, target_y=y)
    want, got = side_by_side(ctx, lambda ex: harness_call(ex, "class_visualization", squeezenet(ctx, ex), *args))
    want = expect_array(want, "reference")
    got = expect_array(got, "the image after the run", X.shape)
    ctx.artifacts.append(images_artifact("Class visualization of class %d after %d iterations" % (y, len(offsets)), [
        ("start", deprocess(X[0])), ("with your step", deprocess(got[0])),
        ("with the reference's", deprocess(want[0]))]))
    err = scaled_error(got, want, want - X)
    return Outcome(err, "max |yours - reference| / max |reference - start| = %.2e" % err)


EXERCISE = Exercise(EXERCISE_ID, "Q3: Network visualization (TensorFlow)", tuple(checks.checks),
                    fixtures=vision_fixtures, runtime="tensorflow", track="tensorflow")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
