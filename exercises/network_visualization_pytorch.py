"""Q3 on the PyTorch track, notebook NetworkVisualization-PyTorch: saliency maps, fooling images, class
visualization (15 points; the twin of ``network_visualization``, one of the two counts).

The same checks as the TensorFlow notebook's, on the same SqueezeNet (torchvision's architecture holding the
TensorFlow track's weights: ``cs231n/vision_harness_pytorch.py``) and the same images, laid out as PyTorch
wants them (N, 3, H, W). What differs is PyTorch's: the functions take and return tensors (the notebook calls
``saliency.numpy()``), and the class-visualization step updates its image in place, since the notebook's loop
ignores what it returns and keeps using the same tensor, gradient included.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from exercises.network_visualization import (CLASS_VIS, CLASS_VIS_RUN, FOOLING_CALLS, FOOLING_SMALL_MEAN,
                                             HIDDEN_FOOLING_RANKS, NOTEBOOK_FOOLING_RANK, NOTEBOOK_FOOLING_TARGET,
                                             REFERENCE_CALL_LIMIT, RUN_THRESHOLD, SALIENCY_THRESHOLD, STEP_THRESHOLD,
                                             describe_trace, grey_image, imagenet, random_image, strip)
from exercises.vision.common import SKELETON_HINT, harness_call, scaled_error, side_by_side, squeezenet
from exercises.vision.images import SQUEEZENET_STD, deprocess, heat
from exercises.vision.options import vision_fixtures
from grader.api import (CheckContext, CheckFailure, CheckList, Exercise, Executor, Handle, Outcome, StudentError,
                        expect_array, hookimpl, images_artifact, index_text)

EXERCISE_ID = "network_visualization_pytorch"
MODULE = "net_visualization_pytorch"
T = MODULE + "."
HARNESS = "vision_harness_pytorch"
checks = CheckList(EXERCISE_ID, modules=(MODULE,))

NOT_IN_PLACE = "pytorch.class_visualization_update_step.not-in-place"


# ------------------------------------------------------------------------------------------ helpers


def nchw(X: np.ndarray) -> np.ndarray:
    """Images (N, H, W, 3) as PyTorch lays them out, (N, 3, H, W)."""
    return np.ascontiguousarray(np.asarray(X, np.float32).transpose(0, 3, 1, 2))


def nhwc(X: np.ndarray) -> np.ndarray:
    return np.asarray(X).transpose(0, 2, 3, 1)


def tensor(executor: Executor, value: Any, requires_grad: bool = False, dtype: str = "float32") -> Handle:
    """A handle to ``value`` as a torch tensor in the worker (a leaf that requires its gradient if asked)."""
    return executor.new(HARNESS + ".tensor", value, requires_grad, dtype)


def facts(executor: Executor, handle: Handle) -> dict[str, Any]:
    """What ``handle`` holds (``vision_harness_pytorch.describe``) and its values."""
    info = dict(executor.call(HARNESS + ".describe", handle))  # a copy: the answer itself stays as it came
    info["values"] = executor.call(HARNESS + ".values", handle) if info.get("is_tensor") else None
    return info


def returned_tensor(info: dict[str, Any], call: str, hint: str = "") -> np.ndarray:
    """The values of what a function returned, which must be a tensor the notebook can turn into numpy."""
    if info["class"] == "NoneType":
        raise CheckFailure("%s returned None%s" % (call, SKELETON_HINT))
    if not info["is_tensor"]:
        raise CheckFailure("%s should return a torch Tensor%s, got an object of type %s" % (call, hint,
                                                                                         info["class"]))
    return expect_array(info["values"], call)


# ------------------------------------------------------------------------------------------ saliency


def saliency_run(ctx: CheckContext, executor: Executor, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """compute_saliency_maps on tensors of X and y, as the notebook calls it; what came back and X after."""
    model = squeezenet(ctx, executor, HARNESS)
    images, labels = tensor(executor, X), tensor(executor, y, dtype="long")
    result = executor.new(T + "compute_saliency_maps", images, labels, model)
    out = facts(executor, result)
    out["X after"] = executor.call(HARNESS + ".values", images)
    return out


def judge_saliency(ctx: CheckContext, X_nhwc: np.ndarray, y: np.ndarray) -> Outcome:
    X = nchw(X_nhwc)
    ctx.note_inputs(X=X, y=y)
    want, got = side_by_side(ctx, lambda ex: saliency_run(ctx, ex, X, y))
    want = expect_array(want["values"], "reference")
    call = "compute_saliency_maps(X, y, model)"
    values = returned_tensor(got, call, " (the notebook calls saliency.numpy())")
    if got["requires_grad"]:
        raise CheckFailure("%s returned a tensor that requires a gradient: the notebook's saliency.numpy() "
                           "refuses it (take the maps from X.grad, which does not, or .detach() them)" % call)
    values = expect_array(values, "the saliency maps", (X.shape[0],) + X.shape[2:])
    if not np.array_equal(expect_array(got["X after"], "X after the call"), X):
        raise CheckFailure("compute_saliency_maps changed the values of X (only its requires_grad flag may change)")
    if np.any(values < 0):
        raise CheckFailure("the saliency maps have negative entries (the smallest is %.4g)" % float(values.min()),
                           diagnosis="pytorch.compute_saliency_maps.no-abs")
    ctx.artifacts.append(images_artifact("Saliency maps (same colour scale per image)", [
        ("images", strip([deprocess(x) for x in X_nhwc])),
        ("your saliency maps", strip([heat(g, w.max()) for g, w in zip(values, want)])),
        ("the reference's", strip([heat(w, w.max()) for w in want]))]))
    err = scaled_error(values, want)
    worst = np.unravel_index(int(np.argmax(np.abs(values - want))), values.shape)
    ctx.details["worst entries"] = ("saliency%s: expected %.6g, got %.6g (largest reference value %.6g)"
                                    % (index_text(worst), want[worst], values[worst], float(want.max())))
    return Outcome(err, "max |yours - reference| / max |reference| = %.2e" % err)


@checks.add(T + "compute_saliency_maps/notebook",
            "compute_saliency_maps on the notebook's five images (tensors) equals the reference's; it returns a "
            "tensor and leaves X's values alone", T + "compute_saliency_maps", 2.5, metric="scaled_error",
            threshold=SALIENCY_THRESHOLD)
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


def judge_fooling(ctx: CheckContext, X_nhwc: np.ndarray, rank: int | None) -> Outcome:
    """The student's fooling run on X, judged by the reference's forward pass (in self-check, by the provided
    model in the student's worker, with the call limit the answer bundle recorded)."""
    X = nchw(X_nhwc)
    target_fn = T + "make_fooling_image"
    model_r, model_s = squeezenet(ctx, ctx.reference, HARNESS), squeezenet(ctx, ctx.student, HARNESS)
    scores = expect_array(ctx.reference.call(HARNESS + ".scores", model_r, X), "reference scores")[0]
    target = NOTEBOOK_FOOLING_TARGET if rank is None else int(np.argsort(scores)[::-1][rank - 1])
    ctx.note_inputs(X=X, target_y=target)
    budget = ctx.reference.new(HARNESS + ".CallBudget", model_r, REFERENCE_CALL_LIMIT)
    ref_image = expect_array(ctx.reference.call(target_fn, tensor(ctx.reference, X), target, budget), "reference")
    ref_calls = int(ctx.reference.get_attr(budget, "calls"))
    limit = FOOLING_CALLS[0] * ref_calls + FOOLING_CALLS[1]
    budget = ctx.student.new(HARNESS + ".CallBudget", model_s, limit, target)
    image = tensor(ctx.student, X)
    try:
        result = ctx.student.new(target_fn, image, target, budget)
    except StudentError as exc:
        if exc.executor is ctx.student and exc.type_name == "BudgetExceeded":
            trace = expect_array(ctx.student.get_attr(budget, "trace"), "the target's scores")
            ctx.details["target scores"] = describe_trace(trace, target, float(scores[target]))
            raise CheckFailure("make_fooling_image called the model more than %d times without reaching class %d (the "
                               "reference needed %d calls): is the step gradient *ascent* with "
                               "learning_rate * g / ||g||_2?" % (limit, target, ref_calls)) from None
        raise
    calls = int(ctx.student.get_attr(budget, "calls"))
    got = expect_array(returned_tensor(facts(ctx.student, result), "make_fooling_image(X, target_y, model)"),
                       "X_fooling", X.shape)
    X_after = expect_array(ctx.student.call(HARNESS + ".values", image), "X after the call")
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
    grey = float(np.mean(np.abs(delta) * SQUEEZENET_STD[None, :, None, None]) * 255)
    allowed = max(FOOLING_SMALL_MEAN, 3 * float(np.mean(np.abs(ref_delta))))
    ctx.artifacts.append(images_artifact("Fooling image (target class %d)" % target, [
        ("original", deprocess(X_nhwc[0])), ("your fooling image", deprocess(nhwc(got)[0])),
        ("your difference x10", deprocess(10 * nhwc(X - got)[0])),
        ("the reference's x10", deprocess(10 * nhwc(X - ref_image)[0]))]))
    ctx.details["got"] = ("%s classifies your image as %d (target %d); %d model calls (the reference made %d, "
                          "the limit was %d); perturbation mean |delta| %.4f (about %.2f grey levels), max %.3f; the "
                          "reference's mean %.4f" % (judge, predicted, target, calls, ref_calls, limit, mean, grey, top,
                                                     float(np.mean(np.abs(ref_delta)))))
    problems = []
    if not np.array_equal(X_after, X):
        problems.append("make_fooling_image modified its input X (start from X.clone())")
    if predicted != target:
        problems.append("%s classifies the returned image as %d, not the target %d" % (judge, predicted, target))
    if mean > allowed:
        problems.append("the perturbation is not small: mean |delta| %.4f > %.4f (steps of "
                        "learning_rate * g / ||g||_2 with learning_rate 1)" % (mean, allowed))
    if problems:
        return Outcome(passed=False, message="; ".join(problems))
    return Outcome(passed=True, message="classified as the target %d by %s after %d model calls; mean |delta| "
                   "%.4f, max %.3f" % (target, judge, calls, mean, top))


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

STEP = T + "class_visualization_update_step"


def steps(ctx: CheckContext, executor: Executor, X: np.ndarray, y: int, l2_reg: float, lr: float,
          count: int = 1) -> dict[str, Any]:
    """``count`` calls of the step on one leaf tensor made from X (as the notebook's loop makes them): the
    image after them, and what the last call returned."""
    model = squeezenet(ctx, executor, HARNESS)
    img = tensor(executor, X, requires_grad=True)
    for _ in range(count):
        result = executor.new(STEP, img, model, y, l2_reg, lr)
    out = facts(executor, img)
    out["returned"] = executor.call(HARNESS + ".describe", result)
    out["returned img"] = bool(executor.call(HARNESS + ".same_object", result, img))
    out["returned values"] = executor.call(HARNESS + ".values", result) if out["returned"]["is_tensor"] else None
    return out


def judge_steps(ctx: CheckContext, X: np.ndarray, y: int, l2_reg: float, lr: float, count: int = 1) -> Outcome:
    ctx.note_inputs(img=X, target_y=y, l2_reg=l2_reg, learning_rate=lr)
    want, got = side_by_side(ctx, lambda ex: steps(ctx, ex, X, y, l2_reg, lr, count))
    want = expect_array(want["values"], "reference")
    after = expect_array(got["values"], "img after the step", X.shape)
    if not (got["is_leaf"] and got["requires_grad"]):
        raise CheckFailure("after class_visualization_update_step img is %s: the notebook's loop needs it to stay "
                           "a leaf tensor that requires its gradient (update it in place, img.data += ..., or "
                           "img += ... under torch.no_grad())" % ("not a leaf" if not got["is_leaf"]
                                                                  else "no longer requiring its gradient"))
    if np.array_equal(after, X):
        returned = got["returned values"]
        if returned is not None and not got["returned img"] and returned.shape == X.shape and \
                not np.array_equal(returned, X):
            raise CheckFailure("class_visualization_update_step returned an updated image but left img unchanged: "
                               "the notebook's loop ignores what it returns; update img in place (img.data += ..., "
                               "or img += ... under torch.no_grad())", diagnosis=NOT_IN_PLACE)
        raise CheckFailure("class_visualization_update_step left img unchanged%s" % SKELETON_HINT)
    err = scaled_error(after, want, want - X)
    flipped = scaled_error(after, want + 4 * l2_reg * lr * X, want - X) < STEP_THRESHOLD if count == 1 else False
    return Outcome(err, "max |yours - reference| / max |reference step| = %.2e" % err,
                   diagnosis="pytorch.class_visualization_update_step.l2-sign" if flipped else "")


@checks.add(STEP + "/step", "one class_visualization_update_step on the notebook's random start (a leaf tensor "
            "with no gradient yet, l2_reg %g, learning_rate %g) updates img as the reference's does"
            % (CLASS_VIS["l2_reg"], CLASS_VIS["learning_rate"]), STEP, 1.5, metric="step_error",
            threshold=STEP_THRESHOLD)
def step_notebook(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X = nchw(random_image(rng))
    return judge_steps(ctx, X, int(rng.integers(0, 1000)), CLASS_VIS["l2_reg"], CLASS_VIS["learning_rate"])


@checks.add(STEP + "/hidden", "one class_visualization_update_step with a hidden target, l2_reg and learning_rate "
            "updates img as the reference's does", STEP, 1.5, metric="step_error", threshold=STEP_THRESHOLD)
def step_hidden(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X = nchw(random_image(rng))
    l2_reg = float("%.3g" % 10 ** rng.uniform(-3.5, -1.5))
    lr = float("%.3g" % rng.uniform(5.0, 50.0))
    return judge_steps(ctx, X, int(rng.integers(0, 1000)), l2_reg, lr)


@checks.add(STEP + "/two-steps", "two class_visualization_update_step calls in a row on one tensor, as the "
            "notebook's loop makes them: the second step uses only its own gradient", STEP, 1.5,
            metric="step_error", threshold=STEP_THRESHOLD)
def two_steps(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X = nchw(random_image(rng))
    outcome = judge_steps(ctx, X, int(rng.integers(0, 1000)), CLASS_VIS["l2_reg"], CLASS_VIS["learning_rate"], 2)
    if outcome.metric_value is not None and outcome.metric_value > STEP_THRESHOLD:
        outcome.message += (" (after two steps; if one step alone matches, the second adds the first step's "
                            "gradient again: zero img.grad after using it, or take it with torch.autograd.grad)")
    return outcome


@checks.add(STEP + "/run",
            "the notebook's class-visualization loop (%d iterations) with your step ends where the reference's "
            "does" % CLASS_VIS_RUN["iterations"], STEP, 1.5, metric="run_error", threshold=RUN_THRESHOLD)
def class_vis_run(ctx: CheckContext) -> Outcome:
    rng = ctx.rng()
    X = nchw(grey_image(rng))
    y = int(rng.integers(0, 1000))
    run = CLASS_VIS_RUN
    offsets = rng.integers(0, run["max_jitter"], size=(run["iterations"], 2))
    args = (y, X, offsets, run["l2_reg"], run["learning_rate"], run["blur_every"], run["sigma"])
    ctx.note_inputs(img=X, target_y=y)
    want, got = side_by_side(ctx, lambda ex: harness_call(ex, "class_visualization", squeezenet(ctx, ex, HARNESS),
                                                          *args, harness=HARNESS))
    want = expect_array(want, "reference")
    got = expect_array(got, "the image after the run", X.shape)
    ctx.artifacts.append(images_artifact("Class visualization of class %d after %d iterations" % (y, len(offsets)), [
        ("start", deprocess(nhwc(X)[0])), ("with your step", deprocess(nhwc(got)[0])),
        ("with the reference's", deprocess(nhwc(want)[0]))]))
    err = scaled_error(got, want, want - X)
    return Outcome(err, "max |yours - reference| / max |reference - start| = %.2e" % err)


EXERCISE = Exercise(EXERCISE_ID, "Q3: Network visualization (PyTorch)", tuple(checks.checks),
                    fixtures=vision_fixtures, runtime="pytorch", track="pytorch", twin="network_visualization")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]

