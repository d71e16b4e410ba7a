"""Pre-imported workers: each worker is forked from a template process that has already imported its runtime's
libraries, instead of starting a fresh interpreter that imports them again (TensorFlow: about 3 s of CPU).

A template (``python -I -m grader.worker.template CONTROL_FD MODULE...``) imports the runtime's ``preload``
modules and the worker's own code, runs no operation of them (TensorFlow's thread pools do not survive a fork
once an operation has run: see the environment notes), holds nothing of the grader's (no reference, no seed,
no secret: it starts from the workers' own scrubbed environment) and never runs student code. Asked for a
worker, it forks a *monitor*, which joins the worker's sandbox if it has one, then forks the worker itself:

* the sandbox is a bubblewrap of its own for each worker, exactly the one a started worker would get, holding
  only a placeholder process (``HOLDER``) as its PID 1; the monitor enters its namespaces (mount, PID, network,
  IPC, UTS, cgroup) and its root with ``setns``/``chroot``, so the worker lives in it as PID 2 and dies with it;
* the worker then takes the state a started worker has: its own session, no inherited descriptor but its two
  protocol pipes (``/dev/null`` on 0-2), the environment it was given, ``no_new_privs`` (as bubblewrap sets),
  the command line and ``sys.argv`` of ``python -I -m grader.worker.server ROOT PACKAGE R W``, and runs
  ``grader.worker.server.main`` (which drops to the slot's user and applies the limits, as always);
* the monitor tells the grader the worker's pid (with a pidfd, so that a kill never hits a reused pid) and,
  once it is gone, its exit status; it is a subreaper, and kills what the worker left behind.

Each worker is a fresh copy of a template that student code never touched, and each has a sandbox of its own,
torn down with it: nothing survives from one worker (or submission) into the next. Where a template cannot be
used (the grader is not root, so it cannot join a bubblewrap sandbox; ``GRADER_WORKER_TEMPLATE=0``; a template
that does not answer), workers are started as fresh interpreters, as before. A template lives as long as the
grader's process (``grader.worker.spawn``) and sees the packages installed when it started: a pack installed
later is seen by the next grader process (``close_all`` starts the templates again).
"""
from __future__ import annotations

import atexit
import ctypes
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

from grader.worker import spawn

DISABLE_ENV = "GRADER_WORKER_TEMPLATE"
"""Set to ``0`` to start every worker as a fresh interpreter (to compare, or to rule the templates out)."""
HOLDER = ["/bin/sh", "-c", "echo ready; exec sleep infinity"]
"""What a sandbox holds until the worker joins it: PID 1 of its PID namespace (``--as-pid-1``)."""
NAMESPACES = ("ipc", "uts", "net", "cgroup", "pid", "mnt")
"""The namespaces a worker joins, the mount namespace last (it changes what ``/proc`` shows)."""
PADDING = 4096
"""Room on the template's command line for a worker's own (a worker's ``/proc/PID/cmdline`` is rewritten)."""
MESSAGE_BYTES = 1 << 16
PER_WORKER = ("HOME", "TMPDIR", "GRADER_LIMITS", "GRADER_WORKER_UID", "GRADER_COMPAT")
"""Environment variables each worker gets its own of, read after the fork: a template's environment is the rest
(what the libraries read when they are imported)."""

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "1") != "0"


# ============================================================================ the template's side (its process)


def serve(control: socket.socket) -> None:
    """Fork a monitor (and through it a worker) for every request until the grader closes the socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, MESSAGE_BYTES, 3)
        except OSError:
            return
        if not message:
            return
        try:
            request = json.loads(message)
            threads = len(os.listdir("/proc/self/task"))
            if threads != 1 or threading.active_count() != 1:  # a fork would copy locks held by other threads
                raise RuntimeError("the template runs %d threads: it cannot fork safely" % threads)
            if len(fds) != 3:
                raise RuntimeError("a request carries 3 descriptors, not %d" % len(fds))
            if os.fork() == 0:
                control.close()
                _monitor(request, fds)  # never returns
            reply = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - told to the grader, which then starts the worker itself
            reply = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        for fd in fds:
            os.close(fd)
        control.send(json.dumps(reply).encode())


def _monitor(request: dict, fds: list[int]) -> None:
    """The worker's parent: joins the sandbox, forks the worker, reports its pid and exit status."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # what the worker leaves behind comes back here
        to_worker, from_worker, status_fd = fds
        status = socket.socket(fileno=status_fd)
        if request.get("sandbox_pid"):
            _enter_sandbox(int(request["sandbox_pid"]))
        pid = os.fork()
        if pid == 0:
            status.close()
            _become_worker(request, to_worker, from_worker)  # never returns
        os.close(to_worker)
        os.close(from_worker)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(status, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)
        _, raw = os.waitpid(pid, 0)
        _end_children()
        status.send(json.dumps({"exit": os.waitstatus_to_exitcode(raw)}).encode())
        code = 0
    finally:
        os._exit(code)


