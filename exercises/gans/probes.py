"""Probes of the GAN losses (issue #18): which ingredients of a wrong loss are wrong, all of them.

A loss is a sum of terms, one per batch, each the mean over its batch of a per-logit loss against a label:
binary cross-entropy for ``discriminator_loss`` / ``generator_loss``, half the squared difference for the
least-squares twins. Its independent factors: the labels (right or swapped), the sign, the reduction (each
batch's own mean, or the mean over both batches put together, with or without the times 2, or sums; one batch's
labels sized from the other), the 1/2 of the least-squares losses, and for cross-entropies the stability (inf or
NaN at large logits: the log of a sigmoid; finite but wrong: clipped probabilities). Every combination is written
out here as the value it gives; the student's answers on float64 batches of unequal sizes (3 real, 6 fake, and
6 real, 3 fake), of equal sizes (4 and 4), and at large logits (4 and 4, up to 1000) are matched against them:
the probes name *every* mistake found, in one sentence (where two combinations give the same values, the one with
fewer mistakes; the generator's swapped and negated loss is named as the saturating minimax loss).

Pure numpy and plain values: the student's answers come from its sandboxed worker, the judgement runs here.
Probes add words to a failing check's message; they never change its verdict or score.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from exercises.vision.style_probes import COUNTS, Finding, close

PAIRS = {"discriminator_loss": True, "generator_loss": False, "ls_discriminator_loss": True,
         "ls_generator_loss": False}
"""loss -> whether it takes a real and a fake batch."""

REDUCTIONS = ("means", "concat-2", "concat", "sums")
HALVES = ("right", "missing")


@dataclass(frozen=True)
class Factors:
    labels: str = "right"
    sign: str = "right"
    reduction: str = "means"
    half: str = "right"


def per_logit(x: np.ndarray, label: float, least_squares: bool, half: str) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if least_squares:
        return (1.0 if half == "missing" else 0.5) * (x - label) ** 2
    return np.logaddexp(0.0, x) - label * x  # the cross-entropy of sigmoid(x) against the label, stably


def value(name: str, f: Factors, *batches: np.ndarray) -> float:
    """The loss ``name`` with factors ``f`` on ``batches`` (real, fake or fake alone)."""
    labels = (1.0, 0.0) if PAIRS[name] else (1.0,)
    if f.labels == "swapped":
        labels = tuple(1.0 - y for y in labels)
    terms = [per_logit(b, y, name.startswith("ls_"), f.half) for b, y in zip(batches, labels)]
    if f.reduction == "sums":
        total = sum(float(np.sum(t)) for t in terms)
    elif f.reduction in ("concat", "concat-2"):
        total = float(np.mean(np.concatenate(terms))) * (2 if f.reduction == "concat-2" else 1)
    else:
        total = sum(float(np.mean(t)) for t in terms)
    return -total if f.sign == "negated" else total


def combinations(name: str) -> list[Factors]:
    reductions = REDUCTIONS if PAIRS[name] else ("means", "sums")
    halves = HALVES if name.startswith("ls_") else ("right",)
    return [Factors(*c) for c in itertools.product(("right", "swapped"), ("right", "negated"), reductions, halves)]


def probe_batches() -> dict[str, tuple[np.ndarray, ...]]:
    """The probes' inputs: ordinary float64 logits in batches of unequal and equal sizes, and large ones."""
    rng = np.random.default_rng(18)
    ordinary = {"3-6": (3, 6), "6-3": (6, 3), "4-4": (4, 4)}
    batches = {k: tuple(2.0 * rng.standard_normal((n, 1)) for n in sizes) for k, sizes in ordinary.items()}
    big = tuple(np.array(v, np.float64).reshape(-1, 1)
                for v in ([800.0, -1000.0, 1.5, -2.0], [-900.0, 950.0, 0.5, -1.0]))
    return dict(batches, large=big)


