"""The images of Q3 and Q4, read in the grader's process (Pillow and numpy only, no TensorFlow).

By default: two real photos that ship with scikit-learn (``china.jpg``, a temple, and ``flower.jpg``, a
dahlia). ``--imagenet-val FILE`` uses the course's ``imagenet_val_25.npz`` (only its ``X`` and ``y``:
its label map is a pickle and is never read), ``--styles-dir DIR`` the course's ``styles/`` folder
(``tubingen.jpg`` as the content image, ``starry_night.jpg`` as the style, as the notebook's tests).

``load_image`` mirrors the provided ``image_utils.load_image`` exactly, including its two quirks: the
computed (H', W') is handed to ``PIL.Image.resize`` as (width, height), so the result is (W', H', 3), and
the filter is NEAREST (Pillow's default before version 7, which the assignment pinned). Every image the
grader shows a student's code is made here, so the Pillow a student has installed never matters.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SQUEEZENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
SQUEEZENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

PHOTO_LABELS = {"china.jpg": 698, "flower.jpg": 985}
"""The bundled photos and the ImageNet classes closest to what they show (palace, daisy)."""
PHOTO_CROPS = (("china.jpg", 0.5), ("flower.jpg", 0.5), ("china.jpg", 0.0), ("flower.jpg", 1.0),
               ("china.jpg", 1.0))
"""Five 224x224 crops standing in for the course's first five ImageNet images (as ``data_utils`` does)."""

COURSE_CONTENT, COURSE_STYLE = "tubingen.jpg", "starry_night.jpg"
DEFAULT_CONTENT, DEFAULT_STYLE = "china.jpg", "flower.jpg"


def photo_folder() -> Path:
    """scikit-learn's sample-image folder, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the default photos come with scikit-learn: pip install scikit-learn")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "images"


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def load_image(path: Path, size: int | None = None) -> np.ndarray:
    """The provided ``load_image(filename, size)``: shorter side scaled to ``size``, with its quirks (see
    the module's docstring)."""
    from PIL import Image

    img = read_rgb(path)
    if size is not None:
        shape = np.array(img.shape[:2])
        new_shape = (shape * (float(size) / shape[np.argmin(shape)])).astype(int)
        nearest = getattr(getattr(Image, "Resampling", Image), "NEAREST")
        img = np.asarray(Image.fromarray(img).resize(tuple(int(s) for s in new_shape), resample=nearest))
    return img


def load_image_resized(path: Path, size: int) -> np.ndarray:
    """The image as the PyTorch notebooks read it, ``T.Resize(size)`` on the PIL image: the shorter side scaled
    to ``size`` (the longer one to ``int(size * long / short)``) with Pillow's bilinear filter; (H', W', 3)."""
    from PIL import Image

    img = read_rgb(path)
    h, w = img.shape[:2]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    bilinear = getattr(getattr(Image, "Resampling", Image), "BILINEAR")
    return np.asarray(Image.fromarray(img).resize((new_w, new_h), resample=bilinear))


def square_crop(img: np.ndarray, where: float, size: int = 224) -> np.ndarray:
    """A square crop along the longer side (``where`` 0 = start, 1 = end), resized bilinearly to ``size``."""
    from PIL import Image

    h, w = img.shape[:2]
    side = min(h, w)
    top, left = int(round((h - side) * where)), int(round((w - side) * where))
    crop = img[top:top + side, left:left + side]
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR))


def bundled_imagenet() -> tuple[np.ndarray, np.ndarray]:
    """(X uint8 (5, 224, 224, 3), y int64 (5,)): crops of the bundled photos with their labels."""
    folder = photo_folder()
    photos = {name: read_rgb(folder / name) for name in PHOTO_LABELS}
    X = np.stack([square_crop(photos[name], where) for name, where in PHOTO_CROPS])
    y = np.array([PHOTO_LABELS[name] for name, _ in PHOTO_CROPS], dtype=np.int64)
    return X, y


def course_imagenet(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """X and y of the course's ``imagenet_val_25.npz``, read without unpickling anything."""
    try:
        with np.load(path, allow_pickle=False) as f:
            X, y = np.asarray(f["X"]), np.asarray(f["y"])
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError("%s is not the course's imagenet_val_25.npz (%s)" % (path, exc)) from None
    if X.ndim != 4 or X.shape[1:] != (224, 224, 3) or X.dtype != np.uint8 or y.shape != X.shape[:1]:
        raise ValueError("%s: expected X uint8 (N, 224, 224, 3) and y (N,), got X %s %s and y %s"
                         % (path, X.dtype, X.shape, y.shape))
    return X, y.astype(np.int64)


def style_paths(styles_dir: Path | None) -> tuple[Path, Path]:
    """The content and style pictures: the notebook's (from the course's folder) or the bundled photos."""
    if styles_dir is None:
        folder = photo_folder()
        return folder / DEFAULT_CONTENT, folder / DEFAULT_STYLE
    paths = Path(styles_dir) / COURSE_CONTENT, Path(styles_dir) / COURSE_STYLE
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ValueError("%s has no %s" % (styles_dir, " or ".join(missing)))
    return paths


def preprocess(img: np.ndarray) -> np.ndarray:
    """The provided ``preprocess_image``: (img / 255 - mean) / std, float32."""
    return ((img.astype(np.float32) / 255.0 - SQUEEZENET_MEAN) / SQUEEZENET_STD).astype(np.float32)


def deprocess(img: np.ndarray, rescale: bool = False) -> np.ndarray:
    """The provided ``deprocess_image``, as floats in [0, 1] for the report's pictures."""
    img = np.asarray(img, dtype=np.float64) * SQUEEZENET_STD + SQUEEZENET_MEAN
    if rescale:
        low, high = img.min(), img.max()
        img = (img - low) / (high - low) if high > low else np.zeros_like(img)
    return np.clip(img, 0.0, 1.0)


def heat(saliency: np.ndarray, top: float) -> np.ndarray:
    """A saliency map (H, W) as an RGB picture in a black-red-yellow-white scale, ``top`` being white."""
    x = np.clip(np.asarray(saliency, dtype=np.float64) / top, 0, 1) if top > 0 else np.zeros(np.shape(saliency))
    return np.stack([np.clip(3 * x, 0, 1), np.clip(3 * x - 1, 0, 1), np.clip(3 * x - 2, 0, 1)], axis=-1)


def enlarge(picture: np.ndarray, factor: int) -> np.ndarray:
    """A small picture shown ``factor`` times bigger (each pixel a block), for the report."""
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)
