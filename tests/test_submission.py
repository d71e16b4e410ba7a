"""Finding submissions, taking only the student's files, staging them, and the grader-side numeric helpers."""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader import staging
from grader.checks import CheckFailure
from grader.compare import dtype_threshold, expect_array, expect_tuple, index_text, rel_error, worst_mismatch
from grader.numgrad import gradient_from_sweep, perturbations
from exercises.assignment import ASSIGNMENT, NOTEBOOKS, STUDENT_FILES
from grader.submission import (
    MAX_FILE_BYTES,
    Submission,
    UsageError,
    discover,
    load_folder,
    load_zip,
)

STUDENT_CONTENT = {
    "rnn_layers.py": b"# student rnn_layers\nimport numpy as np\n",
    "classifiers/rnn.py": b"# student rnn\n",
    "net_visualization_tensorflow.py": b"# student netvis\n",
    "style_transfer_tensorflow.py": b"# student style\n",
    "gan_tf.py": b"# student gan\n",
}
EXTRA_CONTENT = {  # files a student must not be able to replace
    "gradient_check.py": b"def eval_numerical_gradient(*a, **k):\n    return 0  # forged\n",
    "layers.py": b"raise SystemExit('forged layers')\n",
    "__init__.py": b"import os; os.system('echo forged')\n",
    "classifiers/__init__.py": b"# forged\n",
    "data_utils.py": b"# not a student file\n",
}
NOTEBOOK_CONTENT = {nb: ('{"cells": [], "name": "%s"}' % nb).encode() for nb in NOTEBOOKS[:2]}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def make_assignment(root: Path, student: dict[str, bytes] | None = None, extra: bool = True,
                    notebooks: bool = True) -> Path:
    """``root`` becomes an ``assignment3/``-like folder: ``cs231n/...`` plus notebooks next to it."""
    files = {"cs231n/" + k: v for k, v in (STUDENT_CONTENT if student is None else student).items()}
    if extra:
        files.update({"cs231n/" + k: v for k, v in EXTRA_CONTENT.items()})
    if notebooks:
        files.update(NOTEBOOK_CONTENT)
    return write_tree(root, files)


