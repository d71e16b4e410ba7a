"""Operating-system isolation of student workers: bubblewrap where the machine has it, resource limits always.

With bubblewrap a worker gets no network, a read-only view of the system, a private ``/tmp`` holding only
its package (read-only) and its scratch folder (the only writable place), a new PID namespace (everything
it starts dies with it), and the reference solutions, the user's home, the output folder and the
submissions folder hidden. When the grader runs as root it also drops to an unprivileged user so that the
process limit applies: each job slot's own (``grader.slots``), so that slots do not share that limit. Without bubblewrap only the resource limits remain, and every report says so.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import grader

NOBODY = 65534
MB = 2**20


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits, applied by the worker itself before it runs any student code."""

    address_space_mb: int
    cpu_s: int = 900
    tasks: int = 512
    file_size_mb: int = 64
    open_files: int = 256

    def to_env(self) -> str:
        return "as=%d,cpu=%d,nproc=%d,fsize=%d,nofile=%d" % (
            self.address_space_mb * MB, self.cpu_s, self.tasks, self.file_size_mb * MB, self.open_files)

    def describe(self) -> str:
        return "address space %d MB, CPU %d s, %d tasks, files up to %d MB, %d open files" % (
            self.address_space_mb, self.cpu_s, self.tasks, self.file_size_mb, self.open_files)


NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
"""No user namespace: bwrap runs as the grader's user, and the worker then drops to an unprivileged user itself."""


@functools.lru_cache(maxsize=1)
def bubblewrap() -> str | None:
    """The bwrap binary if it exists and can build the namespaces we need here, else None."""
    path = shutil.which("bwrap")
    if not path:
        return None
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *NAMESPACES,
                                "--die-with-parent", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if probe.returncode == 0 else None


@dataclass
class Sandbox:
    """How student workers are started; ``enabled=False`` keeps only the resource limits. ``limits``: the
    limits of each kind of worker (from the assignment's runtimes), for the description."""

    enabled: bool = True
    limits: dict[str, Limits] = field(default_factory=dict)
    slot_uid: int | None = None
    """The user id of the job slot whose workers this starts (None: ``nobody``)."""

    @property
    def bwrap(self) -> str | None:
        return bubblewrap() if self.enabled else None

    @property
    def uid(self) -> int | None:
        """Inside bubblewrap a root grader's workers drop to their slot's user, so that the task limit applies."""
        if not (self.bwrap and os.geteuid() == 0):
            return None
        return NOBODY if self.slot_uid is None else self.slot_uid

    def describe(self) -> str:
        limits = "".join("; limits per %s worker: %s" % (name, lim.describe()) for name, lim in self.limits.items())
        if not self.bwrap:
            why = "turned off" if not self.enabled else "bubblewrap is not available (apt-get install bubblewrap)"
            return "NOT ISOLATED: %s; student code runs in plain worker processes%s" % (why, limits)
        user = ("as an unprivileged user of its job slot's own" if self.uid is not None
                else "as the grader's own user")
        return ("bubblewrap: no network, read-only system, private /tmp, reference/home/outputs hidden, own PID "
                "namespace, %s%s" % (user, limits))

    def self_check_note(self) -> str:
        """One line for a student checking their own code where it is not isolated, which is fine there (Colab,
        a laptop without bubblewrap, root or not); empty when it is isolated."""
        if self.bwrap:
            return ""
        why = "turned off" if not self.enabled else "no bubblewrap here"
        return ("not isolated (%s): your code runs in plain worker processes with resource limits, which is fine "
                "for checking your own code" % why)

    def env(self, limits: Limits) -> dict[str, str]:
        """What the worker applies to itself before running student code (see ``grader.worker.server``)."""
        env = {"GRADER_LIMITS": limits.to_env()}
        if self.uid is not None:
            env["GRADER_WORKER_UID"] = str(self.uid)
        return env

    def prepare(self, package_root: Path, work: Path) -> None:
        """Make the package readable and the scratch folder writable for the worker's user."""
        work.mkdir(parents=True, exist_ok=True)
        if self.uid is None:
            return
        for path in (package_root, *package_root.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        os.chown(work, self.uid, self.uid)

    def wrap(self, argv: list[str], package_root: Path, work: Path,
             hidden: Iterable[Path]) -> list[str]:
        """The command line that starts ``argv`` inside the sandbox (``argv`` itself without bubblewrap)."""
        if not self.bwrap:
            return argv
        keep = [Path(p).resolve() for p in (sys.base_prefix, sys.prefix, Path(grader.__file__).parent, package_root)]
        work = work.resolve()
        hide = _hideable(hidden, keep + [work])
        cmd = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *NAMESPACES,
               "--die-with-parent", "--new-session"]
        for path in hide:
            cmd += ["--tmpfs", str(path)]
        made: set[Path] = set()
        for path in keep + [work]:
            for parent in reversed(path.parents):  # folders a tmpfs hid must exist and be traversable again
                if parent not in made and any(parent != h and h in parent.parents for h in hide):
                    cmd += ["--perms", "0755", "--dir", str(parent)]
                    made.add(parent)
            cmd += ["--bind" if path == work else "--ro-bind", str(path), str(path)]
        for path in _hideable_inside(hidden, keep + [work]):  # over the binds: e.g. a reference in site-packages
            cmd += ["--tmpfs", str(path)]
        return cmd + ["--chdir", str(work), "--"] + argv


def _hideable(paths: Iterable[Path], keep: list[Path]) -> list[Path]:
    """Existing folders to hide (shortest first), never ``/`` nor a folder inside one the worker needs."""
    out = set()
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir() and p != Path("/") and not any(k == p or k in p.parents for k in keep):
            out.add(p)
    return sorted(out, key=lambda q: (len(q.parts), str(q)))


def _hideable_inside(paths: Iterable[Path], keep: list[Path]) -> list[Path]:
    """Existing folders to hide that lie inside one the worker needs (a reference package installed into
    site-packages, say), never one holding a needed folder nor an import root (site-packages itself)."""
    roots = {Path(p).resolve() for p in sys.path if p}
    out = set()
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir() and p not in roots and any(k in p.parents for k in keep) and \
                not any(k == p or p in k.parents for k in keep):
            out.add(p)
    return sorted(out, key=lambda q: (len(q.parts), str(q)))


def hidden_paths(references: Iterable[Path] = (), extra: Iterable[Path] = ()) -> list[Path]:
    """What no worker may see: the reference folders, homes, the system temp folder (re-filled with the
    worker's own folders), the project's checkout, plus ``extra`` (the output folder, the submissions' folders).

    The checkout is the folder holding the ``grader`` package (and the reference) when installed in editable
    mode: it has the reference again in its git history and in samples built from it. Installed normally, that
    folder is site-packages, which the worker needs: ``_hideable`` leaves it alone.
    """
    references = [Path(r) for r in references]
    checkouts = {Path(grader.__file__).resolve().parent.parent, *(r.parent for r in references)}
    return [Path("/tmp"), Path.home(), Path("/root"), Path("/home"), *sorted(checkouts), *references, *extra]
