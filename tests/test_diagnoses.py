"""Every catalogued misconception is recognised on its own buggy sample, and only there."""
from __future__ import annotations

import pytest

from conftest import grade, load_make_buggy
from grader.config import GradingConfig
from grader.plugins import get_plugin_manager
from grader.session import collect_misconceptions

EXPECTED_DIAGNOSES = {
    # sample (submissions/make_buggy.py) -> {check id: misconception id} for every check that is diagnosed;
    # graded with --only the function's own checks (OWN_CHECKS) so that each sample costs seconds
    # --- captioning
    "bug_embedding_no_add_at": {
        "rnn_layers.word_embedding_backward/numeric-gradient": "word_embedding_backward.assign-not-add-at",
        "rnn_layers.word_embedding_backward/hidden": "word_embedding_backward.assign-not-add-at"},
    "bug_rnn_tanh_exp": {"rnn_layers.rnn_step_forward/large-inputs": "rnn_step_forward.exp-tanh"},
    "bug_start_in_column0": {"classifiers.rnn.CaptioningRNN.sample[rnn]/contract": "sample.start-in-column-0",
                             "classifiers.rnn.CaptioningRNN.sample[lstm]/contract": "sample.start-in-column-0"},
    # --- GANs

    # --- network visualization

    # --- style transfer

}
ONLY = {
    # sample -> the --only selection it is graded with (default: the function that holds its bug)
    "bug_embedding_no_add_at": "rnn_layers.word_embedding_backward",
    "bug_rnn_tanh_exp": "rnn_layers.rnn_step_forward",
    "bug_start_in_column0": "classifiers.rnn.CaptioningRNN.sample",
    # --- GANs

    # --- network visualization

    # --- style transfer

}
SEED = "20261129"


def diagnosed(report: dict) -> dict[str, str]:
    return {c["id"]: c["details"]["diagnosis"]["id"] for c in report["checks"] if "diagnosis" in c["details"]}


def test_every_misconception_has_a_sample():
    catalog = collect_misconceptions(get_plugin_manager(), GradingConfig(seed=0))
    covered = {m for expected in EXPECTED_DIAGNOSES.values() for m in expected.values()}
    assert set(catalog) - covered == set()
    assert covered - set(catalog) == set()
    assert set(EXPECTED_DIAGNOSES) <= set(load_make_buggy().BUGS) and set(ONLY) == set(EXPECTED_DIAGNOSES)


@pytest.mark.parametrize("sample", sorted(EXPECTED_DIAGNOSES))
def test_a_sample_gets_exactly_its_own_diagnosis(samples, sample, tmp_path):
    report = grade([samples / sample], tmp_path, "--seed", SEED, "--only", ONLY[sample])[sample]
    assert diagnosed(report) == EXPECTED_DIAGNOSES[sample]
    for check in report["checks"]:
        if check["id"] in EXPECTED_DIAGNOSES[sample]:
            sentence = check["details"]["diagnosis"]["message"]
            assert check["message"].startswith(sentence[0].upper() + sentence[1:])  # the failure's first line


def test_the_reference_gets_no_diagnosis(samples, tmp_path):
    selection = ",".join(sorted(set(ONLY.values())))
    report = grade([samples / "reference"], tmp_path, "--seed", SEED, "--only", selection)["reference"]
    assert diagnosed(report) == {} and all(c["status"] == "passed" for c in report["checks"])