def make_zip(path: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(prefix + rel, data)
    return path


def assignment_files(student: dict[str, bytes] | None = None, extra: bool = True, notebooks: bool = True):
    files = {"cs231n/" + k: v for k, v in (STUDENT_CONTENT if student is None else student).items()}
    if extra:
        files.update({"cs231n/" + k: v for k, v in EXTRA_CONTENT.items()})
    if notebooks:
        files.update(NOTEBOOK_CONTENT)
    return files


def snapshot(*roots: Path) -> set[Path]:
    out = set()
    for root in roots:
        out |= {p for p in root.rglob("*")} if root.exists() else set()
    return out


SAFE_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def assert_safe_id(sub_id: str) -> None:
    assert sub_id and sub_id not in (".", "..")
    assert all(c.isalnum() or c in "-_." for c in sub_id), sub_id
    assert "/" not in sub_id and "\\" not in sub_id and "\0" not in sub_id


# --------------------------------------------------------------------------------------------- single submissions


def test_assignment_folder(tmp_path):
    root = make_assignment(tmp_path / "assignment3")
    (sub,) = discover([root], ASSIGNMENT)
    assert isinstance(sub, Submission)
    assert sub.id == "assignment3" and sub.path == root and sub.problems == []
    assert sub.files == STUDENT_CONTENT
    assert sub.notebooks == NOTEBOOK_CONTENT


def test_the_cs231n_folder_itself(tmp_path):
    root = make_assignment(tmp_path / "assignment3")
    (sub,) = discover([root / "cs231n"], ASSIGNMENT)
    assert sub.files == STUDENT_CONTENT and sub.problems == []
    assert sub.notebooks == NOTEBOOK_CONTENT  # notebooks next to cs231n/ are read
    assert_safe_id(sub.id)


def test_only_the_student_files_are_taken(tmp_path):
    root = make_assignment(tmp_path / "assignment3")
    (sub,) = discover([root], ASSIGNMENT)
    assert set(sub.files) == set(STUDENT_CONTENT)
    for forged in EXTRA_CONTENT:
        assert forged not in sub.files
    assert b"forged" not in b"".join(sub.files.values())


def test_partial_submission_and_a_folder_nested_deeper(tmp_path):
    root = tmp_path / "alice"
    make_assignment(root / "Downloads" / "assignment3", student={"classifiers/rnn.py": b"x = 1\n"},
                    notebooks=False)
    (sub,) = discover([root], ASSIGNMENT)  # not a submission dir itself: a folder of one, searched below
    assert sub.files == {"classifiers/rnn.py": b"x = 1\n"}
    assert sub.notebooks == {}


@pytest.mark.parametrize("prefix", ["", "assignment3/", "student/assignment3/", "a/b/c/assignment3/"])
def test_zip_with_or_without_prefixes(tmp_path, prefix):
    path = make_zip(tmp_path / "alice.zip", assignment_files(), prefix)
    (sub,) = discover([path], ASSIGNMENT)
    assert sub.id == "alice" and sub.path == path and sub.problems == []
    assert sub.files == STUDENT_CONTENT
    assert sub.notebooks == NOTEBOOK_CONTENT


def test_zip_with_directory_entries_and_a_macosx_folder(tmp_path):
    path = tmp_path / "mac.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("assignment3/", b"")
        zf.writestr("assignment3/cs231n/", b"")
        for rel, data in assignment_files().items():
            zf.writestr("assignment3/" + rel, data)
            zf.writestr("__MACOSX/assignment3/" + os.path.dirname(rel) + "/._" + os.path.basename(rel), b"junk")
    (sub,) = discover([path], ASSIGNMENT)
    assert sub.files == STUDENT_CONTENT and sub.notebooks == NOTEBOOK_CONTENT


@pytest.mark.parametrize("prefix", ["./", "/", "./assignment3/", "/home/alice/assignment3/"])
def test_zip_with_odd_but_harmless_member_names_is_read(tmp_path, prefix):
    path = make_zip(tmp_path / "odd.zip", assignment_files(), prefix)
    before = snapshot(tmp_path.parent)
    (sub,) = discover([path], ASSIGNMENT)
    assert sub.files == STUDENT_CONTENT
    assert snapshot(tmp_path.parent) == before


def test_zip_members_outside_the_package_are_never_written(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    evil_abs = tmp_path / "abs_evil.py"
    files = assignment_files()
    files.update({
        "../evil.py": b"evil",
        "../../evil2.py": b"evil",
        str(evil_abs): b"evil",
        "assignment3/../../evil3.py": b"evil",
        "cs231n/../../evil4.py": b"evil",
        "cs231n/../rnn_layers.py": b"evil",
    })
    path = make_zip(tmp_path / "evil.zip", files)
    before = snapshot(tmp_path.parent)
    (sub,) = discover([path], ASSIGNMENT)
    assert snapshot(tmp_path.parent) == before  # nothing extracted, anywhere
    assert not evil_abs.exists() and list(work.iterdir()) == []
    assert sub.files == STUDENT_CONTENT  # the ``..`` names did not replace a student file
    staged = staging.stage(sub, tmp_path / "stage", ASSIGNMENT)
    assert {p.name for p in (tmp_path / "stage").iterdir()} == {"cs231n"}
    assert not (tmp_path / "evil.py").exists() and not evil_abs.exists()
    assert b"evil" not in b"".join(p.read_bytes() for p in staged.rglob("*.py"))


def test_sha256_is_the_same_for_folder_and_zip(tmp_path):
    folder = make_assignment(tmp_path / "assignment3")
    zipped = make_zip(tmp_path / "same.zip", assignment_files(), "deep/assignment3/")
    a, b = discover([folder], ASSIGNMENT), discover([zipped], ASSIGNMENT)
    assert a[0].sha256 == b[0].sha256
    assert len(a[0].sha256) == 64 and int(a[0].sha256, 16) >= 0
    changed = dict(STUDENT_CONTENT, **{"gan_tf.py": b"# changed\n"})
    other = make_zip(tmp_path / "other.zip", assignment_files(changed))
    assert discover([other], ASSIGNMENT)[0].sha256 != a[0].sha256
    # file names count, not only contents
    renamed = Submission("x", tmp_path, files={"gan_tf.py": STUDENT_CONTENT["rnn_layers.py"]})
    assert renamed.sha256 != Submission("y", tmp_path, files={"rnn_layers.py": STUDENT_CONTENT["rnn_layers.py"]}).sha256
    # extra files and notebooks do not change it
    plain = make_zip(tmp_path / "plain.zip", assignment_files(extra=False, notebooks=False))
    assert discover([plain], ASSIGNMENT)[0].sha256 == a[0].sha256


def test_sha256_matches_its_definition():
    sub = Submission("x", Path("."), files={"b.py": b"2", "a.py": b"1"})
    digest = hashlib.sha256()
    for name, data in (("a.py", b"1"), ("b.py", b"2")):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    assert sub.sha256 == digest.hexdigest()


def test_large_files_are_cut_with_a_problem_in_folders(tmp_path):
    big = b"#" * (MAX_FILE_BYTES + 10)
    root = make_assignment(tmp_path / "assignment3", student=dict(STUDENT_CONTENT, **{"gan_tf.py": big}))
    (sub,) = discover([root], ASSIGNMENT)
    assert len(sub.files["gan_tf.py"]) == MAX_FILE_BYTES
    assert sub.files["rnn_layers.py"] == STUDENT_CONTENT["rnn_layers.py"]
    assert len(sub.problems) == 1 and "gan_tf.py" in sub.problems[0] and "cut" in sub.problems[0]


def test_large_files_are_cut_with_a_problem_in_zips(tmp_path):
    big = b"#" * (MAX_FILE_BYTES + 10)
    path = make_zip(tmp_path / "big.zip", assignment_files(dict(STUDENT_CONTENT, **{"rnn_layers.py": big})),
                    "assignment3/")
    (sub,) = discover([path], ASSIGNMENT)
    assert len(sub.files["rnn_layers.py"]) == MAX_FILE_BYTES
    assert len(sub.problems) == 1 and "rnn_layers.py" in sub.problems[0] and "cut" in sub.problems[0]


def test_a_zip_bomb_is_read_only_up_to_the_limit(tmp_path):
    import tracemalloc

    huge = 6 * MAX_FILE_BYTES
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("assignment3/cs231n/rnn_layers.py", bytes(huge))
    assert path.stat().st_size < huge // 100
    tracemalloc.start()
    try:
        (sub,) = discover([path], ASSIGNMENT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(sub.files["rnn_layers.py"]) == MAX_FILE_BYTES and sub.problems
    assert peak < 3 * MAX_FILE_BYTES  # never decompressed the whole member


def test_the_shallowest_package_wins(tmp_path):
    old = {"rnn_layers.py": b"# an old copy\n"}
    files = assignment_files()
    files.update({"backup/cs231n/" + k: v for k, v in old.items()})
    files.update({"a/b/cs231n/" + k: v for k, v in old.items()})
    (sub,) = discover([make_zip(tmp_path / "two.zip", {"assignment3/" + k: v for k, v in files.items()})], ASSIGNMENT)
    assert sub.files == STUDENT_CONTENT
    root = tmp_path / "folder"
    write_tree(root, {"assignment3/" + k: v for k, v in files.items()})
    write_tree(root, {"0old/x/cs231n/" + k: v for k, v in old.items()})
    assert load_folder(root, ASSIGNMENT).files == STUDENT_CONTENT  # breadth first: assignment3/cs231n before 0old/x/cs231n


def test_a_file_of_exactly_the_limit_is_kept_whole(tmp_path):
    exact = b"#" * MAX_FILE_BYTES
    root = make_assignment(tmp_path / "assignment3", student={"rnn_layers.py": exact}, extra=False)
    (sub,) = discover([root], ASSIGNMENT)
    assert sub.files["rnn_layers.py"] == exact and sub.problems == []


def test_zip_without_a_package_has_a_problem(tmp_path):
    path = make_zip(tmp_path / "nothing.zip", {"readme.txt": b"hi", "cs231n/layers.py": b"x"})
    (sub,) = discover([path], ASSIGNMENT)
    assert sub.files == {} and sub.problems and "cs231n" in sub.problems[0]


# --------------------------------------------------------------------------------------------- usage errors


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        discover([tmp_path / "nope"], ASSIGNMENT)


def test_non_zip_file_is_a_usage_error(tmp_path):
    f = tmp_path / "rnn_layers.py"
    f.write_text("x = 1\n")
    with pytest.raises(UsageError, match="neither a folder nor a .zip"):
        discover([f], ASSIGNMENT)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04garbage" * 10])
def test_corrupt_zip_given_directly_is_a_usage_error(tmp_path, content):
    f = tmp_path / "broken.zip"
    f.write_bytes(content)
    with pytest.raises(UsageError, match="broken.zip"):
        discover([f], ASSIGNMENT)


def test_truncated_zip_given_directly_is_a_usage_error(tmp_path):
    path = make_zip(tmp_path / "t.zip", assignment_files())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UsageError):
        discover([path], ASSIGNMENT)


def test_empty_folder_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError):
        discover([empty], ASSIGNMENT)


def test_folder_with_only_hidden_and_irrelevant_entries_is_a_usage_error(tmp_path):
    root = tmp_path / "junk"
    write_tree(root, {".git/config": b"", "__MACOSX/x.zip": b"", "notes.txt": b"", "_private/a": b""})
    (root / ".hidden.zip").write_bytes(b"")
    with pytest.raises(UsageError):
        discover([root], ASSIGNMENT)


# --------------------------------------------------------------------------------------------- folders of many


def test_folder_of_many_with_folders_zips_and_a_corrupt_zip(tmp_path):
    batch = tmp_path / "batch"
    make_assignment(batch / "alice" / "assignment3")
    make_assignment(batch / "bob")
    make_zip(batch / "carol.zip", assignment_files(), "assignment3/")
    make_zip(batch / "dave.ZIP", assignment_files(), "")
    (batch / "eve.zip").write_bytes(b"this is not a zip")
    (batch / "notes.txt").write_text("ignored")
    (batch / "__MACOSX").mkdir()
    (batch / ".DS_Store").write_bytes(b"")
    (batch / "frank").mkdir()  # a folder without any submission in it
    subs = discover([batch], ASSIGNMENT)
    by_id = {s.id: s for s in subs}
    assert sorted(by_id) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    for sid in ("alice", "bob", "carol", "dave"):
        assert by_id[sid].files == STUDENT_CONTENT and by_id[sid].problems == [], sid
        assert by_id[sid].notebooks == NOTEBOOK_CONTENT, sid
    assert by_id["eve"].files == {} and len(by_id["eve"].problems) == 1
    assert "eve.zip" in by_id["eve"].problems[0] and "zip" in by_id["eve"].problems[0]
    assert by_id["frank"].files == {} and by_id["frank"].problems
    assert len({s.sha256 for s in subs if s.files}) == 1


def test_ids_are_unique_and_filesystem_safe(tmp_path):
    batch = tmp_path / "batch"
    for name in ("alice", "alice-2", "bob smith", "bob_smith", "x:y*?", "émilie"):
        make_assignment(batch / name, notebooks=False, extra=False)
    for name in ("alice.zip", "bob smith.zip", "x;y.zip", "a\\b.zip"):
        make_zip(batch / name, assignment_files(extra=False, notebooks=False))
    subs = discover([batch], ASSIGNMENT)
    ids = [s.id for s in subs]
    assert len(subs) == 10
    assert len(set(ids)) == len(ids), ids
    for i in ids:
        assert_safe_id(i)
    assert "alice" in ids and "émilie" in ids
    # the same paths given twice still give distinct ids
    again = discover([batch / "alice", batch / "alice", batch / "alice.zip"], ASSIGNMENT)
    assert len({s.id for s in again}) == 3


@pytest.mark.parametrize("name", ["..zip", "...zip", "....zip"])
def test_dot_names_do_not_become_dot_ids(tmp_path, name):
    path = make_zip(tmp_path / name, assignment_files(extra=False, notebooks=False))
    (sub,) = discover([path], ASSIGNMENT)
    assert_safe_id(sub.id)
    assert sub.files == STUDENT_CONTENT


def test_several_paths_are_concatenated(tmp_path):
    a = make_assignment(tmp_path / "one" / "assignment3")
    b = make_zip(tmp_path / "two.zip", assignment_files())
    subs = discover([a, b], ASSIGNMENT)
    assert [s.path for s in subs] == [a, b]


def test_load_folder_and_load_zip_take_an_explicit_id(tmp_path):
    root = make_assignment(tmp_path / "assignment3")
    assert load_folder(root, ASSIGNMENT, "given").id == "given"
    assert load_zip(make_zip(tmp_path / "z.zip", assignment_files()), ASSIGNMENT, "given2").id == "given2"


# --------------------------------------------------------------------------------------------- staging


def reference_package() -> Path:
    return ASSIGNMENT.reference / "cs231n"


def test_stage_lays_out_the_provided_modules_and_the_student_files(tmp_path):
    root = make_assignment(tmp_path / "assignment3")
    (sub,) = discover([root], ASSIGNMENT)
    dest = staging.stage(sub, tmp_path / "stage", ASSIGNMENT)
    pkg = dest / "cs231n"
    ref = reference_package()
    for path in ref.rglob("*.py"):
        rel = path.relative_to(ref).as_posix()
        if rel in STUDENT_FILES:
            continue
        assert (pkg / rel).read_bytes() == path.read_bytes(), rel  # provided modules are the reference's
    for rel, data in STUDENT_CONTENT.items():
        assert (pkg / rel).read_bytes() == data
    # the student's forged gradient_check.py / layers.py / __init__.py never made it in
    assert (pkg / "gradient_check.py").read_bytes() == (ref / "gradient_check.py").read_bytes()
    assert (pkg / "layers.py").read_bytes() == (ref / "layers.py").read_bytes()
    assert (pkg / "data_utils.py").read_bytes() == (ref / "data_utils.py").read_bytes()  # the student's copy is ignored
    assert not list(dest.glob("*.ipynb"))


def test_stage_never_copies_the_reference_solutions(tmp_path):
    sub = Submission("partial", tmp_path, files={"classifiers/rnn.py": b"# only this\n"})
    dest = staging.stage(sub, tmp_path / "stage", ASSIGNMENT)
    pkg = dest / "cs231n"
    assert not (pkg / "rnn_layers.py").exists()
    assert (pkg / "classifiers" / "rnn.py").read_bytes() == b"# only this\n"
    assert (pkg / "classifiers" / "__init__.py").exists() and (pkg / "__init__.py").exists()
    ref_rnn_layers = (reference_package() / "rnn_layers.py").read_bytes()
    ref_rnn = (reference_package() / "classifiers" / "rnn.py").read_bytes()
    for path in pkg.rglob("*"):
        if path.is_file():
            assert path.read_bytes() not in (ref_rnn_layers, ref_rnn), path


def test_stage_of_an_empty_submission_has_no_student_file(tmp_path):
    dest = staging.stage(Submission("empty", tmp_path), tmp_path / "stage", ASSIGNMENT)
    staged = {p.relative_to(dest / "cs231n").as_posix() for p in (dest / "cs231n").rglob("*.py")}
    assert staged and not staged & set(STUDENT_FILES)
    assert "gradient_check.py" in staged and "layers.py" in staged


def test_stage_of_a_discovered_zip_without_rnn_layers(tmp_path):
    student = {k: v for k, v in STUDENT_CONTENT.items() if k != "rnn_layers.py"}
    (sub,) = discover([make_zip(tmp_path / "s.zip", assignment_files(student), "assignment3/")], ASSIGNMENT)
    assert "rnn_layers.py" not in sub.files
    pkg = staging.stage(sub, tmp_path / "stage", ASSIGNMENT) / "cs231n"
    assert not (pkg / "rnn_layers.py").exists()
    assert (pkg / "classifiers" / "rnn.py").read_bytes() == STUDENT_CONTENT["classifiers/rnn.py"]


# --------------------------------------------------------------------------------------------- numeric gradients


def direct_numeric_gradient(f, x, df, h):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        pos = f(x).copy()
        x[i] = old - h
        neg = f(x).copy()
        x[i] = old
        grad[i] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def test_perturbations_layout():
    x = np.arange(6.0).reshape(2, 3)
    p = perturbations(x, 0.5)
    assert p.shape == (12, 2, 3) and p.dtype == np.float64
    for i in range(6):
        plus, minus = p[2 * i].reshape(-1), p[2 * i + 1].reshape(-1)
        expected = x.reshape(-1).copy()
        expected[i] += 0.5
        np.testing.assert_array_equal(plus, expected)
        expected[i] -= 1.0
        np.testing.assert_array_equal(minus, expected)
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))  # input untouched


