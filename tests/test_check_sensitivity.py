"""Every check is seen failing: each mutant below breaks the reference in one small, realistic way and must
fail exactly the listed checks among those it is graded on (the buggy samples cover the rest)."""
from __future__ import annotations

import pytest

from conftest import ROOT, failing, grade, write_submission
from test_samples import EXPECTED_FAILURES

import test_pytorch_track as pytorch_samples

REF = ROOT / "reference" / "cs231n"
L = "rnn_layers."
M = "classifiers.rnn.CaptioningRNN."
G = "gan_tf."
G_LOSS_CHECKS = "gan_tf.%(loss)s/notebook,gan_tf.%(loss)s/hidden,gan_tf.%(loss)s/large-logits"
"""A loss's own checks (its name alone would select the training runs that use it too)."""

MUTANTS = {  # name: (student file, old, new[, old, new ...], --only selection, expected failures)
    "step_forward_without_bias": (
        "rnn_layers.py", "    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)",
        "    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh))",
        "rnn_layers.rnn_step_forward,rnn_layers.rnn_step_backward",
        {L + "rnn_step_forward/notebook", L + "rnn_step_forward/hidden", L + "rnn_step_forward/large-inputs",
         L + "rnn_step_backward/numeric-gradient",
         L + "rnn_step_backward/hidden"}),
    "step_backward_wrong_tanh_derivative": (
        "rnn_layers.py", "    da = dnext_h * (1.0 - next_h * next_h)", "    da = dnext_h * (1.0 - next_h)",
        "rnn_layers.rnn_step_backward",
        {L + "rnn_step_backward/numeric-gradient", L + "rnn_step_backward/hidden"}),
    "step_backward_in_place": (
        "rnn_layers.py", "    da = dnext_h * (1.0 - next_h * next_h)", "    dnext_h *= 1.0 - next_h * next_h\n    da = dnext_h",
        "rnn_layers.rnn_step_backward", {L + "rnn_step_backward/contract"}),
    "rnn_forward_keeps_h0": (
        "rnn_layers.py", "    states, step_caches = [], []\n    prev_h = h0\n    for t in range(T):\n        prev_h, step_cache = rnn_step",
        "    states, step_caches = [h0], []\n    prev_h = h0\n    for t in range(T):\n        prev_h, step_cache = rnn_step",
        "rnn_layers.rnn_forward,rnn_layers.rnn_backward",
        {L + "rnn_forward/notebook", L + "rnn_forward/hidden", L + "rnn_backward/numeric-gradient",
         L + "rnn_backward/hidden", L + "rnn_backward/contract"}),
    "rnn_backward_in_place": (
        "rnn_layers.py", "            dh[:, t, :] + dprev_h, cache[t])\n        dxs[t] = dx_t\n        dWx = dWx + dWx_t\n"
        "        dWh = dWh + dWh_t\n        db = db + db_t\n    dx = np.stack(dxs, axis=1)\n    dh0 = dprev_h\n"
        "    return dx, dh0, dWx, dWh, db\n\n\n# ----",
        "            dh[:, t, :].__iadd__(dprev_h), cache[t])\n        dxs[t] = dx_t\n        dWx = dWx + dWx_t\n"
        "        dWh = dWh + dWh_t\n        db = db + db_t\n    dx = np.stack(dxs, axis=1)\n    dh0 = dprev_h\n"
        "    return dx, dh0, dWx, dWh, db\n\n\n# ----",
        "rnn_layers.rnn_backward", {L + "rnn_backward/contract"}),
    "embedding_off_by_one": (
        "rnn_layers.py", "    out = W[x]\n", "    out = W[x - 1]\n",
        "rnn_layers.word_embedding_forward,rnn_layers.word_embedding_backward",
        {L + "word_embedding_forward/notebook", L + "word_embedding_forward/hidden",
         L + "word_embedding_backward/numeric-gradient"}),
    "embedding_backward_consumes_cache": (
        "rnn_layers.py", "    cache = (x, W.shape, W.dtype)\n    return out, cache\n",
        "    cache = [x, W.shape, W.dtype]\n    return out, cache\n",
        "    x, W_shape, W_dtype = cache\n", "    x, W_shape, W_dtype = cache.pop(0), cache.pop(0), cache.pop(0)\n",
        "rnn_layers.word_embedding_backward/contract", {L + "word_embedding_backward/contract"}),
    "lstm_step_backward_forgets_h_to_c": (
        "rnn_layers.py", "    dc = dnext_c + dnext_h * o * (1.0 - tanh_c * tanh_c)", "    dc = dnext_c + 0.0",
        "rnn_layers.lstm_step_backward",
        {L + "lstm_step_backward/numeric-gradient", L + "lstm_step_backward/hidden"}),
    "lstm_backward_no_carried_c": (
        "rnn_layers.py", "            dh[:, t, :] + dprev_h, dprev_c, cache[t])",
        "            dh[:, t, :] + dprev_h, np.zeros_like(dprev_c), cache[t])",
        "rnn_layers.lstm_backward", {L + "lstm_backward/numeric-gradient", L + "lstm_backward/hidden"}),
    "lstm_backward_in_place": (
        "rnn_layers.py", "            dh[:, t, :] + dprev_h, dprev_c, cache[t])",
        "            dh[:, t, :].__iadd__(dprev_h), dprev_c, cache[t])",
        "rnn_layers.lstm_backward", {L + "lstm_backward/contract"}),
    "loss_stores_state_in_params": (
        "classifiers/rnn.py", "        words, embed_cache = word_embedding_forward(captions_in, W_embed)\n",
        "        words, embed_cache = word_embedding_forward(captions_in, W_embed)\n        self.params['h0'] = h0\n",
        "classifiers.rnn.CaptioningRNN.loss[rnn]/contract,classifiers.rnn.CaptioningRNN.loss[lstm]/contract",
        {M + "loss[rnn]/contract", M + "loss[lstm]/contract"}),
    # --- GANs
    "leaky_relu_is_relu": (
        "gan_tf.py", "    return tf.maximum(x, alpha * x)", "    return tf.nn.relu(x)",
        "gan_tf.leaky_relu", {G + "leaky_relu/notebook", G + "leaky_relu/hidden"}),
    "sample_noise_numpy": (
        "gan_tf.py", "    return tf.random.uniform([batch_size, dim], minval=-1.0, maxval=1.0)",
        "    return np.random.uniform(-1.0, 1.0, size=(batch_size, dim))",
        "gan_tf.sample_noise", {G + "sample_noise/notebook"}),
    "discriminator_narrow": (
        "gan_tf.py", "        tf.keras.Input(shape=(IMAGE_DIM,)),\n        layers.Dense(256),",
        "        tf.keras.Input(shape=(IMAGE_DIM,)),\n        layers.Dense(128),",
        "gan_tf.discriminator/params,gan_tf.discriminator/outputs", {G + "discriminator/params"}),
    "generator_ignores_noise_dim": (
        "gan_tf.py", "        tf.keras.Input(shape=(noise_dim,)),\n        layers.Dense(1024, activation=\"relu\"),\n"
        "        layers.Dense(1024, activation=\"relu\"),",
        "        tf.keras.Input(shape=(NOISE_DIM,)),\n        layers.Dense(1024, activation=\"relu\"),\n"
        "        layers.Dense(1024, activation=\"relu\"),",
        "gan_tf.generator/params,gan_tf.generator/outputs", {G + "generator/params", G + "generator/outputs"}),
    "d_loss_halved": (
        "gan_tf.py", "    return _cross_entropy(logits_real, real=True) + _cross_entropy(logits_fake, real=False)",
        "    return 0.5 * (_cross_entropy(logits_real, real=True) + _cross_entropy(logits_fake, real=False))",
        G_LOSS_CHECKS % {"loss": "discriminator_loss"},
        {G + "discriminator_loss/notebook", G + "discriminator_loss/hidden", G + "discriminator_loss/large-logits"}),
    "g_loss_saturating": (
        "gan_tf.py", "    return _cross_entropy(tf.convert_to_tensor(logits_fake), real=True)",
        "    return -_cross_entropy(tf.convert_to_tensor(logits_fake), real=False)",
        G_LOSS_CHECKS % {"loss": "generator_loss"},
        {G + "generator_loss/notebook", G + "generator_loss/hidden", G + "generator_loss/large-logits"}),
    "g_loss_detached": (
        "gan_tf.py", "    return _cross_entropy(tf.convert_to_tensor(logits_fake), real=True)",
        "    return tf.constant(_cross_entropy(tf.convert_to_tensor(logits_fake), real=True).numpy())",
        "gan_tf.run_a_gan[vanilla]", {G + "run_a_gan[vanilla]/training"}),
    "solvers_shared": (
        "gan_tf.py", "    G_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)\n",
        "    G_solver = D_solver\n", "gan_tf.get_solvers", {G + "get_solvers/defaults"}),
    "ls_losses_without_half": (
        "gan_tf.py",
        "    return 0.5 * tf.reduce_mean(tf.square(scores_real - 1.0)) + 0.5 * tf.reduce_mean(tf.square(scores_fake))",
        "    return tf.reduce_mean(tf.square(scores_real - 1.0)) + tf.reduce_mean(tf.square(scores_fake))",
        "    return 0.5 * tf.reduce_mean(tf.square(scores_fake - 1.0))",
        "    return tf.reduce_mean(tf.square(scores_fake - 1.0))",
        "gan_tf.ls_discriminator_loss/notebook,gan_tf.ls_discriminator_loss/hidden,gan_tf.ls_generator_loss/notebook,"
        "gan_tf.ls_generator_loss/hidden",
        {G + "ls_discriminator_loss/notebook", G + "ls_discriminator_loss/hidden", G + "ls_generator_loss/notebook",
         G + "ls_generator_loss/hidden"}),
    "dc_discriminator_small_dense": (
        "gan_tf.py", "        layers.Dense(4 * 4 * 64),", "        layers.Dense(4 * 4 * 32),",
        "gan_tf.dc_discriminator/params,gan_tf.dc_discriminator/outputs", {G + "dc_discriminator/params"}),
    "dc_discriminator_takes_images": (
        "gan_tf.py", "        tf.keras.Input(shape=(IMAGE_DIM,)),\n        layers.Reshape((28, 28, 1)),\n",
        "        tf.keras.Input(shape=(28, 28, 1)),\n",
        "gan_tf.dc_discriminator/params,gan_tf.dc_discriminator/outputs,gan_tf.run_a_gan[dcgan]",
        {G + "dc_discriminator/outputs", G + "run_a_gan[dcgan]/training"}),
    "dc_generator_drops_channel": (
        "gan_tf.py", "        layers.Reshape((IMAGE_DIM,)),\n    ])\n    return model",
        "        layers.Reshape((28, 28)),\n    ])\n    return model",
        "gan_tf.dc_generator/params,gan_tf.dc_generator/outputs", {G + "dc_generator/outputs"}),
}


