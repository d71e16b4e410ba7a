"""The worker: the only process that runs student code. It answers requests until its input closes.

Started by ``grader.worker.client`` as ``python -I -m grader.worker.server ROOT PACKAGE READ_FD WRITE_FD``,
where ``ROOT`` holds the package to grade. It only imports the standard library, numpy and the
protocol; it decides nothing: every value it computes goes back as plain data for the grader to judge.

Requests (``op``): ``import`` a module, ``reload`` (forget the graded package's modules, so that the next
imports read its changed files: a notebook's warm worker), ``call`` a function/class/method (``echo_args``
also sends the arguments back as they are after the call, to detect mutation), ``sweep`` a call over a stack
of values of one argument or model parameter (finite differences driven by the grader), ``get_attr``,
``set_items`` (e.g. ``model.params[k] = v``), ``seed`` the global RNGs, ``free`` handles.

Every answer carries what the code printed (``grader.worker.capture``: capped, TensorFlow's C++ logging
left out, paths relative to the package) and, in a student worker, the compatibility shims it used
(``grader.worker.compat``, installed when ``GRADER_COMPAT=1``).
"""
from __future__ import annotations

import builtins
import contextlib
import importlib
import json
import operator
import os
import random
import resource
import select
import struct
import sys
import threading
import time
import traceback
from typing import Any

import numpy as np

from grader.worker import compat, frameworks, protocol
from grader.worker.capture import Capture
from grader.worker.protocol import Channel, Handle, describe_type
from grader.worker.substitution import Substitution

STDOUT_CAP = 64 * 1024


