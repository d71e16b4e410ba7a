"""Rebinding a package's functions, for one request, to other implementations of the same functions.

A request may carry ``"substitute": {path: source}``. ``path`` names a function of the graded package as a
target does (``rnn_layers.rnn_step_forward``, ``classifiers.rnn.CaptioningRNN.loss``); ``source`` says
which implementation every caller gets while the request runs:

* ``"student"``: the package's own;
* ``"reference"``: the same path in the reference's copy of the package, staged beside it under
  ``<package>_reference`` (only in the workers that localize a failing check);
* ``"module:attribute"``: a function of an installed module (a catalogued misconception, run only in the
  reference's worker).

Every module of both packages is rebound, so a substituted implementation calls the chosen versions of
the other listed functions: the reference's ``loss`` calls the student's ``rnn_forward`` unless
``rnn_forward`` is substituted too. Everything is restored when the request ends.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

ALTERNATE_SUFFIX = "_reference"
"""The reference's copy of the package is importable as ``<package>_reference`` in a localizing worker."""


def locate(package: str, path: str) -> tuple[Any, str]:
    """The object that holds ``path``'s last name (a module or a class) and that name."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join([package, *parts[:cut]])
        try:
            owner: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise LookupError("%s.%s is not a function of a module" % (package, path))


def raw(owner: Any, name: str) -> Any:
    """The attribute as stored (a class's ``staticmethod`` stays one)."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if name in vars(klass):
                return vars(klass)[name]
    if not hasattr(owner, name):
        raise AttributeError("%s has no attribute %r" % (getattr(owner, "__name__", owner), name))
    return getattr(owner, name)


class Substitution:
    """A context manager applying one request's ``substitute`` mapping to ``package`` (and its reference copy)."""

    def __init__(self, package: str, mapping: dict[str, str]):
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in mapping.items()):
            raise TypeError("substitute must map function paths to sources")
        self.package = package
        self.alternate = package + ALTERNATE_SUFFIX
        self.mapping = mapping
        self.undo: list[tuple[Any, str, Any, bool]] = []

    def implementation(self, path: str, source: str, own: Any) -> Any:
        if source == "student":
            return own
        if source == "reference":
            return raw(*locate(self.alternate, path))
        module, sep, attribute = source.partition(":")
        if not sep:
            raise ValueError("unknown source %r for %s" % (source, path))
        return getattr(importlib.import_module(module), attribute)

    def __enter__(self) -> "Substitution":
        try:
            self._apply()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _apply(self) -> None:
        chosen: dict[int, Any] = {}
        owners: list[tuple[Any, str, Any]] = []
        uses_alternate = any(s == "reference" for s in self.mapping.values())
        for path, source in self.mapping.items():
            owner, name = locate(self.package, path)
            own = raw(owner, name)
            impl = self.implementation(path, source, own)
            variants = [own]
            if uses_alternate:
                variants.append(raw(*locate(self.alternate, path)))
            for variant in variants:
                chosen[id(variant)] = impl
            if isinstance(owner, type):
                owners.append((owner, name, impl))
        for owner, name, impl in owners:
            self._set(owner, name, impl)
        prefixes = (self.package, self.alternate)
        for module_name, module in list(sys.modules.items()):
            if module is None or not (module_name in prefixes or module_name.startswith(
                    (self.package + ".", self.alternate + "."))):
                continue
            for name, value in list(vars(module).items()):
                impl = chosen.get(id(value), value)
                if impl is not value:
                    self._set(module, name, impl)

    def _set(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        self.undo.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, value)

    def __exit__(self, *exc: Any) -> None:
        while self.undo:
            owner, name, value, had = self.undo.pop()
            if had:
                setattr(owner, name, value)
            else:
                try:
                    delattr(owner, name)
                except AttributeError:
                    pass
