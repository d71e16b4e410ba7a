"""Every catalogued misconception is recognised on its own buggy sample, and only there."""
from __future__ import annotations

import pytest

from conftest import BatchGrader, grade, load_make_buggy, selected_params
from grader.config import GradingConfig
from grader.plugins import get_plugin_manager
from grader.session import collect_misconceptions

V = "net_visualization_tensorflow."
VIS = V + "class_visualization_update_step/"
VIS_CHECKS = ("variable", "tensor", "numpy", "run")
S = "style_transfer_tensorflow."
TV_CHECKS = S + "tv_loss/notebook," + S + "tv_loss/hidden," + S + "tv_loss/no-loops"

EXPECTED_DIAGNOSES = {
    # sample (submissions/make_buggy.py) -> {check id: misconception id} for every check that is diagnosed;
    # graded with --only the function's own checks (OWN_CHECKS) so that each sample costs seconds
    # --- captioning
    "bug_embedding_no_add_at": {
        "rnn_layers.word_embedding_backward/numeric-gradient": "word_embedding_backward.assign-not-add-at",
        "rnn_layers.word_embedding_backward/hidden": "word_embedding_backward.assign-not-add-at"},
    "bug_rnn_tanh_exp": {"rnn_layers.rnn_step_forward/large-inputs": "rnn_step_forward.exp-tanh"},
    "bug_lstm_tanh_exp": {"rnn_layers.lstm_step_forward/large-inputs": "lstm_step_forward.exp-tanh"},
    "bug_lstm_gate_order": {"rnn_layers.lstm_step_forward/%s" % c: "lstm_step_forward.gates-ifgo"
                            for c in ("notebook", "hidden", "large-inputs")},
    "bug_rnn_backward_no_carry": {"rnn_layers.rnn_backward/%s" % c: "rnn_backward.no-carried-dh"
                                  for c in ("numeric-gradient", "hidden")},
    "bug_lstm_backward_no_carry": {"rnn_layers.lstm_backward/%s" % c: "lstm_backward.no-carried-dh"
                                   for c in ("numeric-gradient", "hidden")},
    "bug_lstm_backward_dc_reset": {"rnn_layers.lstm_backward/%s" % c: "lstm_backward.no-carried-dc"
                                   for c in ("numeric-gradient", "hidden")},
    "bug_start_in_column0": {"classifiers.rnn.CaptioningRNN.sample[%s]/%s" % (cell, c): "sample.start-in-column-0"
                             for cell in ("rnn", "lstm") for c in ("contract", "greedy")},
    "bug_sample_start_not_reset": {"classifiers.rnn.CaptioningRNN.sample[%s]/greedy" % cell: "sample.start-not-reset"
                                   for cell in ("rnn", "lstm")},
    "bug_sample_h_c_swapped": {"classifiers.rnn.CaptioningRNN.sample[lstm]/greedy": "sample.h-c-swapped"},
    "bug_sample_next_c_unbound": {"classifiers.rnn.CaptioningRNN.sample[rnn]/%s" % c: "sample.next-c-unbound"
                                  for c in ("contract", "greedy")},
    "bug_sample_int_of_array": {"classifiers.rnn.CaptioningRNN.sample[%s]/%s" % (cell, c): "sample.array-as-number"
                                for cell in ("rnn", "lstm") for c in ("contract", "greedy")},
    "bug_sample_unk_masked": {"classifiers.rnn.CaptioningRNN.sample[%s]/greedy" % cell: "sample.unk-masked"
                              for cell in ("rnn", "lstm")},
    # --- GANs
    "bug_noise_zero_one": {"gan_tf.sample_noise/uniform": "sample_noise.zero-one"},
    "bug_loss_log_sigmoid": {"gan_tf.discriminator_loss/large-logits": "discriminator_loss.log-of-sigmoid",
                             "gan_tf.generator_loss/large-logits": "generator_loss.log-of-sigmoid"},
    "bug_d_loss_labels_other_batch": {"gan_tf.discriminator_loss/hidden": "discriminator_loss.labels-other-batch"},
    "bug_d_loss_concat_batches": {"gan_tf.discriminator_loss/hidden": "discriminator_loss.concat-batches"},
    "bug_solvers_default_beta1": {"gan_tf.get_solvers/defaults": "get_solvers.default-beta1",
                                  "gan_tf.get_solvers/arguments": "get_solvers.default-beta1"},
    "bug_solvers_ignore_arguments": {"gan_tf.get_solvers/arguments": "get_solvers.ignores-arguments"},
    # --- network visualization
    "bug_saliency_max_score": {V + "compute_saliency_maps/notebook": "compute_saliency_maps.max-score",
                               V + "compute_saliency_maps/hidden": "compute_saliency_maps.max-score"},
    "bug_saliency_cross_entropy": {V + "compute_saliency_maps/notebook": "compute_saliency_maps.cross-entropy",
                                   V + "compute_saliency_maps/hidden": "compute_saliency_maps.cross-entropy"},
    "bug_saliency_no_abs": {V + "compute_saliency_maps/notebook": "compute_saliency_maps.no-abs",
                            V + "compute_saliency_maps/hidden": "compute_saliency_maps.no-abs"},
    "bug_saliency_watch_numpy": {V + "compute_saliency_maps/notebook": "compute_saliency_maps.watch-numpy",
                                 V + "compute_saliency_maps/hidden": "compute_saliency_maps.watch-numpy"},
    "bug_fooling_norm_squared": {V + "make_fooling_image/notebook": "make_fooling_image.norm-squared",
                                 V + "make_fooling_image/hidden": "make_fooling_image.norm-squared"},
    "bug_fooling_descent": {V + "make_fooling_image/notebook": "make_fooling_image.descent",
                            V + "make_fooling_image/hidden": "make_fooling_image.descent"},
    "bug_class_vis_l2_sign": {VIS + c: "class_visualization_update_step.l2-sign" for c in VIS_CHECKS},
    "bug_class_vis_l2_not_squared": {VIS + c: "class_visualization_update_step.l2-not-squared" for c in VIS_CHECKS},
    "bug_class_vis_l2_outside_tape": {VIS + c: "class_visualization_update_step.l2-no-gradient" for c in VIS_CHECKS},
    "bug_class_vis_l2_ignored": {VIS + c: "class_visualization_update_step.l2-no-gradient" for c in VIS_CHECKS},
    "bug_class_vis_l2_on_score": {VIS + c: "class_visualization_update_step.l2-on-score" for c in VIS_CHECKS},
    "bug_class_vis_normalized": {VIS + c: "class_visualization_update_step.normalized-gradient" for c in VIS_CHECKS},
    # the made-up penalty differs from the L2 term by 2 l2_reg mean(X), too little on the step checks' random images
    "bug_class_vis_mean_penalty": {VIS + "run": "class_visualization_update_step.mean-penalty"},
    "bug_class_vis_watch_numpy": {VIS + "numpy": "class_visualization_update_step.watch-numpy"},
    "bug_class_vis_variable_iadd": {VIS + c: "class_visualization_update_step.variable-iadd" for c in VIS_CHECKS},
    # --- style transfer
    "bug_content_loss_mean": {S + "content_loss/notebook": "content_loss.mean",
                              S + "content_loss/hidden": "content_loss.mean"},
    "bug_gram_not_normalized": {S + "gram_matrix/notebook": "gram_matrix.not-normalized",
                                S + "gram_matrix/hidden": "gram_matrix.not-normalized"},
    "bug_gram_batch_axis": {S + "gram_matrix/notebook": "gram_matrix.batch-axis",
                            S + "gram_matrix/hidden": "gram_matrix.batch-axis"},
    "bug_style_loss_gram_of_targets": {S + "style_loss/notebook": "style_loss.gram-of-targets",
                                       S + "style_loss/hidden": "style_loss.gram-of-targets"},
    "bug_style_loss_one_element": {S + "style_loss/notebook": "style_loss.one-element",
                                   S + "style_loss/hidden": "style_loss.one-element",
                                   "style_transfer_tensorflow/feature-inversion": "style_loss.one-element"},
    "bug_tv_roll": {S + "tv_loss/notebook": "tv_loss.wraps-around", S + "tv_loss/hidden": "tv_loss.wraps-around"},
    "bug_tv_channel_axis": {S + "tv_loss/notebook": "tv_loss.channel-axis",
                            S + "tv_loss/hidden": "tv_loss.channel-axis"},
    "bug_tv_no_vertical": {S + "tv_loss/notebook": "tv_loss.no-vertical", S + "tv_loss/hidden": "tv_loss.no-vertical"},
    "bug_tv_loop": {S + "tv_loss/no-loops": "tv_loss.loops"},
}
ONLY = {
    # sample -> the --only selection it is graded with (default: the function that holds its bug)
    "bug_embedding_no_add_at": "rnn_layers.word_embedding_backward",
    "bug_rnn_tanh_exp": "rnn_layers.rnn_step_forward",
    "bug_lstm_tanh_exp": "rnn_layers.lstm_step_forward",
    "bug_lstm_gate_order": "rnn_layers.lstm_step_forward",
    "bug_rnn_backward_no_carry": "rnn_layers.rnn_backward",
    "bug_lstm_backward_no_carry": "rnn_layers.lstm_backward",
    "bug_lstm_backward_dc_reset": "rnn_layers.lstm_backward",
    "bug_start_in_column0": "classifiers.rnn.CaptioningRNN.sample",
    "bug_sample_start_not_reset": "classifiers.rnn.CaptioningRNN.sample",
    "bug_sample_h_c_swapped": "classifiers.rnn.CaptioningRNN.sample",
    "bug_sample_next_c_unbound": "classifiers.rnn.CaptioningRNN.sample",
    "bug_sample_int_of_array": "classifiers.rnn.CaptioningRNN.sample",
    "bug_sample_unk_masked": "classifiers.rnn.CaptioningRNN.sample",
    # --- GANs (a loss's own checks: its name alone also selects the training runs that use it)
    "bug_noise_zero_one": "gan_tf.sample_noise",
    "bug_loss_log_sigmoid": ",".join("gan_tf.%s/%s" % (f, c) for f in ("discriminator_loss", "generator_loss")
                                     for c in ("notebook", "hidden", "large-logits")),
    "bug_d_loss_labels_other_batch": ",".join("gan_tf.discriminator_loss/" + c
                                              for c in ("notebook", "hidden", "large-logits")),
    "bug_d_loss_concat_batches": ",".join("gan_tf.discriminator_loss/" + c
                                          for c in ("notebook", "hidden", "large-logits")),
    "bug_solvers_default_beta1": "gan_tf.get_solvers",
    "bug_solvers_ignore_arguments": "gan_tf.get_solvers",
    # --- network visualization
    "bug_saliency_max_score": V + "compute_saliency_maps",
    "bug_saliency_cross_entropy": V + "compute_saliency_maps",
    "bug_saliency_no_abs": V + "compute_saliency_maps",
    "bug_saliency_watch_numpy": V + "compute_saliency_maps",
    "bug_fooling_norm_squared": V + "make_fooling_image",
    "bug_fooling_descent": V + "make_fooling_image",
    **{sample: VIS[:-1] for sample in ("bug_class_vis_l2_sign", "bug_class_vis_l2_not_squared",
                                       "bug_class_vis_l2_outside_tape", "bug_class_vis_l2_ignored",
                                       "bug_class_vis_l2_on_score", "bug_class_vis_normalized",
                                       "bug_class_vis_mean_penalty", "bug_class_vis_watch_numpy",
                                       "bug_class_vis_variable_iadd")},
    # --- style transfer (a loss's own checks: its name alone would select the instructor-only runs too)
    "bug_content_loss_mean": S + "content_loss/notebook," + S + "content_loss/hidden",
    "bug_gram_not_normalized": S + "gram_matrix/notebook," + S + "gram_matrix/hidden",
    "bug_gram_batch_axis": S + "gram_matrix/notebook," + S + "gram_matrix/hidden",
    "bug_style_loss_gram_of_targets": S + "style_loss/notebook," + S + "style_loss/hidden",
    # the feature-inversion run too: float() of its (1,) loss raises in the run's loop, an exception signature
    "bug_style_loss_one_element": S + "style_loss/notebook," + S + "style_loss/hidden,"
                                  "style_transfer_tensorflow/feature-inversion",
    "bug_tv_roll": TV_CHECKS,
    "bug_tv_channel_axis": TV_CHECKS,
    "bug_tv_no_vertical": TV_CHECKS,
    "bug_tv_loop": TV_CHECKS,
}
SEED = "20261129"
STRICT_ENV = {"bug_class_vis_variable_iadd"}
"""Samples whose mistake the course's 2020 TensorFlow accepted (``X += dX`` on a ``tf.Variable`` made a new
tensor): graded as it ran there they pass, so their diagnosis shows under ``--strict-env``."""


