"""Benchmark: what the captioning probes (issue #18) cost a submission, per diagnosed function.

    python bench/probe_cost.py [SAMPLE ...] [--seed N]

Grades each sample (default: the captioning samples of ``submissions/make_combined.py``, two catalogued ones
and the reference) in this process, one job, with the probe functions wrapped by a timer: every second
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
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONLY = ("classifiers.rnn.CaptioningRNN.sample[rnn],classifiers.rnn.CaptioningRNN.sample[lstm],"
        "rnn_layers.lstm_step_forward,rnn_layers.lstm_step_backward,rnn_layers.lstm_forward,"
        "rnn_layers.rnn_step_forward,rnn_layers.word_embedding_forward")
WORDS = ("Your sample has", "Your sample is right", "Your lstm_step_forward has", "Your lstm_step_forward is")


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

    import exercises.captioning.model_checks as model_checks
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

    model_checks.probe_sample = timed("sample", model_checks.probe_sample)
    object.__setattr__(lstm_captioning.LSTM_STEP, "probe", timed("gates", lstm_captioning.LSTM_STEP.probe))

    combined, buggy = load("make_combined"), load("make_buggy")
    names = args.samples or ([n for n in combined.COMBINED if n.startswith(("combo_sample", "combo_lstm"))]
                             + ["bug_sample_start_not_reset", "bug_lstm_gate_order", "reference"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            if name == "reference":
                path = buggy.write_sample(root / name, "rnn_layers.py", [])
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
            diagnosed = sorted(f for f, v in report["functions"].items() if v["status"] == "failed")
            worded = any(w in c["message"] for c in report["checks"] for w in WORDS)
            total = sum(spent.values())
            print("%-40s probes %.3f s (sample %.3f, gates %.3f) of %.1f s; failed: %s; probe sentence: %s; "
                  "per failed function %.3f s" % (name, total, spent["sample"], spent["gates"], wall,
                                                  ", ".join(f.split(".")[-1] for f in diagnosed) or "none",
                                                  "yes" if worded else "no", total / max(len(diagnosed), 1)))


if __name__ == "__main__":
    main()
