"""Child processes started for a grading thread outlive it (``grader.worker.spawn``)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

from grader.worker import spawn

DIES_WITH_PARENT = ("import ctypes, time; ctypes.CDLL(None).prctl(1, 9, 0, 0, 0); print('ready', flush=True); "
                    "time.sleep(60)")
"""A child that asks for SIGKILL when its parent (thread) ends, as bubblewrap's --die-with-parent does."""


def started_in_a_thread_that_ends(start) -> subprocess.Popen:
    box = []

    def asks():  # the thread ends once the child is ready (its guard set while the thread lives)
        box.append(start([sys.executable, "-c", DIES_WITH_PARENT], stdout=subprocess.PIPE, text=True))
        assert box[0].stdout.readline().strip() == "ready"

    thread = threading.Thread(target=asks)
    thread.start()
    thread.join()
    proc = box[0]
    time.sleep(0.5)
    return proc


def test_a_child_started_through_spawn_outlives_the_thread_that_asked():
    proc = started_in_a_thread_that_ends(spawn.popen)
    try:
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_the_same_child_started_by_the_thread_itself_dies_with_it():
    proc = started_in_a_thread_that_ends(subprocess.Popen)
    assert proc.wait(timeout=10) == -9
