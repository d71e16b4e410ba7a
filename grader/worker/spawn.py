"""Child processes that outlive the grading thread that asked for them.

``PR_SET_PDEATHSIG`` (bubblewrap's ``--die-with-parent``, the worker templates' own guard) fires when the
*thread* that forked the child ends, not the process. A sandbox or a template started by a grading thread
would die with that thread under work another thread still does: the reference's worker that a batch shares,
the template that every grading run of the process shares (two grading runs in one process, as the tests' seed
sweeps and a Dask worker's threads do, saw workers "killed by signal SIGKILL" when the other run ended). So
they are all started by one thread that lives as long as the process.
"""
from __future__ import annotations

import queue
import subprocess
import threading
from concurrent.futures import Future
from typing import Any

_requests: "queue.Queue[tuple[tuple, dict, Future]]" = queue.Queue()
_started = threading.Lock()
_thread: threading.Thread | None = None


def popen(*args: Any, **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(*args, **kwargs)``, forked by the process's spawning thread."""
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_serve, name="grader-spawner", daemon=True)
            _thread.start()
    done: Future = Future()
    _requests.put((args, kwargs, done))
    return done.result()


def _serve() -> None:
    while True:
        args, kwargs, done = _requests.get()
        try:
            done.set_result(subprocess.Popen(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - raised again in the asking thread
            done.set_exception(exc)
