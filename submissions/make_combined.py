"""Regenerate the samples of combined mistakes (issue #18): each carries two independent factors of one
function at once, as real students write them, or a twist no single catalogue entry describes.

Run from the repository root: ``python submissions/make_combined.py``; written like ``make_buggy.py`` (literal
text edits of a reference student file), into ``submissions/combo_*`` (not committed: generated).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_buggy import BUGS, HERE, make as make_sample  # noqa: E402

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
[(DECODE, NOT_RESET)] = BUGS["bug_sample_start_not_reset"][2]
"""The batch decode of the reference's sample, and the catalogued one-image-at-a-time decode that sets the input
word to <START> once."""
PER_IMAGE = NOT_RESET + "                if word == self._end:\n                    break\n"
"""That decode, each caption also stopped at <END> (the real student's code)."""
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


# --- style transfer and GAN losses (#18; probes: exercises/vision/style_probes.py, exercises/gans/probes.py)
ST = "style_transfer_tensorflow.py"
STYLE_TERM = "        loss += style_weights[i] * tf.reduce_sum(tf.square(gram - style_targets[i]))"
TV = "    loss = tv_weight * (tf.reduce_sum(tf.square(down)) + tf.reduce_sum(tf.square(right)))"
GAN = "gan_tf.py"
D_LOSS = "    return _cross_entropy(logits_real, real=True) + _cross_entropy(logits_fake, real=False)"
G_LOSS = "    return _cross_entropy(tf.convert_to_tensor(logits_fake), real=True)"
LS_D = "    return 0.5 * tf.reduce_mean(tf.square(scores_real - 1.0)) + 0.5 * tf.reduce_mean(tf.square(scores_fake))"
LS_G = "    return 0.5 * tf.reduce_mean(tf.square(scores_fake - 1.0))"
REGRAM = "gram_matrix(tf.expand_dims(style_targets[i], 0))"
"""gram_matrix of the targets, written as a real student did (not the catalogue's gram_matrix(style_targets[i]))."""

COMBINED.update({
    "combo_style_mean_weights_ignored": (ST, "style_loss averages each layer's squares, and ignores the weights", [
        (STYLE_TERM, "        loss += tf.reduce_mean(tf.square(gram - style_targets[i]))")]),
    "combo_style_gram_of_targets_weight_squared": (ST, "style_loss applies gram_matrix to the targets (through "
                                                   "expand_dims), and squares the weights", [
        (STYLE_TERM, "        loss += style_weights[i] ** 2 * tf.reduce_sum(tf.square(gram - %s))" % REGRAM)]),
    "combo_style_gram_of_targets_expand_dims": (ST, "style_loss applies gram_matrix to the targets, written "
                                                "otherwise than the catalogue's version", [
        (STYLE_TERM, "        loss += style_weights[i] * tf.reduce_sum(tf.square(gram - %s))" % REGRAM)]),
    "combo_tv_abs_no_weight": (ST, "tv_loss takes absolute differences, and leaves out tv_weight", [
        (TV, "    loss = tf.reduce_sum(tf.abs(down)) + tf.reduce_sum(tf.abs(right))")]),
    "combo_tv_no_vertical_mean": (ST, "tv_loss leaves out the vertical differences, and averages the horizontal", [
        (TV, "    loss = tv_weight * tf.reduce_mean(tf.square(right))")]),
    "combo_d_loss_swapped_concat": (GAN, "discriminator_loss swaps the labels, and averages over both batches put "
                                    "together (times 2)", [
        (D_LOSS, "    logits = tf.concat([logits_real, logits_fake], axis=0)\n"
                 "    labels = tf.concat([tf.zeros_like(logits_real), tf.ones_like(logits_fake)], axis=0)\n"
                 "    return 2.0 * tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, "
                 "logits=logits))")]),
    "combo_g_loss_log_sigmoid_sum": (GAN, "generator_loss sums log(sigmoid) over the batch: unstable, and a sum", [
        (G_LOSS, "    return -tf.reduce_sum(tf.math.log(tf.sigmoid(tf.convert_to_tensor(logits_fake))))")]),
    "combo_ls_d_loss_no_half_sums": (GAN, "ls_discriminator_loss sums the squares, and leaves out the 1/2", [
        (LS_D, "    return tf.reduce_sum(tf.square(scores_real - 1.0)) + tf.reduce_sum(tf.square(scores_fake))")]),
    "combo_ls_g_loss_target_zero_no_half": (GAN, "ls_generator_loss aims at 0 instead of 1, and leaves out the 1/2", [
        (LS_G, "    return tf.reduce_mean(tf.square(scores_fake))")]),
    # the PyTorch twins (the same probes)
    "combo_pt_style_mean_weights_ignored": ("style_transfer_pytorch.py", "style_loss averages each layer's squares, "
                                            "and ignores the weights", [
        ("        loss = loss + style_weights[i] * torch.sum((gram - style_targets[i]) ** 2)",
         "        loss = loss + torch.mean((gram - style_targets[i]) ** 2)")]),
    "combo_pt_tv_abs_no_weight": ("style_transfer_pytorch.py", "tv_loss takes absolute differences, and leaves out "
                                  "tv_weight", [
        ("    return tv_weight * (torch.sum(down ** 2) + torch.sum(right ** 2))",
         "    return torch.sum(torch.abs(down)) + torch.sum(torch.abs(right))")]),
    "combo_pt_d_loss_swapped_sums": ("gan_pytorch.py", "discriminator_loss swaps the labels, and sums over the "
                                     "batches", [
        ("    loss = bce_loss(logits_real, torch.ones_like(logits_real)) + bce_loss(logits_fake, "
         "torch.zeros_like(logits_fake))",
         "    loss = (bce_loss(logits_real, torch.zeros_like(logits_real)) * logits_real.shape[0]\n"
         "            + bce_loss(logits_fake, torch.ones_like(logits_fake)) * logits_fake.shape[0])")]),
})


def make(name: str, root: Path = HERE) -> Path:
    return make_sample(name, root, COMBINED)


if __name__ == "__main__":
    for combo in COMBINED:
        print("wrote", make(combo))
