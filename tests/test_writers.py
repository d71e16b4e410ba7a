"""The output writers: each file's content, escaping of student text, and plugin registration."""
from __future__ import annotations

import csv
import importlib
import json
import math
import re
import xml.etree.ElementTree as ET

import pluggy
import pytest

from grader import hookspecs
from grader.config import GradingConfig
from grader.model import CheckResult, ExerciseSummary, FunctionVerdict, GraderInfo, Metric, Report, SubmissionInfo
from grader.terminal import print_check_summary
from grader.writers.markdown import markdown_summary
from grader.writers import WRITER_PLUGINS, gradescope, grades_csv, html_report, json_report, junit
from grader.writers.gradescope import gradescope_results
from grader.writers.html_report import render_report
from grader.writers.junit import junit_tree
from grader.writers._format import check_text, json_safe, metric_comparison, xml_text

CONFIG = GradingConfig(seed=1)
SCRIPT = "<script>alert('pwned')</script>"
CONTROL = "loss \x00\x07\x1b[31m red\x0b end"


def make_report(sub_id: str = "alice", *, with_gan: bool = True) -> Report:
    checks = [
        CheckResult(
            id="rnn_step_forward.notebook", exercise="rnn", targets=["rnn_layers.rnn_step_forward"],
            status="passed", score=2.0, max_score=2.0, metric=Metric("rel_error", 3.1e-9, 1e-7),
            duration_s=0.12,
            artifacts=[{"kind": "curve", "title": "Training loss", "xlabel": "iteration", "ylabel": "loss",
                        "series": {"student": [2.3, 1.9, None, 1.1, 0.7, float("nan"), 0.3],
                                   "reference": [2.3, 1.8, 1.2, 0.9, 0.6, 0.4, 0.2]},
                        "threshold": 0.5},
                       {"kind": "image", "title": "Saliency maps"}],
        ),
        CheckResult(
            id="rnn_step_backward.hidden", exercise="rnn", targets=["rnn_layers.rnn_step_backward"],
            status="failed", score=0.0, max_score=3.0, message="dWx differs from the reference",
            metric=Metric("rel_error", 0.52, 1e-7), duration_s=0.3,
            details={"inputs": {"x": "(3, 10) float64", "prev_h": "(3, 4) float64"},
                     "expected": "[[0.1, 0.2]]", "got": "[[0.3, 0.4]]", "stdout": CONTROL,
                     "note": "weights were transposed?"},
        ),
        CheckResult(
            id="rnn_forward.notebook", exercise="rnn", targets=["rnn_layers.rnn_forward"],
            status="error", score=0.0, max_score=2.0, message="rnn_forward raised ValueError",
            metric=Metric("rel_error", float("nan"), 1e-7), duration_s=0.05,
            details={"traceback": f'File "rnn_layers.py", line 3\n    raise ValueError("{SCRIPT}")\nValueError: {SCRIPT}'},
        ),
    ]
    if with_gan:
        checks += [
            CheckResult(id="gan.train", exercise="gan", targets=["gan_tf.run_a_gan"], status="timeout",
                        score=0.0, max_score=4.0, message="no result after 60 s", duration_s=60.0),
            CheckResult(id="gan.dc_generator", exercise="gan", targets=["gan_tf.dc_generator"],
                        status="skipped", score=0.0, max_score=1.0, message="gan_tf.py is missing"),
        ]
    return Report(
        submission=SubmissionInfo(id=sub_id, path=f"/subs/{sub_id}", sha256="ab" * 32),
        grader=GraderInfo(version="0.1.0", seed=1, isolation="bwrap"),
        checks=checks,
        exercises=[ExerciseSummary("rnn", "Q1: RNN captioning", 2.0, 7.0)]
        + ([ExerciseSummary("gan", "Q5: GANs", 0.0, 5.0)] if with_gan else []),
        questions=[{"notebook": "RNN_Captioning.ipynb", "question": "Inline Question 1",
                    "answered": True, "answer": f"Characters {SCRIPT}"}],
        problems=["gan_tf.py <b>could not be imported</b>"],
        functions={
            "rnn_layers.rnn_step_forward": FunctionVerdict("passed", ["rnn_step_forward.notebook"], "passes its 1 check"),
            "rnn_layers.rnn_step_backward": FunctionVerdict(
                "failed", ["rnn_step_backward.hidden"], f"fails hidden; makes `{SCRIPT}` fail"),
            "rnn_layers.rnn_forward": FunctionVerdict(
                "inconclusive", ["rnn_forward.notebook"], "notebook could not judge it: fix `rnn_step_backward` first"),
        },
    )


