"""The GAN exercise (Q5): full marks for the reference and for 2020-style Keras 2 code, unbuilt models, the
``--mnist`` option, the offline MNIST wrapper, the uniformity test, and TensorFlow kept out of numpy workers."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import ROOT, failing, grade, write_submission
from exercises.gans.data import load_bundled_digits, load_mnist_npz
from exercises.gans.uniformity import ks_critical_distance, ks_distance
from grader.cli import main

REFERENCE_GAN = (ROOT / "reference" / "cs231n" / "gan_tf.py").read_text()
KERAS2_2020 = (ROOT / "tests" / "data" / "gan_tf_keras2_2020.py").read_text()
TRAINING = ["gan_tf.run_a_gan[%s]/training" % f for f in ("vanilla", "lsgan", "dcgan")]


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"]}


# ------------------------------------------------------------------------------------------ full marks


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["11", "12"])
def test_reference_and_keras2_style_code_score_full_marks(seed, tmp_path):
    keras2 = write_submission(tmp_path / "keras2", files={"gan_tf.py": KERAS2_2020})
    reports = grade([ROOT / "reference", keras2], tmp_path / "out", "--seed", seed, "--only", "gans", "--jobs", "2")
    for name in ("reference", "keras2"):
        report = reports[name]
        assert failing(report) == set(), [(c["id"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
        assert report["score"] == report["max_score"] == 15
    checks = by_id(reports["keras2"])
    for check_id in TRAINING:
        kinds = {a["kind"]: a for a in checks[check_id]["artifacts"]}
        labels = [image["label"] for image in kinds["images"]["images"]]
        assert labels == ["your generator", "reference's generator", "real digits (first batch)"]
        assert set(kinds["curve"]["series"]) == {"D loss", "G loss", "D loss (reference)", "G loss (reference)"}
        assert all(np.isfinite(v).all() for v in kinds["curve"]["series"].values())
    # the same seed and inputs: the reference graded as a student trains exactly like the reference
    series = {a["kind"]: a for a in by_id(reports["reference"])[TRAINING[0]]["artifacts"]}["curve"]["series"]
    assert series["D loss"] == series["D loss (reference)"] and series["G loss"] == series["G loss (reference)"]
    html = (tmp_path / "out" / "keras2" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 9 and "least-squares GAN: losses" in html


LEAKY_RELU_2020 = "def leaky_relu(x, alpha=0.01):\n    x = tf.maximum(alpha * x, x)\n    return x\n"
BUILT_IN_LEAKY_RELUS = {  # TensorFlow's own: alpha held as a float32 attribute; a Keras layer computes in float32
    "nn_leaky_relu": "def leaky_relu(x, alpha=0.01):\n    return tf.nn.leaky_relu(x, alpha)\n",
    "keras_layer": "def leaky_relu(x, alpha=0.01):\n    return tf.keras.layers.LeakyReLU(alpha)(x)\n",
}


@pytest.mark.slow
def test_tensorflows_own_leaky_relu_passes_the_notebook_check(tmp_path):
    """rel_error 1.1e-8 (tf.nn.leaky_relu) and 3.9e-8 (the Keras layer) on the notebook's float64 input: float32
    rounding, within the check's float32-aware threshold; a wrong leaky_relu still fails (test_check_sensitivity)."""
    assert KERAS2_2020.count(LEAKY_RELU_2020) == 1
    subs = [write_submission(tmp_path / name, files={"gan_tf.py": KERAS2_2020.replace(LEAKY_RELU_2020, code)})
            for name, code in BUILT_IN_LEAKY_RELUS.items()]
    reports = grade(subs, tmp_path / "out", "--seed", "3", "--only", "gan_tf.leaky_relu")
    for name in BUILT_IN_LEAKY_RELUS:
        checks = by_id(reports[name])
        assert failing(reports[name]) == set(), [(c["id"], c["message"]) for c in checks.values()]
        assert 1e-10 < checks["gan_tf.leaky_relu/notebook"]["metric"]["value"] < 1e-7
        assert "float32 rounding" in checks["gan_tf.leaky_relu/notebook"]["message"]


