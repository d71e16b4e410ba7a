"""Loading the preprocessed COCO captioning data, sampling minibatches and
turning caption indices back into text."""
import json
import os

import numpy as np

BASE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "datasets", "coco_captioning")


def load_coco_data(base_dir=BASE_DIR, max_train=None, pca_features=True):
    """Load captions, image features, vocabulary and image URLs into a dict.

    Keys: every dataset of ``coco2014_captions.h5`` (train_captions,
    train_image_idxs, val_captions, val_image_idxs), ``train_features`` and
    ``val_features`` (the PCA-reduced 512-d files when ``pca_features``, else
    the 4096-d fc7 files), every top-level key of ``coco2014_vocab.json``
    (idx_to_word, a list, and word_to_idx, a dict) and ``train_urls`` /
    ``val_urls`` (numpy string arrays).

    If ``max_train`` is given, ``max_train`` training captions are drawn with
    replacement (np.random.randint); features and URLs keep their full size.
    """
    import h5py

    print("base dir ", base_dir)
    data = {}

    with h5py.File(os.path.join(base_dir, "coco2014_captions.h5"), "r") as f:
        for key, value in f.items():
            data[key] = np.asarray(value)

    suffix = "_pca" if pca_features else ""
    for split in ("train", "val"):
        path = os.path.join(base_dir, "%s2014_vgg16_fc7%s.h5" % (split, suffix))
        with h5py.File(path, "r") as f:
            data["%s_features" % split] = np.asarray(f["features"])

    with open(os.path.join(base_dir, "coco2014_vocab.json"), "r") as f:
        vocab = json.load(f)
    for key, value in vocab.items():
        data[key] = value

    for split in ("train", "val"):
        with open(os.path.join(base_dir, "%s2014_urls.txt" % split), "r") as f:
            urls = [line.strip() for line in f]
        data["%s_urls" % split] = np.asarray(urls)

    if max_train is not None:
        num_train = data["train_captions"].shape[0]
        mask = np.random.randint(num_train, size=max_train)
        data["train_captions"] = data["train_captions"][mask]
        data["train_image_idxs"] = data["train_image_idxs"][mask]

    return data


def decode_captions(captions, idx_to_word):
    """Turn integer captions into strings.

    ``captions`` is a 1-D (one caption) or 2-D (one per row) integer array;
    ``idx_to_word`` is a list or a dict from index to word. ``<NULL>`` tokens
    are skipped, ``<START>`` is kept, and decoding of a row stops after the
    first ``<END>`` (which is included). Returns a string for 1-D input and a
    list of strings for 2-D input.
    """
    captions = np.asarray(captions)
    single = captions.ndim == 1
    if single:
        captions = captions[None, :]
    decoded = []
    for row in captions:
        words = []
        for idx in row:
            word = idx_to_word[int(idx)]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    if single:
        return decoded[0]
    return decoded


def sample_coco_minibatch(data, batch_size=100, split="train"):
    """Draw ``batch_size`` captions (with replacement) from one split.

    Returns a tuple ``(captions, image_features, urls)``: captions of shape
    (batch_size, T+1), the features of the matching images and their URLs.
    """
    split_size = data["%s_captions" % split].shape[0]
    mask = np.random.choice(split_size, batch_size)
    captions = data["%s_captions" % split][mask]
    image_idxs = data["%s_image_idxs" % split][mask]
    image_features = data["%s_features" % split][image_idxs]
    urls = data["%s_urls" % split][image_idxs]
    return captions, image_features, urls