@pytest.fixture
def report() -> Report:
    return make_report()


# ---- shared formatting -------------------------------------------------------------------------------

def test_metric_comparison_formats():
    assert metric_comparison(Metric("rel_error", 3.1e-9, 1e-7)) == "3.1e-09 ≤ 1e-07"
    assert metric_comparison(Metric("rel_error", 0.52, 1e-7)) == "0.52 > 1e-07"
    assert metric_comparison(Metric("rel_error", None, 1e-7)) == "n/a (threshold 1e-07)"
    assert metric_comparison(Metric("rel_error", float("nan"), 1e-7)) == "nan (threshold 1e-07)"


def test_json_safe_replaces_non_finite_and_numpy():
    np = pytest.importorskip("numpy")
    value = {"a": [1.0, float("inf"), (float("-inf"), 2)], "b": np.array([1.5, np.nan]), "c": np.float32(2.5),
             "d": True, "e": "x"}
    assert json_safe(value) == {"a": [1.0, None, [None, 2]], "b": [1.5, None], "c": 2.5, "d": True, "e": "x"}


def test_xml_text_strips_illegal_characters():
    assert xml_text(CONTROL) == "loss [31m red end"
    assert xml_text("tab\tnew\nline\r é ✓ \ud800") == "tab\tnew\nline\r é ✓ "


def test_check_text_has_message_metric_and_traceback(report):
    text = check_text(report.checks[2])
    assert text.startswith("rnn_forward raised ValueError")
    assert "rel_error: nan (threshold 1e-07)" in text
    assert "ValueError: <script>" in text


# ---- report.json -------------------------------------------------------------------------------------

def test_json_report_schema_and_nan_as_null(report, tmp_path):
    json_report.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text)
    assert doc["schema"] == "grader.report/1"
    assert doc["submission"] == {"id": "alice", "path": "/subs/alice", "sha256": "ab" * 32}
    assert doc["grader"] == {"version": "0.1.0", "seed": 1, "isolation": "bwrap", "strict_env": False, "compat": [],
                             "plugins": [], "release": None, "track_policy": "best"}
    assert (doc["score"], doc["max_score"]) == (2.0, 12.0)
    for check in doc["checks"]:
        assert {"id", "exercise", "targets", "status", "score", "max_score", "message", "metric",
                "duration_s"} <= check.keys()
    assert [c["status"] for c in doc["checks"]] == ["passed", "failed", "error", "timeout", "skipped"]
    assert doc["checks"][0]["metric"] == {"name": "rel_error", "value": 3.1e-9, "threshold": 1e-7}
    assert doc["checks"][2]["metric"]["value"] is None
    assert doc["checks"][3]["metric"] is None
    assert doc["checks"][0]["artifacts"][0]["series"]["student"][5] is None
    assert doc["questions"][0]["answered"] is True


# ---- report.html -------------------------------------------------------------------------------------

def test_html_report_escapes_student_text(report, tmp_path):
    html_report.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "<b>could not" not in html and "&lt;b&gt;could not be imported&lt;/b&gt;" in html
    assert "\x00" not in html and "\x1b" not in html and "loss [31m red end" in html