@pytest.mark.slow
def test_reference_full_marks_on_20_seeds(tmp_path):
    def run(seed):
        out = tmp_path / str(seed)
        return seed, grade([ROOT / "reference"], out, "--seed", str(seed), "--only", "gans")["reference"]

    with ThreadPoolExecutor(2) as pool:
        reports = dict(pool.map(run, [2000 + 7919 * i for i in range(20)]))
    failures = {seed: [(c["id"], c["message"]) for c in r["checks"] if c["status"] != "passed"]
                for seed, r in reports.items()}
    assert not any(failures.values()), failures


# ------------------------------------------------------------------------------------------ decisions


def test_an_unbuilt_model_is_built_first_and_the_message_says_so(tmp_path):
    lazy = REFERENCE_GAN.replace("        tf.keras.Input(shape=(IMAGE_DIM,)),\n        layers.Dense(256),",
                                 "        layers.Dense(256),", 1)
    assert lazy != REFERENCE_GAN
    sub = write_submission(tmp_path / "lazy", files={"gan_tf.py": lazy})
    report = grade([sub], tmp_path / "out", "--seed", "3", "--only",
                   "gan_tf.discriminator/params,gan_tf.discriminator/outputs")["lazy"]
    assert failing(report) == set()
    message = by_id(report)["gan_tf.discriminator/params"]["message"]
    assert "267,009 parameters" in message and "no weights before its first call" in message


@pytest.mark.slow  # three training runs on the given file (12 s)
def test_mnist_option_trains_on_the_given_file(tmp_path):
    digits = (load_bundled_digits()[0][:300].reshape(-1, 28, 28) * 255).astype(np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=digits, y_train=np.arange(300) % 10, x_test=digits[:10], y_test=np.arange(10))
    sub = write_submission(tmp_path / "sub", files={"gan_tf.py": REFERENCE_GAN})
    report = grade([sub], tmp_path / "out", "--seed", "4", "--mnist", str(path), "--only",
                   "gan_tf.run_a_gan[vanilla]")["sub"]
    assert failing(report) == set()

    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    code = main(["grade", str(sub), "--out", str(tmp_path / "out2"), "--mnist", str(broken), "--only", "gans"])
    assert code == 2


def test_numpy_workers_never_import_tensorflow(tmp_path):
    """The student's rnn_step_forward reports what its worker has imported, while a GAN check runs too."""
    layers = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text() + textwrap.dedent('''

        import sys as _sys
        _own_step_forward = rnn_step_forward


        def rnn_step_forward(*args):
            print("TF-MODULES:", sorted(m for m in _sys.modules if m.split(".")[0] in ("tensorflow", "tf_keras",
                                                                                   "keras")))
            return _own_step_forward(*args)
    ''')
    sub = write_submission(tmp_path / "spy", rnn_layers=layers, files={"gan_tf.py": REFERENCE_GAN})
    numpy_checks = ("rnn_layers.rnn_step_forward/notebook", "rnn_layers.rnn_step_forward/hidden")
    report = grade([sub], tmp_path / "out", "--seed", "5", "--only",
                   ",".join(("gan_tf.leaky_relu", "gan_tf.discriminator/params") + numpy_checks))["spy"]
    checks = by_id(report)
    assert failing(report) == set() and len(checks) == 5
    for check_id in numpy_checks:
        assert "TF-MODULES: []" in checks[check_id]["details"]["stdout"], checks[check_id]["details"]


# ------------------------------------------------------------------------------------------ data and helpers


def test_bundled_digits_look_like_the_course_mnist_wrapper():
    X, y = load_bundled_digits()
    assert X.shape == (1797, 784) and X.dtype == np.float32 and y.shape == (1797,)
    assert X.min() == 0.0 and 0.95 < X.max() <= 1.0 and 0.1 < X.mean() < 0.2
    pictures = X.reshape(-1, 28, 28)
    assert pictures[:, :4].max() == 0 and pictures[:, -4:].max() == 0  # centred in a 20x20 box like MNIST
    assert sorted(set(y.tolist())) == list(range(10))