SLOW_MUTANTS = {"g_loss_detached", "dc_discriminator_takes_images", "d_loss_halved", "leaky_relu_is_relu",
                "ls_losses_without_half", "g_loss_saturating", "discriminator_narrow", "dc_discriminator_small_dense"}
"""Mutants that need the GAN training runs (10-20 s each): graded with ``-m slow`` (``.ci/run`` runs both)."""


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_MUTANTS else n
                                  for n in sorted(MUTANTS)])
def test_mutant_fails_exactly_its_checks(name, tmp_path):
    path, *edits, only, expected = MUTANTS[name]
    text = (REF / path).read_text()
    for old, new in zip(edits[0::2], edits[1::2]):
        assert text.count(old) == 1, "the mutant's edit %r no longer applies to the reference" % old
        text = text.replace(old, new)
    kwargs = ({"rnn_layers": text} if path == "rnn_layers.py" else {"rnn": text} if path == "classifiers/rnn.py"
              else {"files": {path: text}})
    sub = write_submission(tmp_path / name, **kwargs)
    report = grade([sub], tmp_path / "out", "--seed", "11", "--only", only)[name]
    assert failing(report) == expected


def test_every_check_is_seen_failing():
    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.session import collect_exercises

    ids = {c.id for ex in collect_exercises(get_plugin_manager(), GradingConfig(seed=0)) for c in ex.checks}
    seen = set().union(*(m[-1] for m in MUTANTS.values()), *EXPECTED_FAILURES.values(),
                       *(m[-1] for m in PT_MUTANTS.values()))
    seen |= set().union(*(pytorch_samples.sample_checks(bug) for bug in pytorch_samples.PT_BUGS))
    assert ids - seen == set()