def test_html_report_contents(report):
    html = html_report.render_report(report)
    assert html.startswith("<!DOCTYPE html>")
    assert "<link" not in html and "src=" not in html
    assert "alice" in html and "abababababab" in html and "bwrap" in html
    assert "3.1e-09 ≤ 1e-07" in html and "0.52 &gt; 1e-07" in html
    # four non-passed checks, plus the passed one that has artifacts
    assert html.split('id="manual-grading"')[0].count("<details") == 5
    assert html.count("<svg") == 1 and html.count("<polyline") >= 2
    assert "Saliency maps" in html
    assert "Manual grading" in html and "Inline Question 1" in html
    assert "weights were transposed?" in html
    assert '<td class="mono">prev_h</td><td class="mono">(3, 4) float64</td>' in html
    for status in ("passed", "failed", "error", "timeout", "skipped"):
        assert f'<span class="badge {status}">{status}</span>' in html
    assert "Q1: RNN captioning" in html and "2 / 7" in html


def test_html_report_without_optional_sections():
    report = make_report(with_gan=False)
    report.questions, report.problems, report.exercises = [], [], []
    html = html_report.render_report(report)
    assert "Manual grading" not in html and "Problems with this submission" not in html
    assert 'id="ex-rnn"' in html  # the exercise is derived from its checks


def _svg(artifact) -> ET.Element:
    svg = html_report.curve_svg({"kind": "curve", **artifact})
    return ET.fromstring(str(svg))


@pytest.mark.parametrize("series", [{}, {"a": []}, {"a": [None, float("nan"), float("inf")]}, {"a": "oops"}])
def test_curve_without_finite_values_says_so(series):
    root = _svg({"title": "empty", "series": series})
    assert "no finite values" in "".join(root.itertext())


@pytest.mark.parametrize("artifact", [
    {"series": {"flat": [1.0, 1.0, 1.0]}},
    {"series": {"zero": [0.0, 0.0]}},
    {"series": {"one point": [5.0]}},
    {"series": {"log": [1e-3, 0.0, -1.0, 1e-5, 1e-8]}, "log_y": True, "threshold": 1e-7},
    {"series": {"flat log": [1e-3, 1e-3]}, "log_y": True, "threshold": -1.0},
    {"series": {"huge": [1e-300, 1e300, 1e308]}},
])
def test_curve_guards(artifact):
    root = _svg({"title": "t", **artifact})
    text = ET.tostring(root, encoding="unicode")
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert root.findall(".//{http://www.w3.org/2000/svg}polyline") or \
        root.findall(".//{http://www.w3.org/2000/svg}circle")


def test_curve_breaks_lines_at_missing_points_and_draws_threshold():
    root = _svg({"title": "<b>loss</b>", "series": {"s": [3, None, 2, 1, None, 0.5, 0.4]}, "threshold": 1.5})
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}polyline")) == 2 and len(root.findall(f".//{ns}circle")) == 1
    assert len(root.findall(f".//{ns}line[@class='threshold']")) == 2
    assert root.find(f"{ns}title").text == "<b>loss</b>"  # escaped in the markup, text once parsed
    log = _svg({"title": "log", "series": {"s": [1e-2, 1e-4, 1e-6]}, "log_y": True})
    assert {"1e-06", "0.0001", "0.01"} <= set(log.itertext())


# ---- results.json (Gradescope) -----------------------------------------------------------------------

def test_gradescope_results(report, tmp_path):
    gradescope.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["score"] == 2.0
    assert math.isclose(doc["execution_time"], 60.47)
    assert "2 / 12" in doc["output"] and "could not be imported" in doc["output"]
    assert "leaderboard" not in doc
    tests = {t["name"]: t for t in doc["tests"]}
    assert list(tests) == [c.id for c in report.checks]
    assert tests["rnn_step_forward.notebook"]["status"] == "passed"
    assert all(t["status"] == "failed" for name, t in tests.items() if name != "rnn_step_forward.notebook")
    assert (tests["rnn_step_backward.hidden"]["score"], tests["rnn_step_backward.hidden"]["max_score"]) == (0.0, 3.0)
    assert "rel_error: 0.52 > 1e-07" in tests["rnn_step_backward.hidden"]["output"]
    assert "ValueError: <script>" in tests["rnn_forward.notebook"]["output"]
    assert tests["gan.train"]["tags"] == ["gan_tf.run_a_gan"]


