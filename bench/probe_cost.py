"""Benchmark: what the probes (issue #18) cost a submission, per diagnosed function.

    python bench/probe_cost.py [SAMPLE ...] [--seed N]

Grades each sample (default: every sample of ``submissions/make_combined.py``, two catalogued ones and the
reference) in this process, one job, on the functions the probes cover, with the probe functions (captioning
sample and LSTM gates, class-visualization step, style and TV losses of both tracks, GAN losses of both tracks)
wrapped by a timer: every second
spent inside them (the check's own run, localization's swap reruns and the catalogue's reruns alike) is
probing's extra cost, with nothing else mixed in. Prints per sample the probe seconds, the functions whose
messages carry a probe sentence, and the cost per such function; a correct submission must show 0 s.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONLY = ("classifiers.rnn.CaptioningRNN.sample[rnn],classifiers.rnn.CaptioningRNN.sample[lstm],"
        "rnn_layers.lstm_step_forward,rnn_layers.lstm_step_backward,rnn_layers.lstm_forward,"
        "rnn_layers.rnn_step_forward,rnn_layers.word_embedding_forward,"
        "net_visualization_tensorflow.class_visualization_update_step,style_transfer_tensorflow.style_loss,"
        "style_transfer_tensorflow.tv_loss,style_transfer_pytorch.style_loss,style_transfer_pytorch.tv_loss,"
        + ",".join(m + "." + f for m in ("gan_tf", "gan_pytorch") for f in (
            "discriminator_loss", "generator_loss", "ls_discriminator_loss", "ls_generator_loss")))
PROBES = {"sample": ("exercises.captioning.model_checks", "probe_sample"),
          "class-vis": ("exercises.network_visualization", "probe_step"),
          "style": ("exercises.style_transfer", "probe_style_loss"),
          "tv": ("exercises.style_transfer", "probe_tv_loss"),
          "style-pt": ("exercises.style_transfer_pytorch", "probe_style_loss"),
          "tv-pt": ("exercises.style_transfer_pytorch", "probe_tv_loss"),
          "gan": ("exercises.gans.functions", "loss_finding")}
"""Each timed probe entry point: a module-level function its checks look up when they call it."""
WORDS = ("Your sample", "Your lstm_step_forward", "Your step", "Your style_loss", "Your tv_loss",
         "Your discriminator_loss", "Your generator_loss", "Your ls_discriminator_loss", "Your ls_generator_loss")


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "submissions" / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    import importlib

    import exercises.lstm_captioning as lstm_captioning
    from grader.cli import main as grader_main

    spent: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*a, **kw):
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] += time.perf_counter() - start
        return wrapper

    for label, (module, name) in PROBES.items():
        module = importlib.import_module(module)
        setattr(module, name, timed(label, getattr(module, name)))
    object.__setattr__(lstm_captioning.LSTM_STEP, "probe", timed("gates", lstm_captioning.LSTM_STEP.probe))

    combined, buggy = load("make_combined"), load("make_buggy")
    names = args.samples or [*combined.COMBINED, "bug_sample_start_not_reset", "bug_lstm_gate_order", "reference"]
    worst, reference_cost = 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            if name == "reference":
                path = buggy.write_sample(root / name, "rnn_layers.py", [])
                shutil.copytree(ROOT / "reference" / "cs231n", path / "cs231n", dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                path = combined.make(name, root) if name in combined.COMBINED else buggy.make(name, root)
            spent.clear()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                code = grader_main(["grade", str(path), "--out", str(root / ("out_" + name)), "--seed",
                                    str(args.seed), "--jobs", "1", "--only", ONLY])
            wall = time.perf_counter() - start
            assert code == 0
            [report] = [json.loads(p.read_text()) for p in (root / ("out_" + name)).glob("*/report.json")]
            failed = {f for f, v in report["functions"].items() if v["status"] == "failed"}
            worded = [c for c in report["checks"] if c["status"] != "passed" and any(w in c["message"] for w in WORDS)]
            diagnosed = sorted(failed & {t for c in worded for t in c["targets"]}) or sorted(failed)
            total = sum(spent.values())
            by = ", ".join("%s %.3f" % (k, v) for k, v in sorted(spent.items()) if v) or "none ran"
            print("%-42s probes %.3f s (%s) of %.1f s; diagnosed: %s; probe sentence: %s; per diagnosed function "
                  "%.3f s" % (name, total, by, wall, ", ".join(f.split(".")[-1] for f in diagnosed) or "none",
                     "yes" if worded else "no", total / max(len(diagnosed), 1)))
            worst = max(worst, total / max(len(diagnosed), 1)) if name != "reference" else worst
            reference_cost = total if name == "reference" else reference_cost
    print("worst probe cost per diagnosed function: %.3f s (target <= 1 s); the reference: %.3f s (target 0)"
          % (worst, reference_cost))


if __name__ == "__main__":
    main()
