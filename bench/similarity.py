"""The similarity search on a generated class: how long ``grader similarity`` takes for N submissions.

    python bench/similarity.py [--submissions 700] [--keep DIR]

Each generated submission takes every function from the reference, the independent solution or the
starter at random and is then disguised (``submissions/make_similar.py``: names, formatting, order), so the
class holds many near-copies and much shared code, the index's heavy case. Prints the wall time and the
CPU seconds of the command (a child process: what an instructor waits for), and where the time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_similar():
    spec = importlib.util.spec_from_file_location("make_similar", ROOT / "submissions" / "make_similar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(args: tuple[Path, int]) -> None:
    folder, seed = args
    module = make_similar()
    module.write(folder / ("student_%04d" % seed), module.variant(seed))


def generate(folder: Path, count: int) -> None:
    missing = [(folder, seed) for seed in range(count) if not (folder / ("student_%04d" % seed)).is_dir()]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_write, missing, chunksize=8))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=700)
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this folder")
    parser.add_argument("--profile", action="store_true", help="also profile the search in this process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        classroom = args.keep or Path(tmp) / "class"
        classroom.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        generate(classroom, args.submissions)
        print("generated %d submissions in %.1f s (%s)" % (args.submissions, time.monotonic() - start, classroom))
        out = Path(tmp) / "out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "grader.cli", "similarity", str(classroom), "--out", str(out)],
                              capture_output=True, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            return 1
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        found = json.loads((out / "similarity.json").read_text())
        print(proc.stdout.strip())
        print("grader similarity, %d submissions: %.1f s wall, %.1f CPU s; %d pairs compared, %d flagged, "
              "%d listed; similarity.json %.1f MB, similarity.html %.1f MB" % (
                  args.submissions, wall, cpu, found["pairs_compared"], found["pairs_flagged"], len(found["pairs"]),
                  (out / "similarity.json").stat().st_size / 2**20, (out / "similarity.html").stat().st_size / 2**20))
        if args.profile:
            from grader.cli import main as grader

            profile = cProfile.Profile()
            profile.runcall(grader, ["similarity", str(classroom), "--out", str(Path(tmp) / "profiled")])
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
