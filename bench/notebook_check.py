"""Benchmark: checks from a notebook (``grader.notebook.check``) and the student package's size.

    python bench/notebook_check.py [--answers FILE] [--repeat N]

In a real Jupyter kernel (nbclient), on a copy of the reference submission, against an answer bundle (made
with ``grader bundle`` when none is given; about 90 s): the first ``check("rnn_step_forward")`` of a kernel
(importing the grader included) and warm calls; then TensorFlow functions: the first call (it starts the
TensorFlow worker), warm calls, a call after an edit of the file, and the first call of two other TF
exercises' functions in the same kernel, next to TensorFlow's own import time in a fresh process with the
workers' settings. Then ``grader dist`` with that bundle: the wheel's size with and without the bundle.

Targets: ``check("rnn_step_forward")`` 1 s or less warm, 2 s or less first; a TensorFlow function's first call
within TensorFlow's import time plus 2 s, then 2 s or less; the wheel 5 MB or less apart from the bundle.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TF_ENV = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "-1",
          "PATH": "/usr/bin:/bin"}

KERNEL_CODE = '''
import json, time
t = time.perf_counter()
from grader.notebook import check
def timed(name):
    t = time.perf_counter()
    result = check(name, answers={answers!r})
    assert result.passed, str(result)
    return time.perf_counter() - t
times = {{}}
imported = time.perf_counter() - t
times["rnn_step_forward first"] = imported + timed("rnn_step_forward")
times["rnn_step_forward warm"] = [timed("rnn_step_forward") for _ in range({repeat})]
times["leaky_relu first"] = timed("leaky_relu")
times["leaky_relu warm"] = [timed("leaky_relu") for _ in range({repeat})]
source = open("cs231n/gan_tf.py").read()
def edited():
    open("cs231n/gan_tf.py", "w").write(source + "\\n# edited %f\\n" % time.time())
    return timed("leaky_relu")
times["leaky_relu after an edit"] = [edited() for _ in range({repeat})]
times["gram_matrix first"] = timed("gram_matrix")
times["gram_matrix warm"] = [timed("gram_matrix") for _ in range({repeat})]
times["compute_saliency_maps first"] = timed("compute_saliency_maps")
times["compute_saliency_maps warm"] = [timed("compute_saliency_maps") for _ in range({repeat})]
print(json.dumps(times))
'''


def tensorflow_import_s(repeat: int) -> float:
    """TensorFlow's import (with tf.keras resolved) in a fresh process with the workers' settings: the median."""
    code = "import time; t = time.perf_counter(); import tensorflow as tf; tf.keras.layers.Dense; " \
           "print(time.perf_counter() - t)"
    return statistics.median(float(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                                                  env=TF_ENV, check=True).stdout) for _ in range(repeat))


def kernel_times(folder: Path, answers: Path, repeat: int) -> dict:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_CODE.format(answers=str(answers),
                                                                                      repeat=repeat))])
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def wheel_sizes(answers: Path, out: Path) -> tuple[str, int, int]:
    subprocess.run([sys.executable, "-m", "grader.cli", "dist", "--out", str(out), "--answers", str(answers)],
                   check=True, capture_output=True)
    [wheel] = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        bundle = z.getinfo("grader/answers/answers.npz").compress_size
    return wheel.name, wheel.stat().st_size, wheel.stat().st_size - bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, help="an answer bundle of every exercise (default: made now)")
    parser.add_argument("--repeat", type=int, default=5, help="warm calls per function (default %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-notebook-") as tmp:
        tmp = Path(tmp)
        answers = args.answers
        if answers is None:
            answers = tmp / "answers.npz"
            subprocess.run([sys.executable, "-m", "grader.cli", "bundle", "--out", str(answers)], check=True)
        folder = tmp / "assignment3"
        shutil.copytree(ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
        times = kernel_times(folder, answers.resolve(), args.repeat)
        tf_import = tensorflow_import_s(3)
        name, total, without = wheel_sizes(answers, tmp / "dist")
    print("%-40s %8s  %s" % ("notebook call", "seconds", "target"))
    targets = {"rnn_step_forward first": "<= 2", "rnn_step_forward warm": "<= 1",
               "leaky_relu first": "<= %.1f (TF import %.1f + 2)" % (tf_import + 2, tf_import)}
    for key, value in times.items():
        shown = "%.2f" % value if isinstance(value, float) else "%.2f (median of %d, max %.2f)" % (
            statistics.median(value), len(value), max(value))
        target = targets.get(key, "<= %.1f (TF import + 2)" % (tf_import + 2) if key.endswith("first") else "<= 2")
        print("%-40s %s  %s" % (key, shown, target))
    print("TensorFlow import in a fresh process: %.2f s (median of 3)" % tf_import)
    print("wheel %s: %.2f MB, %.2f MB without the answer bundle (target <= 5)" % (name, total / 2**20, without / 2**20))


if __name__ == "__main__":
    main()
