"""Q3 and Q4 (network visualization, style transfer): the SqueezeNet's layout and checkpoint loader, the
TensorFlow setup under which 2020 code runs unchanged, image loading, the loop finder, and full marks for
the reference and for a correct 2020-style solution."""
from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, failing, grade, write_submission
from exercises.vision import images
from exercises.vision.loops import find_loops
from grader.cli import main
from exercises.assignment import RUNTIMES
from grader.runtimes import worker_env
from grader.worker.client import Executor, StudentError

DATA = ROOT / "tests" / "data"
EXERCISES = "network_visualization,style_transfer"
LAYER_NAMES = ["features/layer0", "features/layer2", "features/layer3/fire", "features/layer4/fire", "features/layer5",
               "features/layer6/fire", "features/layer7/fire", "features/layer8", "features/layer9/fire",
               "features/layer10/fire", "features/layer11/fire", "features/layer12/fire", "classifier/layer1",
               "classifier/layer3"]
CHANNELS = [64, 64, 128, 128, 128, 256, 256, 256, 384, 384, 512, 512]


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A TensorFlow worker over a scratch copy of the reference package plus ``tests/data/vision_probe.py``."""
    root = tmp_path_factory.mktemp("probe")
    shutil.copytree(ROOT / "reference" / "cs231n", root / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(DATA / "vision_probe.py", root / "cs231n" / "vision_probe.py")
    executor = Executor(root, "the probe", "cs231n", env=worker_env(RUNTIMES["tensorflow"]))
    executor.deadline = time.monotonic() + 600
    yield executor
    executor.close()


def solution_2020(root: Path) -> Path:
    """A submission holding the correct 2020-style solutions of tests/data."""
    return write_submission(root, files={
        "net_visualization_tensorflow.py": (DATA / "net_visualization_keras2_2020.py").read_text(),
        "style_transfer_tensorflow.py": (DATA / "style_transfer_keras2_2020.py").read_text()})


# ------------------------------------------------------------------------------------------ the model


def test_squeezenet_has_the_course_layout(probe):
    facts = probe.call("vision_probe.layout", 3)
    assert facts["names"] == LAYER_NAMES
    assert facts["types"] == ["Conv2D", "MaxPooling2D", "Fire", "Fire", "MaxPooling2D", "Fire", "Fire",
                              "MaxPooling2D", "Fire", "Fire", "Fire", "Fire", "Conv2D", "AveragePooling2D"]
    assert facts["fire_attributes"] == [["Conv2D"] * 3] * 8  # squeeze, expand1x1, expand3x3
    assert facts["params"] == 1235496 and facts["trainable"] is False
    # extract_features gives 12 maps; the notebook's indices mean the same layers as in the course's model
    assert [s[3] for s in facts["shapes_224"]] == CHANNELS
    assert [s[1:3] for s in facts["shapes_224"]] == [[111, 111]] + [[55, 55]] * 3 + [[27, 27]] * 3 + [[13, 13]] * 5
    assert facts["shapes_notebook"][2] == [1, 63, 47, 128]  # content layer 2: Fire(layer3)
    assert [facts["shapes_notebook"][i][3] for i in (0, 3, 5, 6)] == [64, 128, 256, 256]  # style layers
    assert facts["types"][4] == "MaxPooling2D" and facts["shapes_notebook"][4][3] == 128  # the Gram test's layer


def test_seeded_weights_give_useful_scores_and_gradients(probe):
    facts = probe.call("vision_probe.layout", 3)
    scores = facts["scores"]
    assert scores.shape == (3, 1000) and scores.min() >= 0  # the classifier's ReLU: non-negative scores
    assert np.mean(scores > 0) > 0.95  # ... but not zero
    assert len(set(scores.argmax(axis=1))) == 3  # no class wins on every image
    assert facts["input_gradient_nonzero"] > 0.9


def test_checkpoint_written_as_the_course_did_loads(probe, tmp_path):
    path = tmp_path / "squeezenet.ckpt"
    keys, weights = probe.call("vision_probe.write_checkpoint", str(path), 5)
    assert (tmp_path / "squeezenet.ckpt.index").is_file()
    assert (tmp_path / "squeezenet.ckpt.data-00000-of-00001").is_file()
    for key in ("net/layer_with_weights-0/kernel", "net/layer_with_weights-1/squeeze/kernel",
                "net/layer_with_weights-1/expand1x1/bias", "net/layer_with_weights-8/expand3x3/kernel",
                "net/layer_with_weights-9/bias"):
        assert key + "/.ATTRIBUTES/VARIABLE_VALUE" in keys
    loaded = probe.call("vision_probe.load_checkpoint", str(path))
    assert len(loaded) == len(weights) == 52
    assert all(np.array_equal(a, b) for a, b in zip(loaded, weights))

    other = tmp_path / "other.ckpt"
    probe.call("vision_probe.write_other_checkpoint", str(other))
    with pytest.raises(StudentError):
        probe.call("vision_probe.load_checkpoint", str(other))


@pytest.mark.slow  # a checkpoint written and graded with (16 s)
def test_squeezenet_weights_option_grades_with_the_checkpoint(probe, tmp_path):
    from exercises.assignment import ASSIGNMENT
    from exercises.vision.options import _weights
    from grader.config import GradingConfig

    path = tmp_path / "squeezenet.ckpt"
    _, weights = probe.call("vision_probe.write_checkpoint", str(path), 5)
    fixture = _weights(str(path), GradingConfig(seed=0, assignment=ASSIGNMENT))
    assert all(np.array_equal(a, b) for a, b in zip(fixture.arrays, weights))
    only = ("net_visualization_tensorflow.compute_saliency_maps/notebook,"
            "style_transfer_tensorflow.gram_matrix/notebook,style_transfer_tensorflow/style-transfer")
    report = grade([ROOT / "reference"], tmp_path / "out", "--seed", "3", "--only", only,
                   "--squeezenet-weights", str(path))["reference"]
    assert len(report["checks"]) == 3 and failing(report) == set()

    assert main(["grade", str(ROOT / "reference"), "--out", str(tmp_path / "bad"), "--only", only,
                 "--squeezenet-weights", str(tmp_path / "missing.ckpt")]) == 2


def test_model_is_built_once_per_worker_and_again_after_a_restart(probe):
    first = probe.call("vision_harness.squeezenet", 231)
    assert probe.call("vision_probe.same_object", first, probe.call("vision_harness.squeezenet", 231))
    probe.discard()
    again = probe.call("vision_harness.squeezenet", 231)
    assert probe.call("vision_harness.scores", again, np.zeros((1, 224, 224, 3), np.float32)).shape == (1, 1000)


# ------------------------------------------------------------------------------------------ TensorFlow


def test_keras2_code_of_2020_runs_under_the_worker_tensorflow(probe, tmp_path):
    facts = probe.call("vision_probe.keras2_idioms", str(tmp_path / "k.ckpt"))
    assert facts["keras"].startswith("tf_keras")  # TF_USE_LEGACY_KERAS=1: tf.keras is Keras 2
    assert facts["slash_names"] == ["features/layer0", "features/layer1"]  # Keras 3 rejects '/' in names
    assert facts["load_weights_tf_checkpoint"]  # Keras 3 only loads .weights.h5 / .keras files
    assert facts["adam_step"] > 1.0  # Adam given a tensor rate from PiecewiseConstantDecay, as the notebook
    assert facts["trainable_weights_after_freeze"] == 0
    assert facts["leaky_relu_alpha"] == pytest.approx(-0.2)


def test_provided_helpers_match_the_harness_copies(probe):
    facts = probe.call("vision_probe.provided_helpers_agree", 0)
    assert all(v is True for k, v in facts.items() if not k.startswith("numpy")), facts
    assert facts["numpy blur 0.5"] < 1e-6 and facts["numpy blur 1.0"] < 1e-6


# ------------------------------------------------------------------------------------------ full marks


def grade_reference_and_2020(tmp_path: Path, seed: int) -> dict[str, dict]:
    sub = solution_2020(tmp_path / "solution_2020")
    return grade([ROOT / "reference", sub], tmp_path / "out", "--seed", str(seed), "--only", EXERCISES)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 2026])
def test_reference_and_a_2020_solution_score_full_marks(tmp_path, seed):
    reports = grade_reference_and_2020(tmp_path, seed)
    for name in ("reference", "solution_2020"):
        report = reports[name]
        assert failing(report) == set(), [(c["id"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
        assert report["score"] == report["max_score"] == 30
    pictures = [c for c in reports["reference"]["checks"] if any(a["kind"] == "images" for a in c["artifacts"])]
    assert len(pictures) == 7  # saliency x2, fooling x2, class visualization, style transfer, feature inversion


@pytest.mark.slow
@pytest.mark.sweep  # about 15 min on 2 cores: run by hand (pytest -m sweep), not by .ci/run
def test_reference_and_a_2020_solution_score_full_marks_on_20_seeds(tmp_path):
    seeds = [3000 + 7919 * i for i in range(20)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda s: (s, grade_reference_and_2020(tmp_path / str(s), s)), seeds))
    failures = {(seed, name): [(c["id"], c["message"]) for c in r["checks"] if c["status"] != "passed"]
                for seed, reports in results for name, r in reports.items()}
    assert not any(failures.values()), {k: v for k, v in failures.items() if v}


@pytest.mark.slow
def test_self_check_agrees_with_the_instructor_on_public_checks(samples, tmp_path):
    import subprocess
    import sys

    from test_selfcheck import assert_agrees, self_check

    bundle = tmp_path / "answers.npz"
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "bundle", "--out", str(bundle), "--only", EXERCISES],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for sample in ("bug_gram_not_normalized", "bug_class_vis_l2_sign"):
        out = tmp_path / sample
        proc = self_check(samples / sample, bundle, "--only", EXERCISES, "--out", str(out))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        mine = json.loads((out / sample / "report.json").read_text())
        instructor = grade([samples / sample], tmp_path / ("i-" + sample), "--seed", "231", "--only", EXERCISES)[sample]
        assert_agrees(mine, instructor, sample)  # the instructor's verdicts, but the style run undecided for one


# ------------------------------------------------------------------------------------------ images


def test_load_image_keeps_the_skeletons_quirks(tmp_path):
    from PIL import Image

    from reference.cs231n.image_utils import load_image as provided_load_image

    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, size=(768, 1024, 3), dtype=np.uint8)  # tubingen.jpg's size
    Image.fromarray(picture).save(tmp_path / "tubingen.png")
    mine = images.load_image(tmp_path / "tubingen.png", 192)
    assert mine.shape == (256, 192, 3)  # (H', W') = (192, 256) handed to resize as (width, height)
    assert np.array_equal(mine, provided_load_image(str(tmp_path / "tubingen.png"), size=192))
    nearest = np.asarray(Image.fromarray(picture).resize((192, 256), Image.NEAREST))
    bicubic = np.asarray(Image.fromarray(picture).resize((192, 256), Image.BICUBIC))
    assert np.array_equal(mine, nearest) and not np.array_equal(mine, bicubic)
    assert images.load_image(tmp_path / "tubingen.png").shape == (768, 1024, 3)
    china = images.photo_folder() / "china.jpg"
    assert images.load_image(china, 192).shape == (287, 192, 3)
    assert np.array_equal(images.load_image(china, 96), provided_load_image(str(china), size=96))


def test_default_images_are_the_bundled_photos_like_data_utils(tmp_path):
    from reference.cs231n import data_utils

    X, y = images.bundled_imagenet()
    assert X.shape == (5, 224, 224, 3) and X.dtype == np.uint8 and y.tolist() == [698, 985, 698, 985, 698]
    X2, y2, names = data_utils.load_imagenet_val(num=5, path=str(tmp_path / "absent.npz"))
    assert np.array_equal(X, X2) and np.array_equal(y, y2) and names[698] == "palace"
    assert len({x.tobytes() for x in X}) == 5
    assert [p.name for p in images.style_paths(None)] == ["china.jpg", "flower.jpg"]


def test_the_course_imagenet_file_is_read_without_unpickling(tmp_path):
    from reference.cs231n import data_utils

    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(25, 224, 224, 3), dtype=np.uint8)
    y = rng.integers(0, 1000, size=25)
    path = tmp_path / "imagenet_val_25.npz"
    np.savez(path, X=X, y=y, label_map=np.array({int(k): "class %d" % k for k in y}, dtype=object))
    X1, y1 = images.course_imagenet(path)  # allow_pickle=False: the label map is never loaded
    assert np.array_equal(X1, X) and np.array_equal(y1, y)
    X2, y2, names = data_utils.load_imagenet_val(num=5, path=str(path))  # the provided helper, as the course's
    assert np.array_equal(X2, X[:5]) and names[int(y[0])] == "class %d" % y[0]
    np.savez(tmp_path / "bad.npz", X=X[:, :10])
    with pytest.raises(ValueError):
        images.course_imagenet(tmp_path / "bad.npz")


def test_styles_dir_option_needs_the_notebooks_pictures(tmp_path):
    (tmp_path / "styles").mkdir()
    assert main(["grade", str(ROOT / "reference"), "--out", str(tmp_path / "out"), "--only", "style_transfer",
                 "--styles-dir", str(tmp_path / "styles")]) == 2
    for name in ("tubingen.jpg", "starry_night.jpg"):
        shutil.copyfile(images.photo_folder() / "china.jpg", tmp_path / "styles" / name)
    assert [p.name for p in images.style_paths(tmp_path / "styles")] == ["tubingen.jpg", "starry_night.jpg"]


def test_load_tiny_imagenet_reads_the_datasets_layout(tmp_path):
    from PIL import Image

    from reference.cs231n.data_utils import load_tiny_imagenet

    rng = np.random.default_rng(2)
    root = tmp_path / "tiny"
    wnids = ["n001", "n002"]
    (root / "val" / "images").mkdir(parents=True)
    (root / "test" / "images").mkdir(parents=True)
    (root / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (root / "words.txt").write_text("n001\tcat, kitty\nn002\tdog\nn003\tunused\n")
    for wnid in wnids:
        folder = root / "train" / wnid / "images"
        folder.mkdir(parents=True)
        names = ["%s_%d.JPEG" % (wnid, i) for i in range(3)]
        for name in names:
            Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / name, format="PNG")
        (root / "train" / wnid / ("%s_boxes.txt" % wnid)).write_text("".join("%s\t0\t0\t63\t63\n" % n for n in names))
    Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)).save(root / "val" / "images" / "v0.JPEG",
                                                                        format="PNG")
    (root / "val" / "val_annotations.txt").write_text("v0.JPEG\tn002\t0\t0\t63\t63\n")
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(root / "test" / "images" / "t0.JPEG",
                                                                            format="PNG")
    data = load_tiny_imagenet(str(root))
    assert data["X_train"].shape == (6, 3, 64, 64) and data["y_train"].tolist() == [0, 0, 0, 1, 1, 1]
    assert data["X_val"].shape == (1, 3, 64, 64) and data["y_val"].tolist() == [1]  # a grey image made RGB
    assert data["X_test"].shape == (1, 3, 64, 64) and data["y_test"] is None
    assert data["class_names"] == [["cat", "kitty"], ["dog"]]
    assert abs(float(data["X_train"].mean())) < 1e-3  # the mean image is subtracted


# ------------------------------------------------------------------------------------------ loops


@pytest.mark.parametrize("body, lines", [
    ("    return tv_weight * tf.reduce_sum((img[:, 1:] - img[:, :-1]) ** 2)\n", []),
    ("    loss = 0\n    for c in range(3):\n        loss += c\n    return loss\n", [2]),
    ("    i = 0\n    while i < 3:\n        i += 1\n    return i\n", [2]),
    ("    return sum(tf.reduce_sum(img[..., c]) for c in range(3))\n", [1]),
    ("    return [c for c in range(3)][0]  # for x in comment only is fine\n", [1]),
    ("    return helper(img)\n\n\ndef helper(img):\n    for c in range(3):\n        pass\n", [5]),
    ("    def inner():\n        return [i for i in range(3)]\n    return inner()\n", [2]),
    ("    text = 'for x in y'\n    return text\n", []),
])
def test_find_loops_parses_the_function_and_its_helpers(body, lines):
    source = "import tensorflow as tf\n\ndef tv_loss(img, tv_weight):\n" + body
    found = find_loops(source, "tv_loss")
    assert [line - 3 for line, _ in found] == lines  # body line numbers


def test_find_loops_without_the_function():
    assert find_loops("def other():\n    pass\n", "tv_loss") is None
    assert find_loops("def tv_loss(:\n", "tv_loss") is None
    redefined = "def tv_loss(img, w):\n    for c in img:\n        pass\n\ndef tv_loss(img, w):\n    return 0\n"
    assert find_loops(redefined, "tv_loss") == []  # the last definition is the one that runs