# ---- the PyTorch track: the checks its samples (tests/test_pytorch_track.py) leave unfailed ----------------

P = "gan_pytorch."
P_LOSS_CHECKS = "gan_pytorch.%(loss)s/notebook,gan_pytorch.%(loss)s/hidden,gan_pytorch.%(loss)s/large-logits"
PT_MUTANTS = {  # as MUTANTS, on gan_pytorch.py
    "pt_bce_summed": (
        "gan_pytorch.py", "torch.log1p(torch.exp(-input.abs()))).mean()", "torch.log1p(torch.exp(-input.abs()))).sum()",
        "gan_pytorch.bce_loss",
        {P + "bce_loss/hidden", P + "bce_loss/large-logits"}),
    "pt_d_loss_labels_swapped": (
        "gan_pytorch.py",
        "bce_loss(logits_real, torch.ones_like(logits_real)) + bce_loss(logits_fake, torch.zeros_like(logits_fake))",
        "bce_loss(logits_real, torch.zeros_like(logits_real)) + bce_loss(logits_fake, torch.ones_like(logits_fake))",
        P_LOSS_CHECKS % {"loss": "discriminator_loss"},
        {P + "discriminator_loss/notebook", P + "discriminator_loss/hidden",
         P + "discriminator_loss/large-logits"}),
    "pt_g_loss_against_zeros": (
        "gan_pytorch.py", "    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))",
        "    loss = bce_loss(logits_fake, torch.zeros_like(logits_fake))",
        P_LOSS_CHECKS % {"loss": "generator_loss"},
        {P + "generator_loss/notebook", P + "generator_loss/hidden", P + "generator_loss/large-logits"}),
    "pt_ls_d_loss_without_half": (
        "gan_pytorch.py", "    loss = 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)",
        "    loss = torch.mean((scores_real - 1) ** 2) + torch.mean(scores_fake ** 2)",
        "gan_pytorch.ls_discriminator_loss/notebook,gan_pytorch.ls_discriminator_loss/hidden",
        {P + "ls_discriminator_loss/notebook", P + "ls_discriminator_loss/hidden"}),
    "pt_ls_g_loss_towards_zero": (
        "gan_pytorch.py", "    loss = 0.5 * torch.mean((scores_fake - 1) ** 2)", "    loss = 0.5 * torch.mean(scores_fake ** 2)",
        "gan_pytorch.ls_generator_loss/notebook,gan_pytorch.ls_generator_loss/hidden",
        {P + "ls_generator_loss/notebook", P + "ls_generator_loss/hidden"}),
    "pt_dc_classifier_sigmoid": (
        "gan_pytorch.py", "        nn.Linear(4 * 4 * 64, 1),\n    )",
        "        nn.Linear(4 * 4 * 64, 1),\n        nn.Sigmoid(),\n    )",
        "gan_pytorch.build_dc_classifier/params,gan_pytorch.build_dc_classifier/outputs",
        {P + "build_dc_classifier/outputs"}),
    "pt_dc_generator_sigmoid": (
        "gan_pytorch.py", "        nn.Tanh(),\n        Flatten(),", "        nn.Sigmoid(),\n        Flatten(),",
        "gan_pytorch.build_dc_generator/params,gan_pytorch.build_dc_generator/outputs",
        {P + "build_dc_generator/outputs"}),
    "pt_optimizer_skips_a_tensor": (
        "gan_pytorch.py", "    optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))",
        "    optimizer = optim.Adam(list(model.parameters())[:-1], lr=1e-3, betas=(0.5, 0.999))",
        "gan_pytorch.get_optimizer",
        {P + "get_optimizer/parameters"}),
    "pt_g_loss_detached": (
        "gan_pytorch.py", "    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))",
        "    loss = bce_loss(logits_fake.detach(), torch.ones_like(logits_fake))",
        P_LOSS_CHECKS % {"loss": "generator_loss"} + ",gan_pytorch.run_a_gan[vanilla],gan_pytorch.run_a_gan[dcgan]",
        {P + "run_a_gan[vanilla]/training", P + "run_a_gan[dcgan]/training"}),
    "pt_ls_g_loss_detached": (
        "gan_pytorch.py", "    loss = 0.5 * torch.mean((scores_fake - 1) ** 2)",
        "    loss = 0.5 * torch.mean((scores_fake.detach() - 1) ** 2)",
        "gan_pytorch.ls_generator_loss,gan_pytorch.run_a_gan[lsgan]",
        {P + "run_a_gan[lsgan]/training"}),
}


PT_DEFAULT_MUTANTS = {"pt_bce_summed", "pt_dc_generator_sigmoid"}
"""The PyTorch mutants of the default run; the others (5-20 s each, GAN trainings among them) are ``slow``."""


@pytest.mark.parametrize("name", [n if n in PT_DEFAULT_MUTANTS else pytest.param(n, marks=pytest.mark.slow)
                                  for n in sorted(PT_MUTANTS)])
def test_pytorch_mutant_fails_exactly_its_checks(name, tmp_path):
    pytest.importorskip("torch")
    path, old, new, only, expected = PT_MUTANTS[name]
    text = (REF / path).read_text()
    assert text.count(old) == 1, "the mutant's edit %r no longer applies to the reference" % old
    sub = write_submission(tmp_path / name, files={path: text.replace(old, new)})
    report = grade([sub], tmp_path / "out", "--seed", "11", "--only", only)[name]
    assert failing(report) == expected
