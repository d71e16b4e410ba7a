"""What the course-environment layer (``grader.worker.compat``) adds to a student worker's start.

Starts numpy workers (until their first answer) and TensorFlow workers (until ``import tensorflow`` and
``tf.keras`` are loaded inside them) alternately with and without the layer, and prints the medians.

    .venv/bin/python bench/compat_start.py [--rounds N]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.runtimes import worker_env
from grader.worker import compat
from grader.worker.client import Executor

TF_MODULE = "import tensorflow as tf\n\n\ndef load_keras():\n    return len(tf.keras.optimizers.Adam.__name__)\n"


def start(root: Path, runtime: str, layer: bool) -> float:
    executor = Executor(root, "bench", env=worker_env(runtime, extra={compat.ENV: "1"} if layer else {}))
    try:
        t0 = time.perf_counter()
        executor.request({"op": "ping"})
        if runtime == "tensorflow":
            executor.deadline = time.monotonic() + 300
            executor.call("tfmod.load_keras")
        return time.perf_counter() - t0
    finally:
        executor.close()


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
            times: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(rounds):
                for layer in (False, True):
                    times[layer].append(start(root, runtime, layer))
            off, on = statistics.median(times[False]), statistics.median(times[True])
            print("%-10s start (%d each): without the layer %.3f s, with it %.3f s, difference %+.3f s"
                  % (runtime, rounds, off, on, on - off))


if __name__ == "__main__":
    main()
