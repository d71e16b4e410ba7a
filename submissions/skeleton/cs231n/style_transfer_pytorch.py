"""Style transfer with PyTorch: the content, style and total-variation losses.

The four losses are the student's work (between the START/END markers); ``preprocess``, ``deprocess``,
``rescale``, ``rel_error``, ``extract_features`` and ``features_from_img`` are provided. Images and feature
maps are tensors of shape (N, C, H, W).
"""
import numpy as np
import PIL
import torch
import torchvision.transforms as T

from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

dtype = torch.FloatTensor
# On a machine with a GPU set up for PyTorch: dtype = torch.cuda.FloatTensor


def content_loss(content_weight, content_current, content_original):
    """Content loss for style transfer.

    Inputs:
    - content_weight: the weight of the content loss
    - content_current: the current image's features at the content layer, a Tensor of shape (1, C_l, H_l, W_l)
    - content_original: the content image's features at that layer, a Tensor of the same shape

    Returns content_weight times the sum of the squared differences: a scalar Tensor.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def gram_matrix(features, normalize=True):
    """Gram matrices of a batch of feature maps.

    Inputs:
    - features: a Tensor of shape (N, C, H, W)
    - normalize: whether to divide each Gram matrix by the number of entries of a feature map, H * W * C

    Returns a Tensor of shape (N, C, C): for each image, F F^T with F its features reshaped to (C, H * W).
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def style_loss(feats, style_layers, style_targets, style_weights):
    """Style loss at a set of layers.

    Inputs:
    - feats: the current image's features at every layer, as ``extract_features`` returns them
    - style_layers: indices into feats of the layers to use
    - style_targets: the style image's Gram matrices at those layers (Tensors), in the same order
    - style_weights: one weight per layer, in the same order

    Returns the sum over the layers of weight * sum((G - target) ** 2), where G is the current image's Gram
    matrix at that layer (``gram_matrix`` with its default normalisation): a scalar Tensor.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def tv_loss(img, tv_weight):
    """Total-variation loss of an image.

    Inputs:
    - img: the image, a Tensor of shape (1, 3, H, W)
    - tv_weight: the weight of the loss

    Returns tv_weight times the sum, over the 3 channels, of the squared differences between vertically
    adjacent pixels plus the squared differences between horizontally adjacent pixels: a scalar Tensor.
    Write it without loops.
    """
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def preprocess(img, size=512):
    """A PIL image as the network's input: shorter side resized to ``size`` (keeping the aspect ratio),
    scaled to [0, 1], normalised with SqueezeNet's mean and std, with a batch dimension in front."""
    transform = T.Compose([
        T.Resize(size),
        T.ToTensor(),
        T.Normalize(mean=SQUEEZENET_MEAN.tolist(), std=SQUEEZENET_STD.tolist()),
        T.Lambda(lambda x: x[None]),
    ])
    return transform(img)


def deprocess(img):
    """The first image of a batch as a PIL image: normalisation undone, rescaled to [0, 1]."""
    transform = T.Compose([
        T.Lambda(lambda x: x[0]),
        T.Normalize(mean=[0, 0, 0], std=[1.0 / s for s in SQUEEZENET_STD.tolist()]),
        T.Normalize(mean=[-m for m in SQUEEZENET_MEAN.tolist()], std=[1, 1, 1]),
        T.Lambda(rescale),
        T.ToPILImage(),
    ])
    return transform(img)


def rescale(x):
    """x linearly mapped onto [0, 1] (its smallest value to 0, its largest to 1)."""
    low, high = x.min(), x.max()
    return (x - low) / (high - low)


def rel_error(x, y):
    """The largest relative error between two arrays."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def extract_features(x, cnn):
    """The feature maps of images x (N, C, H, W) at every module of ``cnn``, in order: a list of Tensors
    (N, C_i, H_i, W_i)."""
    features = []
    prev_feat = x
    for module in cnn._modules.values():
        next_feat = module(prev_feat)
        features.append(next_feat)
        prev_feat = next_feat
    return features


def features_from_img(imgpath, imgsize, cnn):
    """The features of the image file ``imgpath`` (shorter side ``imgsize``) and the preprocessed image."""
    img = preprocess(PIL.Image.open(imgpath), size=imgsize)
    img_var = img.type(dtype)
    return extract_features(img_var, cnn), img_var
