"""The worker process and its client: student code runs out of process, and nothing it does escapes."""
from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader.checks import CheckFailure
from grader.compare import expect_array
from grader.numgrad import numeric_gradient, numeric_param_gradient
from grader.worker.client import Executor, StudentError, WorkerCrashed, WorkerProblem, WorkerTimeout
from grader.worker.protocol import Handle, Unsupported

STUDENT_MODULE = '''
import os
import subprocess
import sys
import threading
import time

import numpy as np


def affine_forward(x, w):
    out = x @ w
    cache = {"x": x, "w": w, "note": object()}
    return out, cache


def affine_backward(dout, cache):
    return dout @ cache["w"].T, cache["x"].T @ dout


def chatty(n):
    print("to stdout", n)
    print("to stderr", n, file=sys.stderr)
    sys.stdout.flush()
    os.write(1, b"raw fd 1\\n")
    os.write(2, b"E0000 00:00:1795944520.866311   10678 cuda_platform.cc:52] failed call to cuInit\\n")
    import warnings
    warnings.warn("a warning %d" % n)
    return n + 1


def floods(megabytes):
    line = "x" * 1023 + "\\n"
    for i in range(megabytes * 1024):
        print(line, end="")
    return megabytes


def fails(x):
    print("before the error")
    helper_that_raises(x)


def helper_that_raises(x):
    raise ValueError("student bug with %r" % (x,))


def exits():
    sys.exit(0)


def interrupts():
    raise KeyboardInterrupt


def hard_exit():
    os._exit(3)


def loops():
    while True:
        pass


def loops_with_child(pid_file):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(pid_file, "w") as fh:
        fh.write(str(child.pid))
    while True:
        pass


def object_array():
    return np.array([1, "a", None], dtype=object)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def always_equal():
    return AlwaysEqual()


def always_equal_in_tuple():
    return (AlwaysEqual(), np.ones(2))


def mutate(x, y):
    x *= 2
    y[0] = -1.0
    return x.sum()


def square(x):
    return x ** 2


def square_and_sum(x, scale=1.0):
    return scale * x ** 2, float(np.sum(x))


def rand(n):
    return np.random.rand(n), float(__import__("random").random())


def hang_thread(pid_file):
    t = threading.Thread(target=time.sleep, args=(3600,), daemon=False)
    t.start()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(pid_file, "w") as fh:
        fh.write(str(child.pid))
    return "started"


def dtypes():
    return np.float32, {"f64": np.float64}


def sum_it(x):
    return float(np.sum(x))


class Model:
    def __init__(self, n, dtype=np.float64):
        self.params = {"W": np.ones(n, dtype=dtype), "b": np.zeros(1, dtype=dtype)}
        self.dtype = dtype
        self.calls = 0

    def loss(self, x):
        self.calls += 1
        W = self.params["W"]
        loss = float(np.sum(W ** 2 * x) + self.params["b"][0])
        grads = {"W": 2 * W * x, "b": np.ones(1)}
        return loss, grads

    def scaled(self, factor=1.0):
        return self.params["W"] * factor
'''


@pytest.fixture(scope="module")
def package_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("student")
    pkg = root / "cs231n"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "m.py").write_text(textwrap.dedent(STUDENT_MODULE))
    return root


@pytest.fixture(scope="module")
def shared(package_root):
    """One worker for the tests that leave it healthy."""
    ex = Executor(package_root, "test", "cs231n")
    yield ex
    ex.close()


@pytest.fixture
def executor(package_root):
    """A worker of its own, for tests that crash, hang or count starts."""
    ex = Executor(package_root, "test", "cs231n")
    yield ex
    ex.close()


@pytest.fixture(autouse=True)
def no_deadline_leak(shared):
    shared.deadline = time.monotonic() + 30
    yield


def starts(executor: Executor) -> int:
    """How many workers this executor started (``executor.stats.starts``; ``executor.starts`` before that)."""
    stats = getattr(executor, "stats", None)
    return stats.starts if stats is not None else executor.starts


def gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie waiting for whoever adopted it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if gone(pid):
            return True
        time.sleep(0.02)
    return gone(pid)


def read_pid(path: Path, timeout: float = 5.0) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = path.read_text() if path.exists() else ""
        if text.strip():
            return int(text)
        time.sleep(0.02)
    raise AssertionError("the student code never wrote %s" % path)


def live_group_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not zombies (an orphan may wait for a lazy init to reap it)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def assert_process_gone(proc) -> None:
    proc.wait(timeout=5)
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)
    # the whole group (start_new_session: its id is the worker's pid) has nothing alive left
    end = time.monotonic() + 5
    while live_group_members(proc.pid) and time.monotonic() < end:
        time.sleep(0.02)
    assert live_group_members(proc.pid) == []


