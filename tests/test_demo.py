"""The README's first command: the demo class it grades (submissions/make_demo.py) is what the README says."""
from __future__ import annotations

import importlib.util
import re

import pytest

from conftest import ROOT, grade

DEMO = ("reference", "skeleton", "lstm-gates-swapped", "tv-loss-no-vertical", "code-from-2020", "pytorch-track",
        "endless-loop")


def make_demo(dest):
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "submissions" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(dest)
    return dest


def test_the_readme_first_command_grades_the_demo_class_on_every_core():
    first = re.search(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert "submissions/make_demo.py" in first and "grader grade demo --out reports --jobs auto" in first


def test_the_demo_class_holds_its_seven_submissions(tmp_path):
    demo = make_demo(tmp_path / "demo")
    assert sorted(p.name for p in demo.iterdir()) == sorted(DEMO)
    skeleton = ROOT / "submissions" / "skeleton" / "cs231n"
    for name in ("gan_tf.py", "style_transfer_tensorflow.py", "net_visualization_tensorflow.py"):
        assert (demo / "pytorch-track" / "cs231n" / name).read_text() == (skeleton / name).read_text()
    assert "while True" in (demo / "endless-loop" / "cs231n" / "rnn_layers.py").read_text()


@pytest.mark.slow
def test_the_demo_shows_what_the_readme_promises(tmp_path):
    demo = make_demo(tmp_path / "demo")
    reports = grade([demo], tmp_path / "reports", "--jobs", "auto", "--timeout", "20", "--seed", "1")
    assert reports["reference"]["score"] == reports["reference"]["max_score"] == 97
    assert reports["skeleton"]["score"] == 0
    lstm = reports["lstm-gates-swapped"]
    assert {f: v["status"] for f, v in lstm["functions"].items() if v["status"] != "passed"} == {
        "rnn_layers.lstm_step_forward": "failed", "rnn_layers.lstm_step_backward": "inconclusive"}  # edited too
    assert lstm["functions"]["rnn_layers.lstm_step_forward"]["diagnosis"]
    tv = reports["tv-loss-no-vertical"]
    assert {f for f, v in tv["functions"].items() if v["status"] != "passed"} == {"style_transfer_tensorflow.tv_loss"}
    old = reports["code-from-2020"]
    assert old["score"] == 97 and [c["name"] for c in old["grader"]["compat"]] == ["tf.Variable +="]
    torch = reports["pytorch-track"]
    assert torch["score"] == 97
    assert {e["id"]: e["track"] for e in torch["exercises"] if e.get("counted", True)}["gans_pytorch"] == "pytorch"
    endless = reports["endless-loop"]
    assert "timeout" in {c["status"] for c in endless["checks"]}
    assert endless["score"] > 0  # the rest is graded
