"""The class-visualization step's probes on real gradings (issue #18): each sample of combined mistakes
(``submissions/make_combined.py``) gets the one sentence naming all its mistakes, with the verdict and score
of the check unchanged; the reference gets none. Slow tier: one TensorFlow grading of six submissions."""
from __future__ import annotations

import pytest

from conftest import ROOT, grade, load_sample_maker, write_submission
from exercises.vision.probes import L2_TERMS, SCALINGS

pytestmark = pytest.mark.slow

NV = "net_visualization_tensorflow.py"
STEP = "net_visualization_tensorflow.class_visualization_update_step/"
STEP_CHECKS = tuple(STEP + kind for kind in ("variable", "tensor", "numpy"))
EXPECTED = {
    "combo_class_vis_l2_sign_normalized": [SCALINGS["normalised"], L2_TERMS["sign"]],
    "combo_class_vis_l2_ignored_normalized": [SCALINGS["normalised"], L2_TERMS["absent"]],
    "combo_class_vis_l2_not_squared_normalized": [SCALINGS["normalised"], L2_TERMS["not-squared"]],
    "combo_class_vis_l2_not_squared_sign": [L2_TERMS["not-squared-sign"]],
    "combo_class_vis_penalty_on_step": [L2_TERMS["on-step"]],
}
"""sample -> the mistakes its message names, in order."""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    make_combined = load_sample_maker("make_combined")
    root = tmp_path_factory.mktemp("combos")
    subs = [make_combined.make(name, root) for name in EXPECTED]
    reference = write_submission(root / "reference",
                                 files={NV: (ROOT / "reference" / "cs231n" / NV).read_text()})
    return grade([*subs, reference], root / "out", "--seed", "3", "--jobs", "2", "--only", ",".join(STEP_CHECKS))


@pytest.mark.parametrize("sample", EXPECTED)
def test_combined_mistakes_are_named_in_one_sentence(reports, sample):
    mistakes = EXPECTED[sample]
    count = "one mistake" if sample.endswith("on_step") else "two mistakes"
    sentence = "Your step has %s: %s. " % (count, ", and ".join(mistakes))
    for check in reports[sample]["checks"]:
        assert check["status"] == "failed" and check["score"] == 0, check
        assert check["message"].startswith(sentence) or (". " + sentence) in check["message"], check["message"]


def test_the_reference_gets_no_probe_sentence(reports):
    for check in reports["reference"]["checks"]:
        assert check["status"] == "passed" and "Your step has" not in check["message"], check
