"""Fingerprints of check definitions: what a check's result depends on, besides the student's files and seed.

A check's fingerprint hashes
* its metadata: id, exercise, runtime, targets, points, metric, threshold, instructor-only, the student
  modules it imports, its time limit;
* its code, followed wherever it leads inside the project: the check function's bytecode and constants, the
  values its closure holds (checks built by one helper differ only there), the project functions, classes
  and module constants it names, recursively; the exercise's fixtures builder the same way;
* the reference's sources of the modules it imports, the provided modules (shared by every check) and the
  run's exercise options;
* what its runtime needs and this install lacks (PyTorch, an optional extra): installing it makes the checks
  that could not run stale.

Positions (line numbers, file names) and top-level docstrings are left out, so moving code or rewording a
docstring changes nothing; any change of what runs changes the fingerprint of exactly the checks that reach
it. Library code (numpy, the standard library) counts by its name only.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks import Exercise
from grader.config import GradingConfig
from grader.assignment import Assignment

PROJECT_PACKAGES = frozenset({"grader", "exercises", "reference"})
"""Top-level packages whose code is followed; a check's own package (a third-party pack) is added to them."""

_SCALARS = (type(None), bool, int, float, complex, str, bytes)


def check_fingerprints(exercises: list[Exercise], config: GradingConfig, assignment: Assignment
                       ) -> dict[str, str]:
    """The fingerprint of every check of ``exercises`` (hex sha256), by check id."""
    hasher = CodeHasher()
    provided = _sources_digest(assignment, None)
    options = json.dumps(config.options, sort_keys=True, default=str)
    prints = {}
    missing = {r: list(assignment.runtime(r).missing()) for r in {ex.runtime for ex in exercises}
               if r in assignment.runtimes}
    for ex in exercises:
        fixtures = hasher.digest(ex.fixtures, _package_of(ex.fixtures)) if ex.fixtures else ""
        for check in ex.checks:
            prints[check.id] = _digest({
                "id": check.id, "exercise": ex.id, "runtime": ex.runtime, "targets": list(check.targets),
                "points": check.points, "metric": check.metric, "threshold": check.threshold,
                "instructor_only": check.instructor_only, "modules": list(check.modules),
                "timeout_s": config.timeout_s * check.timeout_factor,
                "code": hasher.digest(check.run, _package_of(check.run)), "fixtures": fixtures,
                "reference": _sources_digest(assignment, check.modules), "provided": provided,
                "options": options,
                **({"not_installed": missing[ex.runtime]} if missing.get(ex.runtime) else {}),
            })
    return prints


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _package_of(obj: Any) -> str:
    return (getattr(obj, "__module__", None) or "").split(".")[0]


def _sources_digest(assignment: Assignment, modules: tuple[str, ...] | None) -> str:
    """The reference's sources of ``modules`` (student modules), or of every provided module when None."""
    reference_root = assignment.reference
    if reference_root is None:
        return ""
    package = reference_root / assignment.package
    if modules is None:
        files = [p.relative_to(package).as_posix() for p in sorted(package.rglob("*.py"))]
        files = [f for f in files if f not in assignment.student_files]
    else:
        files = sorted(m.replace(".", "/") + ".py" for m in modules)
    digest = hashlib.sha256()
    for name in files:
        path = package / name
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes() if path.is_file() else b"").digest())
    return digest.hexdigest()