# --------------------------------------------------------------------------------------------- calls and handles


def test_call_keeps_the_cache_as_a_handle_and_takes_it_back(shared):
    x, w = np.arange(6.0).reshape(2, 3), np.ones((3, 4))
    out, cache = shared.call("m.affine_forward", x, w, keep=[1])
    np.testing.assert_array_equal(out, x @ w)
    assert isinstance(cache, Handle) and cache.type == "dict"
    dout = np.ones((2, 4))
    dx, dw = shared.call("m.affine_backward", dout, cache)
    np.testing.assert_array_equal(dx, dout @ w.T)
    np.testing.assert_array_equal(dw, x.T @ dout)


def test_call_without_keep_sends_a_cache_with_objects_as_handles(shared):
    out, cache = shared.call("m.affine_forward", np.ones((1, 2)), np.ones((2, 2)))
    assert isinstance(cache, dict) and isinstance(cache["note"], Handle) and cache["note"].type == "object"
    np.testing.assert_array_equal(cache["w"], np.ones((2, 2)))


def test_unknown_handle_and_freed_handle_are_student_errors(shared):
    _, cache = shared.call("m.affine_forward", np.ones((1, 2)), np.ones((2, 2)), keep=[1])
    shared.free(cache)
    with pytest.raises(StudentError) as info:
        shared.call("m.affine_backward", np.ones((1, 2)), cache)
    assert info.value.type_name == "LookupError"
    assert shared.call("m.square", np.array(3.0)) == 9.0  # still answering


def test_missing_function_is_a_student_error(shared):
    with pytest.raises(StudentError) as info:
        shared.call("m.no_such_function")
    assert info.value.type_name == "AttributeError" and "no_such_function" in info.value.message
    with pytest.raises(StudentError) as info:
        shared.import_module("no_such_module")
    assert info.value.type_name == "ModuleNotFoundError"


def test_call_echo_reveals_in_place_mutation(shared):
    x, y = np.arange(3.0), np.ones(2)
    result, args = shared.call_echo("m.mutate", x, y)
    assert result == 6.0
    np.testing.assert_array_equal(args[0], 2 * x)
    np.testing.assert_array_equal(args[1], [-1.0, 1.0])
    np.testing.assert_array_equal(x, np.arange(3.0))  # the grader's copy never changes
    result, args = shared.call_echo("m.square", x)
    np.testing.assert_array_equal(args[0], x)


def test_sweep_over_an_argument_stacks_the_outputs(shared):
    values = np.arange(12.0).reshape(4, 3)
    out = shared.sweep("m.square", [np.zeros(3)], values, arg=0)
    assert out.dtype == np.float64 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, values ** 2)
    out = shared.sweep("m.square_and_sum", [np.zeros(3)], values, arg=0, output=1, kwargs={"scale": 3.0})
    np.testing.assert_array_equal(out, values.sum(axis=1))
    out = shared.sweep("m.square_and_sum", [np.zeros(3)], values, arg=0, output=0, kwargs={"scale": 3.0})
    np.testing.assert_array_equal(out, 3 * values ** 2)


def test_sweep_on_a_non_tuple_with_output_is_a_student_error(shared):
    with pytest.raises(StudentError) as info:
        shared.sweep("m.square", [np.zeros(2)], np.ones((2, 2)), arg=0, output=1)
    assert info.value.type_name == "TypeError"


def test_numeric_gradient_through_the_worker(shared):
    x = np.random.default_rng(0).standard_normal((2, 3))
    df = np.random.default_rng(1).standard_normal((2, 3))
    grad = numeric_gradient(shared, "m.square_and_sum", [x], 0, df, output=0)
    np.testing.assert_allclose(grad, 2 * x * df, rtol=1e-6, atol=1e-8)


def test_object_methods_attributes_and_items(shared):
    model = shared.new("m.Model", 3, dtype=np.float32)
    assert isinstance(model, Handle) and model.type.endswith("Model")
    params = shared.get_attr(model, "params")
    assert set(params) == {"W", "b"} and params["W"].dtype == np.float32
    assert shared.get_attr(model, "dtype") is np.float32
    shared.set_items(model, "params", {"W": np.arange(3.0), "b": np.array([0.5])})
    x = np.array([1.0, 2.0, 3.0])
    loss, grads = shared.method(model, "loss", x)
    assert loss == pytest.approx(np.sum(np.arange(3.0) ** 2 * x) + 0.5)
    np.testing.assert_array_equal(grads["W"], 2 * np.arange(3.0) * x)
    np.testing.assert_array_equal(shared.method(model, "scaled", factor=2.0), 2 * np.arange(3.0))
    _, kept = shared.method(model, "loss", x, keep=[1])
    assert isinstance(kept, Handle) and kept.type == "dict"
    assert shared.get_attr(model, "calls") == 2


