"""The GAN notebook's known mistakes (see ``grader.misconceptions``).

Most are recognised by the checks themselves, from what the student's code returned (``Outcome(diagnosis=...)``
in ``exercises/gans/functions.py``): noise uniform on [0, 1), optimizers with Adam's defaults whatever was asked,
a cross-entropy that turns inf or NaN only at large logits. That needs no second TensorFlow worker and holds
whichever library call the student made. Implementations are in ``mistakes``.
"""
from __future__ import annotations

from grader.api import Misconception, hookimpl

T = "gan_tf."
IMPL = "exercises.gans.mistakes:"
STABLE = ("compute it from the logits with tf.nn.sigmoid_cross_entropy_with_logits(labels, logits) or "
          "tf.keras.losses.BinaryCrossentropy(from_logits=True)")


def log_of_sigmoid(name: str) -> Misconception:
    return Misconception(
        "%s.log-of-sigmoid" % name, T + name,
        "your %s takes the log of sigmoid probabilities (log(sigmoid(x)), log(1 - sigmoid(x))), which becomes inf "
        "or NaN once the logits are large" % name, STABLE)


MISCONCEPTIONS = (
    Misconception(
        "sample_noise.zero-one", T + "sample_noise",
        "your sample_noise draws from [0, 1) (tf.random.uniform's default range)",
        "pass the range on, tf.random.uniform([batch_size, dim], minval=-1, maxval=1)"),
    log_of_sigmoid("discriminator_loss"),
    log_of_sigmoid("generator_loss"),
    Misconception(
        "discriminator_loss.labels-other-batch", T + "discriminator_loss",
        "your discriminator_loss sizes one batch's labels from the other batch, which breaks when the real and "
        "fake batches differ in size (MNIST's last batch holds 96 real images for 128 fakes)",
        "make each batch's labels from its own logits, tf.ones_like(logits_real) and tf.zeros_like(logits_fake)",
        # today's tf_keras and TF 2.2-2.4: "logits and labels must have the same shape ((96, 1) vs (128, 1))";
        # Keras 3: "... must have the same shape. Received: target.shape=(128, 1), output.shape=(96, 1)";
        # broadcasting ops: "Incompatible shapes: [128,1] vs. [96,1]"
        raises=r"^(ValueError|InvalidArgumentError): (.*must have the same shape.*\(\d+, 1\).*\(\d+, 1\)"
               r"|.*[Ii]ncompatible shapes: \[\d+,1\] vs\. \[\d+,1\])"),
    Misconception(
        "discriminator_loss.concat-batches", T + "discriminator_loss",
        "your discriminator_loss averages over the real and fake batches put together (times 2), which weighs the "
        "larger batch more when the two differ in size",
        "average each batch's cross-entropy on its own and add the two means",
        implementation=IMPL + "discriminator_loss_concat_batches"),
    Misconception(
        "get_solvers.ignores-arguments", T + "get_solvers",
        "your get_solvers always builds its optimizers with learning rate 1e-3 and beta_1 0.5, whatever it is given",
        "pass them on, Adam(learning_rate=learning_rate, beta_1=beta1)"),
    Misconception(
        "get_solvers.default-beta1", T + "get_solvers",
        "your get_solvers leaves beta_1 at Adam's default 0.9",
        "pass beta_1=beta1 to both optimizers"),
)


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
