"""The PyTorch GAN notebook's known mistakes (see ``grader.misconceptions``), all recognised by the checks
themselves from what the student's code returned (``exercises/gans/pytorch.py``): noise on [0, 1), a
cross-entropy that turns inf or NaN only at large scores, Adam's default betas, layers of other sizes than the
notebook's, a generator without its tanh, a discriminator that ends in a sigmoid. Ids start with ``pytorch.``.
"""
from __future__ import annotations

from grader.api import Misconception, hookimpl

T = "gan_pytorch."
STABLE = ("compute it from the scores with the stable form max(x, 0) - x * y + log(1 + exp(-|x|)), or "
          "nn.BCEWithLogitsLoss")


def mistake(name: str, function: str, message: str, hint: str) -> Misconception:
    return Misconception("pytorch.%s.%s" % (function, name), T + function, message, hint)


def layer_sizes(builder: str, architecture: str) -> Misconception:
    return mistake("layer-sizes", builder, "your %s's layers have other sizes than the notebook's architecture "
                   "(its parameter count differs)" % builder, "build exactly %s" % architecture)


MISCONCEPTIONS = (
    mistake("zero-one", "sample_noise", "your sample_noise draws from [0, 1) (torch.rand's range)",
            "map it onto [-1, 1): 2 * torch.rand(batch_size, dim) - 1"),
    mistake("unstable", "bce_loss",
            "your bce_loss takes the log of sigmoid probabilities (or of exp), which becomes inf or NaN once the "
            "scores are large", STABLE),
    mistake("log-of-sigmoid", "discriminator_loss",
            "your discriminator_loss takes the log of sigmoid probabilities, which becomes inf or NaN once the "
            "scores are large", "use bce_loss (written stably) for both terms"),
    mistake("log-of-sigmoid", "generator_loss",
            "your generator_loss takes the log of sigmoid probabilities, which becomes inf or NaN once the scores "
            "are large", "use bce_loss (written stably)"),
    mistake("default-betas", "get_optimizer", "your get_optimizer leaves Adam's betas at their default (0.9, 0.999)",
            "pass betas=(0.5, 0.999)"),
    layer_sizes("discriminator", "Linear 784 -> 256, LeakyReLU 0.01, Linear 256 -> 256, LeakyReLU 0.01, "
                                 "Linear 256 -> 1"),
    layer_sizes("generator", "Linear noise_dim -> 1024, ReLU, Linear 1024 -> 1024, ReLU, Linear 1024 -> 784, Tanh"),
    layer_sizes("build_dc_classifier", "Conv2d 1 -> 32 (5x5), LeakyReLU, MaxPool 2x2, Conv2d 32 -> 64 (5x5), "
                                       "LeakyReLU, MaxPool 2x2, Flatten, Linear 1024 -> 1024, LeakyReLU, "
                                       "Linear 1024 -> 1"),
    layer_sizes("build_dc_generator", "Linear noise_dim -> 1024, ReLU, BatchNorm1d, Linear 1024 -> 6272, ReLU, "
                                      "BatchNorm1d, Unflatten, ConvTranspose2d 128 -> 64, ReLU, BatchNorm2d, "
                                      "ConvTranspose2d 64 -> 1, Tanh, Flatten"),
    mistake("no-batchnorm", "build_dc_generator", "your build_dc_generator leaves out its BatchNorm layers",
            "add nn.BatchNorm1d(1024), nn.BatchNorm1d(7 * 7 * 128) and nn.BatchNorm2d(64) after their ReLUs"),
    mistake("no-tanh", "generator", "your generator's output layer is not a tanh, so its images leave [-1, 1] "
            "(or never reach -1)", "end the model with nn.Tanh()"),
    mistake("sigmoid", "discriminator", "your discriminator ends in a sigmoid: the losses expect raw scores (logits)",
            "leave the last Linear's output as it is"),
)


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
