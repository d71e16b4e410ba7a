"""Job slots: each slot's workers run under a user id of their own.

The kernel counts processes and threads per user (RLIMIT_NPROC), so workers that share a user share one task
limit: a fork bomb in one submission would leave the submissions graded beside it unable to start a thread.
A slot (one per grading thread, in this process or any other grader on the machine) claims a free user id
from ``SLOT_UIDS`` with a lock file held for as long as it grades; a grader killed with ``kill -9`` frees its
ids with its lock files. Only a root grader can run workers as another user (see ``grader.sandbox``).
"""
from __future__ import annotations

import fcntl
import pwd
import tempfile
from pathlib import Path
from typing import IO

SLOT_UIDS = range(65000, 65534)
"""User ids reserved by Debian's policy and never assigned; one that has a user on this machine is skipped."""
LOCKS = Path(tempfile.gettempdir()) / "cs231n-grader-slots"


class Slot:
    """A claimed user id, held until ``release``."""

    def __init__(self, uid: int, lock: IO[str]):
        self.uid = uid
        self._lock = lock

    def release(self) -> None:
        if not self._lock.closed:
            self._lock.close()  # closing the file drops the lock


def claim_slot() -> Slot | None:
    """A user id no other slot on this machine holds now, or None if all are taken."""
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in SLOT_UIDS:
        if _has_user(uid):
            continue
        lock = open(LOCKS / ("uid-%d.lock" % uid), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return Slot(uid, lock)
    return None


def _has_user(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True
