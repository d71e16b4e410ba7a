"""Dataset loaders of the assignment: ImageNet validation images for network visualization, and Tiny ImageNet.

``load_imagenet_val`` reads the course's ``datasets/imagenet_val_25.npz`` when it is there; without it, it
falls back to real photos that ship with scikit-learn (a temple and a flower, cropped to 224x224), so the
notebook's cells still run offline.
"""
import os

import numpy as np

IMAGENET_VAL = os.path.join(os.path.dirname(__file__), "datasets", "imagenet_val_25.npz")

PHOTO_LABELS = {"china.jpg": (698, "palace"), "flower.jpg": (985, "daisy")}
"""The bundled photos and the ImageNet classes closest to what they show."""


def load_imagenet_val(num=None, path=IMAGENET_VAL):
    """A few ImageNet validation images.

    Returns ``(X, y, class_names)``: X uint8 of shape (num, 224, 224, 3), y int64 labels of shape (num,),
    and class_names a dict from label to name. With the course's npz, its 25 images (whose label map is a
    pickled dict, so the file is read with ``allow_pickle``: only ever point this at the course's file);
    without it, crops of the bundled photos (see ``bundled_photos``).
    """
    if os.path.isfile(path):
        with np.load(path, allow_pickle=True) as f:
            X, y = f["X"], f["y"]
            class_names = f["label_map"].item()
    else:
        X, y, class_names = bundled_photos()
    if num is not None:
        X, y = X[:num], y[:num]
    return X, y, class_names


def photo_paths():
    """The photos that scikit-learn ships (``china.jpg``, ``flower.jpg``), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the bundled photos come with scikit-learn (pip install scikit-learn), and "
                                "imagenet_val_25.npz was not found either")
    folder = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "images")
    return [os.path.join(folder, name) for name in PHOTO_LABELS]


def square_crop(img, where, size=224):
    """A square crop of ``img`` (H, W, 3) along its longer side (``where`` from 0, the start, to 1, the
    end), resized to ``size`` x ``size`` with bilinear filtering."""
    from PIL import Image

    h, w = img.shape[:2]
    side = min(h, w)
    top = int(round((h - side) * where))
    left = int(round((w - side) * where))
    crop = img[top:top + side, left:left + side]
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR))


PHOTO_CROPS = (("china.jpg", 0.5), ("flower.jpg", 0.5), ("china.jpg", 0.0), ("flower.jpg", 1.0),
               ("china.jpg", 1.0))
"""Five 224x224 pictures from the two photos, standing in for the course's first five images."""


def bundled_photos():
    """``(X, y, class_names)`` for the five crops of ``PHOTO_CROPS``."""
    from PIL import Image

    paths = {os.path.basename(p): p for p in photo_paths()}
    images = {}
    for name, path in paths.items():
        with Image.open(path) as image:
            images[name] = np.asarray(image.convert("RGB"))
    X = np.stack([square_crop(images[name], where) for name, where in PHOTO_CROPS])
    y = np.array([PHOTO_LABELS[name][0] for name, _ in PHOTO_CROPS], dtype=np.int64)
    class_names = {label: text for label, text in PHOTO_LABELS.values()}
    return X, y, class_names


def load_tiny_imagenet(path, dtype=np.float32, subtract_mean=True):
    """Tiny ImageNet from its extracted folder (``wnids.txt``, ``words.txt``, ``train/``, ``val/``,
    ``test/``), with images as (N, 3, 64, 64) arrays of ``dtype``.

    Returns a dict: class_names (a list of name lists per class), X_train, y_train, X_val, y_val, X_test,
    y_test (None: the test labels are not public) and mean_image (subtracted when ``subtract_mean``).
    """
    from .image_utils import _imread

    def read(file_path):
        img = _imread(file_path)
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        return img.transpose(2, 0, 1).astype(dtype)

    with open(os.path.join(path, "wnids.txt")) as f:
        wnids = [line.strip() for line in f if line.strip()]
    label_of = {wnid: i for i, wnid in enumerate(wnids)}
    words = {}
    with open(os.path.join(path, "words.txt")) as f:
        for line in f:
            wnid, _, names = line.rstrip("\n").partition("\t")
            words[wnid] = [n.strip() for n in names.split(",")]
    class_names = [words.get(wnid, [wnid]) for wnid in wnids]

    X_train, y_train = [], []
    for wnid in wnids:
        with open(os.path.join(path, "train", wnid, "%s_boxes.txt" % wnid)) as f:
            names = [line.split("\t")[0] for line in f if line.strip()]
        X_train += [read(os.path.join(path, "train", wnid, "images", n)) for n in names]
        y_train += [label_of[wnid]] * len(names)

    with open(os.path.join(path, "val", "val_annotations.txt")) as f:
        rows = [line.split("\t")[:2] for line in f if line.strip()]
    X_val = np.stack([read(os.path.join(path, "val", "images", name)) for name, _ in rows])
    y_val = np.array([label_of[wnid] for _, wnid in rows])

    test_dir = os.path.join(path, "test", "images")
    X_test = np.stack([read(os.path.join(test_dir, n)) for n in sorted(os.listdir(test_dir))])

    X_train, y_train = np.stack(X_train), np.array(y_train)
    mean_image = X_train.mean(axis=0)
    if subtract_mean:
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    return {"class_names": class_names, "X_train": X_train, "y_train": y_train, "X_val": X_val,
            "y_val": y_val, "X_test": X_test, "y_test": None, "mean_image": mean_image}
