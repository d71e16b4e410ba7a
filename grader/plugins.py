"""The plugin manager: built-in plugins from an explicit tuple, third-party packs from entry points.

Entry points (the ``grader`` group) run inside the process that decides every verdict, so loading them is
under the user's control, as in pytest and datasette: ``--no-plugin-autoload`` (or
``GRADER_DISABLE_PLUGIN_AUTOLOAD=1``) loads none; ``--plugins NAMES`` (or ``GRADER_PLUGINS=NAMES``) loads
only those, even with autoload off. Every report records the plugins that took part.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from importlib import metadata
from typing import Iterable

import pluggy

from grader import __version__, hookspecs
from grader.writers import WRITER_PLUGINS

EXERCISE_PLUGINS = (
    "exercises.assignment",
    "exercises.captioning.options",
    "exercises.captioning.misconceptions",
    "exercises.rnn_captioning",
    "exercises.lstm_captioning",
    "exercises.vision.options",
    "exercises.vision.misconceptions",
    "exercises.network_visualization",
    "exercises.style_transfer",
    "exercises.gan",
    "exercises.gans.misconceptions",
    "exercises.network_visualization_pytorch",
    "exercises.style_transfer_pytorch",
    "exercises.gan_pytorch",
    "exercises.vision.misconceptions_pytorch",
    "exercises.gans.misconceptions_pytorch",
)
"""The assignment this repository grades (CS231n 2020 assignment 3) and its exercise packs."""

CORE_PLUGINS = ("grader.notebooks", "grader.written.late")
"""Built-in features that are not writers: reading the notebooks, the course's late policy."""

DEFAULT_PLUGINS = EXERCISE_PLUGINS + CORE_PLUGINS + WRITER_PLUGINS
"""Built-in features, each a plugin module, registered in this order; the only plugin names the core knows."""

ENTRY_POINT_GROUP = "grader"
AUTOLOAD_ENV = "GRADER_DISABLE_PLUGIN_AUTOLOAD"
ALLOW_ENV = "GRADER_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """A plugin as ``grader plugins`` lists it and ``report.json`` records it."""

    name: str
    version: str
    source: str
    """``built-in``, ``entry point`` (with its distribution) or ``registered by code``."""
    loaded: bool = True
    reason: str = ""
    """Why an entry point was not loaded."""


class GraderPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers what each plugin is and why an entry point was left out."""

    def __init__(self) -> None:
        super().__init__("grader")
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []

    def plugins_in_use(self) -> list[dict[str, str]]:
        """Name and version of every loaded plugin that implements a hook, for ``report.json``."""
        return [{"name": i.name, "version": i.version} for i in self.infos if i.loaded]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def names(text: str | None) -> frozenset[str] | None:
    """``"a, b"`` -> {"a", "b"}; None stays None (no allow-list)."""
    if text is None:
        return None
    return frozenset(n.strip() for n in text.split(",") if n.strip())


def get_plugin_manager(extra_plugins: Iterable[object] = (), autoload: bool | None = None,
                       allow: Iterable[str] | None = None) -> GraderPluginManager:
    """A manager with the hook specs, the default plugins, the entry-point plugins that are let in and
    ``extra_plugins``. ``autoload`` defaults to the environment (``GRADER_DISABLE_PLUGIN_AUTOLOAD``);
    ``allow`` (default ``GRADER_PLUGINS``) restricts entry points to those names and loads them even when
    autoload is off."""
    pm = GraderPluginManager()
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name)
        pm.infos.append(PluginInfo(name, __version__, "built-in"))
    autoload = not env_flag(AUTOLOAD_ENV) if autoload is None else autoload
    allowed = names(os.environ.get(ALLOW_ENV)) if allow is None else frozenset(allow)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        version = ep.dist.version if ep.dist is not None else "?"
        source = "entry point (%s)" % (ep.dist.name if ep.dist is not None else ep.value)
        if pm.has_plugin(ep.name) or any(i.name == ep.name for i in pm.infos):
            continue
        if allowed is not None and ep.name not in allowed:
            pm.infos.append(PluginInfo(ep.name, version, source, False, "not in --plugins"))
            continue
        if not autoload and allowed is None:
            pm.infos.append(PluginInfo(ep.name, version, source, False, "plugin autoload is off"))
            continue
        pm.register(ep.load(), ep.name)
        pm.infos.append(PluginInfo(ep.name, version, source))
    for plugin in extra_plugins:
        name = pm.register(plugin)
        pm.infos.append(PluginInfo(name or repr(plugin), "", "registered by code"))
    pm.check_pending()
    return pm


def hooks_of(pm: pluggy.PluginManager, name: str) -> list[str]:
    """The hooks a registered plugin implements."""
    plugin = pm.get_plugin(name)
    return sorted(caller.name for caller in pm.get_hookcallers(plugin) or []) if plugin is not None else []