def test_perturbations_of_a_scalar_and_of_float32():
    p = perturbations(np.array(2.0), 0.25)
    assert p.shape == (2,) and list(p) == [2.25, 1.75]
    p = perturbations(np.ones(3, dtype=np.float32), 1e-5)
    assert p.dtype == np.float64 and p[0, 0] == 1.0 + 1e-5  # computed in float64, not float32


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 1, 3)])
def test_gradient_from_sweep_matches_a_direct_finite_difference(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape)

    def f(v):
        return np.tanh(v * w) + v.sum() * v

    df = rng.standard_normal(shape)
    h = 1e-5
    outputs = np.stack([f(p) for p in perturbations(x, h)])
    got = gradient_from_sweep(outputs, x.shape, df, h)
    expected = direct_numeric_gradient(f, x.copy(), df, h)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    analytic = (1 - np.tanh(x * w) ** 2) * w * df + x.sum() * df + np.sum(df * x)
    assert rel_error(got, analytic) < 1e-7


def test_gradient_from_sweep_of_a_scalar_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    h = 1e-6
    outputs = np.array([np.sum(p ** 3) for p in perturbations(x, h)])
    got = gradient_from_sweep(outputs, x.shape, 1.0, h)
    np.testing.assert_allclose(got, 3 * x ** 2, rtol=1e-6)


