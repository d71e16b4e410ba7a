"""The synthetic COCO captioning set: layout, determinism, caching, loaders and learnability."""
import re
import time

import numpy as np
import pytest

from exercises.captioning import data as coco

SPECIALS = ("<NULL>", "<START>", "<END>", "<UNK>")


@pytest.fixture(scope="module")
def coco_dir(tmp_path_factory):
    return coco.build_synthetic_coco(tmp_path_factory.mktemp("coco") / "s0", seed=0)


@pytest.fixture(scope="module")
def data(coco_dir):
    return coco.load_captioning_data(coco_dir)


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, coco_dir, data):
    again = coco.build_synthetic_coco(tmp_path / "again", seed=0)
    for name in coco.REQUIRED_FILES:
        assert (again / name).read_bytes() == (coco_dir / name).read_bytes(), name
    other = coco.load_captioning_data(coco.build_synthetic_coco(tmp_path / "other", seed=1))
    for key in ("train_captions", "val_captions", "train_features", "val_features", "train_urls"):
        assert other[key].shape == data[key].shape
        assert not np.array_equal(other[key], data[key]), key
    assert other["idx_to_word"] == data["idx_to_word"]


def test_build_takes_well_under_two_seconds(tmp_path):
    start = time.perf_counter()
    coco.build_synthetic_coco(tmp_path / "timed", seed=7)
    assert time.perf_counter() - start < 2.0


def test_keys_shapes_and_dtypes_match_the_course_loader(data):
    n_train = coco.NUM_TRAIN_IMAGES * coco.CAPTIONS_PER_IMAGE
    n_val = coco.NUM_VAL_IMAGES * coco.CAPTIONS_PER_IMAGE
    expected = {
        "train_captions": ((n_train, 17), np.int32),
        "train_image_idxs": ((n_train,), np.int32),
        "val_captions": ((n_val, 17), np.int32),
        "val_image_idxs": ((n_val,), np.int32),
        "train_features": ((coco.NUM_TRAIN_IMAGES, 512), np.float32),
        "val_features": ((coco.NUM_VAL_IMAGES, 512), np.float32),
    }
    assert set(data) == set(expected) | {"idx_to_word", "word_to_idx", "train_urls", "val_urls"}
    for key, (shape, dtype) in expected.items():
        assert isinstance(data[key], np.ndarray), key
        assert data[key].shape == shape and data[key].dtype == dtype, key
    for split, n_images in (("train", coco.NUM_TRAIN_IMAGES), ("val", coco.NUM_VAL_IMAGES)):
        urls = data[f"{split}_urls"]
        assert isinstance(urls, np.ndarray) and urls.dtype.kind == "U" and urls.shape == (n_images,)
        assert len(set(urls.tolist())) == n_images
        assert all(re.fullmatch(rf"http://\S+/{split}2014/COCO_{split}2014_\d{{12}}\.jpg", u) for u in urls)
        idxs = data[f"{split}_image_idxs"]
        assert np.array_equal(np.bincount(idxs, minlength=n_images), np.full(n_images, 5))


def test_vocabulary_has_the_course_special_tokens(data):
    idx_to_word, word_to_idx = data["idx_to_word"], data["word_to_idx"]
    assert isinstance(idx_to_word, list) and isinstance(word_to_idx, dict)
    assert len(idx_to_word) == len(word_to_idx) == 1004
    assert all(idx_to_word[i] == w for w, i in word_to_idx.items())
    assert [word_to_idx[t] for t in SPECIALS] == [0, 1, 2, 3]
    assert all(re.fullmatch(r"[a-z]+", w) for w in idx_to_word[4:])


