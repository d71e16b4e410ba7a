"""Generative adversarial networks in PyTorch: the vanilla GAN, the least-squares GAN and a DCGAN, trained on
MNIST digits (notebook Generative_Adversarial_Networks_PyTorch).

The functions down to ``build_dc_generator`` are the student's work (between the START/END markers);
``run_a_gan``, ``ChunkSampler``, ``Flatten``, ``Unflatten``, ``initialize_weights``, ``preprocess_img``,
``deprocess_img``, ``rel_error`` and ``count_params`` are provided. The discriminators take images of shape
(N, 1, 28, 28), as the notebook's MNIST loader gives them; the generators return (N, 784) images in [-1, 1].
"""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import sampler

NOISE_DIM = 96

dtype = torch.FloatTensor
# On a machine with a GPU set up for PyTorch: dtype = torch.cuda.FloatTensor


def sample_noise(batch_size, dim, seed=None):
    """Uniform random noise in [-1, 1): a Tensor of shape (batch_size, dim)."""
    if seed is not None:
        torch.manual_seed(seed)

    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def discriminator(seed=None):
    """The vanilla GAN's discriminator, an ``nn.Sequential``: Flatten -> Linear 784 to 256 -> LeakyReLU 0.01
    -> Linear 256 to 256 -> LeakyReLU 0.01 -> Linear 256 to 1 (a raw score per image)."""
    if seed is not None:
        torch.manual_seed(seed)

    model = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """The vanilla GAN's generator, an ``nn.Sequential``: Linear noise_dim to 1024 -> ReLU -> Linear 1024 to
    1024 -> ReLU -> Linear 1024 to 784 -> TanH (images in [-1, 1])."""
    if seed is not None:
        torch.manual_seed(seed)

    model = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def bce_loss(input, target):
    """The binary cross-entropy of raw scores against 0/1 targets, averaged over the batch, computed in a
    numerically stable way (finite for scores of any magnitude).

    Inputs:
    - input: a Tensor of shape (N,) of raw scores (logits)
    - target: a Tensor of the same shape holding 0 and 1

    Returns the mean loss: a scalar Tensor.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def discriminator_loss(logits_real, logits_fake):
    """The discriminator's loss: the binary cross-entropy of the real images' scores against 1 plus that of
    the fake images' scores against 0, each averaged over its own batch.

    Inputs:
    - logits_real: a Tensor of shape (N,) of scores for the real data
    - logits_fake: a Tensor of shape (N,) of scores for the fake data

    Returns a scalar Tensor.
    """
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def generator_loss(logits_fake):
    """The generator's loss: the binary cross-entropy of the fake images' scores against 1, averaged.

    Inputs:
    - logits_fake: a Tensor of shape (N,) of scores for the fake data

    Returns a scalar Tensor.
    """
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def get_optimizer(model):
    """An Adam optimizer of the model's parameters with learning rate 1e-3 and betas (0.5, 0.999)."""
    optimizer = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return optimizer


def ls_discriminator_loss(scores_real, scores_fake):
    """The least-squares GAN's discriminator loss: 0.5 * mean((scores_real - 1)^2) + 0.5 * mean(scores_fake^2).

    Inputs:
    - scores_real, scores_fake: Tensors of shape (N,) of scores for the real and the fake data

    Returns a scalar Tensor.
    """
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def ls_generator_loss(scores_fake):
    """The least-squares GAN's generator loss: 0.5 * mean((scores_fake - 1)^2).

    Inputs:
    - scores_fake: a Tensor of shape (N,) of scores for the fake data

    Returns a scalar Tensor.
    """
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def build_dc_classifier(batch_size):
    """The DCGAN's discriminator, an ``nn.Sequential`` for batches of ``batch_size`` images: Unflatten to
    (batch_size, 1, 28, 28) -> Conv2d 1 to 32, 5x5, stride 1 -> LeakyReLU 0.01 -> MaxPool 2x2, stride 2 ->
    Conv2d 32 to 64, 5x5, stride 1 -> LeakyReLU 0.01 -> MaxPool 2x2, stride 2 -> Flatten -> Linear 4*4*64 to
    4*4*64 -> LeakyReLU 0.01 -> Linear 4*4*64 to 1."""
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def build_dc_generator(noise_dim=NOISE_DIM):
    """The DCGAN's generator, an ``nn.Sequential``: Linear noise_dim to 1024 -> ReLU -> BatchNorm1d ->
    Linear 1024 to 7*7*128 -> ReLU -> BatchNorm1d -> Unflatten to (N, 128, 7, 7) -> ConvTranspose2d 128 to
    64, 4x4, stride 2, padding 1 -> ReLU -> BatchNorm2d -> ConvTranspose2d 64 to 1, 4x4, stride 2, padding 1
    -> TanH -> Flatten (images of 784 values in [-1, 1])."""
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader_train, show_every=250,
              batch_size=128, noise_size=96, num_epochs=10):
    """Train a GAN: alternate a step of D and a step of G on every full batch of ``loader_train``; returns
    the generator's samples (16 images) at every ``show_every``-th step."""
    images = []
    iter_count = 0
    for epoch in range(num_epochs):
        for x, _ in loader_train:
            if len(x) != batch_size:
                continue
            D_solver.zero_grad()
            real_data = x.type(dtype)
            logits_real = D(2 * (real_data - 0.5)).type(dtype)

            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed).detach()
            logits_fake = D(fake_images.view(batch_size, 1, 28, 28))

            d_total_error = discriminator_loss(logits_real, logits_fake)
            d_total_error.backward()
            D_solver.step()

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed)

            gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()

            if iter_count % show_every == 0:
                print('Iter: {}, D: {:.4}, G:{:.4}'.format(iter_count, d_total_error.item(), g_error.item()))
                images.append(fake_images.data.cpu().numpy()[0:16])
            iter_count += 1
    return images


class ChunkSampler(sampler.Sampler):
    """Samples ``num_samples`` consecutive indices starting at ``start``."""

    def __init__(self, num_samples, start=0):
        self.num_samples = num_samples
        self.start = start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


class Flatten(nn.Module):
    """(N, C, H, W) -> (N, C * H * W)."""

    def forward(self, x):
        N, C, H, W = x.size()
        return x.view(N, -1)


class Unflatten(nn.Module):
    """(N, C * H * W) -> (N, C, H, W)."""

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N = N
        self.C = C
        self.H = H
        self.W = W

    def forward(self, x):
        return x.view(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights for the linear and transposed-convolution layers (``model.apply(...)``)."""
    if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)


def preprocess_img(x):
    return 2 * x - 1.0


def deprocess_img(x):
    return (x + 1.0) / 2.0


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    """The number of parameters of the model (BatchNorm's running statistics are not parameters)."""
    return np.sum([np.prod(p.size()) for p in model.parameters()])