def diagnosed(report: dict) -> dict[str, str]:
    return {c["id"]: c["details"]["diagnosis"]["id"] for c in report["checks"] if "diagnosis" in c["details"]}


def test_every_misconception_has_a_sample():
    catalog = {m for m in collect_misconceptions(get_plugin_manager(), GradingConfig(seed=0))
               if not m.startswith("pytorch.")}  # the PyTorch track's: tests/test_pytorch_track.py
    covered = {m for expected in EXPECTED_DIAGNOSES.values() for m in expected.values()}
    assert set(catalog) - covered == set()
    assert covered - set(catalog) == set()
    assert set(EXPECTED_DIAGNOSES) <= set(load_make_buggy().BUGS) and set(ONLY) == set(EXPECTED_DIAGNOSES)
    assert DEFAULT_RUN <= set(EXPECTED_DIAGNOSES)


DEFAULT_RUN = {"bug_embedding_no_add_at", "bug_rnn_tanh_exp", "bug_lstm_gate_order", "bug_d_loss_labels_other_batch",
               "bug_noise_zero_one", "bug_tv_loop"}
"""The samples diagnosed by the default test run (each way of recognising a mistake: declared by the check, read
from an exception, a wrong implementation rerun); the rest run with ``-m slow`` (``.ci/run`` runs both)."""


