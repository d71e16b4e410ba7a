"""The course's environment in student workers: what 2020 code relied on that today's libraries removed.

Students wrote for Python 3.7, NumPy 1.18-1.19 and TensorFlow 2.2-2.4 (Keras 2) on Colab; workers run
Python 3.11, NumPy 2 and TensorFlow 2.21 with tf_keras. ``install`` (called by a student worker before any
student code runs, unless ``--strict-env``) puts back what such code used and is gone, lazily: a removed
name exists only when the student's own code asks for it (module ``__getattr__`` hooks, an import finder for
removed modules, patches applied when TensorFlow or Keras is imported), and library code keeps seeing
today's behaviour. Nothing that exists is replaced, so nothing the worker relies on changes.

Every use is recorded by its shim's name (``take_used``); the grader turns names it knows into notes
(``SHIMS``) and never takes text from the worker.
"""
from __future__ import annotations

import ast
import collections
import collections.abc
import functools
import importlib
import math
import os
import sys
import time
import types
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

ENV = "GRADER_COMPAT"
"""Set to ``1`` in a student worker's environment to install the layer (``--strict-env`` leaves it out)."""


@dataclass(frozen=True)
class Shim:
    name: str
    """How the student's code writes it (``np.float``); also its id on the wire."""
    history: str
    """What happened to it (``removed in NumPy 1.24``)."""

    @property
    def note(self) -> str:
        return "uses `%s` (%s): graded with a compatibility shim" % (self.name, self.history)


# ------------------------------------------------------------------------------------------ the tables


def _asscalar(a: Any) -> Any:
    return a.item()


def _alen(a: Any) -> int:
    try:
        return len(a)
    except TypeError:
        return len(np.array(a, ndmin=1))


def _asfarray(a: Any, dtype: Any = np.float64) -> np.ndarray:
    dtype = np.dtype(dtype).type
    return np.asarray(a, dtype=dtype if issubclass(dtype, np.inexact) else np.float64)


def _msort(a: Any) -> np.ndarray:
    b = np.array(a, subok=True, copy=True)
    b.sort(0)
    return b


def _in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> np.ndarray:
    return np.isin(ar1, ar2, assume_unique=assume_unique, invert=invert).ravel()


_NP2 = "removed in NumPy 2.0"
NUMPY_ATTRS: dict[str, tuple[str, Any]] = {
    **{n: ("removed in NumPy 1.24", v) for n, v in
       (("float", float), ("int", int), ("object", object), ("str", str), ("complex", complex))},
    "unicode": (_NP2, str),
    **{n: ("removed in NumPy 1.23", v) for n, v in (("asscalar", _asscalar), ("alen", _alen))},
    **{n: (_NP2, v) for n, v in (
        ("float_", np.float64), ("complex_", np.complex128), ("cfloat", np.complex128),
        ("singlecomplex", np.complex64), ("longfloat", np.longdouble), ("longcomplex", np.clongdouble),
        ("clongfloat", np.clongdouble), ("string_", np.bytes_), ("unicode_", np.str_), ("int0", np.intp),
        ("uint0", np.uintp), ("bool8", np.bool_), ("object0", np.object_), ("str0", np.str_),
        ("bytes0", np.bytes_), ("void0", np.void),
        ("NaN", np.nan), ("NAN", np.nan), ("Inf", np.inf), ("Infinity", np.inf), ("infty", np.inf),
        ("PINF", np.inf), ("NINF", -np.inf), ("PZERO", 0.0), ("NZERO", -0.0),
        ("alltrue", np.all), ("sometrue", np.any), ("product", np.prod), ("cumproduct", np.cumprod),
        ("round_", np.round), ("asfarray", _asfarray), ("msort", _msort), ("mat", np.asmatrix),
        ("safe_eval", ast.literal_eval), ("math", math))},
    **{n: ("removed in NumPy 2", v) for n, v in (("in1d", _in1d), ("trapz", np.trapezoid))},
}
"""``np.<name>`` that NumPy 1.19 had and this NumPy lacks: (what happened, the value it stood for)."""

LIB_MODULES = ("arraypad", "arraysetops", "function_base", "histograms", "index_tricks", "nanfunctions",
               "polynomial", "shape_base", "twodim_base", "type_check", "ufunclike", "utils")
