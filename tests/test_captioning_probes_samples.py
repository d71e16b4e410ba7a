"""The probes of ``CaptioningRNN.sample`` and ``lstm_step_forward`` on real gradings (issue #18): each sample of
combined mistakes (``submissions/make_combined.py``) gets the one sentence naming all its mistakes, with the
verdicts unchanged and only the function at fault blamed; a catalogued single mistake is left to the catalogue
(no probe sentence); the reference gets none. Slow tier: one grading of fourteen submissions (numpy only).

The sweep: the judging code on the reference's own answers to the probes, over 20 draws of the probe inputs
(the gates) and of the probe model's unused weights (the decode), finds no mistake."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, grade, load_sample_maker, write_submission
from exercises.captioning import gate_probes
from exercises.captioning.sample_probes import COLUMNS, FEEDS, NOT_ARGMAX, RESETS, STATES, STOPPED, STOPS, UNKS

pytestmark = pytest.mark.slow

SAMPLE = "classifiers.rnn.CaptioningRNN.sample[%s]"
STEP = "rnn_layers.lstm_step_forward"
ONLY = ",".join([SAMPLE % "rnn", SAMPLE % "lstm", STEP, "rnn_layers.lstm_step_backward", "rnn_layers.lstm_forward",
                 "rnn_layers.rnn_step_forward", "rnn_layers.word_embedding_forward"])
BOTH = {SAMPLE % "rnn", SAMPLE % "lstm"}
ORDER = "the gates are read in the order %s (" + gate_probes.ORDER_HINT + ")"
EXPECTED = {
    "combo_sample_not_reset_stop_at_end": (BOTH, "Your sample has one mistake: %s. " % (RESETS["not-reset"] % STOPPED)),
    "combo_sample_start_column0_unk_masked": (BOTH, "Your sample has two mistakes: %s, and %s. "
                                              % (COLUMNS["start-written"], UNKS["masked"])),
    "combo_sample_stop_before_end_unk_masked": (BOTH, "Your sample has two mistakes: %s, and %s. "
                                                % (STOPS["before-end"], UNKS["masked"])),
    "combo_sample_h0_no_bias_unk_masked": (BOTH, "Your sample has two mistakes: %s, and %s. "
                                           % (UNKS["masked"], STATES["no-bias"])),
    "combo_sample_drawn_null_first": (BOTH, "Your sample has two mistakes: %s, and %s. "
                                      % (COLUMNS["null-first"], NOT_ARGMAX)),
    "combo_sample_h0_zero_feed_start": (BOTH, "Your sample has two mistakes: %s, and %s. "
                                        % (FEEDS["start-always"], STATES["zero"])),
    "combo_lstm_no_bias_o_tanh": ({STEP}, "Your lstm_step_forward has two mistakes: %s, and o is squashed with tanh "
                                  "(use sigmoid). " % gate_probes.ACTIVATIONS["no-b"]),
    "combo_lstm_gates_ifgo_next_h_no_tanh": ({STEP}, "Your lstm_step_forward has two mistakes: %s, and %s. "
                                             % (ORDER % "i, f, g, o", gate_probes.OUTPUTS["plain"])),
    "combo_lstm_gates_fiog_g_sigmoid": ({STEP}, "Your lstm_step_forward has two mistakes: %s, and g is squashed with "
                                        "sigmoid (use tanh). " % (ORDER % "f, i, o, g")),
}
"""sample -> (the functions failed, the sentence every failing check of them carries)."""
CATALOGUED = {"bug_sample_start_not_reset": BOTH, "bug_sample_unk_masked": BOTH, "bug_start_in_column0": BOTH,
              "bug_lstm_gate_order": {STEP}}
"""Single catalogued mistakes: the functions failed; the catalogue names them, the probes stay silent."""
MISTAKE_WORDS = ("Your sample has", "Your lstm_step_forward has", "none of the usual")
"""What a probe sentence naming mistakes says (one finding every part right, "Your sample is right in each part the
probes isolate", may stand where a step function the decode calls is at fault)."""
PROBE_WORDS = MISTAKE_WORDS + ("Your sample is right", "Your lstm_step_forward is right")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    make_combined, make_buggy = load_sample_maker("make_combined"), load_sample_maker("make_buggy")
    root = tmp_path_factory.mktemp("captioning_combos")
    subs = [make_combined.make(name, root) for name in EXPECTED]
    subs += [make_buggy.make(name, root) for name in CATALOGUED]
    reference = write_submission(root / "reference")
    return grade([*subs, reference], root / "out", "--seed", "3", "--jobs", "2", "--only", ONLY)


def failed(report) -> set[str]:
    return {f for f, v in report["functions"].items() if v["status"] == "failed"}


@pytest.mark.parametrize("sample", EXPECTED)
def test_combined_mistakes_are_named_in_one_sentence(reports, sample):
    blamed, sentence = EXPECTED[sample]
    report = reports[sample]
    assert failed(report) == blamed
    own = [c for c in report["checks"] if set(c["targets"]) & blamed and c["status"] == "failed"]
    assert own
    for check in own:
        if check["id"].endswith("/contract"):  # the contract check's own message (no probe there)
            continue
        assert check["score"] == 0, check
        assert check["message"].startswith(sentence) or (". " + sentence) in check["message"], check["message"]


@pytest.mark.parametrize("sample", CATALOGUED)
def test_a_catalogued_mistake_alone_gets_no_probe_sentence(reports, sample):
    report = reports[sample]
    assert failed(report) == CATALOGUED[sample]
    for check in report["checks"]:
        assert not any(w in check["message"] for w in MISTAKE_WORDS), check["message"]


def test_the_reference_gets_no_probe_sentence(reports):
    for check in reports["reference"]["checks"]:
        assert check["status"] == "passed" and not any(w in check["message"] for w in PROBE_WORDS), check


SWEEP = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1] + "/reference"); sys.path.insert(0, sys.argv[1])
from cs231n.classifiers.rnn import CaptioningRNN
from cs231n.rnn_layers import lstm_step_forward
from exercises.captioning import gate_probes, sample_probes
out = []
for seed in range(20):
    rng = np.random.default_rng(seed)
    inputs = gate_probes.probe_inputs(seed)
    ans = [lstm_step_forward(*dict(inputs, prev_c=c).values())[:2] for c in (0 * inputs["prev_c"], inputs["prev_c"])]
    out.append(("gates", seed, gate_probes.judge(inputs, *ans).message))
    for cell in ("rnn", "lstm"):
        decodes = []
        for vocab, (D, W, H), params, features in (sample_probes.probe_model(cell),
                                                   sample_probes.probe_model(cell, small=True),
                                                   sample_probes.state_model(cell)):
            if len(decodes) < 2:  # the walk ignores h0: any projection
                params = dict(params, W_proj=rng.standard_normal((D, H)), b_proj=rng.standard_normal(H))
                features = features * 3
            model = CaptioningRNN(vocab, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell)
            model.params = params
            decodes.append(model.sample(features, max_length=sample_probes.LENGTH))
        finding = sample_probes.judge(*decodes, cell)
        out.append((cell, seed, finding.mistakes))
print(json.dumps(out))
"""


@pytest.mark.sweep
def test_the_reference_s_answers_to_the_probes_show_no_mistake_over_20_seeds():
    done = subprocess.run([sys.executable, "-c", SWEEP, str(ROOT)], capture_output=True, text=True, check=True)
    results = json.loads(done.stdout)
    assert len(results) == 60
    for kind, seed, found in results:
        if kind == "gates":
            assert found.startswith("your lstm_step_forward is right"), (seed, found)
        else:
            assert found == [], (kind, seed, found)