@pytest.fixture(scope="module")
def batch_reports(samples, request, tmp_path_factory) -> BatchGrader:
    def options(sample: str) -> tuple[str, ...]:
        return ("--only", ONLY[sample], *(("--strict-env",) if sample in STRICT_ENV else ()))

    return BatchGrader(samples, lambda: tmp_path_factory.mktemp("batch"),
                       selected_params(request, "test_a_sample_gets_exactly_its_own_diagnosis", "sample"), options,
                       "--seed", SEED)


@pytest.mark.parametrize("sample", [s if s in DEFAULT_RUN else pytest.param(s, marks=pytest.mark.slow)
                                    for s in sorted(EXPECTED_DIAGNOSES)])
def test_a_sample_gets_exactly_its_own_diagnosis(sample, batch_reports):
    report = batch_reports(sample)
    assert diagnosed(report) == EXPECTED_DIAGNOSES[sample]
    for check in report["checks"]:
        if check["id"] in EXPECTED_DIAGNOSES[sample]:
            sentence = check["details"]["diagnosis"]["message"]
            assert check["message"].startswith(sentence[0].upper() + sentence[1:])  # the failure's first line


@pytest.mark.slow
def test_the_reference_gets_no_diagnosis(samples, tmp_path):
    selection = ",".join(sorted(set(ONLY.values())))
    report = grade([samples / "reference"], tmp_path, "--seed", SEED, "--only", selection)["reference"]
    assert diagnosed(report) == {} and all(c["status"] == "passed" for c in report["checks"])
