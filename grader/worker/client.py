"""The grader's side of a worker: start it, send requests with deadlines, kill and replace it when needed.

``Executor`` is what checks use: ``call``, ``new``, ``method``, ``sweep``... on the graded package
that a worker has loaded. A timeout or a crash kills the worker's whole process group; the next request
starts a fresh worker, so one hung function never stops the rest of the grading.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from grader.worker import spawn, template
from grader.worker.compat import SHIMS
from grader.worker.protocol import Channel, ChannelClosed, ChannelTimeout, Handle, ProtocolError


SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
"""Workers compute on one thread: several workers with spinning BLAS or TensorFlow threads slow each other down
badly (``--jobs auto`` runs one submission per core), and the numbers a worker computes do not depend on how many
cores the machine has (TensorFlow splits its sums by thread)."""


START_TIMEOUT_S = 120.0
"""How long a worker may take to start (a TensorFlow worker imports for seconds; much longer when loaded)."""

RELOAD_TIMEOUT_S = 10.0
"""How long a worker may take to forget its package's modules (it only drops them)."""


class WorkerProblem(Exception):
    """Base of what can go wrong while talking to a worker; ``executor`` says which one."""

    executor: "Executor | None" = None


class StudentError(WorkerProblem):
    """Student code raised an exception (``SystemExit`` and ``KeyboardInterrupt`` included)."""

    def __init__(self, type_name: str, message: str, traceback: str, stdout: str = ""):
        super().__init__("%s: %s" % (type_name, message))
        self.type_name = type_name
        self.message = message
        self.traceback = traceback
        self.stdout = stdout


class WorkerTimeout(WorkerProblem):
    """The worker did not answer before the check's deadline; it has been killed."""


class WorkerCrashed(WorkerProblem):
    """The worker died (exit, signal, out of memory) or broke the protocol; it has been discarded."""