def _enter_sandbox(holder: int) -> None:
    """Join the namespaces and the root of the sandbox whose PID 1 is ``holder`` (its pid out here)."""
    libc = ctypes.CDLL(None, use_errno=True)
    spaces = [(name, os.open("/proc/%d/ns/%s" % (holder, name), os.O_RDONLY)) for name in NAMESPACES
              if os.path.exists("/proc/%d/ns/%s" % (holder, name))]
    root = os.open("/proc/%d/root" % holder, os.O_RDONLY | os.O_DIRECTORY)
    for name, fd in spaces:
        if libc.setns(fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "setns(%s) of the worker's sandbox failed" % name)
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)


def _end_children() -> None:
    """Kill and reap what the worker left behind (orphans come to this subreaper)."""
    while True:
        try:
            children = [int(c) for task in os.listdir("/proc/self/task")
                        for c in open("/proc/self/task/%s/children" % task).read().split()]
        except OSError:
            return
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        for _ in children:
            try:
                os.wait()
            except ChildProcessError:
                return


def _become_worker(request: dict, to_worker: int, from_worker: int) -> None:
    """Turn this fresh fork into the worker ``python -I -m grader.worker.server`` would have started."""
    code = 1
    try:
        os.setsid()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if request.get("sandbox_pid"):
            _prctl(PR_SET_NO_NEW_PRIVS, 1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = sorted({0, 1, 2, to_worker, from_worker})
        for low, high in zip(keep, keep[1:] + [os.sysconf("SC_OPEN_MAX")]):
            os.closerange(low + 1, high)
        os.environ.clear()
        os.environ.update(request["env"])
        if request.get("sandbox_pid"):
            os.environ["PWD"] = request["cwd"]  # as bubblewrap's --chdir sets it
        tempfile.tempdir = None  # computed again from this worker's TMPDIR
        os.chdir(request["cwd"])
        from grader.worker import server

        argv = [request["root"], request["package"], str(to_worker), str(from_worker)]
        sys.argv = [server.__file__, *argv]
        sys.modules["__main__"] = server
        _set_command_line([sys.executable, "-I", "-m", "grader.worker.server", *argv])
        server.main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the grader sees the exit status
        code = 1
    finally:
        os._exit(code)


def _set_command_line(argv: list[str]) -> None:
    """Show ``argv`` (joined by spaces, as ``setproctitle`` does) as this process's ``/proc/self/cmdline``, in the
    room the template's own command line left (``PADDING``): the text ends with a NUL and the rest of the room
    is filled with spaces, so that the kernel shows the text alone (a command line whose last byte is not a NUL
    reads as a rewritten one)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (fields 48 and 49 of proc(5))
    text = " ".join(argv).encode()[: end - start - 2] + b"\0"
    ctypes.memmove(start, text + b" " * (end - start - len(text)), end - start)


def main(argv: list[str]) -> None:
    control_fd, modules = int(argv[0]), [m for m in argv[1:] if m.strip("-")]
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    sys.dont_write_bytecode = True
    for module in modules:
        importlib.import_module(module)
    importlib.import_module("grader.worker.server")
    serve(socket.socket(fileno=control_fd))


# ============================================================================ the grader's side


class ForkedProcess:
    """A worker forked from a template, as the grader holds it (what ``subprocess.Popen`` is to a started one)."""

    def __init__(self, pid: int, pidfd: int, status: socket.socket, holder: subprocess.Popen | None):
        self.pid = pid
        self.pidfd = pidfd
        self.status = status
        self.holder = holder
        """The worker's bubblewrap sandbox (None without one): killing it ends everything inside."""
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.status], [], [], 0)[0]:
            self._read_exit()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self.status], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("worker %d" % self.pid, timeout or 0)
            self._read_exit()
        return self.returncode  # type: ignore[return-value]

    def _read_exit(self) -> None:
        try:
            message = json.loads(self.status.recv(MESSAGE_BYTES) or b'{"exit": -9}')
            self.returncode = int(message.get("exit", -9))
        except (OSError, ValueError, AttributeError):
            self.returncode = -9  # its monitor is gone: so is the worker

    def kill(self) -> None:
        """Kill the worker (its sandbox too: everything inside dies with its PID 1) and release it all."""
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
        if self.holder is not None and self.holder.poll() is None:
            self.holder.kill()
        if self.holder is not None:
            try:
                self.holder.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            self.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.close()

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
        self.status.close()


class TemplateUnavailable(Exception):
    """The template could not fork a worker: the grader starts this one as a fresh interpreter."""