# --------------------------------------------------------------------------------------------- compare


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.array([1.0, 10.0]), np.array([1.0, 30.0])) == pytest.approx(0.5)
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
    assert rel_error(np.array([0.0]), np.array([1e-9])) == pytest.approx(0.1)  # the 1e-8 floor
    assert rel_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert rel_error(np.array([1, 2], dtype=np.int64), np.array([1.0, 2.0])) == 0.0
    assert np.isnan(rel_error(np.array([np.nan]), np.array([1.0])))
    assert isinstance(rel_error(np.ones(1), np.ones(1)), float)


def test_indices_in_messages_are_plain_integers():
    """NumPy 2 reprs its scalars (``np.int64(0)``); messages name entries as ``saliency[0, 1, 2]``."""
    worst = np.unravel_index(int(np.argmax(np.arange(24).reshape(2, 3, 4))), (2, 3, 4))
    assert index_text(worst) == "[1, 2, 3]"
    got, want = np.zeros((2, 3)), np.zeros((2, 3))
    got[1, 2] = 1.0
    assert worst_mismatch("dx", got, want).startswith("dx[1, 2]: expected 0, got 1")


def test_dtype_threshold_is_float32_rounding_for_float32_computations():
    assert dtype_threshold(1e-10, np.float64) == 1e-10 and dtype_threshold(1e-3, np.float32) == 1e-3
    x = np.random.default_rng(0).standard_normal(1000)
    assert rel_error(x.astype(np.float32) * np.float32(0.01), x * 0.01) <= dtype_threshold(1e-10, np.float32)


