"""Benchmark: what fault localization and misconception diagnosis cost.

    python bench/blame_cost.py SAMPLE[:ONLY] ... [--repeat N] [--seed N]

Each SAMPLE (a folder under submissions/, or a path; ``:ONLY`` restricts it to an ``--only`` selection) is
graded ``--repeat`` times with localization and diagnosis on (the defaults) and off
(``--localize-budget 0 --diagnose-budget 0``), alternating, in fresh processes. Prints the median wall time
of each and the difference: on a correct submission it should be noise (nothing fails, nothing reruns);
on a failing composite check it is the price of naming the function at fault and the mistake.
Buggy samples are generated first with submissions/make_buggy.py.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFF = ["--localize-budget", "0", "--diagnose-budget", "0"]


def grade_once(path: Path, only: str, seed: int, extra: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "grader.cli", "grade", str(path), "--out", out, "--seed", str(seed), *extra]
        if only:
            cmd += ["--only", only]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        elapsed = time.perf_counter() - start
        [report] = [json.loads(p.read_text()) for p in Path(out).glob("*/report.json")]
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="+", metavar="SAMPLE[:ONLY]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    subprocess.run([sys.executable, str(ROOT / "submissions" / "make_buggy.py")], check=True, capture_output=True)
    print("%-40s %9s %9s %9s  %s" % ("sample", "on (s)", "off (s)", "extra", "failing / blamed / diagnosed checks"))
    for item in args.samples:
        name, _, only = item.partition(":")
        path = Path(name) if Path(name).exists() else ROOT / "submissions" / name
        on, off = [], []
        report: dict = {}
        for _ in range(args.repeat):
            seconds, report = grade_once(path, only, args.seed, [])
            on.append(seconds)
            off.append(grade_once(path, only, args.seed, OFF)[0])
        failing = [c for c in report["checks"] if c["status"] not in ("passed", "skipped")]
        blamed = [c for c in failing if c.get("attribution")]
        diagnosed = [c for c in failing if "diagnosis" in c["details"]]
        print("%-40s %9.2f %9.2f %+9.2f  %d / %d / %d" % (
            item[:40], statistics.median(on), statistics.median(off), statistics.median(on) - statistics.median(off),
            len(failing), len(blamed), len(diagnosed)))


if __name__ == "__main__":
    main()