def test_captions_are_start_words_end_then_null(data):
    w = data["word_to_idx"]
    null, start, end = w["<NULL>"], w["<START>"], w["<END>"]
    for split in ("train", "val"):
        captions = data[f"{split}_captions"]
        assert captions.min() >= 0 and captions.max() < 1004
        assert np.all(captions[:, 0] == start)
        assert np.all((captions == end).sum(axis=1) == 1)
        end_pos = np.argmax(captions == end, axis=1)
        after_end = np.arange(captions.shape[1]) > end_pos[:, None]
        assert np.all((captions == null) == after_end)
        assert np.all(captions[:, 1:] != start)
        assert 4 + 1 <= end_pos.min() and end_pos.max() <= 14 + 1


def test_features_look_like_pca_features(data):
    features = np.concatenate([data["train_features"], data["val_features"]])
    assert np.all(np.isfinite(features))
    assert abs(features.mean()) < 0.05
    assert 0.5 < features.std() < 1.5


def test_word_frequencies_are_skewed(data):
    counts = np.bincount(data["train_captions"].ravel(), minlength=1004)
    counts[[data["word_to_idx"][t] for t in SPECIALS]] = 0
    top = [data["idx_to_word"][i] for i in np.argsort(-counts, kind="stable")[:20]]
    assert {"a", "the"} <= set(top[:5]) and "on" in top
    assert counts.max() > 50 * np.median(counts[counts > 0])
    assert (data["train_captions"] == data["word_to_idx"]["<UNK>"]).any()


def test_images_with_similar_features_share_caption_words(data):
    """Features carry the caption's attributes: nearest neighbours in feature space share their usual words
    far more than random pairs of images do, while every image stays distinct (so it can be memorised)."""
    features = data["train_features"][:400].astype(np.float64)
    sq = (features**2).sum(axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * features @ features.T, 0))
    np.fill_diagonal(dist, np.inf)
    assert dist.min() > 0.3 * np.median(dist[np.isfinite(dist)]), "two images have near-identical features"
    nearest = [(i, int(np.argmin(dist[i]))) for i in range(len(features))]
    rng = np.random.default_rng(0)
    random_pairs = [(int(i), int(j)) for i, j in rng.integers(len(features), size=(400, 2)) if i != j]

    specials = {data["word_to_idx"][t] for t in SPECIALS}
    by_image = [[] for _ in range(data["train_features"].shape[0])]
    for caption, image in zip(data["train_captions"].tolist(), data["train_image_idxs"].tolist()):
        by_image[image].append(set(caption) - specials)

    def usual_words(image):
        return {w for w in set().union(*by_image[image]) if sum(w in c for c in by_image[image]) >= 3}

    def overlap(pairs):
        scores = [len((a := usual_words(i)) & (b := usual_words(j))) / max(len(a | b), 1) for i, j in pairs]
        return float(np.mean(scores))

    assert overlap(nearest) > overlap(random_pairs) + 0.25


def test_complete_destination_is_reused_and_no_temp_dirs_remain(coco_dir):
    before = {name: (coco_dir / name).stat().st_mtime_ns for name in coco.REQUIRED_FILES}
    assert coco.build_synthetic_coco(coco_dir, seed=0) == coco_dir
    assert {name: (coco_dir / name).stat().st_mtime_ns for name in coco.REQUIRED_FILES} == before
    assert [p.name for p in coco_dir.parent.iterdir()] == [coco_dir.name]


def test_losing_the_rename_race_keeps_the_winner(tmp_path, coco_dir):
    loser = tmp_path / ".s0.loser.tmp"
    loser.mkdir()
    (loser / "marker").write_text("x")
    assert coco._publish(loser, coco_dir) == coco_dir
    assert not loser.exists() and not (coco_dir / "marker").exists()


def test_incomplete_destination_is_not_overwritten(tmp_path):
    dest = tmp_path / "partial"
    dest.mkdir()
    (dest / coco.CAPTIONS_FILE).write_bytes(b"")
    with pytest.raises(FileExistsError, match=coco.TRAIN_FEATURES_FILE):
        coco.build_synthetic_coco(dest)
    assert [p.name for p in tmp_path.iterdir()] == ["partial"]


