"""Benchmark: the README's first command, timed as a newcomer runs it: on a fresh clone, install included.

    python bench/first_run.py [--repo PATH] [--keep DIR]

Clones ``--repo`` (default: this repository, its committed HEAD) into a temporary folder, reads the README's first
shell block (the command that sets up and grades the demo class), runs each of its ``&&`` steps there in turn
with the machine's ``python3``, and prints the wall time of each step and of the whole, then what the grading
printed last (the dashboard it names). Runs on whatever the machine's pip caches hold: a first download of the
packages is not included.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_command(readme: str) -> str:
    match = re.search(r"```bash\n(.+?)\n```", readme, re.S)
    if not match:
        raise SystemExit("bench/first_run.py: the README has no ```bash block")
    return match.group(1).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temporary folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="grader-first-run-"))
    clone = work / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
    command = first_command((clone / "README.md").read_text())
    print("the README's first command:\n  %s\n" % command)
    total = 0.0
    output = ""
    for step in (s.strip() for s in command.split("&&")):
        start = time.monotonic()
        done = subprocess.run(["bash", "-c", step], cwd=clone, capture_output=True, text=True)
        took = time.monotonic() - start
        total += took
        output = done.stdout + done.stderr
        print("%8.1f s  %s" % (took, step), flush=True)
        if done.returncode:
            print(output[-3000:])
            raise SystemExit("bench/first_run.py: the step failed (exit %d)" % done.returncode)
    print("%8.1f s  in all (%.1f min); target: under 5 min" % (total, total / 60))
    print("\nthe grading's last lines:\n" + "\n".join(output.strip().splitlines()[-4:]))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
