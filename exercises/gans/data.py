"""The GAN exercise's training images: MNIST as the notebook's wrapper gives it, (N, 784) float32 in [0, 1],
white digits on black.

By default, the real handwritten digits that ship with scikit-learn (1,797 scans of 8x8 pixels, values
0..16), upscaled to a 20x20 box centred in 28x28 like MNIST's digits; scikit-learn's data file is read
directly, without importing scikit-learn. ``--mnist PATH`` gives Keras's real ``mnist.npz`` instead.
numpy only: this runs in the grader's process (and offline in the reference's ``MNIST`` class).
"""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

IMAGE_SIZE = 28
DIGIT_BOX = 20
"""MNIST centres each digit's 20x20 box in the 28x28 picture."""


def load_mnist_npz(path) -> tuple[np.ndarray, np.ndarray]:
    """The training split of Keras's ``mnist.npz``: (X (N, 784) float32 in [0, 1], y (N,) labels)."""
    with np.load(path, allow_pickle=False) as data:
        images, labels = data["x_train"], data["y_train"]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(labels) != len(images):
        raise ValueError("%s: x_train should be (N, 28, 28) with one label each, got %s and %d labels"
                         % (path, images.shape, len(labels)))
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return X, labels.astype(np.int64)


def _read_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (1797, 64) values 0..16 and (1797,) labels."""
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.origin:
        data_file = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
        if data_file.is_file():
            with gzip.open(data_file, "rt") as f:
                table = np.loadtxt(f, delimiter=",", dtype=np.float64)
            return table[:, :-1], table[:, -1].astype(np.int64)
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise RuntimeError("the bundled digits need scikit-learn (pip install scikit-learn)") from exc
    digits = load_digits()
    return digits.data, digits.target.astype(np.int64)


def _bilinear_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights of a bilinear resize along one axis (pixel centres aligned, edges clamped)."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    left = np.clip(np.floor(centres).astype(int), 0, n_in - 1)
    right = np.clip(left + 1, 0, n_in - 1)
    frac = np.clip(centres - left, 0.0, 1.0)
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), left), 1.0 - frac)
    np.add.at(weights, (np.arange(n_out), right), frac)
    return weights


def load_bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits in MNIST's layout: (X (1797, 784) float32 in [0, 1], y)."""
    pixels, labels = _read_sklearn_digits()
    side = int(round(np.sqrt(pixels.shape[1])))
    images = pixels.reshape(-1, side, side) / 16.0
    resize = _bilinear_matrix(DIGIT_BOX, side)
    boxes = np.einsum("ij,njk,lk->nil", resize, images, resize)
    pad = (IMAGE_SIZE - DIGIT_BOX) // 2
    pictures = np.pad(boxes, ((0, 0), (pad, pad), (pad, pad)))
    X = np.clip(pictures, 0.0, 1.0).reshape(len(pictures), -1).astype(np.float32)
    return X, labels
