"""Captioning data in the course's COCO layout: a seeded synthetic build, its cache, and the loaders.

The synthetic set mirrors ``cs231n/datasets/coco_captioning``: the same file names, dataset names,
dtypes and vocabulary size, at a few thousand captions. Each image has four latent attributes (subject,
action, place, colour); its five captions are drawn from templates over them and its 512-d feature is
a fixed embedding of them plus small noise, so a captioning model can learn the mapping.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import h5py
import numpy as np

DATA_VERSION = 2
"""Bump whenever the synthetic content changes, so that stale caches are not reused."""

NUM_TRAIN_IMAGES = 2000
NUM_VAL_IMAGES = 500
CAPTIONS_PER_IMAGE = 5
CAPTION_LENGTH = 17
FEATURE_DIM = 512
VOCAB_SIZE = 1004

CAPTIONS_FILE = "coco2014_captions.h5"
TRAIN_FEATURES_FILE = "train2014_vgg16_fc7_pca.h5"
VAL_FEATURES_FILE = "val2014_vgg16_fc7_pca.h5"
VOCAB_FILE = "coco2014_vocab.json"
TRAIN_URLS_FILE = "train2014_urls.txt"
VAL_URLS_FILE = "val2014_urls.txt"
REQUIRED_FILES = (
    CAPTIONS_FILE,
    TRAIN_FEATURES_FILE,
    VAL_FEATURES_FILE,
    VOCAB_FILE,
    TRAIN_URLS_FILE,
    VAL_URLS_FILE,
)
"""What ``load_captioning_data`` reads (the course's PCA-feature variant)."""

SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")
_NULL, _START, _END, _UNK = range(4)
_FUNCTION_WORDS = (
    "a", "on", "the", "in", "with", "of", "and", "is", "at", "near", "an", "to", "two", "its",
    "some", "that", "there", "by", "next", "while", "this", "one", "are", "over", "under", "very",
    "his", "her",
)
_GROUP_SIZES = {"subject": 40, "action": 30, "place": 30, "colour": 12}
"""Latent attributes, each a small word group; the remaining made-up words are fillers."""
_RARE_FILLERS = 2000
"""Out-of-vocabulary filler words (written as ``<UNK>``) in the tail of the filler distribution."""
_VOCAB_SEED = 231
_URL = "http://images.cocodataset.invalid/{split}2014/COCO_{split}2014_{id:012d}.jpg"

# Templates over the attribute slots S(ubject) A(ction) P(lace) C(olour); up to two fillers go right
# before S, and an optional tail phrase ends with one filler. Longest caption: 9 + 2 + 3 = 14 words.
_TEMPLATES = (
    "a C S A",
    "a C S A on the P",
    "the C S is A in the P",
    "there is a C S A near the P",
    "a C S on the P A",
    "two C S are A at the P",
    "the P with a C S A",
    "a S that is C A by the P",
    "in the P a C S is A",
    "one very C S A under this P",
    "an S of C A next to the P",
    "a C S A over its P",
)
_TAILS = ("with M", "and some M", "by the M", "while her M", "to his M")
_SLOTS = {"S": -1, "A": -2, "P": -3, "C": -4, "M": -5}


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[str, ...]:
    """The 1004 words: the course's four special tokens, common function words, made-up words."""
    rng = np.random.default_rng(_VOCAB_SEED)
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    words = list(SPECIAL_TOKENS + _FUNCTION_WORDS)
    seen = set(words)
    while len(words) < VOCAB_SIZE:
        syllables = rng.integers(len(consonants) * len(vowels), size=rng.integers(2, 4))
        word = "".join(consonants[s // len(vowels)] + vowels[s % len(vowels)] for s in syllables)
        if rng.random() < 0.4:
            word += consonants[rng.integers(len(consonants))]
        if word not in seen:
            seen.add(word)
            words.append(word)
    return tuple(words)


def _zipf(n: int, exponent: float = 1.0) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** exponent
    return p / p.sum()


def _token_template(text: str) -> tuple[int, ...]:
    word_to_idx = {w: i for i, w in enumerate(_vocabulary())}
    return tuple(_SLOTS[w] if w in _SLOTS else word_to_idx[w] for w in text.split())


def _captions(attribute_tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(num_images * CAPTIONS_PER_IMAGE, 17) int32 captions, image-major, from (num_images, 4) tokens."""
    first_filler = len(SPECIAL_TOKENS) + len(_FUNCTION_WORDS) + sum(_GROUP_SIZES.values())
    num_fillers = VOCAB_SIZE - first_filler
    n = attribute_tokens.shape[0] * CAPTIONS_PER_IMAGE
    template = rng.integers(len(_TEMPLATES), size=n)
    fill_count = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    tail = rng.choice(len(_TAILS) + 1, size=n, p=[0.75] + [0.05] * len(_TAILS))
    fillers = rng.choice(num_fillers + _RARE_FILLERS, size=(n, 3), p=_zipf(num_fillers + _RARE_FILLERS))
    fillers = np.where(fillers < num_fillers, fillers + first_filler, _UNK).tolist()

    templates = [_token_template(t) for t in _TEMPLATES]
    tails = [()] + [_token_template(t) for t in _TAILS]
    attributes = attribute_tokens.tolist()
    rows = []
    for c, (t, k, e) in enumerate(zip(template.tolist(), fill_count.tolist(), tail.tolist())):
        slot_values = [None, *attributes[c // CAPTIONS_PER_IMAGE], fillers[c][2]]
        words = [_START]
        for token in templates[t]:
            if token == _SLOTS["S"]:
                words.extend(fillers[c][:k])
            words.append(slot_values[-token] if token < 0 else token)
        words.extend(slot_values[-token] if token < 0 else token for token in tails[e])
        words.append(_END)
        rows.append(words + [_NULL] * (CAPTION_LENGTH - len(words)))
    return np.array(rows, dtype=np.int32)


def _write_dataset(out: Path, seed: int) -> None:
    """Write every file of REQUIRED_FILES into the existing directory ``out``."""
    vocab = _vocabulary()
    rng = np.random.default_rng(seed)
    num_images = NUM_TRAIN_IMAGES + NUM_VAL_IMAGES

    first = len(SPECIAL_TOKENS) + len(_FUNCTION_WORDS)
    attributes, embedded = [], np.zeros((num_images, FEATURE_DIM))
    for size in _GROUP_SIZES.values():
        choice = rng.choice(size, size=num_images, p=_zipf(size))
        embedding = 0.5 * rng.standard_normal((size, FEATURE_DIM))
        attributes.append(choice + first)
        embedded += embedding[choice]
        first += size
    features = embedded + 0.4 * rng.standard_normal((num_images, FEATURE_DIM))  # each image also unique
    features = (features - features.mean(axis=0)).astype(np.float32)
    captions = _captions(np.stack(attributes, axis=1), rng)
    image_ids = rng.choice(600_000, size=num_images, replace=False)

    splits = {"train": slice(0, NUM_TRAIN_IMAGES), "val": slice(NUM_TRAIN_IMAGES, num_images)}
    caption_sets = {}
    for split, images in splits.items():
        count = images.stop - images.start
        order = rng.permutation(count * CAPTIONS_PER_IMAGE)
        rows = captions[images.start * CAPTIONS_PER_IMAGE : images.stop * CAPTIONS_PER_IMAGE]
        idxs = np.repeat(np.arange(count, dtype=np.int32), CAPTIONS_PER_IMAGE)
        caption_sets[split] = (rows[order], idxs[order])
        with h5py.File(out / f"{split}2014_vgg16_fc7_pca.h5", "w") as f:
            f.create_dataset("features", data=features[images], track_times=False)
        urls = [_URL.format(split=split, id=i) for i in np.sort(image_ids[images]).tolist()]
        (out / f"{split}2014_urls.txt").write_text("".join(u + "\n" for u in urls))

    with h5py.File(out / CAPTIONS_FILE, "w") as f:
        for split, (rows, idxs) in caption_sets.items():
            f.create_dataset(f"{split}_captions", data=rows, track_times=False)
            f.create_dataset(f"{split}_image_idxs", data=idxs, track_times=False)
    vocab_json = {"idx_to_word": list(vocab), "word_to_idx": {w: i for i, w in enumerate(vocab)}}
    (out / VOCAB_FILE).write_text(json.dumps(vocab_json))


def _first_missing(path: Path) -> str | None:
    return next((name for name in REQUIRED_FILES if not (path / name).is_file()), None)


def _publish(tmp: Path, dest: Path) -> Path:
    """Rename the finished ``tmp`` to ``dest``; if another build got there first, keep the winner's."""
    try:
        os.rename(tmp, dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not dest.is_dir():
            raise
        missing = _first_missing(dest)
        if missing is not None:
            message = f"{dest} exists but lacks {missing}; remove it or choose another directory"
            raise FileExistsError(message) from None
    return dest


def build_synthetic_coco(dest: Path, seed: int = 0) -> Path:
    """Write the synthetic captioning set for ``seed`` into ``dest`` atomically; reuse a complete ``dest``."""
    dest = Path(dest)
    if dest.is_dir() and _first_missing(dest) is None:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        os.chmod(tmp, 0o755)
        _write_dataset(tmp, seed)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _publish(tmp, dest)


def default_data_dir(seed: int = 0) -> Path:
    """``$XDG_CACHE_HOME/cs231n-grader/coco_synthetic_v{DATA_VERSION}_s{seed}`` (``~/.cache`` by default)."""
    return _cache_root() / f"coco_synthetic_v{DATA_VERSION}_s{seed}"


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cs231n-grader"


def ensure_synthetic_coco(seed: int = 0, cache_dir: Path | None = None) -> Path:
    """The synthetic set's directory, built on first use; ``cache_dir`` replaces ``.../cs231n-grader``."""
    dest = default_data_dir(seed) if cache_dir is None else Path(cache_dir) / default_data_dir(seed).name
    return build_synthetic_coco(dest, seed)


def check_coco_dir(path: Path) -> None:
    """Raise ValueError (one line, naming the first missing file) unless ``path`` holds REQUIRED_FILES."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"COCO captioning directory {path} does not exist or is not a directory")
    missing = _first_missing(path)
    if missing is not None:
        raise ValueError(f"COCO captioning directory {path} lacks {missing}")


def load_captioning_data(base_dir: Path) -> dict:
    """What the course's ``load_coco_data(base_dir, max_train=None, pca_features=True)`` returns, silently."""
    base_dir = Path(base_dir)
    check_coco_dir(base_dir)
    data = {}
    with h5py.File(base_dir / CAPTIONS_FILE, "r") as f:
        for name, dataset in f.items():
            data[name] = dataset[()]
    for split, name in (("train", TRAIN_FEATURES_FILE), ("val", VAL_FEATURES_FILE)):
        with h5py.File(base_dir / name, "r") as f:
            data[f"{split}_features"] = f["features"][()]
    with open(base_dir / VOCAB_FILE) as f:
        data.update(json.load(f))
    for split, name in (("train", TRAIN_URLS_FILE), ("val", VAL_URLS_FILE)):
        with open(base_dir / name) as f:
            data[f"{split}_urls"] = np.asarray([line.strip() for line in f])
    return data


def subsample_train(data: dict, max_train: int, rng: np.random.RandomState) -> dict:
    """A shallow copy with ``max_train`` training captions drawn with replacement, as the course does."""
    mask = rng.randint(data["train_captions"].shape[0], size=max_train)
    return {
        **data,
        "train_captions": data["train_captions"][mask],
        "train_image_idxs": data["train_image_idxs"][mask],
    }


def subsample_distinct_images(data: dict, max_train: int, rng: np.random.RandomState) -> dict:
    """Like ``subsample_train``, but one caption from each of ``max_train`` different images.

    Two different captions of one image cannot both be fitted, which puts a floor under the overfit loss.
    With COCO's 83k training images the course's draw almost never picks one image twice; with a smaller
    (synthetic) set it often would, so the grader's overfit run draws distinct images instead.
    """
    image_idxs = data["train_image_idxs"]
    images = rng.choice(np.unique(image_idxs), size=max_train, replace=False)
    order = rng.permutation(image_idxs.shape[0])
    first = {}
    for i in order:
        first.setdefault(int(image_idxs[i]), int(i))
    mask = np.asarray([first[int(img)] for img in images])
    return {**data, "train_captions": data["train_captions"][mask], "train_image_idxs": image_idxs[mask]}


def sample_minibatch(
    data: dict, batch_size: int, rng: np.random.RandomState, split: str = "train"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The course's ``sample_coco_minibatch`` with an explicit RandomState: (captions, features, urls)."""
    mask = rng.choice(data[f"{split}_captions"].shape[0], batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    return captions, data[f"{split}_features"][image_idxs], data[f"{split}_urls"][image_idxs]