class Worker:
    def __init__(self, root: str, package: str, channel: Channel, capture: Capture):
        self.package = package
        self.root = os.path.realpath(root)
        self.scratch = sorted({self.root, root, os.getcwd()} - {os.sep}, key=len, reverse=True)
        """Folders whose paths messages show relative to them (the package, the worker's writable folder)."""
        self.channel = channel
        self.capture = capture
        self.objects: dict[int, Any] = {}
        self.next_id = 1
        self.watch = Watch((1, 2, channel.read_fd, channel.write_fd))
        self.pristine = Watch(self.watch.fds)
        """What the worker relies on as it started, before any graded code ran (``reload`` compares)."""

    # ------------------------------------------------------------------ plumbing
    def store(self, obj: Any) -> int:
        self.objects[self.next_id] = obj
        self.next_id += 1
        return self.next_id - 1

    def resolve(self, value: Any) -> Any:
        """Replace handles by the objects they stand for, recursively."""
        if isinstance(value, Handle):
            if value.id not in self.objects:
                raise LookupError("handle %d is not known to this worker" % value.id)
            return self.objects[value.id]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def serve(self) -> None:
        while True:
            try:
                request = self.channel.receive()
            except Exception:
                return
            request_id = request.get("id") if isinstance(request, dict) else None
            self.reset_capture()
            start = time.perf_counter()
            try:
                with self.substituted(request.get("substitute")):
                    response = {"ok": True, "value": self.dispatch(request)}
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit too
                response = {"ok": False, "error": self.describe_error(exc)}
            response["compute_s"] = time.perf_counter() - start
            response["stdout"] = self.read_capture()
            response["leftovers"] = leftovers()
            response["compat"] = compat.take_used()
            response["tampered"] = self.watch.changed()
            response["id"] = request_id
            try:
                self.channel.send(response, to_handle=self.store)
            except Exception as exc:  # e.g. an unencodable value in an odd place
                self.channel.send({"ok": False, "error": {"type": type(exc).__name__, "message": str(exc),
                                                          "traceback": ""}, "stdout": "", "id": request_id})

    def substituted(self, mapping: Any) -> Any:
        """The request's function substitutions (see ``grader.worker.substitution``), or nothing."""
        return Substitution(self.package, mapping) if mapping else contextlib.nullcontext()

    def reset_capture(self) -> None:
        self.capture.reset()

    def read_capture(self) -> str:
        return self.relative(self.capture.read())

    def relative(self, text: str) -> str:
        """``text`` with the scratch folders left out of its paths (``cs231n/gan_tf.py``): the same wherever
        the grader staged the package."""
        for folder in self.scratch:
            text = text.replace(os.path.join(folder, ""), "")
        return text

    def describe_error(self, exc: BaseException) -> dict:
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if os.path.realpath(f.filename).startswith(self.root + os.sep)]
        lines = traceback.format_list(own) + traceback.format_exception_only(type(exc), exc)
        return {"type": type(exc).__name__, "message": self.relative(head_and_tail(str(exc))),
                "traceback": self.relative("".join(lines)[-8000:])}

    # ------------------------------------------------------------------ operations
    def dispatch(self, request: dict) -> Any:
        op = request["op"]
        if op == "ping":
            return None
        if op == "import":
            self.load(request["module"])
            return None
        if op == "reload":
            return self.reload()
        if op == "call":
            raw = request.get("args", [])
            args = self.resolve(raw)
            result = self.shape_result(self.invoke(request, args), request.get("keep"))
            if request.get("echo_args"):
                echoed = [None if isinstance(r, Handle) else plain(a) for r, a in zip(raw, args)]
                return {"result": result, "args": echoed}
            return result
        if op == "sweep":
            return self.sweep(request)
        if op == "get_attr":
            return plain(getattr(self.resolve(request["obj"]), request["attr"]))
        if op == "set_items":
            container = getattr(self.resolve(request["obj"]), request["attr"])
            for key, value in request["items"].items():
                container[key] = value
            return None
        if op == "seed":
            seed_everything(request["seed"])
            return None
        if op == "free":
            for h in request["handles"]:
                self.objects.pop(h, None)
            return None
        raise ValueError("unknown request %r" % op)

    def target(self, fn: Any) -> Any:
        """``"rnn_layers.rnn_step_forward"`` or ``["method", handle, "loss"]``."""
        if isinstance(fn, list) and fn[0] == "method":
            return getattr(self.resolve(fn[1]), fn[2])
        module_name, _, attr = str(fn).rpartition(".")
        module = self.load(module_name)
        if not hasattr(module, attr):
            raise AttributeError("%s.%s has no attribute %r" % (self.package, module_name, attr))
        return getattr(module, attr)

    def load(self, module: str) -> Any:
        """Import ``<package>.<module>``; what a first import changes (say numpy patched at the module's top) is
        the module's normal state, which every fresh worker gets too: not tampering."""
        name = "%s.%s" % (self.package, module)
        fresh = name not in sys.modules
        try:
            return importlib.import_module(name)
        finally:
            if fresh:
                self.watch.take()

    def reload(self) -> bool:
        """Drop the graded package's modules (``<package>`` and ``<package>.*``, nothing else) and the objects
        kept for the grader, so that the next imports read the package's files again. False, with nothing
        dropped, when code run so far replaced what the worker relies on (say ``np.allclose`` at a module's
        top): a fresh worker must take over, since importing again would not undo it."""
        if self.pristine.changed():
            return False
        prefix = self.package + "."
        for name in [n for n in sys.modules if n == self.package or n.startswith(prefix)]:
            del sys.modules[name]
        self.objects.clear()
        importlib.invalidate_caches()
        self.watch.take()
        return True

    def invoke(self, request: dict, args: list | None = None) -> Any:
        fn = self.target(request["fn"])
        if args is None:
            args = self.resolve(request.get("args", []))
        kwargs = self.resolve(request.get("kwargs", {}))
        return fn(*args, **kwargs)

    def shape_result(self, result: Any, keep: Any) -> Any:
        """Keep what the grader asked to keep (caches, models) as handles; send the rest as plain data."""
        if keep == "all":
            return Handle(self.store(result), describe_type(result))
        if keep and isinstance(result, (tuple, list)):
            items = list(result)
            for i in keep:
                if -len(items) <= i < len(items):
                    items[i] = Handle(self.store(items[i]), describe_type(items[i]))
            return plain(tuple(items) if isinstance(result, tuple) else items)
        return plain(result)

    def sweep(self, request: dict) -> np.ndarray:
        values = request["values"]
        vary = request["vary"]
        output = request.get("output")
        outs = []
        if "param" in vary:
            obj_handle, attr, key = vary["param"]
            container = getattr(self.resolve(obj_handle), attr)
            saved = container[key]
            try:
                for v in values:
                    container[key] = v.copy()
                    outs.append(self.pick(self.invoke(request), output))
            finally:
                container[key] = saved
        else:
            base = list(self.resolve(request.get("args", [])))
            for v in values:
                args = list(base)
                args[vary["arg"]] = v.copy()
                outs.append(self.pick(self.invoke(request, args), output))
        shapes = {o.shape for o in outs}
        if len(shapes) > 1:
            raise ValueError("the outputs of repeated calls changed shape: %s" % sorted(shapes))
        return np.stack(outs) if outs else np.zeros((0,))

    @staticmethod
    def pick(result: Any, output: Any) -> np.ndarray:
        if output is not None:
            if not isinstance(result, (tuple, list)) or len(result) <= output:
                raise TypeError("expected a tuple with an item %d, got %s" % (output, describe_type(result)))
            result = result[output]
        arr = np.asarray(to_numpy(result))
        if arr.dtype.kind not in "biuf":
            raise TypeError("expected a numeric result, got %s" % describe_type(result))
        return arr.astype(np.float64)


