"""Benchmark: a class graded with ``--jobs auto`` and with ``--jobs 1``, in the same benchmark run.

    python bench/jobs.py [--count 100] [--track both|tensorflow|pytorch] [--only IDS] [--seed N] [--jobs auto]
                         [--skip-serial] [--work DIR]

``--count`` distinct copies of the samples (reference, skeleton, every bug_*, in turn; a comment makes each
copy's files distinct) are graded twice by ``grader grade`` as its own process, into fresh output folders
(nothing reused): once with ``--jobs auto`` (or ``--jobs``), once with ``--jobs 1``. Prints both wall times,
their ratio, and per submission. Target on the 2-core machine: 100 complete submissions in 15 min or less
with ``--jobs auto`` (about 40 min with one job before this work). The full run takes about an hour:
run it on a quiet machine; ``--count`` and ``--only`` give a smaller class whose figures scale.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench")]

from classes import TRACKS, make_class  # noqa: E402


def grade(folder: Path, out: Path, jobs: str, only: str, seed: int) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(folder), "--out", str(out), "--jobs", jobs,
           "--seed", str(seed), *(["--only", only] if only else [])]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit("grader grade failed:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--only", default="", help="restrict the checks (default: the whole assignment)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--track", choices=TRACKS, default="both",
                        help="what each copy hands in: both tracks as the sample has them (default), or one "
                        "track, the other track's modules left as the starter's")
    parser.add_argument("--jobs", default="auto", help="the parallel run's --jobs (default auto)")
    parser.add_argument("--skip-serial", action="store_true", help="only the parallel run")
    parser.add_argument("--work", type=Path, help="where the class and outputs go (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="grader-bench-jobs-"))
    make_class(work, args.count, track=args.track)
    cores = len(os.sched_getaffinity(0))
    print("%d submissions (copies of the samples, track: %s), --only %s, seed %d; %d core(s); load average at "
          "start %s" % (args.count, args.track, args.only or "(the whole assignment)", args.seed, cores,
        " ".join("%.2f" % x for x in os.getloadavg())))
    runs = [args.jobs] + ([] if args.skip_serial else ["1"])
    walls = {}
    for jobs in runs:
        walls[jobs], text = grade(work / "class", work / ("out-jobs-%s" % jobs), jobs, args.only, args.seed)
        summary = next((line for line in text.splitlines() if line.startswith("graded ")), "?")
        print("--jobs %-4s %8.1f s  (%.1f s per submission; %s; load average now %s)" % (
            jobs, walls[jobs], walls[jobs] / args.count, summary, " ".join("%.2f" % x for x in os.getloadavg())))
    if len(walls) == 2:
        print("--jobs 1 / --jobs %s: %.2f" % (args.jobs, walls["1"] / walls[args.jobs]))
    if args.count != 100:
        print("scaled to 100 submissions (linear, an extrapolation): %s" % ", ".join(
            "--jobs %s %.1f min" % (jobs, seconds / args.count * 100 / 60) for jobs, seconds in walls.items()))


if __name__ == "__main__":
    main()
