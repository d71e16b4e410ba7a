"""Generative adversarial networks in TensorFlow 2 (tf.keras): the vanilla GAN, the least-squares GAN and
a DCGAN, trained on MNIST-like digits (notebook Generative_Adversarial_Networks_TF).

Images travel as (N, 784) vectors; the generators end in a tanh, so the discriminators see real images
mapped to [-1, 1] as well (``preprocess_img``).
"""
import os

import numpy as np
import tensorflow as tf

NOISE_DIM = 96
IMAGE_DIM = 784


def leaky_relu(x, alpha=0.01):
    """Compute the leaky ReLU activation function.

    Inputs:
    - x: TensorFlow Tensor with arbitrary shape
    - alpha: leak parameter for leaky ReLU

    Returns:
    TensorFlow Tensor with the same shape as x
    """
    result = None
    result = tf.where(x > 0, x, x * alpha)
    return result


def sample_noise(batch_size, dim, seed=None):
    """Generate random uniform noise from -1 to 1.

    Inputs:
    - batch_size: integer giving the batch size of noise to generate
    - dim: integer giving the dimension of the noise to generate

    Returns:
    TensorFlow Tensor containing uniform noise in [-1, 1] with shape [batch_size, dim]
    """
    if seed is not None:
        tf.random.set_seed(seed)

    noise = None
    noise = tf.random.uniform((batch_size, dim), -1, 1)
    return noise


def discriminator(seed=None):
    """Compute discriminator score for a batch of input images.

    Returns:
    a tf.keras model mapping images of shape [batch_size, 784] to scores of shape [batch_size, 1]:
    the score that each image is real (a logit, not a probability).
    """
    if seed is not None:
        tf.random.set_seed(seed)

    model = None
    # -> Dense 1, with biases and the default initialisers.
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.InputLayer(input_shape=(784,)))
    for units in (256, 256):
        model.add(tf.keras.layers.Dense(units))
        model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
    model.add(tf.keras.layers.Dense(1))
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """Generate images from a random noise vector.

    Inputs:
    - noise_dim: integer giving the dimension of the noise input

    Returns:
    a tf.keras model mapping noise of shape [batch_size, noise_dim] to images of shape
    [batch_size, 784], with values in [-1, 1].
    """
    if seed is not None:
        tf.random.set_seed(seed)

    model = None
    # -> tanh.
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.InputLayer(input_shape=(noise_dim,)))
    for units, act in ((1024, tf.nn.relu), (1024, tf.nn.relu), (784, tf.nn.tanh)):
        model.add(tf.keras.layers.Dense(units, activation=act))
    return model


def discriminator_loss(logits_real, logits_fake):
    """Compute the discriminator loss.

    Inputs:
    - logits_real: Tensor of shape (N, 1) giving scores for the real data.
    - logits_fake: Tensor of shape (M, 1) giving scores for the fake data (M may differ from N).

    Returns:
    - loss: Tensor containing (scalar) the loss for the discriminator.
    """
    loss = None
    # each averaged over its own batch (hint: tf.keras.losses.BinaryCrossentropy).
    loss = tf.reduce_mean(tf.nn.softplus(-logits_real)) + tf.reduce_mean(tf.nn.softplus(logits_fake))
    return loss


def generator_loss(logits_fake):
    """Compute the generator loss.

    Inputs:
    - logits_fake: Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: Tensor containing the (scalar) loss for the generator.
    """
    loss = None
    loss = tf.reduce_mean(tf.nn.softplus(-logits_fake))
    return loss


def get_solvers(learning_rate=1e-3, beta1=0.5):
    """Create solvers for GAN training.

    Inputs:
    - learning_rate: learning rate to use for both solvers
    - beta1: beta1 parameter for both solvers (first moment decay)

    Returns:
    - D_solver: instance of tf.optimizers.Adam with correct learning_rate and beta1
    - G_solver: instance of tf.optimizers.Adam with correct learning_rate and beta1
    """
    D_solver = None
    G_solver = None
    D_solver, G_solver = [tf.keras.optimizers.Adam(learning_rate, beta_1=beta1) for _ in range(2)]
    return D_solver, G_solver


