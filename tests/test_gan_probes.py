"""Probes of the GAN losses (issue #18), on numpy stand-ins of students' losses: every combination of the
factors is recognised and named in one sentence; pure numpy, no worker."""
from __future__ import annotations

import numpy as np
import pytest

from exercises.gans.probes import PAIRS, Factors, combinations, inputs, judge, probe, probe_batches, value, words

STABLE = "use a stable cross-entropy"


def student(name, f, stability="stable"):
    """The loss ``name`` with factors ``f``; ``stability``: "log-sigmoid" (inf at large logits) or "clipped"."""
    def loss(*batches):
        if stability == "stable":
            return value(name, f, *batches)
        with np.errstate(all="ignore"):
            if stability == "log-sigmoid":
                return value(name, f, *batches) if max(abs(b).max() for b in batches) < 50 else float("nan")
            return value(name, f, *(np.clip(b, -15, 15) for b in batches))
    return loss


def expected(name, f, stability="stable"):
    w = words(name, STABLE)
    out = []
    if not PAIRS[name] and not name.startswith("ls_") and f.labels == "swapped" and f.sign == "negated":
        out.append(w["minimax"])
    else:
        out += [w["labels"]] if f.labels == "swapped" else []
        out += [w["sign"]] if f.sign == "negated" else []
    if (f.reduction, f.half) == ("concat", "missing"):  # the same values as the concatenated mean times 2
        f = Factors(f.labels, f.sign, "concat-2")
    out += [w[f.reduction]] if f.reduction != "means" else []
    out += [w["half"]] if f.half == "missing" else []
    return out + {"stable": [], "log-sigmoid": [w["overflows"]], "clipped": [w["saturates"]]}[stability]


CASES = [(name, f, s) for name in PAIRS for f in combinations(name)
         for s in (("stable", "log-sigmoid", "clipped") if not name.startswith("ls_") else ("stable",))]


@pytest.mark.parametrize("name,factors,stability", CASES)
def test_every_combination_of_factors_is_named(name, factors, stability):
    finding = probe(name, student(name, factors, stability), STABLE, "the inputs")
    named = expected(name, factors, stability)
    if not named:
        assert finding.mistakes == () and finding.message.endswith("yet fails on the inputs"), finding.message
        return
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes", 4: "four mistakes"}[len(named)]
    assert finding.message == "your %s has %s: %s" % (name, count, ", and ".join(named))
    alone = {("discriminator_loss", Factors(reduction="concat-2"), "stable"): "discriminator_loss.concat-batches",
             (name, Factors(), "log-sigmoid"): "%s.log-of-sigmoid" % name}
    assert finding.catalogued == alone.get((name, factors, stability), "")


def test_labels_sized_from_the_other_batch_are_named_with_the_rest():
    f = Factors(labels="swapped")

    def loss(real, fake):
        return None if len(real) != len(fake) else value("discriminator_loss", f, real, fake)

    w = words("discriminator_loss", STABLE)
    finding = probe("discriminator_loss", loss, STABLE, "x")
    assert finding.message == "your discriminator_loss has two mistakes: %s, and %s" % (w["labels"], w["other-batch"])


def test_an_unknown_loss_is_said_so():
    finding = probe("generator_loss", lambda fake: 3.0 * float(np.mean(fake)), STABLE, "x")
    assert finding.mistakes == ("unknown",) and "none of the usual mistakes" in finding.message


@pytest.mark.slow
@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(20))
def test_the_reference_s_answers_show_no_mistake(seed):
    rng = np.random.default_rng(seed)
    for name in PAIRS:  # the reference's formulas on its answers, each read with float32-like rounding
        answers = {k: value(name, Factors(), *inputs(name, b)) * (1 + 1e-7 * rng.standard_normal())
                   for k, b in probe_batches().items()}
        assert judge(name, answers, STABLE, "x").mistakes == ()
