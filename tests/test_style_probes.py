"""Probes of ``style_loss`` and ``tv_loss`` (issue #18), on numpy stand-ins of students' functions: every
combination of the factors is recognised and named in one sentence; pure numpy, no worker."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from exercises.vision.style_probes import (CHANNEL_AXIS, CHANNELS, FORMS, LAYERS, NO_VERTICAL, TARGETS, TV_TERMS,
                                           TV_WEIGHTS, WEIGHTS, probe_style, probe_tv)

NHWC = {"height": 1, "width": 2, "channels": 3}


def gram(x):
    flat = np.asarray(x, np.float64).reshape(-1, np.shape(x)[-1])
    return flat.T @ flat / flat.size


def style_student(targets="right", form="right", weighting="right", layers="right"):
    """A numpy style_loss with these factors (gram-of-targets: gram_matrix applied to every target)."""
    def loss(feats, style_layers, style_targets, style_weights):
        terms = []
        for i, layer in enumerate(style_layers):
            G = gram(feats[i if targets == "by-position" else layer])
            A = gram(style_targets[i]) if targets == "gram-of-targets" else np.asarray(style_targets[i])
            D = G - A
            term = {"right": np.sum(D * D), "mean": np.mean(D * D), "abs": np.sum(np.abs(D)), "signed": np.sum(D),
                    "norm": np.sqrt(np.sum(D * D))}[form]
            w = style_weights[i]
            terms.append({"right": w, "squared": w * w, "ignored": 1.0}[weighting] * term)
        return float({"right": sum(terms), "mean": sum(terms) / len(terms), "last": terms[-1],
                      "first": terms[0]}[layers])
    return answering(loss)


def answering(loss):
    """None where the loss raises, as the worker's answers are read."""
    def call(*args):
        try:
            return loss(*args)
        except ValueError:
            return None
    return call


def features(seed):
    rng = np.random.default_rng(seed)
    shapes = [tuple(int(n) for n in rng.integers(3, 7, size=3)) for _ in range(12)]
    feats = [np.maximum(rng.standard_normal((1, h, w + 1, c)), 0) for h, w, c in shapes]
    return feats, [np.maximum(rng.standard_normal(f.shape), 0) for f in feats]


STYLE_FACTORS = list(itertools.product(("right", "gram-of-targets", "by-position"),
                                       ("right", "mean", "abs", "signed", "norm"),
                                       ("right", "squared", "ignored"), ("right", "mean", "last", "first")))


def expected_style(targets, form, weighting, layers):
    words = [TARGETS[targets]] if targets != "right" else []
    words += [FORMS[form]] if form != "right" else []
    words += [WEIGHTS[weighting]] if weighting != "right" else []
    return words + ([LAYERS[layers]] if layers != "right" else [])


@pytest.mark.parametrize("factors", STYLE_FACTORS)
def test_style_loss_factors_are_each_named(factors):
    feats, others = features(sum(map(len, factors)))
    finding = probe_style(gram, style_student(*factors), feats, others, "the inputs")
    words = expected_style(*factors)
    if not words:
        assert finding.mistakes == () and "yet fails on the inputs" in finding.message
        return
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes", 4: "four mistakes"}[len(words)]
    assert finding.message == "your style_loss has %s: %s" % (count, ", and ".join(words))
    assert finding.catalogued == ("style_loss.gram-of-targets" if factors == ("gram-of-targets", "right", "right",
                                                                               "right") else "")


@pytest.mark.parametrize("power", range(4))
def test_gram_matrix_of_two_dimensional_targets_is_recognised_however_normalised(power):
    base = style_student(layers="mean")

    def regrams(feats, layers, targets, weights):
        return base(feats, layers, [t @ t.T / t.shape[-1] ** power if np.ndim(t) == 2 else t + 1 for t in targets],
                    weights)

    feats, others = features(5)
    finding = probe_style(gram, regrams, feats, others, "x")
    assert finding.message == "your style_loss has two mistakes: %s, and %s" % (TARGETS["gram-of-targets"],
                                                                               LAYERS["mean"])