def ls_discriminator_loss(scores_real, scores_fake):
    """Compute the Least-Squares GAN loss for the discriminator.

    Inputs:
    - scores_real: Tensor of shape (N, 1) giving scores for the real data.
    - scores_fake: Tensor of shape (M, 1) giving scores for the fake data.

    Outputs:
    - loss: A Tensor containing the loss.
    """
    loss = None
    loss = (tf.reduce_mean((scores_real - 1) ** 2) + tf.reduce_mean(scores_fake ** 2)) / 2
    return loss


def ls_generator_loss(scores_fake):
    """Computes the Least-Squares GAN loss for the generator.

    Inputs:
    - scores_fake: Tensor of shape (N, 1) giving scores for the fake data.

    Outputs:
    - loss: A Tensor containing the loss.
    """
    loss = None
    loss = tf.reduce_mean((scores_fake - 1) ** 2) / 2
    return loss


def dc_discriminator():
    """Compute discriminator score for a batch of input images.

    Returns:
    a tf.keras model mapping images of shape [batch_size, 784] to scores of shape [batch_size, 1].
    """
    model = None
    # -> LeakyReLU 0.01 -> MaxPool 2x2 stride 2 -> Conv 64 5x5 VALID -> LeakyReLU 0.01
    # -> MaxPool 2x2 stride 2 -> Flatten -> Dense 4*4*64 -> LeakyReLU 0.01 -> Dense 1.
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.InputLayer(input_shape=(784,)))
    model.add(tf.keras.layers.Reshape((28, 28, 1)))
    for filters in (32, 64):
        model.add(tf.keras.layers.Conv2D(filters, kernel_size=5))
        model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
        model.add(tf.keras.layers.MaxPooling2D(pool_size=2))
    model.add(tf.keras.layers.Flatten())
    model.add(tf.keras.layers.Dense(1024))
    model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
    model.add(tf.keras.layers.Dense(1))
    return model


def dc_generator(noise_dim=NOISE_DIM):
    """Generate images from a random noise vector.

    Inputs:
    - noise_dim: integer giving the dimension of the noise input

    Returns:
    a tf.keras model mapping noise of shape [batch_size, noise_dim] to images of shape [batch_size, 784].
    """
    model = tf.keras.models.Sequential()
    # (7, 7, 128) -> Conv2DTranspose 64 4x4 stride 2 'same' -> ReLU -> BatchNorm
    # -> Conv2DTranspose 1 4x4 stride 2 'same' -> tanh.
    L = tf.keras.layers
    model.add(L.InputLayer(input_shape=(noise_dim,)))
    model.add(L.Dense(1024, activation="relu"))
    model.add(L.BatchNormalization())
    model.add(L.Dense(7 * 7 * 128, activation="relu"))
    model.add(L.BatchNormalization())
    model.add(L.Reshape((7, 7, 128)))
    model.add(L.Conv2DTranspose(64, kernel_size=4, strides=2, padding="same", activation="relu"))
    model.add(L.BatchNormalization())
    model.add(L.Conv2DTranspose(1, kernel_size=4, strides=2, padding="same", activation="tanh"))
    model.add(L.Flatten())
    return model


# ---------------------------------------------------------------------------
# Provided helpers
# ---------------------------------------------------------------------------