def test_ensure_builds_once_in_the_xdg_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "cs231n-grader" / f"coco_synthetic_v{coco.DATA_VERSION}_s3"
    assert coco.default_data_dir(3) == expected
    assert coco.ensure_synthetic_coco(3) == expected
    stamp = (expected / coco.CAPTIONS_FILE).stat().st_mtime_ns
    assert coco.ensure_synthetic_coco(3) == expected
    assert (expected / coco.CAPTIONS_FILE).stat().st_mtime_ns == stamp
    elsewhere = coco.ensure_synthetic_coco(3, cache_dir=tmp_path / "other")
    assert elsewhere == tmp_path / "other" / expected.name
    assert (elsewhere / coco.CAPTIONS_FILE).read_bytes() == (expected / coco.CAPTIONS_FILE).read_bytes()


def test_default_cache_is_under_home_without_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".cache" / "cs231n-grader" / f"coco_synthetic_v{coco.DATA_VERSION}_s0"
    assert coco.default_data_dir() == expected


def test_check_coco_dir_names_the_first_missing_file(tmp_path, coco_dir):
    coco.check_coco_dir(coco_dir)
    (tmp_path / coco.CAPTIONS_FILE).write_bytes(b"")
    (tmp_path / coco.VOCAB_FILE).write_text("{}")
    with pytest.raises(ValueError) as info:
        coco.check_coco_dir(tmp_path)
    message = str(info.value)
    assert "\n" not in message and coco.TRAIN_FEATURES_FILE in message and str(tmp_path) in message
    with pytest.raises(ValueError, match="not a directory"):
        coco.check_coco_dir(tmp_path / "absent")
    with pytest.raises(ValueError, match=coco.TRAIN_FEATURES_FILE):
        coco.load_captioning_data(tmp_path)


def test_subsample_train_draws_with_replacement_like_the_course(data):
    mask = np.random.RandomState(5).randint(len(data["train_captions"]), size=30_000)
    sub = coco.subsample_train(data, 30_000, np.random.RandomState(5))
    assert np.array_equal(sub["train_captions"], data["train_captions"][mask])
    assert np.array_equal(sub["train_image_idxs"], data["train_image_idxs"][mask])
    assert sub is not data and data["train_captions"].shape[0] == coco.NUM_TRAIN_IMAGES * 5
    for key in set(data) - {"train_captions", "train_image_idxs"}:
        assert sub[key] is data[key], key


@pytest.mark.parametrize("split", ["train", "val"])
def test_sample_minibatch_follows_sample_coco_minibatch(data, split):
    mask = np.random.RandomState(9).choice(len(data[f"{split}_captions"]), 25)
    captions, features, urls = coco.sample_minibatch(data, 25, np.random.RandomState(9), split=split)
    image_idxs = data[f"{split}_image_idxs"][mask]
    assert np.array_equal(captions, data[f"{split}_captions"][mask])
    assert features.shape == (25, 512) and np.array_equal(features, data[f"{split}_features"][image_idxs])
    assert np.array_equal(urls, data[f"{split}_urls"][image_idxs])


def test_the_graders_adam_steps_as_the_provided_optim_adam():
    """The grader's Adam (for an overfit run the grader drives itself: ``model_checks.grader_train``) is the
    provided module's update, which the harness applies in the worker."""
    from exercises.captioning.adam import adam
    from reference.cs231n.optim import adam as provided

    rng = np.random.default_rng(0)
    ours = theirs = rng.standard_normal((256, 64)).astype(np.float32)
    theirs = theirs.copy()
    mine, cfg = {"learning_rate": 2e-2}, {"learning_rate": 2e-2}
    for _ in range(30):  # bit for bit: enough steps and entries for a rounding difference to show
        grad = rng.standard_normal((256, 64)).astype(np.float32)
        ours, mine = adam(ours, grad, mine)
        theirs, cfg = provided(theirs, grad, cfg)
    assert ours.dtype == np.float32 and np.array_equal(ours, theirs)