# ---- junit.xml ---------------------------------------------------------------------------------------

def test_junit_counts_and_elements(report, tmp_path):
    junit.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("5", "1", "2", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["rnn", "gan"]
    rnn, gan = suites["rnn"], suites["gan"]
    assert (rnn.get("tests"), rnn.get("failures"), rnn.get("errors"), rnn.get("skipped")) == ("3", "1", "1", "0")
    assert (gan.get("tests"), gan.get("failures"), gan.get("errors"), gan.get("skipped")) == ("2", "0", "1", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["rnn_step_forward.notebook"].find("failure") is None
    assert cases["rnn_step_forward.notebook"].get("classname") == "rnn"
    failure = cases["rnn_step_backward.hidden"].find("failure")
    assert failure.get("type") == "AssertionError" and "0.52 > 1e-07" in failure.text
    assert cases["rnn_step_backward.hidden"].find("system-out").text == "loss [31m red end"
    error = cases["rnn_forward.notebook"].find("error")
    assert error.get("type") == "error" and SCRIPT in error.text
    assert cases["gan.train"].find("error").get("type") == "timeout"
    assert cases["gan.dc_generator"].find("skipped").get("message") == "gan_tf.py is missing"
    assert cases["gan.train"].get("time") == "60.000"


# ---- grades.csv --------------------------------------------------------------------------------------

def test_grades_csv(tmp_path):
    bob, alice = make_report("bob"), make_report("alice", with_gan=False)
    alice.problems = []
    grades_csv.grader_write_summary(reports=[bob, alice], out_dir=tmp_path, config=CONFIG)
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:9] == ["submission", "score", "max_score", "rnn", "gan", "sha256", "problems",
                           "failed_functions", "inconclusive_functions"]
    assert rows[0][9:14] == ["automatic", "manual", "late_penalty", "final", "max_points"]  # no gradebook here
    assert rows[0][-1] == "tracks"
    assert rows[1][:9] == ["alice", "2.0", "7.0", "2.0", "", "ab" * 32, "0", "rnn_layers.rnn_step_backward",
                           "rnn_layers.rnn_forward"]
    assert rows[1][9:14] == ["2.0", "0.0", "0.0", "2.0", "7.0"]
    assert rows[1][-1] == ""
    assert rows[2][:9] == ["bob", "2.0", "12.0", "2.0", "0.0", "ab" * 32, "1", "rnn_layers.rnn_step_backward",
                           "rnn_layers.rnn_forward"]
    assert len(rows) == 3


# ---- registration ------------------------------------------------------------------------------------

def test_writer_plugins_register_and_write_everything(report, tmp_path):
    pm = pluggy.PluginManager("grader")
    pm.add_hookspecs(hookspecs)
    for name in WRITER_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    pm.check_pending()
    pm.hook.grader_write_report(report=report, out_dir=tmp_path / "alice", config=CONFIG)
    pm.hook.grader_write_summary(reports=[report], out_dir=tmp_path, config=CONFIG)
    assert sorted(p.name for p in (tmp_path / "alice").iterdir()) == [
        "junit.xml", "report.html", "report.json", "results.json"]
    assert (tmp_path / "grades.csv").exists()


def test_html_long_message_is_shown_in_full(report):
    report.checks[1].message = "shape mismatch " * 20
    html = html_report.render_report(report)
    assert f'<div class="message">{report.checks[1].message}</div>' in html


def test_images_artifact_is_shown_as_png_pictures(tmp_path):
    import base64
    import zlib

    import numpy as np

    from grader.pictures import grid, images_artifact, png_bytes

    picture = np.linspace(0, 1, 4 * 5 * 3).reshape(4, 5, 3)
    png = png_bytes(picture)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    assert len(raw) == 4 * (1 + 5 * 3) and raw[0] == 0  # four filter-0 rows of 5 RGB pixels
    assert grid([picture] * 3, columns=2, pad=1).shape == (2 * 5 + 1, 2 * 6 + 1, 3)
    artifact = images_artifact("saliency", [("yours", picture), ("reference", picture[:, :, 0])])
    report = make_report()
    report.checks[0].artifacts.append(artifact)
    report.checks[0].artifacts.append({"kind": "images", "title": "bad", "images": [{"label": "x", "png": "\"><script>"}]})
    html = html_report.render_report(report)
    assert html.count("data:image/png;base64,") == 2
    assert base64.b64encode(png).decode() in html
    assert "\"><script>" not in html


def test_check_table_lets_long_ids_wrap_and_every_row_spans_the_header(report):
    """Long dotted ids break at dots and slashes (not mid-name) so the table fits its card; every row has the
    header's column count, the detail rows span all of it."""
    report.checks[0].id = "net_visualization_tensorflow.class_visualization_update_step/<variable>"
    report.checks[0].targets = ["rnn_layers.rnn_backward", "rnn_layers.rnn_forward"]
    html = html_report.render_report(report)
    assert ('<td class="mono id" title="net_visualization_tensorflow.class_visualization_update_step/&lt;variable&gt;">'
            "net_visualization_tensorflow.<wbr>class_visualization_update_step/<wbr>&lt;variable&gt;</td>") in html
    assert ('<span class="target">rnn_layers.<wbr>rnn_backward,</span> '
            '<span class="target">rnn_layers.<wbr>rnn_forward</span>') in html
    for table in re.findall(r'<table class="checks">(.*?)</table>', html, re.S):
        header, body = table.split("</thead>")
        columns = len(re.findall(r"<th[ >]", header))
        rows = re.findall(r'<tr class="check \w+"[^>]*>(.*?)</tr>', body, re.S)
        assert rows and all(row.count("<td") == columns for row in rows)
        assert set(re.findall(r'<tr class="more"><td colspan="(\d+)">', body)) <= {str(columns)}
    assert html.count('<tr class="more"><td colspan=') == 5
    assert '<span class="metric-name">rel_error</span>3.1e-09 ≤ 1e-07' in html


# ---- per-function verdicts ---------------------------------------------------------------------------

def test_report_html_opens_with_the_function_verdicts(report):
    html = render_report(report)
    functions, rest = html.split('id="functions"', 1)[1], html.split('id="functions"', 1)[0]
    assert "Score" not in rest.split("<main>", 1)[1]  # nothing but the header comes before the functions
    assert functions.index("rnn_step_backward") < functions.index("<h2>Score")
    assert "badge inconclusive" in functions and "<code>rnn_step_backward</code>" in functions
    assert SCRIPT not in html and "&lt;script&gt;" in functions
    assert 'href="#check-rnn_step_backward_hidden"' in functions and 'id="check-rnn_step_backward_hidden"' in html


def test_junit_names_the_blamed_function(report):
    report.checks[1].blame = ["rnn_layers.rnn_step_forward"]
    suite = junit_tree(report).getroot().find("testsuite")
    assert suite[0].tag == "properties" and [p.attrib for p in suite[0]] == [
        {"name": "blame:rnn_step_backward.hidden", "value": "rnn_layers.rnn_step_forward"}]
    assert all(case.find("properties") is None for case in suite.iter("testcase"))


def test_gradescope_and_terminal_list_the_functions_that_do_not_pass(report, capsys):
    output = gradescope_results(report)["output"]
    assert "Failed: rnn_step_backward: fails hidden" in output and "Inconclusive: rnn_forward" in output
    assert "rnn_step_forward" not in output.split("Failed")[1]
    print_check_summary(report)
    printed = capsys.readouterr().out
    assert "functions: 1 of 3 pass" in printed and "INCONCLUSIVE" in printed
    assert "| failed | `rnn_step_backward` |" in markdown_summary(report)