def test_expect_array_accepts_good_values():
    a = np.ones((2, 3))
    assert expect_array(a, "out", (2, 3)) is a
    assert expect_array(np.ones(2, dtype=np.float32), "out") is not None
    assert expect_array(np.arange(3), "idx", (3,), kinds="iu").dtype.kind == "i"
    scalar = expect_array(2.5, "loss", ())
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar == 2.5
    assert expect_array(np.array([np.inf]), "out", finite=False).shape == (1,)


def test_expect_array_messages():
    with pytest.raises(CheckFailure) as info:
        expect_array(None, "next_h", (2, 3))
    assert "next_h" in info.value.message and "None" in info.value.message and "pass" in info.value.message
    with pytest.raises(CheckFailure) as info:
        expect_array([1.0, 2.0], "dx")
    assert "dx" in info.value.message and "numpy array" in info.value.message and "pass" not in info.value.message
    with pytest.raises(CheckFailure, match=r"dx should have a floating-point dtype, got int64"):
        expect_array(np.arange(3), "dx")
    with pytest.raises(CheckFailure, match=r"dx has shape \(3,\), expected \(2, 3\)"):
        expect_array(np.zeros(3), "dx", (2, 3))
    with pytest.raises(CheckFailure, match=r"dx contains 2 NaN or infinite value\(s\)"):
        expect_array(np.array([1.0, np.nan, np.inf]), "dx")
    with pytest.raises(CheckFailure, match="object"):
        from grader.worker.protocol import Unsupported
        expect_array(Unsupported("an array of dtype object and shape (2,)"), "dx")
    with pytest.raises(CheckFailure):
        expect_array(True, "loss", ())  # a bool is not a float
    with pytest.raises(CheckFailure):
        expect_array(2.5, "out", (1,))  # only a scalar shape accepts a Python number


