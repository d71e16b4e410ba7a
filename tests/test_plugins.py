"""The plugin system: hook specs are documented, built-ins are plugins, extra packs get graded and reported."""
from __future__ import annotations

import inspect
import json
import textwrap

import numpy as np

from conftest import ROOT
from grader import hookimpl, hookspecs
from exercises.assignment import ASSIGNMENT
from grader.checks import CheckContext, CheckList, Exercise, Outcome
from grader.compare import expect_array, expect_tuple
from grader.config import GradingConfig
from grader.plugins import DEFAULT_PLUGINS, get_plugin_manager
from grader.session import collect_exercises, grade_all
from grader.submission import discover

SPECS = [(name, fn) for name, fn in vars(hookspecs).items() if name.startswith("grader_")]


def test_every_hookspec_is_named_typed_documented_and_implemented():
    pm = get_plugin_manager(autoload=False)
    assert len(SPECS) >= 4
    for name, fn in SPECS:
        assert inspect.getdoc(fn), name
        assert all(p.annotation is not inspect.Parameter.empty for p in inspect.signature(fn).parameters.values())
        assert getattr(pm.hook, name).get_hookimpls(), "no built-in plugin implements %s" % name


def test_builtin_features_are_registered_from_the_explicit_tuple():
    pm = get_plugin_manager(autoload=False)
    assert sorted(pm.get_name(p) for p in pm.get_plugins()) == sorted(DEFAULT_PLUGINS)


class TanhRangePlugin:
    """A tiny third-party exercise: rnn_step_forward's output lies in (-1, 1)."""

    @hookimpl
    def grader_exercises(self, config):
        checks = CheckList("extra_tanh", modules=("rnn_layers",))

        @checks.add("extra.tanh_range", "next_h lies strictly inside (-1, 1)", "rnn_layers.rnn_step_forward", 3.0)
        def tanh_range(ctx: CheckContext) -> Outcome:
            rng = ctx.rng()
            x, h, wx, wh, b = (rng.standard_normal(s) for s in ((2, 3), (2, 4), (3, 4), (4, 4), (4,)))
            next_h, _ = expect_tuple(ctx.student.call("rnn_layers.rnn_step_forward", x, h, wx, wh, b, keep=[1]),
                                     ("next_h", "cache"), "rnn_step_forward")
            next_h = expect_array(next_h, "next_h", (2, 4))
            return Outcome(passed=bool(np.all(np.abs(next_h) < 1)), message="max |h| %.3f" % np.abs(next_h).max())

        return [Exercise("extra_tanh", "Extra: tanh range", tuple(checks.checks))]


def test_an_extra_exercise_plugin_is_graded_and_reported(tmp_path):
    pm = get_plugin_manager(extra_plugins=[TanhRangePlugin()], autoload=False)
    config = GradingConfig(seed=3, only=("extra_tanh",), assignment=ASSIGNMENT)
    exercises = collect_exercises(pm, config)
    assert [e.id for e in exercises] == ["extra_tanh"]
    out = tmp_path / "out"
    [report] = grade_all(discover([ROOT / "reference", ROOT / "submissions" / "skeleton"], ASSIGNMENT)[:1], exercises, config,
                         pm, out)
    assert report.score == report.max_score == 3.0
    data = json.loads((out / "reference" / "report.json").read_text())
    assert data["checks"][0]["id"] == "extra.tanh_range" and data["checks"][0]["status"] == "passed"
    assert "extra.tanh_range" in (out / "reference" / "report.html").read_text()
    assert "extra_tanh" in (out / "grades.csv").read_text()


def test_packs_are_found_through_the_entry_point_group(tmp_path, monkeypatch):
    (tmp_path / "course_pack.py").write_text(textwrap.dedent('''
        from grader import hookimpl
        from grader.checks import Exercise, Outcome, CheckList

        checks = CheckList("course_pack", modules=("rnn_layers",))
        checks.add("course.always", "always passes", "rnn_layers.rnn_step_forward", 1.0)(
            lambda ctx: Outcome(passed=True))

        @hookimpl
        def grader_exercises(config):
            return [Exercise("course_pack", "A course's own pack", tuple(checks.checks))]
    '''))
    dist = tmp_path / "course_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: course-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[grader]\ncourse = course_pack\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    pm = get_plugin_manager()
    ids = [e.id for e in collect_exercises(pm, GradingConfig(seed=0))]
    assert "course_pack" in ids and "rnn_captioning" in ids
