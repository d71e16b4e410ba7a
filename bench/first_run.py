"""Benchmark: the README's first command on a fresh clone, install included (#19's "first run in minutes").

    python bench/first_run.py [--keep]

Clones this repository (its committed HEAD) into a temporary folder, reads the first ```bash block of the
README's Quick start (the set-up-and-grade command) and runs it there with ``bash -e``, timing the whole command
(wall clock, and the CPU seconds of all its processes) and each ``&&`` part on its own. Prints the figures and
whether ``reports/index.html`` was written. The pip install uses whatever index pip is configured with.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_command(readme: str) -> str:
    quick = readme.split("## Quick start", 1)[1]
    return re.search(r"```bash\n(.*?)\n```", quick, re.S).group(1).strip()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-first-run-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    command = first_command((clone / "README.md").read_text())
    print("command:", command)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    total_wall, total_cpu = time.perf_counter(), children_cpu()
    for part in command.split(" && "):
        wall, cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(["bash", "-ec", part], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        print("  %6.1f s wall %7.1f s CPU  %s" % (time.perf_counter() - wall, children_cpu() - cpu, part))
        if done.returncode:
            print(done.stdout[-3000:])
            sys.exit("failed with exit code %d" % done.returncode)
        last = done.stdout.strip().splitlines()[-1:] if done.stdout.strip() else []
    print("total: %.1f s wall, %.1f s CPU (all processes); last line: %s"
          % (time.perf_counter() - total_wall, children_cpu() - total_cpu, last[0] if last else ""))
    print("dashboard written:", (clone / "reports" / "index.html").is_file())
    if args.keep:
        print("clone kept at", clone)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
