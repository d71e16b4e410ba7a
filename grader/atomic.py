"""Files written whole or not at all: each goes to a temporary file beside its target, then is renamed over it.

A grader killed in the middle of a write leaves the old file (or none) plus, at most, a ``.partial`` file that
the next write into that folder removes.
"""
from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_PARTIAL = re.compile(r"^\..+\.(\d+)-\d+\.partial$")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; it replaces ``path`` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path.parent)
    temp = path.with_name(".%s.%d-%d.partial" % (path.name, os.getpid(), threading.get_ident()))
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8) in one step."""
    with atomic_path(path) as temp:
        temp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def remove_stale_partials(folder: Path) -> None:
    """Delete the ``.partial`` files left in ``folder`` by grader processes of this machine that are gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _PARTIAL.match(name)
        if match and not pid_alive(int(match.group(1))):
            (folder / name).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine has that id."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
