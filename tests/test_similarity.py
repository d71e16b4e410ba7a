"""The similarity search (``grader similarity`` and the class step of ``grader grade``), on the samples of
``submissions/make_similar.py``: a disguised copy ranks first, starters and independent solutions stay
below the threshold, a copied function is named, a known solution is named by its entry; the normalising,
weighting and short-function rules one by one; nothing of it in what students get."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from grader.cli import main
from grader.similarity import THRESHOLD
from grader.similarity.extract import StarterFile, parse, student_functions
from grader.similarity.index import weight


def load_make_similar():
    spec = importlib.util.spec_from_file_location("make_similar", ROOT / "submissions" / "make_similar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_similar = load_make_similar()
SKELETON = make_similar.read(make_similar.SKELETON)
REFERENCE = make_similar.read(make_similar.REFERENCE)


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> tuple[Path, Path]:
    return make_similar.make(tmp_path_factory.mktemp("similar"))


def search(out: Path, *args: str) -> dict:
    assert main(["similarity", *args, "--out", str(out)]) == 0
    return json.loads((out / "similarity.json").read_text())


@pytest.fixture(scope="module")
def found(samples, tmp_path_factory) -> dict:
    """The class searched alone."""
    return search(tmp_path_factory.mktemp("out"), str(samples[0]))


@pytest.fixture(scope="module")
def with_corpus(samples, tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("out")
    return search(out, str(samples[0]), "--corpus", str(samples[1])), out


def pair(found: dict, a: str, b: str) -> dict | None:
    return next((p for p in found["pairs"] if {p["a"], p["b"]} == {a, b}), None)


def score(found: dict, a: str, b: str) -> float:
    listed = pair(found, a, b)
    return listed["score"] if listed else 0.0


# ------------------------------------------------------------------------------------------ the samples


def test_a_renamed_reformatted_reordered_copy_ranks_first(found):
    first = found["pairs"][0]
    assert {first["a"], first["b"]} == {"disguised", "reference"}
    assert first["flagged"] and first["score"] >= 0.9 and first["overall"] >= 0.9
    assert all(p["score"] < first["score"] for p in found["pairs"][1:])
    named = {f["function"] for f in first["functions"]}
    assert {"rnn_layers.lstm_step_backward", "classifiers.rnn.CaptioningRNN.loss",
            "gan_tf.dc_generator", "style_transfer_tensorflow.gram_matrix"} <= named


def test_untouched_starters_and_a_starter_against_the_reference_stay_below_the_threshold(found):
    assert score(found, "skeleton", "skeleton_2") == 0.0  # starter code never counts
    for other in ("reference", "independent", "disguised"):
        assert score(found, "skeleton", other) < THRESHOLD
        assert score(found, "skeleton_2", other) < THRESHOLD


def test_two_independent_correct_solutions_stay_below_the_threshold(found):
    assert score(found, "independent", "reference") < THRESHOLD / 4


def test_a_copy_of_one_function_is_flagged_and_names_that_function(found):
    copied = pair(found, "lstm_copier", "reference")
    assert copied["flagged"] and copied["strongest"] == "rnn_layers.lstm_step_backward"
    assert copied["overall"] < 0.2  # the rest of the submission is the starter
    [function] = copied["functions"]
    assert function["function"] == "rnn_layers.lstm_step_backward" and function["similarity"] == 1.0
    lines = (make_similar.REFERENCE / "rnn_layers.py").read_text().splitlines()
    first, last = function["b" if copied["b"] == "reference" else "a"]["span"]
    assert lines[first - 1].startswith("def lstm_step_backward")
    matched = [n for a, b in function["b" if copied["b"] == "reference" else "a"]["lines"] for n in range(a, b + 1)]
    assert any("np.concatenate" in lines[n - 1] for n in matched) and all(first < n <= last for n in matched)


def test_a_known_solution_is_named_by_its_entry_and_only_the_class_counts(with_corpus):
    found, _ = with_corpus
    match = pair(found, "independent", "public_repo_2020")
    assert match["kind"] == "corpus" and match["b"] == "public_repo_2020" and match["flagged"]
    assert found["corpus"] == ["public_repo_2020"] and found["submissions"] == 6
    assert all(p["a"] != "public_repo_2020" for p in found["pairs"])
    assert all("public_repo_2020" not in group for group in found["groups"])
    assert sum(found["histogram"]["counts"]) == 15  # the class's pairs only
    assert pair(found, "reference", "public_repo_2020")["score"] < THRESHOLD


def test_one_submission_is_compared_with_the_known_solutions(samples, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a class of one
        found = search(tmp_path, str(samples[0] / "independent"), "--corpus", str(samples[1]))
    [match] = found["pairs"]
    assert (match["a"], match["b"], match["kind"], match["flagged"]) == ("independent", "public_repo_2020",
                                                                        "corpus", True)
    assert found["pairs_compared"] == 1 and found["histogram"]["counts"] == [0] * 20


def test_the_json_document_follows_its_schema(with_corpus):
    found, out = with_corpus
    assert found["schema"] == "grader.similarity/1" and found["threshold"] == THRESHOLD
    assert found["files_without_starter"] == []
    scores = [p["score"] for p in found["pairs"]]
    assert scores == sorted(scores, reverse=True)
    assert found["pairs_flagged"] == sum(p["flagged"] for p in found["pairs"])
    for p in found["pairs"]:
        assert 0 <= p["score"] <= 1 and p["flagged"] == (p["score"] >= THRESHOLD)
        for f in p["functions"]:
            for side in (f["a"], f["b"]):
                start, end = side["span"]
                assert all(start <= a <= b <= end for a, b in side["lines"]) and side["lines"]
    assert found["groups"] == [["disguised", "lstm_copier", "reference"]]


def test_scores_do_not_depend_on_the_process(samples, found, tmp_path):
    """Fingerprints are hashes of integer tuples, not of strings (whose hash changes with the process)."""
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "grader.cli", "similarity", str(samples[0]), "--out", str(tmp_path)],
                   check=True, env=env, capture_output=True)
    assert json.loads((tmp_path / "similarity.json").read_text()) == found


# ------------------------------------------------------------------------------------------ the rules


def tokens(source: str, starter: str | None = None, file: str = "rnn_layers.py") -> dict[str, list[str]]:
    parsed = StarterFile.parse(starter, file) if starter is not None else None
    return {f.name: [t for t, _ in f.tokens]
            for f in student_functions(parse(source), source.splitlines(), parsed, file)}


def test_names_comments_formatting_order_and_equivalent_forms_are_normalised_away():
    original = ("import numpy as np\n\ndef f(x, W, b):\n    h = x.dot(W)\n    n = x.shape[0]\n    h = h + b\n"
                "    return np.tanh(h).sum(axis=1) / n\n")
    copied = ('import numpy as np\n\ndef f(x, W, b):\n    """Mine."""\n    size = x.shape[0]  # moved up\n'
              "    out = np.matmul(x,\n                    W)\n    out += b\n"
              "    return (np.sum(np.tanh(out), axis=1) / size)\n")
    assert tokens(original)["rnn_layers.f"] == tokens(copied)["rnn_layers.f"]
    kept = tokens(original)["rnn_layers.f"]
    assert {"np", ".tanh", "MatMult", "V"} <= set(kept) and not {"h", "n", "x"} & set(kept)
    assert tokens(original.replace("np.tanh", "np.exp"))["rnn_layers.f"] != kept  # what the code does stays


def test_the_starters_statements_are_left_out_even_reformatted_or_moved():
    skeleton = SKELETON["rnn_layers.py"]
    assert tokens(skeleton, skeleton) == {}  # untouched: nothing of it is the student's
    moved = skeleton.replace("    next_h, cache = None, None\n", "").replace(
        "    return next_h, cache\n",
        "    next_h, cache = (None,\n                     None)\n    return (next_h, cache)\n", 1)
    assert tokens(moved, skeleton) == {"rnn_layers.rnn_step_forward": []}
    written = tokens(REFERENCE["rnn_layers.py"], skeleton)
    assert written["rnn_layers.rnn_step_forward"][:1] == ["Assign"] and "rnn_layers.sigmoid" not in written


def test_common_code_weighs_less_and_never_nothing():
    n = 700
    w = weight(np.array([0, 1, 2, 10, 70, 350, 700]), n)
    assert w[2] == pytest.approx(1.0) and all(np.diff(w) <= 0) and w[-1] == pytest.approx(0.2) and w[4] < 0.5


def test_a_function_the_whole_class_writes_alike_cannot_flag_a_pair(tmp_path):
    """A and B share the reference's rnn_backward and differ in lstm_step_forward: flagged on that function
    alone in a class of two, not once six more submissions hold the same rnn_backward."""
    rnn = SKELETON["rnn_layers.py"]
    common = make_similar.transplant(rnn, REFERENCE["rnn_layers.py"], "rnn_backward")
    independent = make_similar.independent()["rnn_layers.py"]
    for name, donor in (("a", REFERENCE["rnn_layers.py"]), ("b", independent)):
        make_similar.write(tmp_path / "pair" / name, dict(SKELETON, **{"rnn_layers.py": make_similar.transplant(
            common, donor, "lstm_step_forward")}))
    alone = pair(search(tmp_path / "alone", str(tmp_path / "pair")), "a", "b")
    assert alone["flagged"] and alone["strongest"] == "rnn_layers.rnn_backward"
    for k in range(6):
        make_similar.write(tmp_path / "crowd" / ("c%d" % k), dict(SKELETON, **{"rnn_layers.py": common}))
    crowded = pair(search(tmp_path / "crowded", str(tmp_path / "pair"), str(tmp_path / "crowd")), "a", "b")
    assert not crowded["flagged"] and crowded["score"] < alone["score"] / 3, (alone["score"], crowded["score"])


def test_a_one_line_function_cannot_raise_a_pair_alone(tmp_path):
    """Two submissions that hold nothing but the same one-line rnn_step_forward (and a third with another)."""
    step = make_similar.transplant(SKELETON["rnn_layers.py"], REFERENCE["rnn_layers.py"], "rnn_step_forward")
    for name in ("one", "two"):
        make_similar.write(tmp_path / "class" / name, dict(SKELETON, **{"rnn_layers.py": step}))
    make_similar.write(tmp_path / "class" / "three", make_similar.independent())
    found = search(tmp_path / "out", str(tmp_path / "class"))
    listed = pair(found, "one", "two")
    assert listed["overall"] == 1.0 and listed["score"] < 0.25 and not listed["flagged"]
    assert listed["strongest"] == "rnn_layers.rnn_step_forward"


def test_a_file_that_does_not_parse_or_nests_too_deep_is_reported_and_the_others_compared(samples, tmp_path):
    broken = tmp_path / "class"
    deep = "def f(a):\n    return " + " + ".join(["a"] * 3000) + "\n"
    make_similar.write(broken / "broken", dict(REFERENCE, **{"gan_tf.py": "def oops(:\n", "rnn_layers.py": deep}))
    make_similar.write(broken / "reference", REFERENCE)
    found = search(tmp_path / "out", str(broken))
    assert found["problems"] == {"broken": ["rnn_layers.py is nested too deeply to compare: not compared",
                                            "gan_tf.py does not parse as Python: not compared"]}
    assert pair(found, "broken", "reference")["flagged"]


@pytest.mark.parametrize("args, message", [
    (["missing"], "does not exist"),
    (["CLASS", "--corpus", "missing"], "--corpus missing is not a folder"),
    (["CLASS", "--starter", "."], "holds no cs231n/ folder"),
])
def test_bad_input_is_a_one_line_error(samples, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    args = [str(samples[0]) if a == "CLASS" else a for a in args]
    assert main(["similarity", *args, "--out", "out"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("grader: error:") and message in err and "\n" not in err


# ------------------------------------------------------------------------------------------ grader grade


def test_grade_runs_the_class_step_links_it_and_no_student_output_mentions_it(samples, tmp_path):
    """One cheap numpy check: the step needs no grading. Students' outputs name no other submission."""
    klass = tmp_path / "class"
    for sample, name in (("reference", "stu_ref"), ("disguised", "stu_copy"), ("lstm_copier", "stu_part")):
        (klass / name).mkdir(parents=True)
        (klass / name / "cs231n").symlink_to(samples[0] / sample / "cs231n")
    out = tmp_path / "out"
    assert main(["grade", str(klass), "--out", str(out), "--only", "rnn_layers.rnn_step_forward/notebook",
                 "--corpus", str(samples[1])]) == 0
    found = json.loads((out / "similarity.json").read_text())
    assert {found["pairs"][0]["a"], found["pairs"][0]["b"]} == {"stu_ref", "stu_copy"}
    assert found["corpus"] == ["public_repo_2020"]
    assert 'href="similarity.html"' in (out / "index.html").read_text()
    assert 'href="index.html"' in (out / "similarity.html").read_text()
    for student in ("stu_ref", "stu_copy", "stu_part"):
        others = {"stu_ref", "stu_copy", "stu_part", "public_repo_2020"} - {student}
        for path in (out / student).rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert "similar" not in text.lower() and not any(o in text for o in others), path
    again = tmp_path / "again"
    assert main(["grade", str(klass / "stu_ref"), "--out", str(again), "--only",
                 "rnn_layers.rnn_step_forward/notebook", "--no-similarity"]) == 0
    assert not (again / "similarity.json").exists() and "similarity" not in (again / "index.html").read_text()
    assert main(["grade", str(klass), "--out", str(tmp_path / "bad"), "--corpus", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "bad").exists()


def test_files_without_starter_code_are_named(samples, tmp_path):
    """With a starter that holds one file, the others' provided code counts, and two starters look alike."""
    make_similar.write(tmp_path / "starter", {"rnn_layers.py": SKELETON["rnn_layers.py"]})
    found = search(tmp_path / "out", str(samples[0]), "--starter", str(tmp_path / "starter"))
    from grader.plugins import get_plugin_manager
    from grader.session import collect_assignment

    declared = collect_assignment(get_plugin_manager()).student_files  # a pack's files too
    assert found["files_without_starter"] == [f for f in declared if f != "rnn_layers.py"]
    assert {"classifiers/rnn.py", "gan_tf.py"} <= set(found["files_without_starter"])
    assert pair(found, "skeleton", "skeleton_2")["flagged"]
    assert "No starter code is known for classifiers/rnn.py" in (tmp_path / "out" / "similarity.html").read_text()


@pytest.mark.slow
def test_the_independent_solution_is_a_real_second_solution(tmp_path):
    """Every check of every exercise passes on it (about a minute on two cores): two correct solutions that the
    search keeps apart, not a correct one against a broken one."""
    folder = make_similar.write(tmp_path / "independent", make_similar.independent())
    assert main(["grade", str(folder), "--out", str(tmp_path / "out"), "--no-similarity", "--seed", "5"]) == 0
    report = json.loads((tmp_path / "out" / "independent" / "report.json").read_text())
    assert [c["id"] for c in report["checks"] if c["status"] != "passed"] == []
    assert report["score"] == report["max_score"] == 97


def test_a_failing_similarity_search_is_a_warning_and_the_class_is_graded(samples, tmp_path, monkeypatch, capsys):
    from grader.similarity import command

    def broken(*args, **kwargs):
        raise ValueError("planted")

    monkeypatch.setattr(command, "search", broken)
    out = tmp_path / "out"
    assert main(["grade", str(samples[0] / "reference"), "--out", str(out), "--only",
                 "rnn_layers.rnn_step_forward/notebook"]) == 0
    assert "grader: warning: the similarity search failed (ValueError: planted); grading goes on" in \
        capsys.readouterr().err
    assert (out / "reference" / "report.json").is_file() and not (out / "similarity.json").exists()
