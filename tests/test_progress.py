"""Progress of a batch: a live bar with count, rate and ETA at a terminal; plain lines in CI and pipes."""
from __future__ import annotations

import io
import os
import re
import time

from grader.progress import BatchProgress, is_live


def run_batch(progress: BatchProgress) -> None:
    with progress:
        for name in ("alice", "bob"):
            for _ in range(3):
                time.sleep(0.05)
                progress.check_done()
            progress.submission_done("%s 3 / 3" % name)


def test_a_terminal_gets_a_live_bar_with_count_rate_and_eta(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        assert is_live(terminal)
        run_batch(BatchProgress(2, 6, stream=terminal))
    os.set_blocking(master, False)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))
    assert "alice 3 / 3" in text and "bob 3 / 3" in text
    assert "6/6 checks" in text and "/2 submissions" in text and "checks/s" in text and "ETA" in text
    assert "━" in text  # the bar itself


def test_ci_and_pipes_get_plain_lines(monkeypatch):
    stream = io.StringIO()
    assert not is_live(stream)
    run_batch(BatchProgress(2, 6, stream=stream))
    lines = stream.getvalue().splitlines()
    assert [line.split("  (")[0] for line in lines] == ["[1/2] alice 3 / 3", "[2/2] bob 3 / 3"]
    assert "3/6 checks" in lines[0] and "ETA" in lines[0] and "checks/s" in lines[0]
    monkeypatch.setenv("CI", "true")
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        assert not is_live(terminal)
    os.close(master)
