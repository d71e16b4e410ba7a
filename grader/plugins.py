"""The plugin manager: built-in plugins from an explicit tuple, third-party packs from entry points."""
from __future__ import annotations

import importlib
from typing import Iterable

import pluggy

from grader import hookspecs
from grader.writers import WRITER_PLUGINS

EXERCISE_PLUGINS = (
    "exercises.captioning.options",
    "exercises.captioning.misconceptions",
    "exercises.rnn_captioning",
    "exercises.lstm_captioning",
    "exercises.vision.options",
    "exercises.vision.misconceptions",
    "exercises.network_visualization",
    "exercises.style_transfer",
    "exercises.gan",
)

DEFAULT_PLUGINS = EXERCISE_PLUGINS + WRITER_PLUGINS
"""Built-in features, each a plugin module: the exercise packs and the output writers."""

ENTRY_POINT_GROUP = "grader"


def get_plugin_manager(extra_plugins: Iterable[object] = (), load_entry_points: bool = True) -> pluggy.PluginManager:
    """A manager with the hook specs, the default plugins, entry-point plugins and ``extra_plugins``."""
    pm = pluggy.PluginManager("grader")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm
