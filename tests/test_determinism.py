"""Same submission, same seed, same report: every global generator the student's code can draw from is seeded
per check, paths are shown relative to the package, and TensorFlow's timestamped C++ logging stays out."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, grade, write_submission

GAN_2020 = (ROOT / "tests" / "data" / "gan_tf_keras2_2020.py").read_text()
CHECKS = ("gan_tf.sample_noise,gan_tf.discriminator/outputs,gan_tf.generator/outputs,"
          "gan_tf.ls_generator_loss/notebook")
"""Unseeded tf.random.uniform (sample_noise), Keras's default initialisers (the models), and a loss that prints,
warns and raises (a traceback through the staged package)."""
FAILING_LOSS = '''

def _half_mean(x):
    import warnings
    warnings.warn("about to fail")
    raise ValueError("no loss today")


def ls_generator_loss(scores_fake):
    print("computing the least-squares generator loss")
    return _half_mean(scores_fake)
'''
TIMING = {"duration_s"}


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def test_a_tensorflow_submission_graded_twice_with_one_seed_gives_one_report(tmp_path):
    sub = write_submission(tmp_path / "gan2020", files={"gan_tf.py": GAN_2020 + FAILING_LOSS})
    first, second = (grade([sub], tmp_path / out, "--seed", "7", "--only", CHECKS)["gan2020"]
                     for out in ("first", "second"))
    assert without_timing(first) == without_timing(second)
    checks = {c["id"]: c for c in first["checks"]}
    assert {c["status"] for c in first["checks"]} == {"passed", "error"}
    loss = checks["gan_tf.ls_generator_loss/notebook"]
    assert 'File "cs231n/gan_tf.py"' in loss["details"]["traceback"] and "/tmp" not in json.dumps(first["checks"])
    printed = loss["details"]["stdout"]
    assert "computing the least-squares generator loss" in printed and "UserWarning: about to fail" in printed
    assert "cuInit" not in json.dumps(first) and "absl" not in json.dumps(first)
    assert Path(first["submission"]["path"]) == sub