class WorkerProcess:
    """One running worker process with its two pipes: started as a fresh interpreter, or forked from a
    template that has its runtime's libraries imported already (``preload``, see ``grader.worker.template``)."""

    def __init__(self, root: Path, package: str, env: dict[str, str] | None = None, command_prefix: Sequence[str] = (),
                 cwd: Path | None = None, preload: Sequence[str] | None = None):
        env = dict(os.environ if env is None else env)
        env.update(SINGLE_THREADED)
        self.started = time.monotonic()
        self.wrapped = bool(command_prefix)
        """Started through a wrapper (bubblewrap), which reports a signal death as exit code 128 + signal."""
        self.contained = self.wrapped
        """In a PID namespace of its own: everything it starts dies with it."""
        forked = self._fork(root, package, env, command_prefix, cwd, preload) if preload is not None else None
        if forked is not None:
            self.proc, from_worker_r, to_worker_w = forked
            self.wrapped = False  # its monitor reports its own exit status
            self.channel = Channel(from_worker_r, to_worker_w)
            return
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        cmd = [*command_prefix, sys.executable, "-I", "-m", "grader.worker.server",
               str(root), package, str(to_worker_r), str(from_worker_w)]
        self.proc = spawn.popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_worker_r, from_worker_w), start_new_session=True, close_fds=True,
            env=env, cwd=str(cwd or root),
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.channel = Channel(from_worker_r, to_worker_w)

    @staticmethod
    def _fork(root: Path, package: str, env: dict[str, str], command_prefix: Sequence[str], cwd: Path | None,
              preload: Sequence[str]):
        """The worker forked from its runtime's template, in a sandbox of its own when ``command_prefix`` is
        bubblewrap's; None where no template can serve (it is then started as a fresh interpreter)."""
        if command_prefix and os.geteuid() != 0:
            return None  # only root can enter the namespaces of a bubblewrap sandbox
        found = template.template_for({k: v for k, v in env.items() if k not in template.PER_WORKER}, preload)
        if found is None:
            return None
        holder = [command_prefix[0], "--as-pid-1", *command_prefix[1:]] if command_prefix else None
        try:
            return found.spawn(root, package, env, cwd or root, holder, START_TIMEOUT_S)
        except template.TemplateUnavailable:
            return None

    def end_descendants(self) -> None:
        """Kill every process the worker started, wherever it went (its own session, a double fork: the
        worker adopts orphans). Only needed without bubblewrap, whose PID namespace dies with the worker."""
        if self.contained:
            return
        for pid in descendants(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def kill(self) -> None:
        self.end_descendants()
        if isinstance(self.proc, template.ForkedProcess):
            self.proc.kill()
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.channel.close()

    def exit_description(self) -> str:
        try:
            code = self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if self.wrapped and 128 < code < 128 + 65:
            code = 128 - code
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hint = " (killed: out of memory?)" if name == "SIGKILL" else ""
            return "was killed by signal %s%s" % (name, hint)
        return "exited with code %d" % code


def descendants(pid: int) -> list[int]:
    """The processes below ``pid``, from ``/proc/<pid>/task/<tid>/children`` (empty where that is missing)."""
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < 100_000:
        parent = todo.pop()
        try:
            tasks = os.listdir("/proc/%d/task" % parent)
        except OSError:
            continue
        for task in tasks:
            try:
                with open("/proc/%d/task/%s/children" % (parent, task)) as f:
                    children = [int(c) for c in f.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            todo += children
    return found


@dataclass
class ExecutorStats:
    """Where the time went, summed over every worker of one role (student or reference)."""

    starts: int = 0
    start_s: float = 0.0
    """Starting workers: the process, the interpreter, numpy (until the worker first answers)."""
    requests: int = 0
    roundtrip_s: float = 0.0
    """Requests from send to answer, worker starts excluded."""
    compute_s: float = 0.0
    """The part of the round trips spent inside the worker's operations (student or reference code)."""

    @property
    def transport_s(self) -> float:
        return max(0.0, self.roundtrip_s - self.compute_s)


class Executor:
    """Runs requests against one package (a submission's or the reference) in a worker."""

    live = True
    """False for stand-ins that answer from recorded data (see ``grader.bundle``)."""

    def __init__(self, root: Path, label: str, package: str, env: dict[str, str] | None = None,
                 command_prefix: Sequence[str] = (), stats: ExecutorStats | None = None, cwd: Path | None = None,
                 preload: Sequence[str] | None = None):
        """A worker over ``root/<package>``, started on the first request; with ``preload`` (the runtime's
        modules, possibly none), forked from a template that has imported them (``grader.worker.template``)."""
        self.root = Path(root)
        self.label = label
        self.package = package
        self.env = env
        self.command_prefix = tuple(command_prefix)
        self.cwd = cwd
        self.preload = None if preload is None else tuple(preload)
        self.current_check = ""
        """The check being run (set by the runner; recording and replaying executors key answers by it)."""
        self.tainted = False
        """Set when student code left threads or processes running, or tampered with its worker (``taint``
        says how): the worker is replaced after the check."""
        self.taint: list[str] = []
        self.worker: WorkerProcess | None = None
        self.deadline: float | None = None
        self.stdout: list[str] = []
        self.compat: set[str] = set()
        """The compatibility shims (``grader.worker.compat``) the code used, over every worker started."""
        self.stats = stats if stats is not None else ExecutorStats()
        self.transcript: list[tuple[str, Any]] | None = None
        """While a list: every answer (``("ok", value)``) or student exception (``("raise", type)``), in order,
        so that two runs of a check can be compared (see ``grader.misconceptions``)."""
        self.substitution: dict[str, str] | None = None
        """Sent with every request while set: which implementation each listed function gets (see
        ``grader.worker.substitution``)."""

    # ------------------------------------------------------------------ lifecycle

    def begin_check(self, check_id: str) -> None:
        """A run of ``check_id`` starts (every request until the next call belongs to it)."""
        self.current_check = check_id
    def _ensure(self) -> WorkerProcess:
        if self.worker is None or self.worker.proc.poll() is not None:
            if self.worker is not None:
                self.worker.kill()
            t0 = time.monotonic()
            self.worker = WorkerProcess(self.root, self.package, self.env, self.command_prefix, self.cwd,
                                        self.preload)
            self.tainted = False
            self.taint = []
            self.stats.starts += 1
            check_deadline, self.deadline = self.deadline, t0 + START_TIMEOUT_S
            try:
                self._exchange(self.worker, {"op": "ping"})
            finally:  # starting a worker does not eat the check's own time
                started = time.monotonic() - t0
                self.deadline = None if check_deadline is None else check_deadline + started
            self.stats.start_s += started
        return self.worker

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator["Executor"]:
        """Requests made inside must answer within ``seconds`` from now (the deadline before is restored)."""
        before, self.deadline = self.deadline, time.monotonic() + seconds
        try:
            yield self
        finally:
            self.deadline = before

    def close(self) -> None:
        if self.worker is not None:
            try:
                self.worker.end_descendants()
                self.worker.channel.close()
                self.worker.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            self.worker.kill()
            self.worker = None

    def reload(self) -> None:
        """The package's files changed: the worker drops its package's modules, so that the next imports read
        them again, and keeps what it loaded besides (TensorFlow). One that cannot (the code it ran replaced
        what it relies on) or does not answer is replaced by a fresh worker on the next request."""
        self.compat.clear()
        if self.worker is None or self.worker.proc.poll() is not None:
            return
        try:
            with self.time_limit(RELOAD_TIMEOUT_S):
                reloaded = self.request({"op": "reload"}) is True
        except WorkerProblem:
            reloaded = False
        if not reloaded or self.tainted:
            self.discard()

    def discard(self) -> None:
        """Kill the worker (after a timeout or crash); the next request starts a fresh one."""
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    # ------------------------------------------------------------------ requests
    def request(self, message: dict) -> Any:
        try:
            value = self._request(message)
        except WorkerProblem as exc:
            exc.executor = self
            if self.transcript is not None and isinstance(exc, StudentError):
                self.transcript.append(("raise", exc.type_name))
            raise
        if self.transcript is not None:
            self.transcript.append(("ok", value))
        return value

    def _request(self, message: dict) -> Any:
        worker = self._ensure()
        if self.substitution:
            message = {**message, "substitute": self.substitution}
        t0 = time.monotonic()
        response = self._exchange(worker, message)
        self.stats.requests += 1
        self.stats.roundtrip_s += time.monotonic() - t0
        if isinstance(response.get("compute_s"), float):
            self.stats.compute_s += response["compute_s"]
        if response.get("leftovers"):
            self.tainted = True
            self._taint("left threads or processes running")
        tampered = response.get("tampered")
        if tampered:
            self.tainted = True
            names = [str(t)[:80] for t in tampered[:8]] if isinstance(tampered, list) else ["?"]
            self._taint("replaced what its worker relies on (%s)" % ", ".join(names))
        used = response.get("compat")
        if isinstance(used, list):
            self.compat.update(name for name in used if isinstance(name, str) and name in SHIMS)
        stdout = response.get("stdout")
        if isinstance(stdout, str) and stdout:
            self.stdout.append(stdout)
        if not response["ok"]:
            err = response.get("error") if isinstance(response.get("error"), dict) else {}
            raise StudentError(str(err.get("type", "Error")), str(err.get("message", "")),
                               str(err.get("traceback", "")), stdout if isinstance(stdout, str) else "")
        return response.get("value")

    def _taint(self, reason: str) -> None:
        if reason not in self.taint:
            self.taint.append(reason)

    def _exchange(self, worker: WorkerProcess, message: dict) -> dict:
        """Send one request and wait (until the deadline) for its answer; discard the worker on failure.

        Each request carries a fresh random id that its answer must repeat: a message that student code wrote
        on the pipe (it can guess the pipe from the worker's command line, not the id) is never taken for an
        answer, and the check ends with an error instead.
        """
        request_id = secrets.randbits(62)
        try:
            worker.channel.send({**message, "id": request_id})
            response = worker.channel.receive(self.deadline)
        except ChannelTimeout:
            self.discard()
            raise WorkerTimeout("no answer from %s within the time limit" % self.label) from None
        except (ChannelClosed, BrokenPipeError, ProtocolError, OSError) as exc:
            how = worker.exit_description() if not isinstance(exc, ProtocolError) else "broke the protocol (%s)" % exc
            self.discard()
            raise WorkerCrashed("the worker running %s %s" % (self.label, how)) from None
        if not isinstance(response, dict) or "ok" not in response:
            self.discard()
            raise WorkerCrashed("the worker running %s sent a malformed answer" % self.label)
        if response.get("id") != request_id:
            self.discard()
            raise WorkerCrashed("the worker running %s answered out of turn: a message on its protocol pipe "
                                "that answers no request (written there by the code it runs?)" % self.label)
        return response

    def import_module(self, module: str) -> None:
        self.request({"op": "import", "module": module})

    def call(self, fn: str, *args: Any, keep: Sequence[int] | None = None, **kwargs: Any) -> Any:
        return self.request({"op": "call", "fn": fn, "args": list(args), "kwargs": kwargs,
                             "keep": list(keep) if keep else None})

    def call_echo(self, fn: str, *args: Any, keep: Sequence[int] | None = None) -> tuple[Any, list[Any]]:
        """Like ``call``, and also return the arguments as the function left them (to detect mutation)."""
        answer = self.request({"op": "call", "fn": fn, "args": list(args), "kwargs": {},
                               "keep": list(keep) if keep else None, "echo_args": True})
        return answer["result"], answer["args"]

    def new(self, cls: str, *args: Any, **kwargs: Any) -> Handle:
        """Construct ``cls`` in the worker and keep the object there."""
        return self.request({"op": "call", "fn": cls, "args": list(args), "kwargs": kwargs, "keep": "all"})

    def method(self, obj: Handle, name: str, *args: Any, keep: Sequence[int] | None = None, **kwargs: Any) -> Any:
        return self.request({"op": "call", "fn": ["method", obj, name], "args": list(args), "kwargs": kwargs,
                             "keep": list(keep) if keep else None})

    def get_attr(self, obj: Handle, attr: str) -> Any:
        return self.request({"op": "get_attr", "obj": obj, "attr": attr})

    def set_items(self, obj: Handle, attr: str, items: dict[str, Any]) -> None:
        self.request({"op": "set_items", "obj": obj, "attr": attr, "items": items})

    def seed(self, seed: int) -> None:
        self.request({"op": "seed", "seed": int(seed)})

    def free(self, *handles: Handle) -> None:
        self.request({"op": "free", "handles": [h.id for h in handles]})

    def sweep(self, fn: Any, args: Sequence[Any], values: np.ndarray, *, arg: int | None = None,
              param: tuple[Handle, str, str] | None = None, output: int | None = None,
              kwargs: dict[str, Any] | None = None) -> np.ndarray:
        """Evaluate ``fn`` once per entry of ``values`` put in argument ``arg`` (or model parameter ``param``).

        Returns the stacked outputs (``output`` picks one item of a tuple result), as float64.
        """
        vary = {"arg": arg} if param is None else {"param": list(param)}
        return self.request({"op": "sweep", "fn": fn, "args": list(args), "kwargs": kwargs or {},
                             "vary": vary, "values": values, "output": output})
