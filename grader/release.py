"""Which student package this grader is: ``grader dist`` writes it next to the installed answer bundle."""
from __future__ import annotations

import functools
import json

from grader.bundle import INSTALLED_BUNDLE

RELEASE_FILE = INSTALLED_BUNDLE.parent / "release.json"


@functools.cache
def installed_release() -> dict[str, str] | None:
    """``name``, ``version`` and the ``answers``' sha256 of the installed student package; None in the
    instructor's grader (or an unreadable file: the report then names no release)."""
    try:
        data = json.loads(RELEASE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: str(data[k]) for k in ("name", "version", "answers") if k in data}
