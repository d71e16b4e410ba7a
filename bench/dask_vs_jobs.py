"""Benchmark: two Dask workers on this machine against ``--jobs 2``, on the same class.

    python bench/dask_vs_jobs.py [--count 12] [--only IDS] [--seed N] [--work DIR]

Starts ``dask scheduler`` and two ``dask worker --nthreads 1`` processes on this machine (as docs/dask.md
says), grades ``--count`` distinct copies of the samples with ``--scheduler``, then the same class with
``--jobs 2`` and no cluster, each as ``grader grade`` in its own process into a fresh output folder, the Dask
run first and then the local one, then both again in the other order (the load of a shared machine drifts).
Prints every wall time and the ratio of the sums. Target: the Dask run within 15 % of ``--jobs 2``. The
cluster's start is not counted (it is up before the first run), but each Dask worker's first submission
pays for its reference workers, as the local run's threads do.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench")]

from classes import make_class  # noqa: E402

DASK = Path(sys.executable).parent / "dask"


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    file = folder / "scheduler.json"
    processes = []

    def start(name: str, *args: str) -> None:
        log = open(folder / ("%s.log" % name), "w")
        processes.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True, cwd=folder))

    start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
          str(file))
    while not file.is_file():
        time.sleep(0.2)
    address = json.loads(file.read_text())["address"]
    for name in ("w1", "w2"):
        start(name, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", name)
    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=300)
    return address, processes


def grade(folder: Path, out: Path, only: str, seed: int, *extra: str) -> float:
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(folder), "--out", str(out), "--seed", str(seed),
           *(["--only", only] if only else []), *extra]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit("grader grade failed:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--only", default="", help="restrict the checks (default: the whole assignment)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="grader-bench-dask-"))
    make_class(work, args.count)
    (work / "cluster").mkdir(exist_ok=True)
    address, processes = start_cluster(work / "cluster")
    print("%d submissions, --only %s; 2 Dask workers (1 thread each) at %s vs --jobs 2; %d core(s)" % (
        args.count, args.only or "(the whole assignment)", address, len(os.sched_getaffinity(0))))
    walls: dict[str, list[float]] = {"dask": [], "jobs": []}
    try:
        for round_, order in enumerate((("dask", "jobs"), ("jobs", "dask"))):
            for kind in order:
                extra = ("--scheduler", address) if kind == "dask" else ("--jobs", "2")
                seconds = grade(work / "class", work / ("out-%s-%d" % (kind, round_)), args.only, args.seed, *extra)
                walls[kind].append(seconds)
                print("  %-24s %7.1f s  (load average %s)" % ("2 Dask workers" if kind == "dask" else "--jobs 2",
                                                              seconds,
                                                              " ".join("%.2f" % x for x in os.getloadavg())))
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
    ratio = sum(walls["dask"]) / sum(walls["jobs"])
    print("Dask / --jobs 2 (sums of both rounds): %.3f; target within 15%%: %s" % (
        ratio, "met" if abs(ratio - 1) <= 0.15 else "MISSED"))


if __name__ == "__main__":
    main()