def test_expect_tuple_messages():
    assert expect_tuple((1, 2), ("out", "cache"), "f") == (1, 2)
    assert expect_tuple([1, 2], ("out", "cache"), "f") == (1, 2)
    with pytest.raises(CheckFailure) as info:
        expect_tuple(None, ("next_h", "cache"), "rnn_step_forward")
    message = info.value.message
    assert "rnn_step_forward must return a tuple (next_h, cache)" in message
    assert "None" in message and "skeleton" in message
    with pytest.raises(CheckFailure) as info:
        expect_tuple((None, None, None), ("next_h", "cache"), "rnn_step_forward")
    assert "a tuple of 3 items" in info.value.message and "skeleton" in info.value.message
    with pytest.raises(CheckFailure) as info:
        expect_tuple(np.ones(2), ("a", "b"), "g")
    assert "an array of dtype float64 and shape (2,)" in info.value.message
    assert "skeleton" not in info.value.message


def test_skeleton_style_returns_are_explained_end_to_end():
    """The skeleton returns ``(None, None)``: the tuple passes, the array check then points at the ``pass``."""
    next_h, cache = expect_tuple((None, None), ("next_h", "cache"), "rnn_step_forward")
    with pytest.raises(CheckFailure, match="pass"):
        expect_array(next_h, "next_h", (2, 3))
