"""Regenerate the buggy sample submissions from the reference: each one carries one realistic bug.

Run from the repository root: ``python submissions/make_buggy.py``. Every bug is a literal text edit of
a reference student file, so a change of the reference that breaks an edit fails loudly here.
"""
from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "reference" / "cs231n"
STUDENT_FILES = ("rnn_layers.py", "classifiers/rnn.py", "net_visualization_tensorflow.py",
                 "style_transfer_tensorflow.py", "gan_tf.py")

BUGS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    # name: (student file, the bug in words, literal edits of the reference file)
    "bug_lstm_gate_order": ("rnn_layers.py", "LSTM gates read in the order i, f, g, o instead of i, f, o, g", [
        ("    o = sigmoid(a[:, 2 * H:3 * H])\n    g = np.tanh(a[:, 3 * H:])",
         "    g = np.tanh(a[:, 2 * H:3 * H])\n    o = sigmoid(a[:, 3 * H:])"),
        ("        do * o * (1.0 - o),\n        dg * (1.0 - g * g),",
         "        dg * (1.0 - g * g),\n        do * o * (1.0 - o),"),
    ]),
    "bug_start_in_column0": ("classifiers/rnn.py", "sample() writes <START> into column 0 and samples from column 1", [
        ("        for t in range(max_length):\n            x = W_embed[word]",
         "        captions[:, 0] = self._start\n        for t in range(1, max_length):\n            x = W_embed[word]"),
    ]),
    "bug_rnn_backward_no_carry": ("rnn_layers.py", "rnn_backward drops the gradient carried from the next step", [
        ("            dh[:, t, :] + dprev_h, cache[t])\n", "            dh[:, t, :], cache[t])\n"),
    ]),
    "bug_embedding_no_add_at": ("rnn_layers.py", "word_embedding_backward uses dW[x] += dout, losing repeated words", [
        ("    np.add.at(dW, x, dout)", "    dW[x] += dout"),
    ]),
    "bug_lstm_mutates_dnext_c": ("rnn_layers.py", "lstm_step_backward adds into dnext_c in place", [
        ("    dc = dnext_c + dnext_h * o * (1.0 - tanh_c * tanh_c)",
         "    dc = dnext_c\n    dc += dnext_h * o * (1.0 - tanh_c * tanh_c)"),
    ]),
    "bug_tanh_projection": ("classifiers/rnn.py", "h0 = tanh(features W_proj + b_proj) in loss (the projection is affine)", [
        ("        h0, proj_cache = affine_forward(features, W_proj, b_proj)\n",
         "        a0, proj_cache = affine_forward(features, W_proj, b_proj)\n        h0 = np.tanh(a0)\n"),
        ("        _, grads[\"W_proj\"], grads[\"b_proj\"] = affine_backward(dh0, proj_cache)",
         "        _, grads[\"W_proj\"], grads[\"b_proj\"] = affine_backward(dh0 * (1 - h0 ** 2), proj_cache)"),
    ]),
    # --- network visualization and style transfer (net_visualization_tensorflow.py, style_transfer_tensorflow.py)
    # --- GANs (gan_tf.py)
}


def make(name: str, root: Path = HERE) -> Path:
    """Write the sample ``name`` into ``root/name`` (a copy of the reference's student files plus the bug)."""
    path, _, edits = BUGS[name]
    dest = root / name
    shutil.rmtree(dest, ignore_errors=True)
    for rel in ("__init__.py", "classifiers/__init__.py") + STUDENT_FILES:
        if (REFERENCE / rel).is_file():
            (dest / "cs231n" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REFERENCE / rel, dest / "cs231n" / rel)
    target = dest / "cs231n" / path
    text = target.read_text()
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit("%s: the edit %r does not apply to the reference any more" % (name, old[:60]))
        text = text.replace(old, new)
    target.write_text(text)
    return dest


if __name__ == "__main__":
    for bug in BUGS:
        print("wrote", make(bug))
