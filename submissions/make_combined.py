"""Regenerate the samples of combined mistakes (issue #18): each carries two independent factors of one
function at once, as real students write them, or a twist no single catalogue entry describes.

Run from the repository root: ``python submissions/make_combined.py``; written like ``make_buggy.py`` (literal
text edits of a reference student file), into ``submissions/combo_*`` (not committed: generated).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_buggy import HERE, make as make_sample  # noqa: E402

NV = "net_visualization_tensorflow.py"
OBJECTIVE = "        objective = score - l2_reg * tf.reduce_sum(X * X)"
STEP = "    X = X + learning_rate * tape.gradient(objective, X)"
NORMALISED = "    g = tape.gradient(objective, X)\n    X = X + learning_rate * g / tf.norm(g)"

COMBINED: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "combo_class_vis_l2_sign_normalized": (NV, "the L2 term added, and the step normalised", [
        (OBJECTIVE, "        objective = score + l2_reg * tf.reduce_sum(X * X)"), (STEP, NORMALISED)]),
    "combo_class_vis_l2_ignored_normalized": (NV, "the L2 term left out, and the step normalised", [
        (OBJECTIVE, "        objective = score"), (STEP, NORMALISED)]),
    "combo_class_vis_l2_not_squared_normalized": (NV, "the L2 term not squared, and the step normalised", [
        (OBJECTIVE, "        objective = score - l2_reg * tf.norm(X)"), (STEP, NORMALISED)]),
    "combo_class_vis_l2_not_squared_sign": (NV, "the L2 term not squared, and added", [
        (OBJECTIVE, "        objective = score + l2_reg * tf.norm(X)")]),
    "combo_class_vis_penalty_on_step": (NV, "a penalty subtracted from the image after the step, not from the "
                                        "objective", [
        (OBJECTIVE, "        objective = score"),
        (STEP, "    X = X + learning_rate * tape.gradient(objective, X) - 2 * l2_reg * X")]),
}
"""name: (student file, the mistakes in words, literal edits of the reference file)."""

# ------------------------------------------------------------------------------------------ captioning (#18)
# CaptioningRNN.sample (classifiers/rnn.py, graded for both cell types) and lstm_step_forward (rnn_layers.py).

RNN = "classifiers/rnn.py"
LAYERS = "rnn_layers.py"
DECODE = """        h, _ = affine_forward(features, W_proj, b_proj)
        c = np.zeros_like(h)
        word = np.full(N, self._start, dtype=np.int64)
        for t in range(max_length):
            x = W_embed[word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores = h.dot(W_vocab) + b_vocab
            word = np.argmax(scores, axis=1)
            captions[:, t] = word
"""
PER_IMAGE = """        h0, _ = affine_forward(features, W_proj, b_proj)
        word = self._start
        for n in range(N):
            h = h0[n:n + 1]
            c = np.zeros_like(h)
            for t in range(max_length):
                x = W_embed[[word]]
                if self.cell_type == "rnn":
                    h, _ = rnn_step_forward(x, h, Wx, Wh, b)
                else:
                    h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
                scores = h.dot(W_vocab) + b_vocab
                word = int(np.argmax(scores[0]))
                captions[n, t] = word
                if word == self._end:
                    break
"""
"""The issue's real code: one image at a time, the input word set to <START> once, each caption stopped at <END>."""
SCORES = "            scores = h.dot(W_vocab) + b_vocab\n            word = np.argmax(scores, axis=1)\n"
MASKED = ("            scores = h.dot(W_vocab) + b_vocab\n"
          "            scores[:, self.word_to_idx[\"<UNK>\"]] = -np.inf\n"
          "            word = np.argmax(scores, axis=1)\n")
GATES = "    o = sigmoid(a[:, 2 * H:3 * H])\n    g = np.tanh(a[:, 3 * H:])"
NEXT_H = "    next_h = o * tanh_c\n"

COMBINED.update({
    "combo_sample_not_reset_stop_at_end": (RNN, "one image at a time, the input word set to <START> once, and each "
                                           "caption stopped at <END>", [(DECODE, PER_IMAGE)]),
    "combo_sample_start_column0_unk_masked": (RNN, "<START> written into column 0, and <UNK> masked out of the "
                                              "argmax", [
        ("        for t in range(max_length):\n            x = W_embed[word]",
         "        captions[:, 0] = self._start\n        for t in range(1, max_length):\n            x = W_embed[word]"),
        (SCORES, MASKED)]),
    "combo_sample_stop_before_end_unk_masked": (RNN, "stopping before writing <END>, and <UNK> masked out of the "
                                                "argmax", [
        (SCORES + "            captions[:, t] = word\n",
         MASKED + "            if np.all(word == self._end):\n                break\n"
                  "            captions[:, t] = word\n")]),
    "combo_sample_h0_no_bias_unk_masked": (RNN, "the initial hidden state without b_proj, and <UNK> masked out of "
                                           "the argmax", [
        ("        h, _ = affine_forward(features, W_proj, b_proj)\n        c = np.zeros_like(h)",
         "        h = features.dot(W_proj)\n        c = np.zeros_like(h)"), (SCORES, MASKED)]),
    "combo_sample_drawn_null_first": (RNN, "words drawn from the softmax instead of the argmax, and the words "
                                      "stored from column 1 (column 0 left <NULL>)", [
        ("        for t in range(max_length):\n            x = W_embed[word]",
         "        for t in range(1, max_length):\n            x = W_embed[word]"),
        (SCORES, "            scores = h.dot(W_vocab) + b_vocab\n"
                 "            probs = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
                 "            probs /= probs.sum(axis=1, keepdims=True)\n"
                 "            word = np.array([np.random.choice(len(p), p=p) for p in probs])\n")]),
    "combo_sample_h0_zero_feed_start": (RNN, "a zero initial hidden state, and <START> fed at every step", [
        ("        h, _ = affine_forward(features, W_proj, b_proj)\n        c = np.zeros_like(h)",
         "        h = np.zeros((N, W_proj.shape[1]))\n        c = np.zeros_like(h)"),
        ("            x = W_embed[word]\n", "            x = W_embed[np.full(N, self._start)]\n")]),
    "combo_lstm_no_bias_o_tanh": (LAYERS, "the activation without b, and o squashed with tanh", [
        ("    a = x.dot(Wx) + prev_h.dot(Wh) + b\n", "    a = x.dot(Wx) + prev_h.dot(Wh)\n"),
        ("    o = sigmoid(a[:, 2 * H:3 * H])", "    o = np.tanh(a[:, 2 * H:3 * H])")]),
    "combo_lstm_gates_ifgo_next_h_no_tanh": (LAYERS, "the gates read in the order i, f, g, o, and next_h = o * "
                                             "next_c", [
        (GATES, "    g = np.tanh(a[:, 2 * H:3 * H])\n    o = sigmoid(a[:, 3 * H:])"),
        (NEXT_H, "    next_h = o * next_c\n")]),
    "combo_lstm_gates_fiog_g_sigmoid": (LAYERS, "i and f read from each other's slice, and g squashed with sigmoid", [
        ("    i = sigmoid(a[:, :H])\n    f = sigmoid(a[:, H:2 * H])",
         "    f = sigmoid(a[:, :H])\n    i = sigmoid(a[:, H:2 * H])"),
        (GATES, "    o = sigmoid(a[:, 2 * H:3 * H])\n    g = sigmoid(a[:, 3 * H:])")]),
})


def make(name: str, root: Path = HERE) -> Path:
    return make_sample(name, root, COMBINED)


if __name__ == "__main__":
    for combo in COMBINED:
        print("wrote", make(combo))