def test_sweep_over_a_model_parameter_restores_it(shared):
    model = shared.new("m.Model", 2)
    shared.set_items(model, "params", {"W": np.array([1.0, -2.0])})
    x = np.array([0.5, 3.0])
    grad = numeric_param_gradient(shared, model, "loss", [x], "W", np.array([1.0, -2.0]))
    np.testing.assert_allclose(grad, 2 * np.array([1.0, -2.0]) * x, rtol=1e-5)
    np.testing.assert_array_equal(shared.get_attr(model, "params")["W"], [1.0, -2.0])


def test_seed_makes_the_worker_rng_deterministic(shared):
    shared.seed(123)
    a, ra = shared.call("m.rand", 4)
    shared.seed(123)
    b, rb = shared.call("m.rand", 4)
    c, _ = shared.call("m.rand", 4)
    np.testing.assert_array_equal(a, b)
    assert ra == rb
    assert not np.array_equal(b, c)
    np.testing.assert_array_equal(a, np.random.RandomState(123).rand(4))


def test_dtype_types_come_back_as_types(shared):
    assert shared.call("m.dtypes") == (np.float32, {"f64": np.float64})


def test_arrays_go_in_with_their_dtype(shared):
    for dt in (np.float32, np.int64, np.uint8, np.bool_):
        assert shared.call("m.sum_it", np.ones((2, 3), dtype=dt)) == 6.0


# --------------------------------------------------------------------------------------------- output capture


def test_student_output_is_captured_not_printed(shared, capfd):
    shared.stdout.clear()
    capfd.readouterr()
    assert shared.call("m.chatty", 41) == 42
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    text = "".join(shared.stdout)
    for line in ("to stdout 41", "to stderr 41", "raw fd 1", "UserWarning: a warning 41"):
        assert line in text
    assert "cuInit" not in text  # descriptor 2 carries native libraries' logging (TensorFlow's C++ lines)
    assert "cs231n/m.py:" in text and str(shared.root) not in text  # the warning's path, relative
    shared.stdout.clear()
    shared.call("m.square", np.ones(1))
    assert shared.stdout == []  # output of one request does not carry over to the next


def test_printing_past_the_file_size_limit_keeps_the_start_and_the_result(package_root):
    limited = Executor(package_root, "test", "cs231n", env={**os.environ, "GRADER_LIMITS": "fsize=%d" % (64 * 2**20)})
    limited.deadline = time.monotonic() + 60
    try:
        assert limited.call("m.floods", 100) == 100  # 100 MB, past the worker's 64 MB file-size limit
        [text] = limited.stdout
        assert text.startswith("x" * 1023 + "\n") and len(text) < 70_000
        assert text.endswith("[... %d more bytes of output cut ...]" % (100 * 2**20 - 64 * 1024))
        limited.stdout.clear()
        limited.call("m.chatty", 1)
        assert "to stdout 1" in "".join(limited.stdout)  # the next request prints again
    finally:
        limited.close()


def test_student_error_carries_type_traceback_and_output(shared, capfd):
    capfd.readouterr()
    with pytest.raises(StudentError) as info:
        shared.call("m.fails", 7)
    err = info.value
    assert isinstance(err, WorkerProblem) and err.executor is shared
    assert err.type_name == "ValueError"
    assert "student bug with 7" in err.message and "student bug with 7" in str(err)
    assert "m.py" in err.traceback and "helper_that_raises" in err.traceback and "fails" in err.traceback
    assert 'File "cs231n/m.py"' in err.traceback  # relative to the package, wherever it was staged
    assert "server.py" not in err.traceback and os.path.join("grader", "worker") not in err.traceback
    assert "dispatch" not in err.traceback and "invoke" not in err.traceback
    assert "before the error" in err.stdout
    assert capfd.readouterr() == ("", "")


def test_sys_exit_and_keyboard_interrupt_are_student_errors(executor):
    executor.deadline = time.monotonic() + 30
    with pytest.raises(StudentError) as info:
        executor.call("m.exits")
    assert info.value.type_name == "SystemExit"
    with pytest.raises(StudentError) as info:
        executor.call("m.interrupts")
    assert info.value.type_name == "KeyboardInterrupt"
    assert executor.call("m.square", np.array(2.0)) == 4.0
    assert starts(executor) == 1  # the same worker kept answering


