"""The style-transfer and GAN losses' probes on real gradings (issue #18): each sample of combined mistakes
(``submissions/make_combined.py``) gets the one sentence naming all its mistakes on each failing check of the
function, the verdict and score unchanged, and only that function is blamed; a single mistake written otherwise
than the catalogue's version is named by the catalogue entry; the reference gets no probe sentence. Slow tier:
one grading of sixteen submissions (both tracks)."""
from __future__ import annotations


import pytest

from conftest import ROOT, grade, load_sample_maker, write_submission
from exercises.gans.probes import words
from exercises.gans.functions import TF_STABLE
from exercises.gans.pytorch import STABLE as TORCH_STABLE
from exercises.vision.style_probes import FORMS, TARGETS, TV_TERMS, TV_WEIGHTS, WEIGHTS

pytestmark = pytest.mark.slow

S, G = "style_transfer_tensorflow.", "gan_tf."
PS, PG = "style_transfer_pytorch.", "gan_pytorch."
D, GEN, LSD, LSG = (words(n, TF_STABLE) for n in ("discriminator_loss", "generator_loss", "ls_discriminator_loss",
                                                  "ls_generator_loss"))
EXPECTED = {
    "combo_style_mean_weights_ignored": (S + "style_loss", [FORMS["mean"], WEIGHTS["ignored"]]),
    "combo_style_gram_of_targets_weight_squared": (S + "style_loss", [TARGETS["gram-of-targets"],
                                                                      WEIGHTS["squared"]]),
    "combo_tv_abs_no_weight": (S + "tv_loss", [TV_TERMS["abs"] % "height and width", TV_WEIGHTS["ignored"]]),
    "combo_tv_no_vertical_mean": (S + "tv_loss", [TV_TERMS["missing"] % "height", TV_TERMS["mean"] % "width"]),
    "combo_d_loss_swapped_concat": (G + "discriminator_loss", [D["labels"], D["concat-2"]]),
    "combo_g_loss_log_sigmoid_sum": (G + "generator_loss", [GEN["sums"], GEN["overflows"]]),
    "combo_ls_d_loss_no_half_sums": (G + "ls_discriminator_loss", [LSD["sums"], LSD["half"]]),
    "combo_ls_g_loss_target_zero_no_half": (G + "ls_generator_loss", [LSG["labels"], LSG["half"]]),
    "combo_pt_style_mean_weights_ignored": (PS + "style_loss", [FORMS["mean"], WEIGHTS["ignored"]]),
    "combo_pt_tv_abs_no_weight": (PS + "tv_loss", [TV_TERMS["abs"] % "height and width", TV_WEIGHTS["ignored"]]),
    "combo_pt_d_loss_swapped_sums": (PG + "discriminator_loss",
                                     [words("discriminator_loss", TORCH_STABLE)[k] for k in ("labels", "sums")]),
}
"""sample -> (the function, the mistakes its sentence names, in order)."""
CATALOGUED = {"combo_style_gram_of_targets_expand_dims": (S + "style_loss", "style_loss.gram-of-targets")}
"""sample -> (the function, the catalogue entry the probes find alone)."""
TARGETS_GRADED = [S + f for f in ("style_loss", "tv_loss")] + [PS + f for f in ("style_loss", "tv_loss")] + [
    G + f for f in ("discriminator_loss", "generator_loss", "ls_discriminator_loss", "ls_generator_loss")] + [
    PG + "discriminator_loss"]
REFERENCE_FILES = ("style_transfer_tensorflow.py", "gan_tf.py", "style_transfer_pytorch.py", "gan_pytorch.py")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    make_combined = load_sample_maker("make_combined")
    root = tmp_path_factory.mktemp("combos")
    subs = [make_combined.make(name, root) for name in [*EXPECTED, *CATALOGUED]]
    reference = write_submission(root / "reference", files={
        f: (ROOT / "reference" / "cs231n" / f).read_text() for f in REFERENCE_FILES})
    return grade([*subs, reference], root / "out", "--seed", "3", "--jobs", "2", "--only", ",".join(TARGETS_GRADED))


def own_checks(report: dict, function: str) -> list[dict]:
    """The function's value checks (tv_loss's no-loops check reads the source: these samples pass it)."""
    return [c for c in report["checks"] if c["id"].startswith(function + "/") and not c["id"].endswith("/no-loops")]


def failed_functions(report: dict) -> set[str]:
    return {f for f, v in report["functions"].items() if v["status"] == "failed"}


@pytest.mark.parametrize("sample", EXPECTED)
def test_combined_mistakes_are_named_in_one_sentence(reports, sample):
    function, mistakes = EXPECTED[sample]
    name = function.split(".")[-1]
    sentence = "Your %s has two mistakes: %s" % (name, ", and ".join(mistakes))
    report = reports[sample]
    assert failed_functions(report) == {function}
    checks = own_checks(report, function)
    assert checks
    for check in checks:
        assert check["status"] == "failed" and check["score"] == 0, check
        assert check["message"].startswith(sentence) or (". " + sentence) in check["message"], check["message"]
        assert "the loss saturates" not in check["message"]  # the large-logits check's guess yields to the probes


@pytest.mark.parametrize("sample", CATALOGUED)
def test_a_lone_mistake_written_otherwise_is_named_by_the_catalogue(reports, sample):
    function, diagnosis = CATALOGUED[sample]
    report = reports[sample]
    assert failed_functions(report) == {function}
    for check in own_checks(report, function):
        assert check["status"] == "failed" and check["details"]["diagnosis"]["id"] == diagnosis, check
        assert "mistake" not in check["message"], check["message"]


def test_the_reference_gets_no_probe_sentence(reports):
    for check in reports["reference"]["checks"]:
        assert check["status"] == "passed" and " has two mistakes" not in check["message"], check