class CodeHasher:
    """Structural hashes of code and values, stable across processes (no ``id()``, no hash randomization).

    Functions and classes are memoised, so the helpers that many checks share are hashed once.
    """

    def __init__(self) -> None:
        self._memo: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps memoised objects alive so their id() is not reused
        self._active: set[int] = set()

    def digest(self, obj: Any, package: str = "") -> str:
        """The hash of ``obj``, following code in the project packages and in ``package``."""
        self._packages = PROJECT_PACKAGES | ({package} if package else set())
        return hashlib.sha256(self._value(obj, 0).encode()).hexdigest()

    # ------------------------------------------------------------------ values
    def _value(self, obj: Any, depth: int) -> str:
        if isinstance(obj, _SCALARS):
            return "%s:%r" % (type(obj).__name__, obj)
        if depth > 12:
            return "deep:%s" % type(obj).__qualname__
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                return "ndarray-object:%s" % self._value(obj.tolist(), depth + 1)
            return "ndarray:%s:%s:%s" % (obj.dtype.str, obj.shape, hashlib.sha256(np.ascontiguousarray(obj)).hexdigest())
        if isinstance(obj, np.generic):
            return "npscalar:%s:%r" % (obj.dtype.str, obj.item())
        if isinstance(obj, (list, tuple)):
            return "%s[%s]" % (type(obj).__name__, ",".join(self._value(v, depth + 1) for v in obj))
        if isinstance(obj, (set, frozenset)):
            return "set{%s}" % ",".join(sorted(self._value(v, depth + 1) for v in obj))
        if isinstance(obj, dict):
            return "dict{%s}" % ",".join("%s:%s" % (self._value(k, depth + 1), self._value(v, depth + 1))
                                         for k, v in obj.items())
        if isinstance(obj, types.CodeType):
            return self._code(obj, None, depth)
        if isinstance(obj, (staticmethod, classmethod)):
            return "%s(%s)" % (type(obj).__name__, self._value(obj.__func__, depth + 1))
        if isinstance(obj, property):
            return "property(%s)" % ",".join(self._value(f, depth + 1) for f in (obj.fget, obj.fset, obj.fdel))
        if isinstance(obj, types.ModuleType):
            return "module:%s" % obj.__name__
        if isinstance(obj, types.FunctionType):
            return self._memoised(obj, depth, self._function) if self._in_project(obj) else "lib:%s" % _qualname(obj)
        if isinstance(obj, types.MethodType):
            return "method(%s,%s)" % (self._value(obj.__func__, depth + 1), self._value(obj.__self__, depth + 1))
        if isinstance(obj, functools.partial):
            return "partial(%s)" % self._value((obj.func, obj.args, obj.keywords), depth + 1)
        if isinstance(obj, type):
            return self._memoised(obj, depth, self._class) if self._in_project(obj) else "lib:%s" % _qualname(obj)
        if not self._in_project(type(obj)):
            return "lib:%s" % _qualname(obj)
        return self._instance(obj, depth)

    def _in_project(self, obj: Any) -> bool:
        return _package_of(obj) in self._packages

    def _memoised(self, obj: Any, depth: int, how) -> str:
        key = id(obj)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:  # recursion (a function calling itself): its name stands for it
            return "recursive:%s" % _qualname(obj)
        self._active.add(key)
        try:
            text = "%s:%s" % (_qualname(obj), hashlib.sha256(how(obj, depth).encode()).hexdigest())
        finally:
            self._active.discard(key)
        self._memo[key] = text
        self._keep.append(obj)
        return text

    def _instance(self, obj: Any, depth: int) -> str:
        """An object of a project class: its class's code and its fields."""
        if dataclasses.is_dataclass(obj):
            fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        else:
            fields = dict(sorted(getattr(obj, "__dict__", {}).items()))
        return "obj(%s,%s)" % (self._value(type(obj), depth + 1), self._value(fields, depth + 1))

    # ------------------------------------------------------------------ code
    def _function(self, fn: types.FunctionType, depth: int) -> str:
        closure = [cell.cell_contents if _cell_filled(cell) else "<empty>" for cell in fn.__closure__ or ()]
        return "fn(%s|closure=%s|defaults=%s|kwdefaults=%s)" % (
            self._code(fn.__code__, fn, depth), self._value(closure, depth + 1),
            self._value(fn.__defaults__, depth + 1), self._value(fn.__kwdefaults__, depth + 1))

    def _code(self, code: types.CodeType, fn: types.FunctionType | None, depth: int) -> str:
        consts = list(code.co_consts)
        if fn is not None and consts and consts[0] == fn.__doc__:
            consts[0] = "<docstring slot>"  # a docstring is not behaviour (without one, the slot holds None)
        parts = [
            code.co_code.hex(), code.co_exceptiontable.hex() if hasattr(code, "co_exceptiontable") else "",
            ",".join(code.co_names), ",".join(code.co_varnames), ",".join(code.co_freevars),
            ",".join(code.co_cellvars), "%d:%d:%d" % (code.co_argcount, code.co_kwonlyargcount, code.co_flags),
            "|".join(self._code(c, None, depth + 1) if isinstance(c, types.CodeType) else self._value(c, depth + 1)
                     for c in consts),
        ]
        if fn is not None:
            parts.append(self._globals(fn, _names(code), depth))
        return "code(%s)" % ";".join(parts)

    def _globals(self, fn: types.FunctionType, names: list[str], depth: int) -> str:
        """What the global names used by ``fn`` (and its nested code) are bound to: project code is followed,
        a project module contributes the attributes the code names on it."""
        namespace = fn.__globals__
        seen = []
        for name in names:
            if name not in namespace:
                continue  # a builtin, or an attribute name
            value = namespace[name]
            if isinstance(value, types.ModuleType) and _package_of_module(value) in self._packages:
                attrs = [(n, getattr(value, n)) for n in names if n != name and hasattr(value, n)]
                seen.append("%s=module:%s{%s}" % (name, value.__name__, ",".join(
                    "%s=%s" % (n, self._value(v, depth + 1)) for n, v in attrs if not isinstance(v, types.ModuleType))))
            else:
                seen.append("%s=%s" % (name, self._value(value, depth + 1)))
        return "globals{%s}" % ",".join(seen)

    def _class(self, cls: type, depth: int) -> str:
        members = []
        for name, value in sorted(vars(cls).items()):
            if name in ("__dict__", "__weakref__", "__module__", "__doc__", "__qualname__",
                        "__dataclass_params__", "__match_args__", "__annotations__", "__hash__"):
                continue
            members.append("%s=%s" % (name, self._value(value, depth + 1)))
        bases = ",".join(self._value(b, depth + 1) for b in cls.__bases__ if b is not object)
        return "class(%s|%s)" % (bases, ";".join(members))


def _names(code: types.CodeType) -> list[str]:
    """Every name the code (and the code nested in it) looks up, in first-use order."""
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _names(const)
    return list(dict.fromkeys(names))


def _cell_filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _qualname(obj: Any) -> str:
    target = obj if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) else type(obj)
    return "%s.%s" % (getattr(target, "__module__", "?"), getattr(target, "__qualname__", type(target).__name__))


def _package_of_module(module: types.ModuleType) -> str:
    return module.__name__.split(".")[0]

