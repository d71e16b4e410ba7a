"""The PyTorch track: which twin of a notebook a submission did, grading it, counting one of two, reporting the
track, and what happens where PyTorch is not installed."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, grade, load_make_buggy
from exercises.assignment import ASSIGNMENT, TRACK_FILES
from grader import tracks
from grader.assignment import Runtime
from grader.checks import Check, Exercise
from grader.cli import main
from grader.notebooks import read_notebooks
from grader.submission import Submission

REFERENCE = ROOT / "reference" / "cs231n"
SKELETON = ROOT / "submissions" / "skeleton" / "cs231n"
DATA = ROOT / "tests" / "data"
TWINS = {"network_visualization": "network_visualization_pytorch", "style_transfer": "style_transfer_pytorch",
         "gans": "gans_pytorch"}
NOTEBOOK_EXERCISES = ",".join([*TWINS, *TWINS.values()])
V, S, G = "net_visualization_pytorch.", "style_transfer_pytorch.", "gan_pytorch."
DONE_WHEN_BUGS = ("bug_pt_noise_zero_one", "bug_pt_tv_channel_axis", "bug_pt_saliency_no_abs")
"""The issue's three bugs, injected together into one PyTorch-only copy."""


def one_track_copy(root: Path, track: str, replace: dict[str, str] | None = None) -> Path:
    """A copy of the reference (a real submission that did both tracks) whose other track's files are the blank
    starter's, with ``replace`` (student file -> source) applied; the reference's notebooks next to it."""
    blank = {f for t, files in TRACK_FILES.items() if t != track for f in files}
    for rel in ("__init__.py", "classifiers/__init__.py") + ASSIGNMENT.student_files:
        target = root / "cs231n" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile((SKELETON if rel in blank else REFERENCE) / rel, target)
    for rel, text in (replace or {}).items():
        (root / "cs231n" / rel).write_text(text)
    for notebook in REFERENCE.parent.glob("*.ipynb"):
        shutil.copyfile(notebook, root / notebook.name)
    return root


def with_bugs(names: tuple[str, ...]) -> dict[str, str]:
    """The student files of the reference with the edits of ``make_buggy``'s samples ``names`` applied."""
    files: dict[str, str] = {}
    for name in names:
        path, _, edits = load_make_buggy().BUGS[name]
        text = files.get(path) or (REFERENCE / path).read_text()
        for old, new in edits:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        files[path] = text
    return files


def not_passing(report: dict) -> dict[str, str]:
    return {name: v["status"] for name, v in report["functions"].items() if v["status"] != "passed"}


# ------------------------------------------------------------------------------------------ detection (unit)


def twin_exercises() -> list[Exercise]:
    from exercises import gan, gan_pytorch, network_visualization, network_visualization_pytorch, style_transfer
    from exercises import style_transfer_pytorch

    return [m.EXERCISE for m in (network_visualization, style_transfer, gan, network_visualization_pytorch,
                                 style_transfer_pytorch, gan_pytorch)]


def test_implemented_tells_the_students_work_from_the_blank_starter():
    for ex in twin_exercises():
        [module] = {m for c in ex.checks for m in c.modules}
        rel = module + ".py"
        reference = Submission("r", Path("."), files={rel: (REFERENCE / rel).read_bytes()})
        blank = Submission("b", Path("."), files={rel: (SKELETON / rel).read_bytes()})
        assert tracks.attempted(ex, reference, ASSIGNMENT) and not tracks.attempted(ex, blank, ASSIGNMENT), rel
    for rel in ("net_visualization_pytorch_2020.py", "gan_pytorch_2020.py", "gan_tf_keras2_2020.py"):
        assert tracks.implemented((DATA / rel).read_bytes()), rel  # 2020 files, markers deleted
    marked = b"def f(x):\n    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****\n\n    pass\n\n" \
             b"    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****\n    return None\n"
    assert not tracks.implemented(marked)
    assert tracks.implemented(marked.replace(b"    pass\n", b"    return x + 1\n"))
    stubs = b"def f(x, seed=None):\n    '''doc'''\n    if seed is not None:\n        torch.manual_seed(seed)\n" \
            b"    y = None\n    pass\n    return y\n\ndef g():\n    raise NotImplementedError\n\ndef helper(x):\n" \
            b"    return x * 2\n"
    assert not tracks.implemented(stubs, ["f", "g"])  # the provided helper is not the student's work
    assert tracks.implemented(stubs)
    assert tracks.implemented(b"def f(:\n")  # work in progress: graded, so that its report says why it fails