"""``numpy.lib.<name>``, made private in NumPy 2.0 (``numpy.lib._<name>_impl``)."""
NUMPY_LIB_UTILS = {"safe_eval": ast.literal_eval, "byte_bounds": np.lib.array_utils.byte_bounds}
"""What ``numpy.lib.utils`` held that its private successor lacks or now warns about."""

COLLECTIONS_ABCS = ("Awaitable", "Coroutine", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "Hashable",
                    "Iterable", "Iterator", "Generator", "Reversible", "Sized", "Container", "Callable",
                    "Collection", "Set", "MutableSet", "Mapping", "MutableMapping", "MappingView", "KeysView",
                    "ItemsView", "ValuesView", "Sequence", "MutableSequence", "ByteString")
"""``collections.<name>``, aliases of ``collections.abc`` removed in Python 3.10."""

VARIABLE_IN_PLACE = {"__iadd__": ("+=", "__add__"), "__isub__": ("-=", "__sub__"), "__imul__": ("*=", "__mul__"),
                     "__itruediv__": ("/=", "__truediv__"), "__ipow__": ("**=", "__pow__")}
"""``tf.Variable`` in-place operators: a new tensor in TF 2.2-2.4, a RuntimeError today."""
KERAS_OPTIMIZERS = ("adadelta.Adadelta", "adagrad.Adagrad", "adam.Adam", "adamax.Adamax", "ftrl.Ftrl",
                    "nadam.Nadam", "rmsprop.RMSprop", "sgd.SGD")
"""The optimizers of Keras 2.4 (``tf_keras.src.optimizers.<module>.<class>``), which took ``lr=``."""

KERAS_LR = "tf.keras.optimizers.*(lr=...)"


def _shims() -> dict[str, Shim]:
    shims = [Shim("np." + n, history) for n, (history, _) in NUMPY_ATTRS.items()]
    shims += [Shim("numpy.lib." + n, _NP2) for n in LIB_MODULES]
    shims += [Shim("collections." + n, "removed in Python 3.10: collections.abc.%s" % n) for n in COLLECTIONS_ABCS]
    shims.append(Shim("time.clock", "removed in Python 3.8"))
    shims += [Shim("tf.Variable %s" % op, "an error in today's TensorFlow; TensorFlow 2.2-2.4 returned a new tensor")
              for op, _ in VARIABLE_IN_PLACE.values()]
    shims.append(Shim(KERAS_LR, "ignored by today's Keras optimizers, which then use their default learning rate; "
                                "Keras 2.4 took it as the learning rate"))
    return {s.name: s for s in shims}


SHIMS = _shims()
"""Every shim by name: what the grader accepts from a worker and how its report words it."""


def notes(names: Any) -> list[str]:
    """The notes of the known shims among ``names`` (anything else a worker sent is ignored), sorted."""
    return [SHIMS[n].note for n in sorted({n for n in names if isinstance(n, str) and n in SHIMS})]


# ------------------------------------------------------------------------------------------ the worker's side

_used: set[str] = set()
_roots: tuple[str, ...] = ()


def take_used() -> list[str]:
    """The shims used since the last call (sorted), and forget them."""
    names = sorted(_used)
    _used.clear()
    return names


def _from_student(depth: int) -> bool:
    """Whether the frame ``depth`` levels above the caller runs code of the student's package."""
    try:
        filename = sys._getframe(depth + 1).f_code.co_filename
    except ValueError:
        return False
    return filename.startswith(_roots)


def _importer_is_student() -> bool:
    """Whether the code running an import (the first frame outside the import system) is the student's."""
    frame = sys._getframe(1)
    importlib_dir = os.path.dirname(importlib.__file__) + os.sep
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith("<frozen importlib") or name.startswith(importlib_dir) or name == __file__):
            return name.startswith(_roots)
        frame = frame.f_back
    return False


def _hook_getattr(module: types.ModuleType, values: dict[str, Any], prefix: str) -> None:
    """Give ``module`` a ``__getattr__`` that answers the student's code from ``values`` (recording the use)
    and falls back to the module's own ``__getattr__`` (or the usual AttributeError)."""
    previous = module.__dict__.get("__getattr__")

    def __getattr__(name: str) -> Any:
        if name in values and _from_student(1):
            _used.add(prefix + name)
            return values[name]
        if previous is not None:
            return previous(name)
        raise AttributeError("module %r has no attribute %r" % (module.__name__, name))

    module.__getattr__ = __getattr__


