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


def make(name: str, root: Path = HERE) -> Path:
    return make_sample(name, root, COMBINED)


if __name__ == "__main__":
    for combo in COMBINED:
        print("wrote", make(combo))
