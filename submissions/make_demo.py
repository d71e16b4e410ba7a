"""Build the demo class that the README's first command grades: six submissions that show what the grader does.

Run from the repository root: ``python submissions/make_demo.py [DEST]`` (default ``demo/``, which git ignores).
Each submission is the reference's student files with at most one change (the buggy samples' own edits, see
``make_buggy.py``), so a change of the reference that breaks one fails loudly here.

* ``reference``: full marks;
* ``skeleton``: the untouched assignment: zero, and every check says what is still missing;
* ``lstm-gates-swapped``: one wrong function (``lstm_step_forward`` reads its gates in the wrong order) fails a
  dozen checks of the functions that call it; substitution blames it alone, and the known mistake is named;
* ``tv-loss-no-vertical``: a TensorFlow loss without its vertical differences: the style-transfer runs with it
  end worse than the reference's (pictures side by side), blamed on ``tv_loss``, mistake named;
* ``code-from-2020``: ``X += dX`` on a ``tf.Variable``, as TensorFlow 2.4 allowed: full marks, with a note
  that a compatibility shim was needed (``--strict-env`` would fail it);
* ``endless-loop``: ``rnn_step_backward`` never returns: one check waits out its time limit, the others that
  need it are marked ``timeout`` at once, and the rest of the submission is graded as usual.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_buggy  # noqa: E402

DEMO = {"lstm-gates-swapped": "bug_lstm_gate_order", "tv-loss-no-vertical": "bug_tv_no_vertical",
        "code-from-2020": "bug_class_vis_variable_iadd"}
"""Demo name -> the buggy sample it copies."""
ENDLESS_LOOP = ("rnn_layers.py", [("    x, prev_h, Wx, Wh, next_h = cache\n    da = dnext_h * (1.0 - next_h * next_h)\n",
                                    "    while True:  # never returns\n        pass\n")])
"""``rnn_step_backward`` that never returns."""


def main(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("reference", "skeleton"):
        shutil.rmtree(dest / name, ignore_errors=True)
    shutil.copytree(make_buggy.REFERENCE.parent, dest / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(HERE / "skeleton", dest / "skeleton", ignore=shutil.ignore_patterns("__pycache__"))
    for name, bug in DEMO.items():
        shutil.rmtree(dest / name, ignore_errors=True)
        make_buggy.make(bug, dest).rename(dest / name)
        print("wrote", dest / name, "(%s: %s)" % (bug, make_buggy.BUGS[bug][1]))
    make_buggy.write_sample(dest / "endless-loop", *ENDLESS_LOOP)
    print("wrote", dest / "endless-loop", "(rnn_step_backward never returns)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "demo")
