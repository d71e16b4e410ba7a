"""One test per hook (``test_hook_<name>``), each through the code path that calls it, checking what its
hookspec documents: the arguments passed, the order results come in, what a result changes.
``tests/test_hook_docs.py`` fails when a hook has no test here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, write_submission
from grader import hookimpl
from grader.api import Assignment, CheckList, Exercise, Misconception, Outcome, UsageError
from grader.cli import _config, build_parser
from grader.config import GradingConfig
from grader.plugins import get_plugin_manager
from grader.session import collect_assignment, collect_exercises, collect_misconceptions, grade_all
from grader.submission import discover


def manager(*plugins: object):
    return get_plugin_manager(extra_plugins=plugins, autoload=False)


class Part:
    """A plugin adding one student file and one notebook with a question to the assignment."""

    def __init__(self, name: str):
        self.name = name

    @hookimpl
    def grader_assignment(self):
        notebook = "%s.ipynb" % self.name
        return Assignment(student_files=("%s.py" % self.name,), notebooks=(notebook,),
                          questions={notebook: ("Inline Question 1",)})


def test_hook_grader_assignment_parts_merge_in_registration_order():
    assignment = collect_assignment(manager(Part("first_pack"), Part("second_pack")))
    assert assignment.package == "cs231n"
    assert assignment.student_files[:2] == ("rnn_layers.py", "classifiers/rnn.py")
    assert assignment.student_files[-2:] == ("first_pack.py", "second_pack.py")
    assert assignment.notebooks[-2:] == ("first_pack.ipynb", "second_pack.ipynb")
    assert assignment.questions["second_pack.ipynb"] == ("Inline Question 1",)
    assert assignment.module_file("second_pack") == "second_pack.py"


def test_hook_grader_assignment_two_packages_are_a_usage_error():
    class Other:
        @hookimpl
        def grader_assignment(self):
            return Assignment(package="cs231n_2021")

    with pytest.raises(UsageError, match="plugins describe different assignments: cs231n, cs231n_2021"):
        collect_assignment(manager(Other()))


class Level:
    """A plugin with an option of its own, read back through ``config.option``."""

    @hookimpl
    def grader_add_options(self, parser):
        parser.add_argument("--hook-test-level", type=int, default=1)


@pytest.mark.parametrize("command", [["check", "."], ["grade", ".", "--out", "x"], ["bundle", "--out", "x"]])
def test_hook_grader_add_options_reach_config_option(command):
    pm = manager(Level())
    args = build_parser(pm).parse_args([*command, "--hook-test-level", "3"])
    args.plugins_in_use = []
    config = _config(args, None, collect_assignment(pm))
    assert config.option("hook_test_level") == 3
    args = build_parser(pm).parse_args(command)
    args.plugins_in_use = []
    assert _config(args, None, collect_assignment(pm)).option("hook_test_level") == 1


def exercise_plugin(exercise_id: str, check_id: str):
    checks = CheckList(exercise_id, modules=("rnn_layers",))
    checks.add(check_id, "always passes", "rnn_layers.rnn_step_forward", 1.0)(lambda ctx: Outcome(passed=True))

    class Plugin:
        @hookimpl
        def grader_exercises(self, config):
            assert isinstance(config, GradingConfig)
            return [Exercise(exercise_id, exercise_id, tuple(checks.checks))]
    return Plugin()


def test_hook_grader_exercises_come_in_registration_order_and_check_ids_are_unique():
    config = GradingConfig(seed=0)
    pm = manager(exercise_plugin("pack_a", "a.check"), exercise_plugin("pack_b", "b.check"))
    config.assignment = collect_assignment(pm)
    ids = [e.id for e in collect_exercises(pm, config)]
    assert ids[0] == "rnn_captioning" and ids[-2:] == ["pack_a", "pack_b"]
    pm = manager(exercise_plugin("pack_a", "a.check"), exercise_plugin("pack_c", "a.check"))
    with pytest.raises(UsageError, match="two plugins define the check id a.check"):
        collect_exercises(pm, config)


def misconception_plugin(*ids: str):
    class Plugin:
        @hookimpl
        def grader_misconceptions(self, config):
            return [Misconception(i, "rnn_layers.rnn_step_forward", "a mistake", "a hint", raises="ValueError")
                    for i in ids]
    return Plugin()


def test_hook_grader_misconceptions_merge_last_registered_first_and_ids_are_unique():
    config = GradingConfig(seed=0)
    ids = list(collect_misconceptions(manager(misconception_plugin("pack.one"), misconception_plugin("pack.two")),
                                      config))
    assert ids[:2] == ["pack.two", "pack.one"]  # tried before the built-in catalogue
    with pytest.raises(UsageError, match="two plugins define the misconception pack.one"):
        collect_misconceptions(manager(misconception_plugin("pack.one"), misconception_plugin("pack.one")), config)


class Recorder:
    """Records each call of the report hooks it implements (their arguments as the hook got them)."""

    def __init__(self):
        self.calls: list[tuple] = []


def grade_without_checks(tmp_path: Path, *plugins: object, names=("first", "second")):
    """Grade samples with no check selected (no worker starts): the report hooks still run. The first sample
    has a notebook with an inline question."""
    pm = manager(*plugins)
    config = GradingConfig(seed=0, assignment=collect_assignment(pm), sandbox=False)
    folders = [write_submission(tmp_path / "subs" / n) for n in names]
    (folders[0] / "RNN_Captioning.ipynb").write_bytes(
        (ROOT / "submissions" / "reference" / "RNN_Captioning.ipynb").read_bytes())
    return grade_all(discover(folders, config.assignment), [], config, pm, tmp_path / "out"), config


@pytest.mark.parametrize("last", [False, True], ids=["default", "trylast"])
def test_hook_grader_inspect_submission_runs_before_the_notebook_reader_unless_trylast(tmp_path, last):
    class Inspector(Recorder):
        @hookimpl(trylast=last)
        def grader_inspect_submission(self, report, submission, config):
            self.calls.append((report.submission.id, sorted(submission.notebooks), len(report.questions)))
            report.problems.append("inspected by a pack")

    inspector = Inspector()
    reports, _ = grade_without_checks(tmp_path, inspector)
    seen = {sub: questions for sub, _, questions in inspector.calls}
    assert sorted(seen) == ["first", "second"]
    assert [notebooks for sub, notebooks, _ in inspector.calls if sub == "first"] == [["RNN_Captioning.ipynb"]]
    assert (seen["first"] > 0) == last  # the built-in reader has filled the questions only when trylast
    assert all("inspected by a pack" in r.problems for r in reports)


def test_hook_grader_write_report_once_per_submission_into_its_folder(tmp_path):
    class Writer(Recorder):
        @hookimpl
        def grader_write_report(self, report, out_dir, config):
            self.calls.append((report.submission.id, out_dir.name))
            (out_dir / "extra.txt").write_text("%s %d" % (report.submission.id, config.seed))

    writer = Writer()
    grade_without_checks(tmp_path, writer)
    assert sorted(writer.calls) == [("first", "first"), ("second", "second")]
    assert (tmp_path / "out" / "second" / "extra.txt").read_text() == "second 0"
    assert (tmp_path / "out" / "second" / "report.json").is_file()  # the built-in writers ran too


def test_hook_grader_write_summary_gets_every_report_once(tmp_path):
    class Summary(Recorder):
        @hookimpl
        def grader_write_summary(self, reports, out_dir, config):
            self.calls.append(([r.submission.id for r in reports], out_dir))

    summary = Summary()
    grade_without_checks(tmp_path, summary, names=("b_student", "a_student"))
    [(ids, out_dir)] = summary.calls
    assert sorted(ids) == ["a_student", "b_student"] and out_dir == tmp_path / "out"
    assert (tmp_path / "out" / "grades.csv").is_file()


def test_hook_grader_export_the_last_registered_writer_of_a_kind_wins(tmp_path):
    class Junit(Recorder):
        @hookimpl
        def grader_export(self, report, kind, path):
            self.calls.append(kind)
            if kind != "junit":
                return None
            path.write_text("the pack's junit")
            return True

    junit = Junit()
    [report], _ = grade_without_checks(tmp_path, junit, names=("first",))
    pm = manager(junit)
    assert pm.hook.grader_export(report=report, kind="junit", path=tmp_path / "a.xml") is True
    assert (tmp_path / "a.xml").read_text() == "the pack's junit"
    assert pm.hook.grader_export(report=report, kind="markdown", path=tmp_path / "a.md") is True
    assert (tmp_path / "a.md").stat().st_size > 0  # the built-in Markdown writer
    assert junit.calls[-2:] == ["junit", "markdown"]  # asked first, and it declined markdown
    assert pm.hook.grader_export(report=report, kind="pdf", path=tmp_path / "a.pdf") is None
    assert not json.loads((tmp_path / "out" / "first" / "report.json").read_text())["checks"]
