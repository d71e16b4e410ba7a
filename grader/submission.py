"""Finding submissions (a folder, a zip, or a folder of many) and taking only the student's files.

What a submission holds comes from the assignment (``grader.assignment``): its package folder (``cs231n/``
for example), the student files inside it and the notebooks next to it.
"""
from __future__ import annotations

import hashlib
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.assignment import Assignment

MAX_FILE_BYTES = 8 * 2**20
SEARCH_DEPTH = 4


class UsageError(Exception):
    """Bad input to the tool itself (missing path, corrupt zip...): one line, exit code 2."""


@dataclass
class Submission:
    """A student's files, read into memory: ``files`` maps a path below the package folder to its bytes."""

    id: str
    path: Path
    files: dict[str, bytes] = field(default_factory=dict)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    submitted_at: float | None = None
    """The latest modification time among the files read (epoch seconds), for the late policy when no
    roster or metadata file gives the submission's time."""
    time_source: str = ""
    """Where ``submitted_at`` comes from: ``zip entries`` or ``file mtimes``."""

    def saw_time(self, when: float, source: str) -> None:
        self.submitted_at, self.time_source = max(when, self.submitted_at or when), source

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()


def is_submission_dir(path: Path, assignment: Assignment) -> bool:
    """A folder with the package folder right inside (``assignment3/``), or the package folder itself."""
    name = assignment.package
    return _holds_student_file(path / name, assignment) or (path.name == name and _holds_student_file(path, assignment))


def find_package_dir(root: Path, assignment: Assignment) -> Path | None:
    """The shallowest package folder below ``root`` (itself included) that holds a student file."""
    name = assignment.package
    if root.name == name and _holds_student_file(root, assignment):
        return root
    frontier = [root]
    for _ in range(SEARCH_DEPTH):
        found = [d / name for d in frontier if _holds_student_file(d / name, assignment)]
        if found:
            return sorted(found)[0]
        frontier = sorted(c for d in frontier for c in _subdirs(d))
    return None


def _holds_student_file(package: Path, assignment: Assignment) -> bool:
    return package.is_dir() and any((package / f).is_file() for f in assignment.student_files)


def _subdirs(d: Path) -> list[Path]:
    try:
        return [c for c in d.iterdir() if c.is_dir() and not c.name.startswith((".", "__"))]
    except OSError:
        return []


def load_folder(path: Path, assignment: Assignment, submission_id: str | None = None) -> Submission:
    sub = Submission(id=submission_id or path.resolve().name, path=path)
    package = find_package_dir(path, assignment)
    if package is None:
        sub.problems.append("no %s/ folder with a student file was found in %s" % (assignment.package, path))
        return sub
    for name in assignment.student_files:
        f = package / name
        if f.is_file():
            sub.files[name] = _read_capped(f, sub)
            sub.saw_time(f.stat().st_mtime, "file mtimes")
    for nb in assignment.notebooks:
        f = package.parent / nb
        if f.is_file():
            sub.notebooks[nb] = _read_capped(f, sub)
            sub.saw_time(f.stat().st_mtime, "file mtimes")
    return sub


def _read_capped(f: Path, sub: Submission) -> bytes:
    data = f.read_bytes()[: MAX_FILE_BYTES + 1]
    if len(data) > MAX_FILE_BYTES:
        sub.problems.append("%s is larger than %d bytes and was cut" % (f.name, MAX_FILE_BYTES))
        data = data[:MAX_FILE_BYTES]
    return data


def load_zip(path: Path, assignment: Assignment, submission_id: str | None = None) -> Submission:
    """Read the student files out of a zip by name (no extraction, so no path tricks)."""
    sub = Submission(id=submission_id or path.stem, path=path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            prefix = _zip_package_prefix(names, assignment)
            if prefix is None:
                sub.problems.append("no %s/ folder with a student file was found in %s" % (assignment.package,
                                                                                           path.name))
                return sub
            for name in assignment.student_files:
                member = prefix + name
                if member in names:
                    sub.files[name] = _read_member(zf, member, sub)
            parent = prefix[: -len(assignment.package + "/")]
            for nb in assignment.notebooks:
                if parent + nb in names:
                    sub.notebooks[nb] = _read_member(zf, parent + nb, sub)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UsageError("%s is not a readable zip file (%s)" % (path, exc)) from None
    return sub


def _zip_package_prefix(names: list[str], assignment: Assignment) -> str | None:
    candidates = []
    package = assignment.package + "/"
    for n in names:  # the prefix is cut from the member's own name: members are then looked up by that name
        for f in assignment.student_files:
            if n == package + f or n.endswith("/" + package + f):
                candidates.append(n[: len(n) - len(f)])
    return min(candidates, key=lambda p: (p.count("/"), p)) if candidates else None


def _read_member(zf: zipfile.ZipFile, member: str, sub: Submission) -> bytes:
    try:
        sub.saw_time(time.mktime(zf.getinfo(member).date_time + (0, 0, -1)), "zip entries")
    except (OverflowError, ValueError):
        pass
    with zf.open(member) as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        sub.problems.append("%s is larger than %d bytes and was cut" % (member, MAX_FILE_BYTES))
        data = data[:MAX_FILE_BYTES]
    return data


def discover(paths: list[Path], assignment: Assignment) -> list[Submission]:
    """Each path is one submission (folder or zip) or a folder of many; ids are made unique."""
    subs: list[Submission] = []
    for path in paths:
        if not path.exists():
            raise UsageError("%s does not exist" % path)
        if path.is_file():
            if path.suffix.lower() != ".zip":
                raise UsageError("%s is neither a folder nor a .zip file" % path)
            subs.append(load_zip(path, assignment))
        elif is_submission_dir(path, assignment):
            subs.append(load_folder(path, assignment))
        else:
            children = sorted(c for c in path.iterdir() if not c.name.startswith((".", "_"))
                              and (c.is_dir() or c.suffix.lower() == ".zip"))
            if not children:
                raise UsageError("%s holds no submission (no %s/ folder, no zip, no subfolder)"
                                 % (path, assignment.package))
            for child in children:
                if child.is_dir():
                    subs.append(load_folder(child, assignment))
                else:
                    try:
                        subs.append(load_zip(child, assignment))
                    except UsageError as exc:
                        subs.append(Submission(id=child.stem, path=child, problems=[str(exc)]))
    return _unique_ids(subs)


def _unique_ids(subs: list[Submission]) -> list[Submission]:
    used: set[str] = set()
    for sub in subs:
        base = "".join(c if c.isalnum() or c in "-_." else "_" for c in sub.id) or "submission"
        if base in (".", ".."):
            base = "submission"
        candidate, n = base, 1
        while candidate in used:  # "alice", "alice-2", "alice.zip" must not give "alice-2" twice
            n += 1
            candidate = "%s-%d" % (base, n)
        used.add(candidate)
        sub.id = candidate
    return subs