def exercise(ex_id: str, module: str, track: str = "", twin: str = "") -> Exercise:
    checks = tuple(Check("%s/%s" % (ex_id, f), f, (module + "." + f,), 0.5, run=lambda ctx: None, modules=(module,),
                         exercise=ex_id) for f in ("f", "g"))
    return Exercise(ex_id, ex_id.upper(), checks, track=track, twin=twin)


def test_the_twins_graded_and_the_one_that_counts():
    exercises = [exercise("rnn", "rnn_layers"), exercise("vis", "net_visualization_tensorflow", "tensorflow"),
                 exercise("vis_pt", "net_visualization_pytorch", "pytorch", "vis")]
    work = b"def f(x):\n    return x + 1\n\ndef g(x):\n    return x - 1\n"
    blank = b"def f(x):\n    pass\n\ndef g(x):\n    pass\n"
    sub = Submission("s", Path("."), files={"rnn_layers.py": work, "net_visualization_tensorflow.py": blank,
                                            "net_visualization_pytorch.py": work})
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT)] == ["rnn", "vis_pt"]
    sub.files["net_visualization_pytorch.py"] = blank  # neither done: the primary, so the report says what to do
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT)] == ["rnn", "vis"]
    sub.files["net_visualization_pytorch.py"] = sub.files["net_visualization_tensorflow.py"] = work
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT)] == ["rnn", "vis", "vis_pt"]
    sub.files["net_visualization_tensorflow.py"] = blank
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT, {"vis", "vis_pt"})] == ["vis_pt"]
    sub.files["net_visualization_pytorch.py"] = b"def f(x):\n    pass\n\ndef g(x):\n    return x - 1\n"
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT)] == ["rnn", "vis_pt"]  # started: g is done
    sub.files["net_visualization_pytorch.py"] = blank
    assert [ex.id for ex in tracks.graded(exercises, sub, ASSIGNMENT, {"vis_pt"})] == ["vis_pt"]  # --only a twin

    def counted(scores: dict, policy: str = "best") -> dict[str, bool]:
        return {s.id: s.counted for s in tracks.summaries(exercises, scores, policy)}

    both = {"rnn": (5, 5), "vis": (10, 15), "vis_pt": (12, 15)}  # (score, max_score)
    assert counted(both) == {"rnn": True, "vis": False, "vis_pt": True}
    assert counted(both, "tensorflow") == {"rnn": True, "vis": True, "vis_pt": False}
    assert counted({**both, "vis": (12, 15)}) == {"rnn": True, "vis": True, "vis_pt": False}  # a tie: the primary
    assert counted({"rnn": (5, 5), "vis_pt": (3, 15)}, "tensorflow") == {"rnn": True, "vis_pt": True}
    [_, vis, vis_pt] = tracks.summaries(exercises, both)
    assert (vis.track, vis.twin, vis_pt.track, vis_pt.twin) == ("tensorflow", "vis_pt", "pytorch", "vis")
    assert tracks.describe(vis, {"vis_pt": vis_pt}).startswith("not counted: the pytorch track")


def test_a_pytorch_notebook_stands_in_for_its_tensorflow_twin():
    notebooks = {name: (REFERENCE.parent / name).read_bytes() for name in ("RNN_Captioning.ipynb",
                                                                            "LSTM_Captioning.ipynb")}
    for pytorch, tensorflow in ASSIGNMENT.twins.items():
        notebooks[pytorch] = (REFERENCE.parent / tensorflow).read_bytes()  # same questions, other file name
    summary = read_notebooks(notebooks, ASSIGNMENT)
    assert summary.problems == []
    assert sorted({q["notebook"] for q in summary.questions}) == sorted(
        ["RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "NetworkVisualization-PyTorch.ipynb",
         "Generative_Adversarial_Networks_PyTorch.ipynb"])
    assert all(q["answered"] for q in summary.questions)
    assert read_notebooks({}, ASSIGNMENT).problems == [
        "%s is missing (not found next to cs231n/)" % n for n in ASSIGNMENT.notebooks if n not in ASSIGNMENT.twins]


