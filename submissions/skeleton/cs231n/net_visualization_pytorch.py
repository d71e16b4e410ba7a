"""Network visualization with PyTorch: saliency maps, fooling images and class visualization.

The three functions at the top are the student's work (between the START/END markers); ``preprocess``,
``deprocess``, ``rescale``, ``blur_image`` and ``jitter`` are provided helpers that the notebook uses.
Images are PyTorch tensors of shape (N, 3, H, W), preprocessed with the SqueezeNet mean and std.
"""
import random  # noqa: F401 - the notebook's class-visualization loop draws its jitter offsets from it

import torch
import torchvision.transforms as T
from scipy.ndimage import gaussian_filter1d

from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD


def compute_saliency_maps(X, y, model):
    """Saliency maps of images X for their labels y.

    Inputs:
    - X: images, a Tensor of shape (N, 3, H, W)
    - y: labels, a LongTensor of shape (N,) with integers in [0, 1000)
    - model: a pretrained CNN (``model(X)`` gives raw class scores of shape (N, 1000))

    Returns a Tensor of shape (N, H, W): for each pixel, the largest absolute value over the three channels
    of the gradient of the correct class's raw score with respect to the image.
    """
    # The model computes as at test time, and the gradient with respect to X is kept.
    model.eval()
    X.requires_grad_()

    saliency = None
    # TODO: run the model forward, pick each image's correct-class score (gather), backpropagate their sum
    # and reduce the gradient of X to the saliency map.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return saliency


def make_fooling_image(X, target_y, model):
    """An image close to X that the model classifies as target_y.

    Inputs:
    - X: one image, a Tensor of shape (1, 3, 224, 224)
    - target_y: the class to reach, an integer in [0, 1000)
    - model: a pretrained CNN

    Returns the fooling image, a Tensor of X's shape. X itself must not change.
    """
    # The fooling image starts as a copy of X, and the gradient with respect to it is kept.
    X_fooling = X.clone()
    X_fooling = X_fooling.requires_grad_()

    learning_rate = 1
    # TODO: gradient *ascent* on the target class's raw score: at each step add
    # learning_rate * g / ||g||_2 (g: the gradient of the score with respect to the image, the norm taken
    # over the whole gradient) to X_fooling, until the model's top class is target_y.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return X_fooling


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    """One step of gradient ascent on s_y(img) - l2_reg * ||img||_2^2 (s_y: the raw score of target_y).

    img is a Tensor of shape (1, 3, H, W) that requires its gradient; update it in place by learning_rate
    times the gradient (not normalised): the notebook's loop keeps using the same tensor and ignores what
    this function returns. Mind the signs.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def preprocess(img, size=224):
    """A PIL image as the network's input: shorter side resized to ``size``, normalised, a batch of one."""
    transform = T.Compose([
        T.Resize(size),
        T.ToTensor(),
        T.Normalize(mean=SQUEEZENET_MEAN.tolist(), std=SQUEEZENET_STD.tolist()),
        T.Lambda(lambda x: x[None]),
    ])
    return transform(img)


def deprocess(img, should_rescale=True):
    """The first image of a batch as a PIL image: normalisation undone, optionally rescaled to [0, 1]."""
    transform = T.Compose([
        T.Lambda(lambda x: x[0]),
        T.Normalize(mean=[0, 0, 0], std=(1.0 / SQUEEZENET_STD).tolist()),
        T.Normalize(mean=(-SQUEEZENET_MEAN).tolist(), std=[1, 1, 1]),
        T.Lambda(rescale) if should_rescale else T.Lambda(lambda x: x),
        T.ToPILImage(),
    ])
    return transform(img)


def rescale(x):
    """x linearly mapped onto [0, 1] (its smallest value to 0, its largest to 1)."""
    low, high = x.min(), x.max()
    return (x - low) / (high - low)


def blur_image(X, sigma=1):
    """Blur the images X (N, C, H, W) in place with a Gaussian along H, then W; returns X."""
    X_np = X.cpu().clone().numpy()
    X_np = gaussian_filter1d(X_np, sigma, axis=2)
    X_np = gaussian_filter1d(X_np, sigma, axis=3)
    X.copy_(torch.Tensor(X_np).type_as(X))
    return X


def jitter(X, ox, oy):
    """Roll the images X (N, C, H, W) circularly by ox pixels along W and oy pixels along H (negative
    offsets roll back); returns a new Tensor."""
    if ox != 0:
        left = X[:, :, :, :-ox]
        right = X[:, :, :, -ox:]
        X = torch.cat([right, left], dim=3)
    if oy != 0:
        top = X[:, :, :-oy]
        bottom = X[:, :, -oy:]
        X = torch.cat([bottom, top], dim=2)
    return X