def test_load_mnist_npz_reads_keras_layout(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.full((5, 28, 28), 255, np.uint8), y_train=np.arange(5))
    X, y = load_mnist_npz(path)
    assert X.shape == (5, 784) and X.dtype == np.float32 and np.all(X == 1.0) and y.tolist() == [0, 1, 2, 3, 4]
    np.savez(path, x_train=np.zeros((5, 784), np.uint8), y_train=np.arange(5))
    with pytest.raises(ValueError, match="28, 28"):
        load_mnist_npz(path)


def test_reference_package_works_offline(tmp_path):
    """MNIST without a download, count_params (unbuilt: 0), the notebook's counts, and a tiny run_a_gan."""
    script = textwrap.dedent('''
        import os, sys
        sys.path.insert(0, sys.argv[1])
        import numpy as np
        import tensorflow as tf
        from cs231n.gan_tf import *

        mnist = MNIST(batch_size=128)  # no mnist.npz in KERAS_HOME: the embedded digits
        batches = list(mnist)
        assert mnist.X.shape == (1797, 784) and mnist.X.dtype == np.float32, mnist.X.shape
        assert len(batches) == 15 and batches[-1][0].shape == (5, 784)
        assert count_params(tf.keras.Sequential([tf.keras.layers.Dense(3)])) == 0
        counts = [count_params(discriminator()), count_params(generator(4)), count_params(dc_discriminator()),
                  count_params(dc_generator(4))]
        assert counts == [267009, 1858320, 1102721, 6595521], counts
        D, G = discriminator(), generator()
        images, final = run_a_gan(D, G, *get_solvers(), discriminator_loss, generator_loss,
                                  show_every=5, batch_size=256, num_epochs=1)
        assert len(images) == 2 and images[0].shape == (16, 784) and final.shape == (16, 784)
        os.makedirs(os.path.join(os.environ["KERAS_HOME"], "datasets"))
        np.savez(os.path.join(os.environ["KERAS_HOME"], "datasets", "mnist.npz"),
                 x_train=np.full((300, 28, 28), 255, np.uint8), y_train=np.arange(300) % 10)
        mnist = MNIST(batch_size=128, shuffle=True)  # Keras's cached file, never a download
        assert mnist.X.shape == (300, 784) and np.all(mnist.X == 1.0) and mnist.source.endswith("mnist.npz")
        assert [len(x) for x, _ in mnist] == [128, 128, 44]
        print("OK")
    ''')
    env = dict(os.environ, KERAS_HOME=str(tmp_path), TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", script, str(ROOT / "reference")], env=env, capture_output=True,
                          text=True, timeout=300, cwd=str(ROOT))
    assert done.returncode == 0 and done.stdout.strip().endswith("OK"), done.stdout + done.stderr[-3000:]


def test_ks_test_accepts_uniform_noise_and_rejects_the_usual_mistakes():
    rng = np.random.default_rng(0)
    n = 100_000
    limit = ks_critical_distance(n, 1e-6)
    assert ks_distance(rng.uniform(-1, 1, n).astype(np.float32), -1, 1) < limit / 2
    assert ks_distance(rng.uniform(0, 1, n), -1, 1) > 0.49  # [0, 1) instead of [-1, 1]
    assert ks_distance(np.clip(rng.standard_normal(n), -1, 1), -1, 1) > 10 * limit  # a clipped normal
    assert ks_distance(rng.uniform(-0.9, 0.9, n), -1, 1) > 5 * limit  # too narrow


def test_ks_false_alarm_rate_is_as_stated():
    rng = np.random.default_rng(1)
    limit = ks_critical_distance(2000, 0.05)
    alarms = np.mean([ks_distance(rng.uniform(-1, 1, 2000), -1, 1) > limit for _ in range(600)])
    assert 0.02 < alarms < 0.09, alarms
