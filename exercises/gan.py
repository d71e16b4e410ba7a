"""Q5, notebook Generative_Adversarial_Networks_TF: GANs in TensorFlow (15 points).

The training data is MNIST as the notebook's wrapper gives it, (N, 784) float32 in [0, 1]: by default the
real handwritten digits that ship with scikit-learn, resized to 28x28 (``exercises/gans/data.py``);
``--mnist PATH`` uses Keras's real ``mnist.npz``.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from exercises.gans.common import MODULES
from exercises.gans.data import load_bundled_digits, load_mnist_npz
from exercises.gans.functions import add_leaky_relu_checks, add_loss_checks, add_sample_noise_checks, add_solver_checks
from exercises.gans.models import add_model_checks
from exercises.gans.training import add_training_check
from grader.api import CheckList, Exercise, GradingConfig, UsageError, hookimpl

EXERCISE_ID = "gans"
checks = CheckList(EXERCISE_ID, modules=MODULES)

add_leaky_relu_checks(checks)
add_sample_noise_checks(checks)
add_model_checks(checks, "discriminator")
add_model_checks(checks, "generator")
add_loss_checks(checks, "discriminator_loss", {"notebook": 0.5, "hidden": 0.5, "large-logits": 0.5})
add_loss_checks(checks, "generator_loss", {"notebook": 0.5, "hidden": 0.5, "large-logits": 0.5})
add_solver_checks(checks)
add_training_check(checks, "vanilla", 1.0)
add_loss_checks(checks, "ls_discriminator_loss", {"notebook": 0.5, "hidden": 0.5})
add_loss_checks(checks, "ls_generator_loss", {"notebook": 0.5, "hidden": 0.5})
add_training_check(checks, "lsgan", 1.0)
add_model_checks(checks, "dc_discriminator")
add_model_checks(checks, "dc_generator")
add_training_check(checks, "dcgan", 1.0)


@hookimpl
def grader_add_options(parser) -> None:
    parser.add_argument("--mnist", type=Path, metavar="PATH", default=None,
                        help="Keras's mnist.npz for the GAN training runs (default: the handwritten digits that "
                             "ship with scikit-learn, resized to 28x28)")


def gan_fixtures(config: GradingConfig) -> dict[str, Any]:
    """The training images, (N, 784) float32 in [0, 1], loaded once per grading run in the grader."""
    path = config.option("mnist")
    return {"mnist": _load(str(path) if path else None)}


@functools.lru_cache(maxsize=2)
def _load(path: str | None) -> np.ndarray:
    if path is None:
        return load_bundled_digits()[0]
    try:
        return load_mnist_npz(path)[0]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError("--mnist: %s" % exc) from None


EXERCISE = Exercise(EXERCISE_ID, "Q5: Generative Adversarial Networks", tuple(checks.checks),
                    fixtures=gan_fixtures, runtime="tensorflow", track="tensorflow")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
