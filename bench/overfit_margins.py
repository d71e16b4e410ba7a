"""Benchmark: the margins of the two captioning overfit checks under the reference-relative bar, over seeds and the
machine's floating-point paths.

    python bench/overfit_margins.py [--seeds 20] [--variants default,haswell,prescott,threads2]

Grades, with ``--only`` the two overfit checks (no localization, no diagnosis), the reference, a second correct
solution written differently (``tests/data/independent_solution.py``), every catalogued bug the checks must fail
and the bugs whose samples pass them, on each seed under each variant (an environment every worker gets:
OpenBLAS kernels of older processors, or two BLAS threads). Prints, per check and sample, the worst ratio of the
final loss to the reference's own run on the same minibatches, and the verdicts: correct code must pass
everywhere, the bugs that must fail must fail everywhere, with their margins (final loss over the bar).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "submissions")]

import make_buggy  # noqa: E402
import make_similar  # noqa: E402

M = "classifiers.rnn.CaptioningRNN.loss[%s]/overfit"
CHECKS = (M % "rnn", M % "lstm")
MUST_FAIL = {M % "rnn": ["bug_tanh_projection"], M % "lstm": ["bug_lstm_gate_order", "bug_tanh_projection"]}
PASSING = ["bug_embedding_no_add_at", "bug_lstm_backward_no_carry", "bug_lstm_backward_dc_reset",
           "bug_lstm_mutates_dnext_c", "bug_rnn_backward_no_carry"]
"""Bugs whose samples pass the overfit checks today (test_samples.EXPECTED_FAILURES): they must keep passing."""
VARIANTS = {
    "default": {},
    "haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "threads2": {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"},
}
"""Environments of every worker. The BLAS thread counts replace the workers' single-threaded default (the
grader pins them to 1), as on a machine that did not: sums split differently."""
RUN = ("import sys, grader.worker.client as c; c.SINGLE_THREADED.update(%r); from grader.cli import main; "
       "sys.exit(main(sys.argv[1:]))")


def build(work: Path) -> Path:
    cls = work / "class"
    cls.mkdir(parents=True)
    (cls / "reference").symlink_to(ROOT / "reference")
    make_similar.write(cls / "independent", make_similar.independent())
    for bug in sorted({b for bugs in MUST_FAIL.values() for b in bugs} | set(PASSING)):
        make_buggy.make(bug, cls)
    return cls


def grade(cls: Path, out: Path, seed: int, env: dict[str, str]) -> dict[str, dict[str, dict]]:
    threads = {k: v for k, v in env.items() if k.endswith("_NUM_THREADS")}
    subprocess.run([sys.executable, "-c", RUN % threads, "grade", str(cls), "--out", str(out), "--seed", str(seed),
                    "--only", ",".join(CHECKS), "--localize-budget", "0", "--diagnose-budget", "0",
                    "--no-similarity", "--jobs", "auto"], check=True, env={**os.environ, **env},
                   stdout=subprocess.DEVNULL)
    found = {}
    for path in out.glob("*/report.json"):
        report = json.loads(path.read_text())
        found[path.parent.name] = {c["id"]: c for c in report["checks"]}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    variants = args.variants.split(",")
    rows: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cls = build(Path(tmp))
        for variant in variants:
            for seed in range(1, args.seeds + 1):
                found = grade(cls, Path(tmp) / ("out-%s-%d" % (variant, seed)), seed, VARIANTS[variant])
                for sample, checks in found.items():
                    for check in CHECKS:
                        c = checks[check]
                        value, bar = c["metric"]["value"], c["metric"]["threshold"]
                        rows.setdefault((check, sample), []).append((value, bar, c["status"]))
            print("variant %s done" % variant, flush=True)
    print("%d seeds x variants %s" % (args.seeds, ", ".join(variants)))
    for check in CHECKS:
        print("\n" + check)
        for (c, sample), values in sorted(rows.items()):
            if c != check:
                continue
            statuses = sorted({s for _, _, s in values})
            ratios = [v / b for v, b, _ in values if v is not None]
            kind = ("must fail" if sample in MUST_FAIL[check] else "correct" if sample in ("reference", "independent")
                    else "passes today")
            print("  %-28s %-12s verdicts %-16s final/bar: min %.3g max %.3g" % (
                sample, kind, "/".join(statuses), min(ratios), max(ratios)))


if __name__ == "__main__":
    main()