def _lib_module(name: str) -> types.ModuleType:
    """``numpy.lib.<name>`` as NumPy 1.x had it: its private successor's names (plus ``NUMPY_LIB_UTILS``)."""
    private = importlib.import_module("numpy.lib._%s_impl" % name)
    module = types.ModuleType("numpy.lib." + name, "Compatibility shim for numpy.lib.%s (removed in NumPy 2.0)."
                              % name)
    extra = NUMPY_LIB_UTILS if name == "utils" else {}

    def __getattr__(attr: str) -> Any:
        if attr in extra:
            return extra[attr]
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(private, attr)

    module.__getattr__ = __getattr__
    return module


class _Loader:
    """Delegates to a module's real loader, then patches the module once it has been executed."""

    def __init__(self, loader: Any, patch: Callable[[types.ModuleType], None]):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.exec_patch(module)

    def exec_patch(self, module: types.ModuleType) -> None:
        try:
            self.patch(module)
        except (AttributeError, ImportError):  # another TensorFlow or Keras than this layer knows: no shim
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


class _ShimModule:
    """The loader of a removed module: it builds the shim."""

    def __init__(self, name: str):
        self.name = name

    def create_module(self, spec: Any) -> types.ModuleType:
        _used.add(spec.name)
        return _lib_module(self.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _Finder:
    """On ``sys.meta_path``: supplies removed modules to the student's imports, and patches modules on import."""

    def __init__(self, patches: dict[str, Callable[[types.ModuleType], None]]):
        self.patches = patches

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in self.patches:
            for finder in sys.meta_path:
                if finder is not self and hasattr(finder, "find_spec"):
                    spec = finder.find_spec(fullname, path, target)
                    if spec is not None:
                        if spec.loader is not None:
                            spec.loader = _Loader(spec.loader, self.patches[fullname])
                        return spec
            return None
        prefix, _, name = fullname.rpartition(".")
        if prefix == "numpy.lib" and name in LIB_MODULES and _importer_is_student():
            from importlib.machinery import ModuleSpec

            return ModuleSpec(fullname, _ShimModule(name))
        return None


def _patch_variables(module: types.ModuleType) -> None:
    """``X += dX`` on a ``tf.Variable`` in the student's code gives ``X + dX`` again (a new tensor)."""
    cls = module.BaseResourceVariable
    for method, (op, plain) in VARIABLE_IN_PLACE.items():
        original = getattr(cls, method)

        def in_place(self: Any, other: Any, _original: Any = original, _op: str = op, _plain: str = plain) -> Any:
            if not _from_student(1):
                return _original(self, other)
            _used.add("tf.Variable " + _op)
            return getattr(self, _plain)(other)

        setattr(cls, method, functools.wraps(original)(in_place))


def _patch_optimizers(module: types.ModuleType) -> None:
    """``Adam(lr=...)`` in the student's code sets the learning rate, as Keras 2.4 did."""
    for path in KERAS_OPTIMIZERS:
        submodule, _, name = path.partition(".")
        cls = getattr(importlib.import_module("%s.%s" % (module.__name__, submodule)), name)
        original = cls.__init__

        def __init__(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            if "lr" in kwargs and "learning_rate" not in kwargs and not args and _from_student(1):
                _used.add(KERAS_LR)
                kwargs["learning_rate"] = kwargs.pop("lr")
            _original(self, *args, **kwargs)

        cls.__init__ = functools.wraps(original)(__init__)


PATCHES = {"tensorflow.python.ops.resource_variable_ops": _patch_variables,
           "tf_keras.src.optimizers": _patch_optimizers}
"""Modules patched as soon as they are imported (a numpy-only worker never imports them)."""


def install(root: str, package: str) -> None:
    """Install every shim for the code of ``root/package`` (call before any of it runs)."""
    global _roots
    _roots = tuple({os.path.join(folder, package, "") for folder in (root, os.path.realpath(root))})
    _hook_getattr(np, {n: v for n, (_, v) in NUMPY_ATTRS.items()}, "np.")
    _hook_getattr(collections, {n: getattr(collections.abc, n) for n in COLLECTIONS_ABCS}, "collections.")
    _hook_getattr(time, {"clock": time.process_time}, "time.")
    sys.meta_path.insert(0, _Finder(PATCHES))
    for name, patch in PATCHES.items():  # imported already (a worker forked from a template that preloads them)
        if name in sys.modules:
            _Loader(None, patch).exec_patch(sys.modules[name])