# --------------------------------------------------------------------------------------------- crashes and hangs


def test_hard_exit_is_a_crash_and_the_next_call_gets_a_fresh_worker(executor):
    executor.deadline = time.monotonic() + 30
    assert executor.call("m.square", np.array(3.0)) == 9.0
    first = executor.worker.proc
    with pytest.raises(WorkerCrashed, match="exited with code 3") as info:
        executor.call("m.hard_exit")
    assert info.value.executor is executor
    assert executor.worker is None
    assert_process_gone(first)
    assert executor.call("m.square", np.array(4.0)) == 16.0
    assert starts(executor) == 2
    assert executor.worker.proc.pid != first.pid


def test_a_worker_killed_by_a_signal_is_described(executor):
    executor.deadline = time.monotonic() + 30
    executor.import_module("m")
    proc = executor.worker.proc
    timer = threading.Timer(0.3, os.kill, args=(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        with pytest.raises(WorkerCrashed, match="killed by signal SIGKILL"):
            executor.call("m.loops")
    finally:
        timer.join()
    assert_process_gone(proc)
    assert executor.call("m.square", np.array(5.0)) == 25.0
    assert starts(executor) == 2


def test_a_worker_that_died_between_requests_is_replaced(executor):
    executor.deadline = time.monotonic() + 30
    executor.call("m.square", np.array(1.0))
    os.kill(executor.worker.proc.pid, signal.SIGKILL)
    executor.worker.proc.wait(timeout=5)
    assert executor.call("m.square", np.array(5.0)) == 25.0
    assert starts(executor) == 2


def test_infinite_loop_times_out_and_the_process_group_is_killed(executor, tmp_path):
    executor.deadline = time.monotonic() + 30
    executor.import_module("m")
    proc = executor.worker.proc
    pid_file = tmp_path / "child.pid"
    executor.deadline = time.monotonic() + 1
    t0 = time.monotonic()
    with pytest.raises(WorkerTimeout) as info:
        executor.call("m.loops_with_child", str(pid_file))
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 2.5
    assert info.value.executor is executor and executor.worker is None
    assert_process_gone(proc)
    assert wait_gone(read_pid(pid_file))  # the student's own child died with the group
    executor.deadline = time.monotonic() + 30
    assert executor.call("m.square", np.array(2.0)) == 4.0
    assert starts(executor) == 2


def test_plain_infinite_loop_times_out(executor):
    executor.deadline = time.monotonic() + 30
    executor.import_module("m")
    proc = executor.worker.proc
    executor.deadline = time.monotonic() + 1
    t0 = time.monotonic()
    with pytest.raises(WorkerTimeout):
        executor.call("m.loops")
    assert time.monotonic() - t0 < 2.5
    assert_process_gone(proc)


# --------------------------------------------------------------------------------------------- what cannot come back


def test_always_equal_object_never_passes_as_an_array(shared):
    for got in (shared.call("m.always_equal"), shared.call("m.always_equal_in_tuple")[0]):
        assert isinstance(got, (Handle, Unsupported))
        assert not isinstance(got, np.ndarray)
        assert not np.any(got == np.zeros(3))
        assert got != np.float64(0.0)
        with pytest.raises(CheckFailure):
            expect_array(got, "out", (3,))


def test_object_array_comes_back_unsupported(shared):
    got = shared.call("m.object_array")
    assert isinstance(got, Unsupported) and "object" in got.description
    with pytest.raises(CheckFailure, match="object"):
        expect_array(got, "out")


# --------------------------------------------------------------------------------------------- closing


def test_close_leaves_no_process_behind_even_with_a_hanging_thread(executor, tmp_path):
    executor.deadline = time.monotonic() + 30
    pid_file = tmp_path / "child.pid"
    assert executor.call("m.hang_thread", str(pid_file)) == "started"
    proc = executor.worker.proc
    child = read_pid(pid_file)
    assert {proc.pid, child} <= set(live_group_members(proc.pid))
    t0 = time.monotonic()
    executor.close()
    assert time.monotonic() - t0 < 8
    assert executor.worker is None
    assert_process_gone(proc)
    assert wait_gone(child)


def test_close_of_an_idle_worker_and_twice(executor):
    executor.deadline = time.monotonic() + 30
    executor.call("m.square", np.array(1.0))
    proc = executor.worker.proc
    executor.close()
    assert_process_gone(proc)
    executor.close()  # nothing left to close
    assert Executor(Path("/nonexistent"), "never started", "cs231n").close() is None