def test_an_unknown_target_transform_still_gets_the_weight_and_layer_facts():
    base = style_student(weighting="squared")

    def transposed_plus_one(feats, layers, targets, weights):
        return base(feats, layers, [np.asarray(t) + 1.0 for t in targets], weights)

    feats, others = features(3)
    finding = probe_style(gram, transposed_plus_one, feats, others, "x")
    assert finding.message == "your style_loss has two mistakes: %s, and %s" % (TARGETS["transformed"],
                                                                               WEIGHTS["squared"])


def tv_student(height="right", width="right", channels=False, weighting="right"):
    """A numpy NHWC tv_loss with these factors per axis."""
    def term(img, axis, kind):
        d = np.diff(img, axis=axis)
        wrapped = np.roll(img, -1, axis=axis) - img
        return {"right": np.sum(d * d), "abs": np.sum(np.abs(d)), "mean": np.mean(d * d),
                "wraps": np.sum(wrapped * wrapped), "norm": np.sqrt(np.sum(d * d)), "missing": 0.0}[kind]

    def loss(img, w):
        total = term(img, 1, height) + term(img, 2, width) + (term(img, 3, "right") if channels else 0.0)
        return float({"right": w, "ignored": 1.0, "squared": w * w}[weighting] * total)
    return loss


TV_CASES = {
    ("right", "right", False, "right"): ([], ""),
    ("missing", "right", False, "right"): ([NO_VERTICAL], "tv_loss.no-vertical"),
    ("missing", "right", True, "right"): ([CHANNEL_AXIS], "tv_loss.channel-axis"),
    ("wraps", "wraps", False, "right"): ([TV_TERMS["wraps"] % "height and width"], "tv_loss.wraps-around"),
    ("abs", "abs", False, "ignored"): ([TV_TERMS["abs"] % "height and width", TV_WEIGHTS["ignored"]], ""),
    ("mean", "mean", False, "right"): ([TV_TERMS["mean"] % "height and width"], ""),
    ("right", "missing", False, "squared"): ([TV_TERMS["missing"] % "width", TV_WEIGHTS["squared"]], ""),
    ("missing", "right", True, "ignored"): ([CHANNEL_AXIS, TV_WEIGHTS["ignored"]], ""),
    ("norm", "abs", False, "right"): ([TV_TERMS["norm"] % "height", TV_TERMS["abs"] % "width"], ""),
    ("right", "right", True, "right"): ([CHANNELS], ""),
}


@pytest.mark.parametrize("factors", TV_CASES)
def test_tv_loss_factors_are_each_named(factors):
    words, catalogued = TV_CASES[factors]
    finding = probe_tv(tv_student(*factors), (1, 6, 9, 3), NHWC, np.random.default_rng(0), "the image")
    if not words:
        assert finding.mistakes == () and finding.message.endswith("yet fails on the image")
        return
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}[len(words)]
    assert finding.message == "your tv_loss has %s: %s" % (count, ", and ".join(words))
    assert finding.catalogued == catalogued


def test_a_raising_or_nan_answer_is_no_match():
    finding = probe_tv(lambda img, w: None, (1, 6, 9, 3), NHWC, np.random.default_rng(0), "x")
    assert "none of the usual mistakes" in finding.message


@pytest.mark.slow
@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(20))
def test_the_reference_s_answers_show_no_mistake(seed):
    feats, others = features(100 + seed)
    assert probe_style(gram, style_student(), feats, others, "x").mistakes == ()
    assert probe_tv(tv_student(), (1, 6, 9, 3), NHWC, np.random.default_rng(seed), "x").mistakes == ()


def test_the_tv_probes_read_the_pytorch_layout_too():
    """(N, C, H, W): the vertical differences taken along the channels (axis 1) instead of the height (axis 2)."""
    def channel_axis(img, w):
        return w * float(np.sum(np.diff(img, axis=1) ** 2) + np.sum(np.diff(img, axis=3) ** 2))

    finding = probe_tv(channel_axis, (1, 3, 6, 9), {"height": 2, "width": 3, "channels": 1},
                       np.random.default_rng(0), "x")
    assert finding.message == "your tv_loss has one mistake: %s" % CHANNEL_AXIS
    assert finding.catalogued == "tv_loss.channel-axis"
