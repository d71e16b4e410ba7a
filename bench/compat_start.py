"""What the course-environment layer (``grader.worker.compat``) adds to a student worker's start.

Starts numpy workers (until their first answer) and TensorFlow workers (until ``import tensorflow`` and
``tf.keras`` are loaded inside them) alternately with and without the layer, and prints the medians of the
wall time and of the worker's CPU time (steadier on a loaded machine).

    .venv/bin/python bench/compat_start.py [--rounds N]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from exercises.assignment import RUNTIMES
from grader.runtimes import worker_env
from grader.worker import compat
from grader.worker.client import Executor

TF_MODULE = "import tensorflow as tf\n\n\ndef load_keras():\n    return len(tf.keras.optimizers.Adam.__name__)\n"


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start(root: Path, runtime: str, layer: bool) -> tuple[float, float]:
    """Wall time until the worker is ready, and the CPU time it used (it has exited when this returns)."""
    executor = Executor(root, "bench", "cs231n", env=worker_env(RUNTIMES[runtime], extra={compat.ENV: "1"} if layer else {}))
    cpu = cpu_of_children()
    try:
        t0 = time.perf_counter()
        executor.request({"op": "ping"})
        if runtime == "tensorflow":
            executor.deadline = time.monotonic() + 300
            executor.call("tfmod.load_keras")
        wall = time.perf_counter() - t0
    finally:
        executor.close()
    return wall, cpu_of_children() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cs231n").mkdir()
        (root / "cs231n" / "__init__.py").write_text("")
        (root / "cs231n" / "tfmod.py").write_text(TF_MODULE)
        for runtime, rounds in (("numpy", args.rounds), ("tensorflow", max(2, args.rounds // 3))):
            times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            for _ in range(rounds):
                for layer in (False, True):
                    times[layer].append(start(root, runtime, layer))
            for i, what in enumerate(("wall", "CPU")):
                off, on = (statistics.median(t[i] for t in times[layer]) for layer in (False, True))
                print("%-10s start, %-4s (median of %d): without the layer %.3f s, with it %.3f s, difference %+.3f s"
                      % (runtime, what, rounds, off, on, on - off))


if __name__ == "__main__":
    main()
