"""All cores, safely: ``--jobs auto`` runs one job per core, and each job slot's workers run under a user id of
their own, so that a fork bomb in one submission cannot starve the submission graded beside it."""
from __future__ import annotations

import os
import re
import textwrap

import pytest

from conftest import grade, main, write_submission
from test_hostile import REFERENCE_LAYERS, bwrap_only, hostile_layers  # noqa: F401 (a fixture)
from grader.cli import _jobs
from grader.slots import claim_slot

BOMB = textwrap.dedent("""\
    import os, time
    children = 0
    try:
        while children < 3000:
            if os.fork() == 0:
                time.sleep(120)
                os._exit(0)
            children += 1
    except OSError as e:
        time.sleep(HOLD)  # keep every child while the neighbour runs
        raise RuntimeError("fork refused after %d children: %s" % (children, e))
    raise RuntimeError("never refused: %d children" % children)
    """)
PROBE = textwrap.dedent("""\
    import threading, time
    global PROBED
    if not globals().get("PROBED"):
        PROBED, refused, end = True, 0, time.monotonic() + WINDOW
        while time.monotonic() < end:
            threads = [threading.Thread(target=time.sleep, args=(0.01,)) for _ in range(8)]
            for t in threads:
                try:
                    t.start()
                except RuntimeError:
                    refused += 1
            for t in threads:
                if t.ident is not None:
                    t.join()
            time.sleep(0.1)
        if refused:
            raise RuntimeError("a thread was refused %d times" % refused)
    """)
STEP = "rnn_layers.rnn_step_forward/notebook"
CONTROL = "rnn_layers.word_embedding_forward/notebook"


def probing_layers(window: float) -> str:
    """The reference's rnn_layers.py whose rnn_step_forward first starts threads for ``window`` seconds."""
    start = REFERENCE_LAYERS.index("def rnn_step_forward(")
    body = REFERENCE_LAYERS.index(":\n", start) + 2
    probe = textwrap.indent(PROBE.replace("WINDOW", repr(window)), "    ")
    return REFERENCE_LAYERS[:body] + probe + REFERENCE_LAYERS[body:]


def test_jobs_auto_is_one_job_per_core(tmp_path):
    assert _jobs("auto") == len(os.sched_getaffinity(0))
    assert _jobs("3") == 3
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "none"])
    assert exit_info.value.code == 2
    subs = [write_submission(tmp_path / name) for name in ("a", "b", "c")]
    reports = grade(subs, tmp_path / "out", "--seed", "2", "--jobs", "auto", "--only", CONTROL)
    assert sorted(reports) == ["a", "b", "c"]
    assert all(r["checks"][0]["status"] == "passed" for r in reports.values())


def test_slots_hold_distinct_user_ids_until_released():
    first, second = claim_slot(), claim_slot()
    try:
        assert first and second and first.uid != second.uid
        uid = first.uid
        first.release()
        third = claim_slot()
        assert third.uid == uid  # free again
        third.release()
    finally:
        first.release()
        second.release()


@pytest.mark.slow  # about 20 s: two slots graded while one forks without end
@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader runs workers as other users")
def test_a_fork_bomb_in_one_slot_does_not_starve_the_other(tmp_path, bwrap_only):
    """Two submissions at once (two slots): one forks until refused and keeps its children for a while, the other
    starts threads all that time. Sharing one user, the second would be refused threads (the task limit counts
    per user); with a user per slot it never is."""
    bomb = write_submission(tmp_path / "bomb", rnn_layers=hostile_layers(BOMB.replace("HOLD", "15")))
    neighbour = write_submission(tmp_path / "neighbour", rnn_layers=probing_layers(20.0))
    reports = grade([bomb, neighbour], tmp_path / "out", "--seed", "4", "--jobs", "2", "--timeout", "120",
                    "--only", "%s,%s" % (STEP, CONTROL))
    checks = {name: {c["id"]: c for c in r["checks"]} for name, r in reports.items()}
    refused = re.search(r"fork refused after (\d+) children", checks["bomb"][STEP]["message"])
    assert refused and int(refused.group(1)) < 512, checks["bomb"][STEP]["message"]
    assert checks["neighbour"][STEP]["status"] == "passed", checks["neighbour"][STEP]["message"]
    assert checks["bomb"][CONTROL]["status"] == checks["neighbour"][CONTROL]["status"] == "passed"
