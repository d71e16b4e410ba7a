"""The loss probes (issue #18) on the reference's own answers: no mistake found, on 20 seeds of the probes'
inputs (the style and TV losses draw them from the run's seed; the GAN losses' are fixed). The reference
functions run here, in-process, as the student's would in its worker. Slow and sweep: it imports TensorFlow."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import ROOT
from exercises.gans.probes import PAIRS, probe
from exercises.style_transfer import TV_PROBE_AXES, TV_PROBE_SHAPE, probe_maps
from exercises.vision.style_probes import probe_style, probe_tv

pytestmark = [pytest.mark.slow, pytest.mark.sweep]


def reference(module: str):
    spec = importlib.util.spec_from_file_location("probed_" + module, ROOT / "reference" / "cs231n" / (module + ".py"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def answering(function):
    """A float, or None where the function raised (as the worker's answers are read)."""
    def call(*args):
        try:
            return float(np.asarray(function(*args)))
        except Exception:  # noqa: BLE001 -- any exception is an answer the probes read as none
            return None
    return call


@pytest.fixture(scope="module")
def tf_style():
    pytest.importorskip("tensorflow")
    return reference("style_transfer_tensorflow")


@pytest.mark.parametrize("seed", range(20))
def test_the_reference_style_and_tv_losses_show_no_mistake(tf_style, seed):
    import tensorflow as tf
    feats, others = probe_maps(seed)
    as_tf = lambda arrays: [tf.constant(np.asarray(a, np.float32)) for a in arrays]  # noqa: E731
    loss = answering(lambda fs, layers, targets, weights: tf_style.style_loss(as_tf(fs), layers, as_tf(targets),
                                                                             weights))
    gram = lambda x: tf_style.gram_matrix(tf.constant(x)).numpy()  # noqa: E731
    assert probe_style(gram, loss, feats, others, "x").mistakes == ()
    tv = answering(lambda img, w: tf_style.tv_loss(tf.constant(img.astype(np.float32)), w))
    assert probe_tv(tv, TV_PROBE_SHAPE, TV_PROBE_AXES, np.random.default_rng((seed, 18)), "x").mistakes == ()


def test_the_reference_gan_losses_show_no_mistake_on_either_track():
    tf = pytest.importorskip("tensorflow")
    gan = reference("gan_tf")
    for name in PAIRS:
        call = answering(lambda *arrays: getattr(gan, name)(*(tf.constant(a) for a in arrays)))
        assert probe(name, call, "x", "x").mistakes == (), name
    torch = pytest.importorskip("torch")
    gan = reference("gan_pytorch")
    for name in PAIRS:
        call = answering(lambda *arrays: getattr(gan, name)(*(torch.tensor(a) for a in arrays)))
        assert probe(name, call, "x", "x").mistakes == (), name