def seed_everything(seed: int) -> None:
    """Seed every global generator student code may draw from: numpy's, Python's, and TensorFlow's or
    PyTorch's once loaded (Keras's default initialisers, ``torch.nn``'s and unseeded random ops draw from them)."""
    np.random.seed(seed)
    random.seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def head_and_tail(text: str, keep: int = 1000) -> str:
    """An exception's text, its middle cut when it is long: what a printed array is followed by (TensorFlow's
    "... of type 'ndarray', not tf.Tensor") says as much as what precedes it."""
    return text if len(text) <= 2 * keep else text[:keep] + "\n[...]\n" + text[-keep:]


def to_numpy(value: Any) -> Any:
    """Framework tensors (anything with a ``.numpy()`` from tensorflow; torch tensors, detached and on the
    CPU) become numpy arrays, and a ``torch.Size`` a tuple."""
    module = type(value).__module__ or ""
    if module.startswith(("tensorflow", "tf_keras", "keras")) and callable(getattr(value, "numpy", None)):
        return value.numpy()
    if module.startswith("torch"):
        if callable(getattr(value, "detach", None)) and callable(getattr(value, "numpy", None)):
            return _torch_numpy(value)
        if type(value).__name__ == "Size":
            return tuple(value)
    return value


def _torch_numpy(tensor: Any) -> Any:
    """A torch tensor's values as a numpy array (bfloat16, which numpy lacks, as float32)."""
    tensor = tensor.detach()
    if str(tensor.dtype) == "torch.bfloat16":
        tensor = tensor.float()
    return tensor.numpy(force=True)


def plain(value: Any, depth: int = 0) -> Any:
    """Normalise a returned value: tensors to arrays, ndarray subclasses to plain arrays, containers kept."""
    if depth > 32:
        return value
    value = to_numpy(value)
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        value = np.array(value, copy=True).view(np.ndarray) if value.dtype.kind in "biuf" else value
    if type(value) is tuple:
        return tuple(plain(v, depth + 1) for v in value)
    if type(value) is list:
        return [plain(v, depth + 1) for v in value]
    if type(value) is dict:
        return {k: plain(v, depth + 1) for k, v in value.items()}
    return value


LIMIT_NAMES = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "nproc": resource.RLIMIT_NPROC,
               "fsize": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE}


def confine(limits: str | None, uid: str | None) -> None:
    """Apply the grader's resource limits (``as=...,cpu=...``) and drop to an unprivileged user."""
    for item in (limits or "").split(","):
        if item:
            name, _, value = item.partition("=")
            resource.setrlimit(LIMIT_NAMES[name], (int(value), int(value)))
    if uid:
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))


TENSOR_SPACE = "torch.Tensor."
"""``torch.Tensor``'s own methods: most are inherited from its C base, so a name added there is tampering too."""