def inputs(name: str, batches: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """A probe's arrays for ``name``: (real, fake), or the fake batch alone."""
    return batches if PAIRS[name] else batches[-1:]


def words(name: str, stable: str) -> dict[str, str]:
    generator = not PAIRS[name]
    return {
        "labels": ("its targets are 0 (the generator wants its fakes called real: label them 1)" if generator else
                   "the labels are swapped (label real images 1 and fakes 0)"),
        "sign": "the loss is negated (minimise the loss itself, not its negative)",
        "minimax": ("it is the saturating minimax loss, log(1 - D(G(z))) (use the cross-entropy of the fakes "
                    "against label 1)"),
        "concat-2": ("it averages over the real and fake batches put together (times 2), which weighs the larger "
                     "batch more (average each batch on its own and add the two means)"),
        "concat": ("it averages over the real and fake batches put together, which weighs the larger batch more "
                   "and halves the loss (average each batch on its own and add the two means)"),
        "sums": "it sums over the batch instead of averaging (take the mean)",
        "other-batch": ("it sizes one batch's labels from the other batch, so it fails when the batches differ in "
                        "size (make each batch's labels from its own logits)"),
        "half": "the 1/2 in front of each mean of squares is missing",
        "overflows": ("it takes the log of sigmoid probabilities, which becomes inf or NaN at large logits (%s)"
                      % stable),
        "saturates": "it is wrong at large logits, as clipped probabilities are (%s)" % stable,
    }


CATALOGUE = {("concat-2",): "discriminator_loss.concat-batches",
             ("other-batch",): "discriminator_loss.labels-other-batch"}


def finite(a: float | None) -> bool:
    return a is not None and bool(np.isfinite(a))


def judge(name: str, answers: dict[str, float | None], stable: str, failing: str) -> Finding:
    """``answers``: the student's loss on each of ``probe_batches()`` (None where it raised)."""
    batches = probe_batches()
    pair = PAIRS[name]
    keys = ("3-6", "6-3")
    if pair and not finite(answers["3-6"]) and finite(answers["4-4"]):
        keys, other_batch = ("4-4",), True  # it breaks on unequal batches only
    else:
        other_batch = False
    chosen = [f for f in combinations(name)
              if all(close(answers[k], value(name, f, *inputs(name, batches[k]))) for k in keys)]
    if other_batch:  # at equal sizes the concatenated mean times 2 is the means: say the simplest
        chosen = [f for f in chosen if f.reduction in ("means", "concat", "sums")]
    chosen.sort(key=lambda f: (f.labels != "right") + (f.sign != "right") + (f.reduction != "means")
                + (f.half != "right"))  # the fewest mistakes that explain the answers
    if not chosen:
        return Finding(("unknown",), "your %s is none of the usual mistakes on ordinary float64 logits (%s): it "
                                     "must be the mean over each batch of %s" % (
                                         name, "3 real and 6 fake" if pair else "6 and 3 fake",
                                         "half the squared difference from the label" if name.startswith("ls_")
                                         else "the cross-entropy against the label, added over the batches"))
    f = chosen[0]
    w = words(name, stable)
    mistakes: list[tuple[str, str]] = []
    if not pair and f.labels == "swapped" and f.sign == "negated" and not name.startswith("ls_"):
        mistakes.append(("minimax", w["minimax"]))
    else:
        mistakes += [("labels", w["labels"])] if f.labels == "swapped" else []
        mistakes += [("sign", w["sign"])] if f.sign == "negated" else []
    if other_batch:
        mistakes.append(("other-batch", w["other-batch"]))
    if f.reduction != "means":
        mistakes.append((f.reduction, w[f.reduction]))
    if f.half == "missing":
        mistakes.append(("half", w["half"]))
    if not name.startswith("ls_"):
        large = inputs(name, batches["large"])
        if not finite(answers["large"]):
            mistakes.append(("overflows", w["overflows"]))
        elif not close(answers["large"], value(name, f, *large)):
            mistakes.append(("saturates", w["saturates"]))
    if not mistakes:
        return Finding((), "your %s is right on ordinary float64 logits, in batches of unequal sizes%s, yet fails "
                           "on %s" % (name, " and at large logits" if not name.startswith("ls_") else "", failing))
    ids = tuple(i for i, _ in mistakes)
    catalogued = CATALOGUE.get(ids, "") if name == "discriminator_loss" else ""
    if ids == ("overflows",):
        catalogued = "%s.log-of-sigmoid" % name
    return Finding(ids, "your %s has %s: %s" % (name, COUNTS[len(ids)], ", and ".join(t for _, t in mistakes)),
                   catalogued)


def probe(name: str, call, stable: str, failing: str) -> Finding:
    """``call(*batches)``: the student's loss on float64 arrays (None where it raised), via its worker."""
    answers = {k: call(*inputs(name, b)) for k, b in probe_batches().items()}
    return judge(name, answers, stable, failing)
