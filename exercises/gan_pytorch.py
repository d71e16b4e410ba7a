"""Q5 on the PyTorch track, notebook Generative_Adversarial_Networks_PyTorch: GANs in PyTorch (15 points; the
twin of ``gans``, one of the two counts).

The same training images as the TensorFlow twin (the digits that ship with scikit-learn, or ``--mnist``), read
by the TensorFlow twin's options and fixture; the checks are in ``exercises/gans/pytorch.py``.
"""
from __future__ import annotations

from exercises.gan import gan_fixtures
from exercises.gans.pytorch import (MODULE, add_bce_checks, add_loss_checks, add_model_checks, add_optimizer_checks,
                                    add_sample_noise_checks, add_training_check)
from grader.api import CheckList, Exercise, hookimpl

EXERCISE_ID = "gans_pytorch"
checks = CheckList(EXERCISE_ID, modules=(MODULE,))

add_sample_noise_checks(checks)
add_model_checks(checks, "discriminator")
add_model_checks(checks, "generator")
add_bce_checks(checks)
add_loss_checks(checks, "discriminator_loss", {"notebook": 0.5, "hidden": 0.5, "large-logits": 0.5})
add_loss_checks(checks, "generator_loss", {"notebook": 0.5, "hidden": 0.5, "large-logits": 0.5})
add_optimizer_checks(checks)
add_training_check(checks, "vanilla", 1.0)
add_loss_checks(checks, "ls_discriminator_loss", {"notebook": 0.5, "hidden": 0.5})
add_loss_checks(checks, "ls_generator_loss", {"notebook": 0.5, "hidden": 0.5})
add_training_check(checks, "lsgan", 1.0)
add_model_checks(checks, "build_dc_classifier")
add_model_checks(checks, "build_dc_generator")
add_training_check(checks, "dcgan", 1.0)

EXERCISE = Exercise(EXERCISE_ID, "Q5: Generative Adversarial Networks (PyTorch)", tuple(checks.checks),
                    fixtures=gan_fixtures, runtime="pytorch", track="pytorch", twin="gans")


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