class Template:
    """A template process for workers of one environment, started on first use, shared by the grader's
    threads (one request at a time), replaced if it dies."""

    def __init__(self, env: dict[str, str], preload: Sequence[str]):
        self.env = dict(env)
        self.preload = tuple(preload)
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.home: tempfile.TemporaryDirectory | None = None
        self.broken = ""

    def start(self) -> None:
        """Start the template (it imports in the background; the first request waits for it)."""
        with self.lock:
            self._start()

    def _start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.home = tempfile.TemporaryDirectory(prefix="grader-template-")
        env = {**self.env, "HOME": self.home.name, "TMPDIR": self.home.name}  # hidden from every worker (/tmp)
        self.proc = spawn.popen(
            [sys.executable, "-I", "-m", "grader.worker.template", str(theirs.fileno()), *self.preload,
             "-" * PADDING], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True, env=env, cwd="/")
        theirs.close()
        self.control = ours

    def _stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.home is not None:
            self.home.cleanup()
            self.home = None

    def close(self) -> None:
        with self.lock:
            self._stop()

    def spawn(self, root: Path, package: str, env: dict[str, str], cwd: Path, holder_argv: Sequence[str] | None,
              timeout: float) -> tuple[ForkedProcess, int, int]:
        """A worker over ``root/<package>`` with ``env``, in a fresh sandbox started with ``holder_argv``
        (bubblewrap's command line for ``HOLDER``) or without one: ``(process, read_fd, write_fd)``, the
        grader's ends of its protocol pipes. Raises ``TemplateUnavailable`` where it cannot."""
        deadline = time.monotonic() + timeout
        holder = _start_holder(holder_argv, deadline) if holder_argv else None
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        theirs_fd = theirs.detach()
        lent = [to_r, from_w, theirs_fd]
        """The worker's ends, closed here once the template holds its copies."""
        request = {"root": str(root), "package": package, "env": env, "cwd": str(cwd),
                   "sandbox_pid": holder[1] if holder else None}
        try:
            with self.lock:
                if self.broken:
                    raise TemplateUnavailable(self.broken)
                self._start()
                try:
                    socket.send_fds(self.control, [json.dumps(request).encode()], lent)
                    if not select.select([self.control], [], [], max(0.0, deadline - time.monotonic()))[0]:
                        raise TemplateUnavailable("the template did not answer in time")
                    reply = json.loads(self.control.recv(MESSAGE_BYTES) or b'{"error": "the template exited"}')
                except (OSError, ValueError) as exc:
                    self._stop()
                    raise TemplateUnavailable("the template failed: %s" % exc) from None
                if not reply.get("ok"):
                    self.broken = str(reply.get("error", "refused"))
                    self._stop()
                    raise TemplateUnavailable(self.broken)
            while lent:
                os.close(lent.pop())
            if not select.select([ours], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise TemplateUnavailable("the worker's monitor did not report")
            message, fds, _, _ = socket.recv_fds(ours, MESSAGE_BYTES, 1)
            if not message or len(fds) != 1:
                raise TemplateUnavailable("the worker could not be forked (%s)" % (message or b"no answer").decode())
            pid = int(json.loads(message)["pid"])
        except BaseException:
            for fd in lent + [to_w, from_r]:
                os.close(fd)
            ours.close()
            if holder is not None:
                holder[0].kill()
                holder[0].wait()
            raise
        return ForkedProcess(pid, fds[0], ours, holder[0] if holder else None), from_r, to_w


def _start_holder(argv: Sequence[str], deadline: float) -> tuple[subprocess.Popen, int]:
    """Start a sandbox holding ``HOLDER`` and wait until it is up: ``(bubblewrap's process, the pid out here of
    the sandbox's PID 1)``."""
    proc = spawn.popen([*argv, *HOLDER], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    try:
        ready = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]
        line = proc.stdout.readline() if ready else b""
        children = open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)).read().split() if line else []
        if line.strip() != b"ready" or len(children) != 1:
            raise TemplateUnavailable("the worker's sandbox did not start")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        proc.stdout.close()
    return proc, int(children[0])


_templates: dict[tuple, Template] = {}
_lock = threading.Lock()


def template_for(env: dict[str, str], preload: Sequence[str]) -> Template | None:
    """The shared template for workers of this environment and these modules, None where templates are off.
    Started at once: it imports while the grader does other work."""
    if not enabled():
        return None
    key = (tuple(sorted(env.items())), tuple(preload))
    with _lock:
        if key not in _templates:
            _templates[key] = Template(env, preload)
        template = _templates[key]
    template.start()
    return template


@atexit.register
def close_all() -> None:
    with _lock:
        for template in _templates.values():
            template.close()
        _templates.clear()


if __name__ == "__main__":
    main(sys.argv[1:])
