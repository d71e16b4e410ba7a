"""Probes of ``style_loss`` and ``tv_loss`` (issue #18): which ingredient of a wrong loss is wrong, all of them.

``style_loss``'s ingredients, each read off answers of the student's function on crafted inputs (one layer,
weight 1, unless said), with the student's own ``gram_matrix`` making the current image's Gram matrices (so a
wrong ``gram_matrix`` is not blamed on ``style_loss``):

* the targets: with targets equal to the current Gram matrix G the loss must be 0; where it is not, targets
  equal to the Gram matrix of ``feats[0]`` giving 0 show ``feats[i]`` read instead of ``feats[style_layers[i]]``,
  and ``gram_matrix`` applied to the targets shows however it is written: the loss is that of G against
  G G^T / C^p (a Gram matrix taken of a (C, C) target, whatever reshape and normalisation), or targets that are
  feature maps (4-D) give 0; any other change of the targets is named as such (and hides the per-layer term);
* the per-layer term on a known difference D = G - A: ``sum(D^2)``, or its mean, ``sum|D|``, ``sum(D)``, ``||D||``;
* the weight, from the same layer with weight 1 and weight ``WEIGHT``: times w, w^2 or not at all;
* the layers, from two layers alone and together (weights 1): summed, averaged, the last or the first only.

``tv_loss``'s, from images that vary along one axis only (height, width, channels) and two weights: each axis's
term (squared differences summed, or absolute, averaged, wrapped around the border, their norm, missing),
differences along the channels (must be 0), and the weight (times w, w^2 or not at all).

Pure numpy and plain values: the student's answers come from its sandboxed worker, the judgement runs here.
Probes add words to a failing check's message; they never change its verdict or score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MATCH = 1e-4
"""A candidate explains an answer when |answer - candidate| <= MATCH * max(|candidate|, |answer|) (float32
sums of a few hundred terms agree to ~1e-6)."""
WEIGHT = 7.0
"""The weight of the weighting probes (w, w^2 and 1 are far apart)."""
COUNTS = {1: "one mistake", 2: "two mistakes", 3: "three mistakes", 4: "four mistakes", 5: "five mistakes"}


def close(answer: float | None, want: float) -> bool:
    if answer is None or not np.isfinite(answer):
        return False
    return abs(answer - want) <= MATCH * max(abs(want), abs(answer), 1e-30)


def first_match(answer: float | None, candidates: dict[str, float]) -> str | None:
    return next((name for name, want in candidates.items() if close(answer, want)), None)


def is_zero(answer: float | None, scale: float) -> bool:
    return answer is not None and np.isfinite(answer) and abs(answer) <= MATCH * scale


@dataclass(frozen=True)
class Finding:
    """What the probes found: the mistakes (ids, in order), the sentence, and the catalogue entry that names
    the one mistake alone (``""`` where there is none, or more than one mistake)."""

    mistakes: tuple[str, ...]
    message: str
    catalogued: str = ""


def sentence(function: str, mistakes: list[tuple[str, str]], right: str, catalogue: dict[str, str]) -> Finding:
    """``mistakes``: (id, words) in order; ``right``: what to say when the probes find no mistake."""
    if not mistakes:
        return Finding((), right)
    ids = tuple(i for i, _ in mistakes)
    message = "your %s has %s: %s" % (function, COUNTS[len(mistakes)], ", and ".join(w for _, w in mistakes))
    return Finding(ids, message, catalogue.get(ids[0], "") if len(ids) == 1 else "")


# ------------------------------------------------------------------------------------------ style_loss

TARGETS = {
    "gram-of-targets": "it applies gram_matrix to style_targets[i], which already are Gram matrices (compare "
                       "gram_matrix(feats[style_layers[i]]) with style_targets[i] as it is)",
    "by-position": "it reads feats[i] (the position in style_layers) instead of feats[style_layers[i]]",
    "transformed": "it changes the targets before comparing (with targets equal to the current image's Gram matrix "
                   "it is not 0): compare with style_targets[i] as it is",
}
FORMS = {
    "mean": "it averages the squared differences of a layer (sum them)",
    "abs": "it sums |G - A|, not the squared differences (G: the current Gram matrix, A: the target)",
    "signed": "it sums G - A without squaring (G: the current Gram matrix, A: the target)",
    "norm": "it takes the norm ||G - A|| of a layer instead of its square, the sum of squared differences",
    None: "its term for one layer with weight 1 is none of the usual mistakes: it must be sum((G - A)^2) "
          "(G: the current Gram matrix, A: the target)",
}
WEIGHTS = {
    "squared": "the weight is squared (multiply the layer's sum of squares by style_weights[i], outside the square)",
    "ignored": "the layer weights are not applied (multiply each layer's term by style_weights[i])",
    None: "the weight is misapplied: a layer's term must be style_weights[i] times its sum of squares",
}
LAYERS = {
    "mean": "it averages over the layers instead of adding them up",
    "last": "only the last layer counts (accumulate over the layers: loss += ...)",
    "first": "only the first layer counts (is the return inside the loop?)",
    None: "the layers' terms do not add up: the loss must be their sum",
}
STYLE_CATALOGUE = {"gram-of-targets": "style_loss.gram-of-targets"}


def style_form(answer: float | None, D: np.ndarray) -> str | None:
    """Which per-layer term gives ``answer`` on the difference ``D`` (``"right"``, a FORMS id, or None)."""
    D = np.asarray(D, np.float64)
    square = float(np.sum(D * D))
    return first_match(answer, {"right": square, "mean": square / D.size, "abs": float(np.sum(np.abs(D))),
                                "signed": float(np.sum(D)), "norm": float(np.sqrt(square))})


def style_weighting(one: float | None, weighted: float | None, w: float = WEIGHT) -> str | None:
    if one is None or not np.isfinite(one) or one == 0:
        return None
    return first_match(weighted, {"right": w * one, "squared": w * w * one, "ignored": one})


def style_layers(a: float | None, b: float | None, both: float | None) -> str | None:
    if a is None or b is None:
        return None
    return first_match(both, {"right": a + b, "mean": (a + b) / 2, "last": b, "first": a})


def regram(A: np.ndarray, power: int) -> np.ndarray:
    """A Gram matrix taken of a Gram matrix ``A`` (its own rows as features), divided by C ** ``power``: what
    ``gram_matrix`` gives a (C, C) target however it reshapes it (C: the channels)."""
    A = np.asarray(A, np.float64)
    return A @ np.swapaxes(A, -1, -2) / A.shape[-1] ** power


def regram_power(same: float | None, G: np.ndarray) -> int | None:
    """The ``power`` with which ``same`` (targets equal to ``G``, the current Gram matrix) is sum((G -
    regram(G, power))^2), or None."""
    return next((p for p in range(4) if close(same, float(np.sum((G - regram(G, p)) ** 2)))), None)


def style_targets(same: float | None, by_position: float | None, as_features: float | None,
                  scale: float, G: np.ndarray | None = None) -> str:
    """``same``: targets equal to the current Gram matrix ``G``; ``by_position``: the Gram matrix of ``feats[0]``
    (one layer, not 0); ``as_features``: the feature map itself; ``scale``: the size of a Gram matrix's sum of
    squares."""
    if is_zero(same, scale):
        return "right"
    if is_zero(by_position, scale):
        return "by-position"
    if is_zero(as_features, scale) or (G is not None and regram_power(same, G) is not None):
        return "gram-of-targets"
    return "transformed"


def judge_style(targets: str, form: str | None, weighting: str | None, layers: str | None,
                failing: str) -> Finding:
    """One sentence from the four facts (``failing``: the inputs the check fails on, for when all are right)."""
    mistakes = [(targets, TARGETS[targets])] if targets != "right" else []
    if form != "right" and not (form is None and targets in ("transformed", "by-position")):
        mistakes.append(("form-%s" % form, FORMS[form]))  # a transformed target hides the term's form
    if weighting != "right":
        mistakes.append(("weight-%s" % weighting, WEIGHTS[weighting]))
    if layers != "right":
        mistakes.append(("layers-%s" % layers, LAYERS[layers]))
    right = ("your style_loss is right in each part with your gram_matrix making the Gram matrices (targets used "
             "as given, squared differences summed, weighted, added over the layers), yet fails on %s: if "
             "gram_matrix fails its own checks, fix it first" % failing)
    return sentence("style_loss", mistakes, right, STYLE_CATALOGUE)


# ------------------------------------------------------------------------------------------ tv_loss

AXES = ("height", "width")
TV_TERMS = {
    "abs": "the %s differences are taken in absolute value, not squared",
    "mean": "the squared %s differences are averaged, not summed",
    "wraps": "the %s differences wrap around the border (the last row or column is paired with the first: use "
             "slices, not a roll)",
    "norm": "the %s term is the norm of the differences, not the sum of their squares",
    "missing": "the %s differences are missing",
    None: "the %s term is none of the usual mistakes: it must be the sum of the squared differences of "
          "neighbouring pixels",
}
CHANNEL_AXIS = ("it takes the vertical differences along the channel axis instead of the height (difference "
                "neighbouring rows)")
NO_VERTICAL = "the height differences are missing (add the squared differences of vertically adjacent pixels)"
CHANNELS = "it takes differences along the channel axis (an image that varies along its channels only has tv 0)"
TV_WEIGHTS = {
    "ignored": "tv_weight is not applied (multiply the sum by it)",
    "squared": "tv_weight is squared (multiply the sum by tv_weight once)",
    None: "tv_weight is misapplied (the loss is tv_weight times the sum)",
}
TV_CATALOGUE = {"wraps": "tv_loss.wraps-around", "channel-axis": "tv_loss.channel-axis",
                "no-vertical": "tv_loss.no-vertical"}


def axis_image(shape: tuple[int, int, int, int], axis: int, values: np.ndarray) -> np.ndarray:
    """A (1, H, W, C) image equal to ``values`` (one per index) along ``axis`` (1, 2 or 3), constant elsewhere."""
    view = [1, 1, 1, 1]
    view[axis] = shape[axis]
    return np.broadcast_to(np.asarray(values, np.float64).reshape(view), shape).copy()


def tv_term(answer: float | None, img: np.ndarray, axis: int) -> str | None:
    """Which term along ``axis`` gives ``answer`` (weight 1) on an image that varies along that axis only."""
    img = np.asarray(img, np.float64)
    d = np.diff(img, axis=axis)
    wrapped = np.roll(img, -1, axis=axis) - img
    square = float(np.sum(d * d))
    return first_match(answer, {"right": square, "abs": float(np.sum(np.abs(d))), "mean": square / d.size,
                                "wraps": float(np.sum(wrapped * wrapped)), "norm": float(np.sqrt(square))}
                       ) if not is_zero(answer, square) else "missing"


def tv_weighting(one: float | None, weighted: float | None, w: float = WEIGHT) -> str | None:
    return style_weighting(one, weighted, w)


def judge_tv(terms: dict[str, str | None], channels: bool, weighting: str | None, failing: str) -> Finding:
    """``terms``: axis name -> ``tv_term``; ``channels``: the loss of a channels-only image is not 0."""
    bad = {axis: t for axis, t in terms.items() if t != "right"}
    if channels and bad.get("height") == "missing" and set(bad) == {"height"}:
        mistakes = [("channel-axis", CHANNEL_AXIS)]
    elif not channels and set(bad) == {"height"} and bad["height"] == "missing":
        mistakes = [("no-vertical", NO_VERTICAL)]
    else:
        same = len(set(bad.values())) == 1 and len(bad) == 2 and None not in bad.values()
        if same:  # one mistake on both axes
            kind = next(iter(bad.values()))
            mistakes = [(kind, TV_TERMS[kind] % "height and width")]
        else:
            mistakes = [("%s-%s" % (axis, t), TV_TERMS[t] % axis) for axis, t in bad.items()]
        if channels:
            mistakes.append(("channels", CHANNELS))
    if weighting != "right":
        mistakes.append(("weight-%s" % weighting, TV_WEIGHTS[weighting]))
    right = ("your tv_loss is right on each axis and weight (images that vary along one axis only), yet fails on %s"
             % failing)
    return sentence("tv_loss", mistakes, right, TV_CATALOGUE)


# ------------------------------------------------------------------------------------------ running them

def probe_style(gram, loss, feats: list[np.ndarray], others: list[np.ndarray], failing: str) -> Finding:
    """The probes of ``style_loss``: ``gram(x)``, the student's Gram matrix of one feature map (an array; may
    raise, which ends the probes); ``loss(feats, layers, targets, weights)``, the student's loss (None where it
    raised); ``feats``: 12 feature maps in the track's layout, all different; ``others``: maps of the same
    shapes, whose Gram matrices are the targets. Worker calls happen inside the two callables only."""
    G = {i: np.asarray(gram(feats[i]), np.float64) for i in (0, 5)}
    maps = [others[0], 1.5 * others[0]]  # two targets for the same layer
    A = [np.asarray(gram(m), np.float64) for m in maps]
    same = loss(feats, [5], [G[5]], [1.0])
    targets = style_targets(same, loss(feats, [5], [G[0]], [1.0]), None, float(np.sum(G[5] ** 2)))
    power = None
    if targets == "transformed":
        power = regram_power(same, G[5])  # gram_matrix applied to the (C, C) targets, however it is written
        targets = style_targets(same, None, None if power is not None else loss(feats, [5], [feats[5]], [1.0]),
                                float(np.sum(G[5] ** 2)), G[5])
    given = maps if targets == "gram-of-targets" and power is None else A
    compared = A[0] if power is None else regram(A[0], power)  # what the student compares G with
    one = loss(feats, [0], [given[0]], [1.0])
    twin = [feats[0]] + list(feats[1:])
    twin[1] = feats[0]  # layers 0 and 1 hold the same map: reading feats[i] or feats[style_layers[i]] agree
    other = loss(twin, [1], [given[1]], [1.0])
    return judge_style(targets, style_form(one, G[0] - compared),
                       style_weighting(one, loss(feats, [0], [given[0]], [WEIGHT])),
                       style_layers(one, other, loss(twin, [0, 1], [given[0], given[1]], [1.0, 1.0])), failing)


def probe_tv(tv, shape: tuple[int, int, int, int], axes: dict[str, int], rng: np.random.Generator,
             failing: str) -> Finding:
    """The probes of ``tv_loss``: ``tv(img, weight)``, the student's loss (None where it raised); ``shape``: a
    4-D image shape in the track's layout, ``axes``: where ``height``, ``width`` and ``channels`` are in it."""
    images = {name: axis_image(shape, axis, rng.uniform(-1, 1, size=shape[axis])) for name, axis in axes.items()}
    answers = {name: tv(img, 1.0) for name, img in images.items()}
    terms = {name: tv_term(answers[name], images[name], axes[name]) for name in AXES}
    channel_diff = np.diff(images["channels"], axis=axes["channels"])
    channels = not is_zero(answers["channels"], float(np.sum(channel_diff ** 2)))
    name = next((n for n in AXES if answers[n] and np.isfinite(answers[n])), "height")
    return judge_tv(terms, channels, tv_weighting(answers[name], tv(images[name], WEIGHT)), failing)
