"""Benchmark: an infinite loop in one function costs a submission one timeout, not one per check.

    python bench/infinite_loop.py [--function rnn_step_forward] [--timeout 60] [--only IDS] [--seed N]

Grades the reference with ``while True: pass`` as the body of ``--function`` (a function of
``rnn_layers.py``), with the default per-check limit, as ``grader grade`` in its own process. Prints the wall
time, how many checks waited out their limit, and how many were marked ``timeout`` at once because they call
the function that never returned; before this work each of those called it again and could wait out its own
limit (the issue measured 5 minutes for rnn_step_forward).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def with_loop(source: str, name: str) -> str:
    start = source.index("def %s(" % name)
    body = source.index(":\n", start) + 2
    end = source.index("\ndef ", body)
    return source[:body] + "    while True:\n        pass\n" + source[end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--function", default="rnn_step_forward")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", default="", help="restrict the checks (default: the whole assignment)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-loop-"))
    sub = work / "looping"
    shutil.copytree(ROOT / "reference", sub, ignore=shutil.ignore_patterns("__pycache__"))
    layers = sub / "cs231n" / "rnn_layers.py"
    layers.write_text(with_loop(layers.read_text(), args.function))
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(sub), "--out", str(work / "out"), "--seed",
           str(args.seed), "--timeout", "%g" % args.timeout, *(["--only", args.only] if args.only else [])]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit("grader grade failed:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
    report = json.loads((work / "out" / "looping" / "report.json").read_text())
    timeouts = [c for c in report["checks"] if c["status"] == "timeout"]
    waited = [c for c in timeouts if not c["message"].startswith("not run")]
    skipped = [c for c in timeouts if c["message"].startswith("not run")]
    print("%s loops forever; --timeout %g; %d checks; load average %s" % (
        args.function, args.timeout, len(report["checks"]), " ".join("%.2f" % x for x in os.getloadavg())))
    print("wall time of the submission: %.1f s (score %g / %g)" % (wall, report["score"], report["max_score"]))
    for c in waited:
        print("  waited out its limit: %-55s %6.1f s" % (c["id"], c["duration_s"]))
    print("  marked timeout at once, without calling it: %d checks (%s)" % (
        len(skipped), ", ".join(c["id"] for c in skipped)))
    print("timeouts waited out: %d (target: 1); calling the function again in each of the others could cost up "
          "to %d x %g s = %.0f s more" % (len(waited), len(skipped), args.timeout, len(skipped) * args.timeout))


if __name__ == "__main__":
    main()