def test_a_bad_track_policy_is_a_usage_error(tmp_path, capsys):
    sub = one_track_copy(tmp_path / "sub", "pytorch")
    code = main(["grade", str(sub), "--out", str(tmp_path / "out"), "--track-policy", "jax"])
    assert code == 2
    assert "--track-policy jax: choose one of best, tensorflow, pytorch" in capsys.readouterr().err


def test_the_grader_never_loads_pytorch():
    """The TensorFlow track works without torch: the grader's process imports none of it (only workers do)."""
    code = ("import sys; from grader.cli import main; from grader.plugins import get_plugin_manager; "
            "from grader.session import collect_exercises; from grader.config import GradingConfig; "
            "pm = get_plugin_manager(); from exercises.assignment import ASSIGNMENT; "
            "collect_exercises(pm, GradingConfig(seed=1, assignment=ASSIGNMENT)); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert "GRADER_WORKER_SETUP" not in ASSIGNMENT.runtimes["tensorflow"].env


# ------------------------------------------------------------------------------------------ grading


@pytest.fixture(scope="module")
def pytorch_copies(tmp_path_factory) -> dict[str, dict]:
    """The reference turned into a PyTorch-only copy, and the same copy with the issue's three bugs, graded on the
    three notebooks of both tracks (the blank TensorFlow twins are not graded)."""
    root = tmp_path_factory.mktemp("copies")
    one_track_copy(root / "pytorch_only", "pytorch")
    one_track_copy(root / "three_bugs", "pytorch", with_bugs(DONE_WHEN_BUGS))
    out = tmp_path_factory.mktemp("graded")
    reports = grade([root / "pytorch_only", root / "three_bugs"], out, "--only", NOTEBOOK_EXERCISES, "--seed", "7",
                    "--jobs", "2")
    reports["out"] = out
    return reports


def test_a_pytorch_only_copy_scores_full_marks_on_the_pytorch_track(pytorch_copies):
    report = pytorch_copies["pytorch_only"]
    assert report["score"] == report["max_score"] == 45
    assert [(e["id"], e["track"], e["counted"]) for e in report["exercises"]] == [
        (ex, "pytorch", True) for ex in TWINS.values()]
    assert {c["exercise"] for c in report["checks"]} == set(TWINS.values())  # the blank TF twins are not graded
    assert report["problems"] == []
    assert report["grader"]["track_policy"] == "best"
    assert not_passing(report) == {}
    assert all(name.split(".")[0] in ("net_visualization_pytorch", "style_transfer_pytorch", "gan_pytorch")
               for name in report["functions"])
    for target in ("compute_saliency_maps", "make_fooling_image", "class_visualization_update_step"):
        assert report["functions"][V + target]["status"] == "passed"
    for target in ("content_loss", "gram_matrix", "style_loss", "tv_loss"):
        assert report["functions"][S + target]["status"] == "passed"
    for target in ("sample_noise", "discriminator", "generator", "bce_loss", "discriminator_loss", "generator_loss",
                   "get_optimizer", "ls_discriminator_loss", "ls_generator_loss", "build_dc_classifier",
                   "build_dc_generator"):
        assert report["functions"][G + target]["status"] == "passed"


def test_three_injected_bugs_fail_exactly_their_functions_and_name_the_mistake(pytorch_copies):
    report = pytorch_copies["three_bugs"]
    assert not_passing(report) == {G + "sample_noise": "failed", S + "tv_loss": "failed",
                                   V + "compute_saliency_maps": "failed"}
    diagnosed = {name: v["diagnosis"]["id"] for name, v in report["functions"].items() if v.get("diagnosis")}
    assert diagnosed == {G + "sample_noise": "pytorch.sample_noise.zero-one",
                         S + "tv_loss": "pytorch.tv_loss.channel-axis",
                         V + "compute_saliency_maps": "pytorch.compute_saliency_maps.no-abs"}
    messages = {c["id"]: c["message"] for c in report["checks"] if c["status"] != "passed"}
    assert "torch.rand" in messages[G + "sample_noise/uniform"]
    assert "channel axis" in messages[S + "tv_loss/notebook"]
    assert "absolute value" in messages[V + "compute_saliency_maps/notebook"]


def test_the_outputs_show_the_track(pytorch_copies):
    out = pytorch_copies["out"]
    with open(out / "grades.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert rows["pytorch_only"]["tracks"] == ";".join("%s:pytorch" % ex for ex in TWINS.values())
    assert rows["pytorch_only"]["network_visualization_pytorch"] == "15.0"
    assert "network_visualization" not in rows["pytorch_only"]  # no one here did the TensorFlow notebook
    gradescope = json.loads((out / "pytorch_only" / "results.json").read_text())
    assert "Track: Q3: Network visualization (PyTorch): pytorch" in gradescope["output"]
    checks = [t for t in gradescope["tests"] if "written" not in t["tags"]]  # the written ones are by hand
    assert gradescope["score"] == 45 and sum(t["max_score"] for t in checks) == 45
    assert all("track:pytorch" in t["tags"] for t in checks)
    assert "pytorch track" in (out / "pytorch_only" / "report.html").read_text()
    assert "pytorch track: graded for 2, counted for 2" in (out / "index.html").read_text()


def test_where_pytorch_is_missing_the_report_says_what_to_install(tmp_path, monkeypatch):
    """Graded where torch is not installed, a PyTorch-track submission gets a clear problem and errors, not a crash
    or a silent zero; once torch is there, the gradebook regrades those checks (their fingerprint changes)."""
    one_track_copy(tmp_path / "sub", "pytorch")
    real_missing = Runtime.missing
    monkeypatch.setattr(Runtime, "missing", lambda self: ("torch", "torchvision") if self.requires else ())
    out = tmp_path / "out"
    report = grade([tmp_path / "sub"], out, "--only", "gans,gans_pytorch", "--seed", "3")["sub"]
    assert report["score"] == 0 and report["max_score"] == 15
    [problem] = report["problems"]
    assert "did the pytorch track of Q5: Generative Adversarial Networks (PyTorch)" in problem
    assert "pip install -e '.[pytorch]'" in problem
    assert {c["status"] for c in report["checks"]} == {"error"}
    assert all("not installed" in c["message"] for c in report["checks"])
    assert set(not_passing(report).values()) == {"inconclusive"}
    monkeypatch.setattr(Runtime, "missing", real_missing)
    assert main(["grade", str(tmp_path / "sub"), "--out", str(out), "--only", "gans,gans_pytorch"]) == 0
    again = json.loads((out / "sub" / "report.json").read_text())
    assert again["score"] == 15 and again["problems"] == []


# ------------------------------------------------------------------------------------------ the samples

STEPS = ("step", "hidden", "two-steps", "run")
SAMPLES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # sample: (its function, its verdict, the mistake named, the checks it fails), all on its exercise alone
    "bug_pt_saliency_max_score": (V + "compute_saliency_maps", "failed", "max-score", ("notebook", "hidden")),
    "bug_pt_saliency_cross_entropy": (V + "compute_saliency_maps", "failed", "cross-entropy", ("notebook", "hidden")),
    "bug_pt_saliency_no_abs": (V + "compute_saliency_maps", "failed", "no-abs", ("notebook", "hidden")),
    "bug_pt_fooling_norm_squared": (V + "make_fooling_image", "failed", "norm-squared", ("notebook", "hidden")),
    "bug_pt_fooling_descent": (V + "make_fooling_image", "failed", "descent", ("notebook", "hidden")),
    **{"bug_pt_class_vis_" + bug: (V + "class_visualization_update_step", "failed", mistake, kinds)
       for bug, mistake, kinds in (
           ("l2_sign", "l2-sign", STEPS), ("l2_not_squared", "l2-not-squared", STEPS),
           ("l2_data", "l2-no-gradient", STEPS), ("l2_on_score", "l2-on-score", STEPS),
           ("normalized", "normalized-gradient", STEPS), ("mean_penalty", "mean-penalty", STEPS[1:]),
           ("grad_not_zeroed", "grad-not-zeroed", STEPS[2:]), ("not_in_place", "not-in-place", STEPS))},
    "bug_pt_content_loss_mean": (S + "content_loss", "failed", "mean", (
        "notebook", "hidden", "style_transfer_pytorch/feature-inversion")),
    "bug_pt_gram_not_normalized": (S + "gram_matrix", "failed", "not-normalized", (
        "notebook", "hidden", S + "style_loss/notebook", S + "style_loss/hidden")),
    "bug_pt_gram_no_batch_axis": (S + "gram_matrix", "error", "no-batch-axis", ("notebook", "hidden")),
    "bug_pt_style_loss_gram_of_targets": (S + "style_loss", "error", "gram-of-targets", (
        "notebook", "hidden", "style_transfer_pytorch/style-transfer", "style_transfer_pytorch/feature-inversion")),
    "bug_pt_style_loss_one_element": (S + "style_loss", "failed", "one-element", ("notebook", "hidden")),
    "bug_pt_tv_roll": (S + "tv_loss", "failed", "wraps-around", ("notebook", "hidden")),
    "bug_pt_tv_channel_axis": (S + "tv_loss", "failed", "channel-axis", (
        "notebook", "hidden", "style_transfer_pytorch/feature-inversion")),
    "bug_pt_tv_no_vertical": (S + "tv_loss", "failed", "no-vertical", (
        "notebook", "hidden", "style_transfer_pytorch/feature-inversion")),
    "bug_pt_tv_loop": (S + "tv_loss", "failed", "loops", ("no-loops",)),
    "bug_pt_noise_zero_one": (G + "sample_noise", "failed", "zero-one", ("notebook", "uniform")),
    "bug_pt_bce_unstable": (G + "bce_loss", "failed", "unstable", (
        "large-logits", G + "discriminator_loss/large-logits", G + "generator_loss/large-logits")),
    "bug_pt_optimizer_default_betas": (G + "get_optimizer", "failed", "default-betas", ("settings",)),
    "bug_pt_discriminator_layer_sizes": (G + "discriminator", "failed", "layer-sizes", ("params",)),
    "bug_pt_generator_layer_sizes": (G + "generator", "failed", "layer-sizes", ("params",)),
    "bug_pt_dc_classifier_layer_sizes": (G + "build_dc_classifier", "failed", "layer-sizes", ("params",)),
    "bug_pt_dc_generator_layer_sizes": (G + "build_dc_generator", "failed", "layer-sizes", ("params",)),
    "bug_pt_dc_generator_no_batchnorm": (G + "build_dc_generator", "failed", "no-batchnorm", ("params",)),
    "bug_pt_generator_no_tanh": (G + "generator", "failed", "no-tanh", ("outputs",)),
    "bug_pt_discriminator_sigmoid": (G + "discriminator", "failed", "sigmoid", ("outputs",)),
}
TWO_FUNCTIONS = {"bug_pt_losses_log_sigmoid": {G + "discriminator_loss": "log-of-sigmoid",
                                                G + "generator_loss": "log-of-sigmoid"}}
"""A sample whose bug sits in two functions: each names its own mistake."""
EXERCISE_OF = {V: "network_visualization_pytorch", S: "style_transfer_pytorch", G: "gans_pytorch"}


def sample_functions(sample: str) -> dict[str, tuple[str, str]]:
    """Every function the sample's verdicts fail, with its verdict and the mistake's id."""
    if sample in TWO_FUNCTIONS:
        return {f: ("failed", "pytorch.%s.%s" % (f.split(".")[1], m)) for f, m in TWO_FUNCTIONS[sample].items()}
    function, verdict, mistake, _ = SAMPLES[sample]
    return {function: (verdict, "pytorch.%s.%s" % (function.split(".")[1], mistake))}


def sample_checks(sample: str) -> set[str]:
    if sample in TWO_FUNCTIONS:
        return {f + "/large-logits" for f in TWO_FUNCTIONS[sample]}
    function, _, _, kinds = SAMPLES[sample]
    return {k if "/" in k else "%s/%s" % (function, k) for k in kinds}


PT_BUGS = sorted([*SAMPLES, *TWO_FUNCTIONS])


def test_every_pytorch_sample_has_expectations_and_every_mistake_a_sample():
    from exercises.gans.misconceptions_pytorch import MISCONCEPTIONS as GANS
    from exercises.vision.misconceptions_pytorch import MISCONCEPTIONS as VISION

    assert set(PT_BUGS) == {b for b in load_make_buggy().BUGS if b.startswith("bug_pt_")}
    named = {diagnosis for bug in PT_BUGS for _, diagnosis in sample_functions(bug).values()}
    assert named == {m.id for m in VISION + GANS}
    assert set(DONE_WHEN_BUGS) <= set(PT_BUGS)


@pytest.fixture(scope="module")
def pt_samples(request, tmp_path_factory):
    from conftest import BatchGrader, selected_params

    root = tmp_path_factory.mktemp("pt_samples")
    for bug in PT_BUGS:
        load_make_buggy().make(bug, root)

    def options(bug: str) -> tuple[str, ...]:
        prefix = next(p for p in EXERCISE_OF if next(iter(sample_functions(bug))).startswith(p))
        return ("--only", EXERCISE_OF[prefix])

    return BatchGrader(root, lambda: tmp_path_factory.mktemp("pt_batch"),
                       selected_params(request, "test_pytorch_sample_fails_exactly_its_function", "bug"), options,
                       "--seed", "20261127")


@pytest.mark.slow
@pytest.mark.parametrize("bug", PT_BUGS)
def test_pytorch_sample_fails_exactly_its_function(bug, pt_samples):
    """Each sample (a PyTorch-track student with one catalogued mistake) fails exactly its own checks, its own
    function alone is not passed, and the mistake is named, on the function and on every check it decides."""
    report = pt_samples(bug)
    assert {c["id"] for c in report["checks"] if c["status"] != "passed"} == sample_checks(bug)
    expected = sample_functions(bug)
    assert not_passing(report) == {f: verdict for f, (verdict, _) in expected.items()}
    for function, (_, diagnosis) in expected.items():
        assert report["functions"][function]["diagnosis"]["id"] == diagnosis
    named = {c["id"]: c["details"]["diagnosis"]["id"] for c in report["checks"] if c["details"].get("diagnosis")}
    assert named and set(named.values()) <= {d for _, d in expected.values()}, named  # never another mistake
    assert all(c["score"] == 0 for c in report["checks"] if c["status"] != "passed")
    assert [e["track"] for e in report["exercises"]] == ["pytorch"]


@pytest.mark.slow
def test_code_written_in_2020_grades_full_marks_and_both_tracks_keep_their_score(tmp_path):
    """The issue's Done-when, whole: a bug-free submission that did both tracks (the reference) turned into a
    PyTorch-only copy scores what its TensorFlow-only copy scores, full marks, every exercise of the three
    notebooks on the PyTorch track; both-track and 2020-style PyTorch code keep full marks too."""
    one_track_copy(tmp_path / "pytorch_only", "pytorch")
    one_track_copy(tmp_path / "tensorflow_only", "tensorflow")
    one_track_copy(tmp_path / "style_2020", "pytorch", {
        f: (DATA / f.replace(".py", "_2020.py")).read_text() for f in TRACK_FILES["pytorch"]})
    reports = grade([tmp_path / "pytorch_only", tmp_path / "tensorflow_only", tmp_path / "style_2020"],
                    tmp_path / "out", "--seed", "11", "--jobs", "2")
    pt, tf, style = reports["pytorch_only"], reports["tensorflow_only"], reports["style_2020"]
    assert pt["score"] == tf["score"] == pt["max_score"] == tf["max_score"] == 97
    assert style["score"] == style["max_score"] == 97, [(c["id"], c["message"]) for c in style["checks"]
                                                         if c["status"] != "passed"]
    assert {e["id"]: e["track"] for e in pt["exercises"] if e["track"]} == {ex: "pytorch" for ex in TWINS.values()}
    assert {e["id"]: e["track"] for e in tf["exercises"] if e["track"]} == {ex: "tensorflow" for ex in TWINS}
    assert style["grader"]["compat"] == []  # 2020's PyTorch idioms need no shim