class Watch:
    """What the worker relies on, by identity: the builtins, numpy's functions, the standard modules and the
    worker's own code it calls, its standard streams and its pipes.

    Student code that replaces any of it (``np.allclose = ...``, ``builtins.isinstance = ...``, the worker's
    ``plain``, a closed or non-blocking pipe) has tampered with its worker: nothing it sends is believed anyway,
    but the grader replaces the worker after that check so that the next check runs in an intact one. What
    importing the student's modules changes is their normal state (each fresh worker imports them again);
    names added later are ignored (lazy imports add names, they do not replace them).
    """

    def __init__(self, fds: tuple[int, ...]):
        self.fds = fds
        self.take()

    def spaces(self) -> dict[str, Any]:
        """Namespaces by the prefix that names their entries in messages (PyTorch's too in a PyTorch worker:
        turning tensors into arrays relies on it)."""
        spaces = {"builtins.": vars(builtins), "numpy.": vars(np), "numpy.random.": vars(np.random),
                  "numpy.linalg.": vars(np.linalg), "os.": vars(os), "json.": vars(json), "struct.": vars(struct),
                  "select.": vars(select), "the worker's ": globals(), "the worker's Worker.": vars(Worker),
                  "the protocol's ": vars(protocol), "the protocol's Channel.": vars(Channel),
                  "sys.": {"stdout": sys.stdout, "stderr": sys.stderr, "modules": sys.modules}}
        torch = sys.modules.get("torch")
        if torch is not None and hasattr(torch, "Tensor"):
            spaces.update({"torch.": vars(torch), TENSOR_SPACE: vars(torch.Tensor)})
        return spaces

    def descriptors(self) -> list[Any]:
        out = []
        for fd in self.fds:
            try:
                st = os.fstat(fd)
                out.append((st.st_dev, st.st_ino, os.get_blocking(fd)))
            except OSError:
                out.append(None)
        return out

    def take(self) -> None:
        self.ids = {name: {k: id(v) for k, v in list(space.items()) if not k.startswith("__")}
                    for name, space in self.spaces().items()}
        self.values = {name: tuple(space.values()) for name, space in self.spaces().items()}
        self.fd_state = self.descriptors()

    def changed(self) -> list[str]:
        """What was replaced or removed since ``take``: a few names, empty when intact."""
        out = []
        missing = object()
        for prefix, space in self.spaces().items():
            values = self.values.get(prefix, ())
            if prefix == TENSOR_SPACE and len(space) != len(values):  # a method shadowing one of TensorBase's
                out += [prefix + k for k in space if not k.startswith("__") and k not in self.ids[prefix]]
            if len(space) >= len(values) and all(map(operator.is_, space.values(), values)):
                continue  # the usual case, checked at C speed: nothing replaced, at most names added at the end
            for key, ident in self.ids.get(prefix, {}).items():
                if id(space.get(key, missing)) != ident:
                    out.append(prefix + key)
        if self.descriptors() != self.fd_state:
            out.append("its protocol pipes or standard streams")
        return out[:8]


def adopt_orphans() -> None:
    """Become the reaper of orphaned descendants (a double fork, ``setsid``): they stay this worker's children,
    so ``leftovers`` sees them and the grader can end them with the worker even without a PID namespace."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def leftovers() -> int:
    """Python threads besides the main one, plus child processes: what student code left running."""
    children = 0
    try:
        for task in os.listdir("/proc/self/task"):
            with open("/proc/self/task/%s/children" % task) as f:
                children += len(f.read().split())
    except OSError:
        pass
    return threading.active_count() - 1 + children


def main(argv: list[str]) -> None:
    root, package, read_fd, write_fd = argv[0], argv[1], int(argv[2]), int(argv[3])
    sys.dont_write_bytecode = True  # (-I ignores PYTHONDONTWRITEBYTECODE) a stale .pyc could outlive an edit
    capture = Capture(STDOUT_CAP)
    adopt_orphans()
    confine(os.environ.pop("GRADER_LIMITS", None), os.environ.pop("GRADER_WORKER_UID", None))
    frameworks.setup(frameworks.take_env())
    if os.environ.pop(compat.ENV, None) == "1":
        compat.install(root, package)
    channel = Channel(read_fd, write_fd)
    capture.install()
    sys.path.insert(0, root)
    Worker(root, package, channel, capture).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