def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss,
              show_every=250, print_every=20, batch_size=128, num_epochs=10, noise_size=96):
    """Train a GAN for a certain number of epochs.

    Inputs:
    - D: Discriminator model
    - G: Generator model
    - D_solver: an Optimizer for Discriminator
    - G_solver: an Optimizer for Generator
    - discriminator_loss: function computing the discriminator loss from (logits_real, logits_fake)
    - generator_loss: function computing the generator loss from logits_fake
    - show_every, print_every: how often to keep sample images (and print the losses)
    - batch_size, num_epochs, noise_size: batch size, number of epochs and noise dimension

    Returns a tuple of:
    - images: a list of (16, 784) numpy arrays, the generator's samples every show_every iterations
    - final: the generator's (16, ...) samples after the last iteration
    """
    mnist = MNIST(batch_size=batch_size, shuffle=True)
    iter_count = 0
    images = []
    for epoch in range(num_epochs):
        for (x, _) in mnist:
            with tf.GradientTape() as tape:
                logits_real = D(preprocess_img(x))
                fake_images = tf.reshape(G(sample_noise(batch_size, noise_size)), [batch_size, IMAGE_DIM])
                logits_fake = D(fake_images)
                d_total_error = discriminator_loss(logits_real, logits_fake)
            d_gradients = tape.gradient(d_total_error, D.trainable_variables)
            D_solver.apply_gradients(zip(d_gradients, D.trainable_variables))

            with tf.GradientTape() as tape:
                fake_images = tf.reshape(G(sample_noise(batch_size, noise_size)), [batch_size, IMAGE_DIM])
                gen_logits_fake = D(fake_images)
                g_error = generator_loss(gen_logits_fake)
            g_gradients = tape.gradient(g_error, G.trainable_variables)
            G_solver.apply_gradients(zip(g_gradients, G.trainable_variables))

            if iter_count % show_every == 0:
                print('Epoch: {}, Iter: {}, D: {:.4}, G:{:.4}'.format(
                    epoch, iter_count, float(d_total_error), float(g_error)))
                images.append(np.asarray(fake_images)[0:16])
            iter_count += 1

    final = G(sample_noise(batch_size, noise_size))[:16]
    return images, final


class MNIST(object):
    """Batches of MNIST training images: ``X`` is (N, 784) float32 in [0, 1], ``y`` the labels.

    Iterating gives ``(X[i:i+B], y[i:i+B])`` batches (in a random order with ``shuffle``); the last one is
    short when B does not divide N. Nothing is downloaded: the data is Keras's ``mnist.npz`` (``path``, by
    default where ``tf.keras.datasets.mnist.load_data()`` caches it); offline without that file, the
    grader's embedded digits stand in (scikit-learn's handwritten digits resized to 28x28).
    """

    def __init__(self, batch_size, shuffle=False, path=None):
        self.X, self.y, self.source = load_mnist(path)
        self.batch_size, self.shuffle = batch_size, shuffle

    def __iter__(self):
        N, B = self.X.shape[0], self.batch_size
        idxs = np.arange(N)
        if self.shuffle:
            np.random.shuffle(idxs)
        return iter((self.X[idxs[i:i + B]], self.y[idxs[i:i + B]]) for i in range(0, N, B))


def load_mnist(path=None):
    """(X, y, source): the training split of ``mnist.npz``, or the grader's digits when there is no file."""
    if path is None:
        keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
        path = os.path.join(keras_home, "datasets", "mnist.npz")
        if not os.path.isfile(path):
            from exercises.gans.data import load_bundled_digits
            print("MNIST: no %s (and no download): using 1,797 handwritten digits resized to 28x28" % path)
            return load_bundled_digits() + ("bundled digits",)
    with np.load(path, allow_pickle=False) as data:
        X, y = data["x_train"], data["y_train"]
    return X.reshape(len(X), -1).astype(np.float32) / 255.0, y, path


def preprocess_img(x):
    return 2 * x - 1.0


def deprocess_img(x):
    return (x + 1.0) / 2.0


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    """Count the number of parameters in the current TensorFlow graph (0 before the model is built)."""
    if not getattr(model, "built", True):
        return 0
    return int(np.sum([np.prod(p.shape) for p in model.weights]))
