"""Regenerate the buggy sample submissions from the reference: each one carries one realistic bug.

Run from the repository root: ``python submissions/make_buggy.py``. Every bug is a literal text edit of
a reference student file, so a change of the reference that breaks an edit fails loudly here.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from exercises.assignment import STUDENT_FILES, TRACK_FILES  # the grader's own pack, installed with it

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "reference" / "cs231n"
SKELETON = HERE / "skeleton" / "cs231n"

BUGS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    # name: (student file, the bug in words, literal edits of the reference file)
    "bug_lstm_gate_order": ("rnn_layers.py", "LSTM gates read in the order i, f, g, o instead of i, f, o, g", [
        ("    o = sigmoid(a[:, 2 * H:3 * H])\n    g = np.tanh(a[:, 3 * H:])",
         "    g = np.tanh(a[:, 2 * H:3 * H])\n    o = sigmoid(a[:, 3 * H:])"),
        ("        do * o * (1.0 - o),\n        dg * (1.0 - g * g),",
         "        dg * (1.0 - g * g),\n        do * o * (1.0 - o),"),
    ]),
    "bug_start_in_column0": ("classifiers/rnn.py", "sample() writes <START> into column 0 and samples from column 1", [
        ("        for t in range(max_length):\n            x = W_embed[word]",
         "        captions[:, 0] = self._start\n        for t in range(1, max_length):\n            x = W_embed[word]"),
    ]),
    "bug_rnn_backward_no_carry": ("rnn_layers.py", "rnn_backward drops the gradient carried from the next step", [
        ("            dh[:, t, :] + dprev_h, cache[t])\n", "            dh[:, t, :], cache[t])\n"),
    ]),
    "bug_embedding_no_add_at": ("rnn_layers.py", "word_embedding_backward uses dW[x] += dout, losing repeated words", [
        ("    np.add.at(dW, x, dout)", "    dW[x] += dout"),
    ]),
    "bug_lstm_mutates_dnext_c": ("rnn_layers.py", "lstm_step_backward adds into dnext_c in place", [
        ("    dc = dnext_c + dnext_h * o * (1.0 - tanh_c * tanh_c)",
         "    dc = dnext_c\n    dc += dnext_h * o * (1.0 - tanh_c * tanh_c)"),
    ]),
    "bug_tanh_projection": ("classifiers/rnn.py", "h0 = tanh(features W_proj + b_proj) in loss (the projection is affine)", [
        ("        h0, proj_cache = affine_forward(features, W_proj, b_proj)\n",
         "        a0, proj_cache = affine_forward(features, W_proj, b_proj)\n        h0 = np.tanh(a0)\n"),
        ("        _, grads[\"W_proj\"], grads[\"b_proj\"] = affine_backward(dh0, proj_cache)",
         "        _, grads[\"W_proj\"], grads[\"b_proj\"] = affine_backward(dh0 * (1 - h0 ** 2), proj_cache)"),
    ]),
    "bug_rnn_tanh_exp": ("rnn_layers.py", "rnn_step_forward computes tanh as (e^z - e^-z) / (e^z + e^-z), which "
                         "overflows to NaN for large pre-activations", [
        ("    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)\n",
         "    z = x.dot(Wx) + prev_h.dot(Wh) + b\n    next_h = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n"),
    ]),
    "bug_lstm_backward_pops_cache": ("rnn_layers.py", "lstm_backward consumes the cache with list.pop(): a second call "
                                     "finds it empty", [
        ("    cache = tuple(step_caches)\n    return h, cache\n\n\ndef lstm_backward",
         "    cache = step_caches\n    return h, cache\n\n\ndef lstm_backward"),
        ("            dh[:, t, :] + dprev_h, dprev_c, cache[t])", "            dh[:, t, :] + dprev_h, dprev_c, cache.pop())"),
    ]),
    "bug_lstm_tanh_exp": ("rnn_layers.py", "lstm_step_forward computes both tanh as (e^z - e^-z) / (e^z + e^-z), "
                          "which overflows to NaN for large pre-activations", [
        ("    g = np.tanh(a[:, 3 * H:])\n",
         "    a_g = a[:, 3 * H:]\n    g = (np.exp(a_g) - np.exp(-a_g)) / (np.exp(a_g) + np.exp(-a_g))\n"),
        ("    tanh_c = np.tanh(next_c)\n",
         "    tanh_c = (np.exp(next_c) - np.exp(-next_c)) / (np.exp(next_c) + np.exp(-next_c))\n"),
    ]),
    "bug_lstm_backward_no_carry": ("rnn_layers.py", "lstm_backward drops the hidden state's gradient carried from "
                                   "the next step", [
        ("            dh[:, t, :] + dprev_h, dprev_c, cache[t])\n", "            dh[:, t, :], dprev_c, cache[t])\n"),
    ]),
    "bug_lstm_backward_dc_reset": ("rnn_layers.py", "lstm_backward sets dprev_c to zero inside its loop: the cell "
                                   "state's gradient never reaches the earlier steps", [
        ("    for t in reversed(range(T)):\n        dx_t, dprev_h, dprev_c, dWx_t",
         "    for t in reversed(range(T)):\n        dprev_c = np.zeros_like(dh[:, 0, :])\n"
         "        dx_t, dprev_h, dprev_c, dWx_t"),
    ]),
    "bug_sample_start_not_reset": ("classifiers/rnn.py", "sample() decodes one image at a time and sets the input "
                                   "word to <START> only once, before the first image", [
        ("""        h, _ = affine_forward(features, W_proj, b_proj)
        c = np.zeros_like(h)
        word = np.full(N, self._start, dtype=np.int64)
        for t in range(max_length):
            x = W_embed[word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores = h.dot(W_vocab) + b_vocab
            word = np.argmax(scores, axis=1)
            captions[:, t] = word
""", """        h0, _ = affine_forward(features, W_proj, b_proj)
        word = self._start
        for n in range(N):
            h = h0[n:n + 1]
            c = np.zeros_like(h)
            for t in range(max_length):
                x = W_embed[[word]]
                if self.cell_type == "rnn":
                    h, _ = rnn_step_forward(x, h, Wx, Wh, b)
                else:
                    h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
                scores = h.dot(W_vocab) + b_vocab
                word = int(np.argmax(scores[0]))
                captions[n, t] = word
"""),
    ]),
    "bug_sample_int_of_array": ("classifiers/rnn.py", "sample() decodes one image at a time, keeping a batch axis "
                                "of 1, and converts the (1,) argmax with int(): a TypeError under NumPy 2", [
        ("""        h, _ = affine_forward(features, W_proj, b_proj)
        c = np.zeros_like(h)
        word = np.full(N, self._start, dtype=np.int64)
        for t in range(max_length):
            x = W_embed[word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores = h.dot(W_vocab) + b_vocab
            word = np.argmax(scores, axis=1)
            captions[:, t] = word
""", """        h0, _ = affine_forward(features, W_proj, b_proj)
        for n in range(N):
            h = h0[n:n + 1]
            c = np.zeros_like(h)
            word = self._start
            for t in range(max_length):
                x = W_embed[[word]]
                if self.cell_type == "rnn":
                    h, _ = rnn_step_forward(x, h, Wx, Wh, b)
                else:
                    h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
                scores = h.dot(W_vocab) + b_vocab
                word = int(np.argmax(scores, axis=1))
                captions[n, t] = word
"""),
    ]),
    "bug_sample_h_c_swapped": ("classifiers/rnn.py", "sample() calls lstm_step_forward(x, c, h, ...): the cell state "
                               "as prev_h and the hidden state as prev_c", [
        ("                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)\n            scores",
         "                h, c, _ = lstm_step_forward(x, c, h, Wx, Wh, b)\n            scores"),
    ]),
    "bug_sample_next_c_unbound": ("classifiers/rnn.py", "sample() assigns next_c only in the LSTM branch but reads it "
                                  "for both cells: UnboundLocalError for cell_type='rnn'", [
        ("""            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores""", """            if self.cell_type == "rnn":
                next_h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                next_h, next_c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            h, c = next_h, next_c
            scores"""),
    ]),
    "bug_sample_unk_masked": ("classifiers/rnn.py", "sample() masks <UNK> out of the argmax", [
        ("            scores = h.dot(W_vocab) + b_vocab\n            word = np.argmax(scores, axis=1)",
         "            scores = h.dot(W_vocab) + b_vocab\n            scores[:, self.word_to_idx[\"<UNK>\"]] = -np.inf\n"
         "            word = np.argmax(scores, axis=1)"),
    ]),
    # --- network visualization and style transfer (net_visualization_tensorflow.py, style_transfer_tensorflow.py)
    "bug_saliency_max_score": ("net_visualization_tensorflow.py", "saliency of the highest score instead of the "
                               "correct class's", [
        ("        correct_scores = tf.gather_nd(scores, picks)\n",
         "        correct_scores = tf.reduce_max(scores, axis=1)\n"),
    ]),
    "bug_fooling_norm_squared": ("net_visualization_tensorflow.py", "fooling step divided by ||g||^2 instead of ||g||", [
        ("        X_fooling.assign_add(learning_rate * g / tf.norm(g))",
         "        X_fooling.assign_add(learning_rate * g / tf.norm(g) ** 2)"),
    ]),
    "bug_class_vis_l2_sign": ("net_visualization_tensorflow.py", "class visualization ascends s_y + l2 ||X||^2 (the "
                              "L2 term with the wrong sign)", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)",
         "        objective = score + l2_reg * tf.reduce_sum(X * X)"),
    ]),
    "bug_saliency_cross_entropy": ("net_visualization_tensorflow.py", "saliency of the cross-entropy loss instead of "
                                   "the correct class's raw score", [
        ("        correct_scores = tf.gather_nd(scores, picks)\n",
         "        correct_scores = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=scores)\n"),
    ]),
    "bug_saliency_no_abs": ("net_visualization_tensorflow.py", "saliency without the absolute value of the gradient", [
        ("    saliency = tf.reduce_max(tf.abs(grads), axis=3).numpy()", "    saliency = tf.reduce_max(grads, axis=3).numpy()"),
    ]),
    "bug_saliency_watch_numpy": ("net_visualization_tensorflow.py", "compute_saliency_maps watches the numpy array X "
                                 "on the tape", [
        ("    images = tf.convert_to_tensor(X, dtype=tf.float32)\n", "    images = X\n"),
    ]),
    "bug_fooling_descent": ("net_visualization_tensorflow.py", "fooling by gradient descent on the target's score", [
        ("        X_fooling.assign_add(learning_rate * g / tf.norm(g))",
         "        X_fooling.assign_sub(learning_rate * g / tf.norm(g))"),
    ]),
    "bug_class_vis_l2_not_squared": ("net_visualization_tensorflow.py", "class visualization penalises l2_reg * ||X||, "
                                     "not squared", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)", "        objective = score - l2_reg * tf.norm(X)"),
    ]),
    "bug_class_vis_l2_outside_tape": ("net_visualization_tensorflow.py", "class visualization computes the L2 term "
                                      "with np.sum: a constant, no gradient", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)", "        objective = score - l2_reg * np.sum(X * X)"),
    ]),
    "bug_class_vis_l2_ignored": ("net_visualization_tensorflow.py", "class visualization leaves the L2 term out", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)", "        objective = score"),
    ]),
    "bug_class_vis_l2_on_score": ("net_visualization_tensorflow.py", "class visualization applies the L2 penalty to "
                                  "the class score", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)", "        objective = score - l2_reg * score * score"),
    ]),
    "bug_class_vis_normalized": ("net_visualization_tensorflow.py", "class visualization normalises the gradient", [
        ("    X = X + learning_rate * tape.gradient(objective, X)",
         "    g = tape.gradient(objective, X)\n    X = X + learning_rate * g / tf.norm(g)"),
    ]),
    "bug_class_vis_mean_penalty": ("net_visualization_tensorflow.py", "class visualization penalises "
                                   "sum((X - mean(X))^2) instead of ||X||^2", [
        ("        objective = score - l2_reg * tf.reduce_sum(X * X)",
         "        objective = score - l2_reg * tf.reduce_sum(tf.square(X - tf.reduce_mean(X)))"),
    ]),
    "bug_class_vis_watch_numpy": ("net_visualization_tensorflow.py", "class visualization watches X unconverted: "
                                  "fails when X is a numpy array", [
        ("    X = tf.convert_to_tensor(X, dtype=tf.float32)\n    with tf.GradientTape() as tape:\n        tape.watch(X)\n"
         "        score", "    with tf.GradientTape() as tape:\n        tape.watch(X)\n        score"),
    ]),
    "bug_class_vis_variable_iadd": ("net_visualization_tensorflow.py", "class visualization updates a tf.Variable "
                                    "with += (an error in today's TensorFlow)", [
        ("    X = tf.convert_to_tensor(X, dtype=tf.float32)\n    with tf.GradientTape() as tape:\n        tape.watch(X)\n"
         "        score", "    X = tf.Variable(X, dtype=tf.float32)\n    with tf.GradientTape() as tape:\n"
         "        tape.watch(X)\n        score"),
        ("    X = X + learning_rate * tape.gradient(objective, X)", "    X += learning_rate * tape.gradient(objective, X)"),
    ]),
    "bug_content_loss_mean": ("style_transfer_tensorflow.py", "content_loss averages the squared differences "
                              "instead of summing them", [
        ("    return content_weight * tf.reduce_sum(tf.square(content_current - content_original))",
         "    return content_weight * tf.reduce_mean(tf.square(content_current - content_original))"),
    ]),
    "bug_gram_not_normalized": ("style_transfer_tensorflow.py", "gram_matrix never divides by H * W * C", [
        ("    if normalize:\n        gram = gram / tf.cast(shape[1] * shape[2] * channels, gram.dtype)\n", ""),
    ]),
    "bug_style_loss_gram_of_targets": ("style_transfer_tensorflow.py", "style_loss applies gram_matrix again to the "
                                       "style targets, which already are Gram matrices", [
        ("tf.square(gram - style_targets[i])", "tf.square(gram - gram_matrix(style_targets[i]))"),
    ]),
    "bug_tv_roll": ("style_transfer_tensorflow.py", "tv_loss with tf.roll: the differences wrap around the borders", [
        ("    down = img[:, 1:, :, :] - img[:, :-1, :, :]\n    right = img[:, :, 1:, :] - img[:, :, :-1, :]\n",
         "    down = tf.roll(img, shift=-1, axis=1) - img\n    right = tf.roll(img, shift=-1, axis=2) - img\n"),
    ]),
    "bug_tv_loop": ("style_transfer_tensorflow.py", "tv_loss loops over the channels in Python (right values)", [
        ("    down = img[:, 1:, :, :] - img[:, :-1, :, :]\n    right = img[:, :, 1:, :] - img[:, :, :-1, :]\n"
         "    loss = tv_weight * (tf.reduce_sum(tf.square(down)) + tf.reduce_sum(tf.square(right)))\n",
         "    loss = 0.0\n    for c in range(3):\n        channel = img[:, :, :, c]\n"
         "        loss += tf.reduce_sum(tf.square(channel[:, 1:, :] - channel[:, :-1, :]))\n"
         "        loss += tf.reduce_sum(tf.square(channel[:, :, 1:] - channel[:, :, :-1]))\n"
         "    loss = tv_weight * loss\n"),
    ]),
    "bug_gram_batch_axis": ("style_transfer_tensorflow.py", "gram_matrix keeps the batch axis: (1, C, C)", [
        ("    flat = tf.reshape(features, (-1, channels))", "    flat = tf.reshape(features, (shape[0], -1, channels))"),
    ]),
    "bug_style_loss_one_element": ("style_transfer_tensorflow.py", "style_loss sums into tf.zeros(1): a tensor of "
                                   "shape (1,)", [
        ("    loss = 0.0\n    for i, layer in enumerate(style_layers):",
         "    loss = tf.zeros(1)\n    for i, layer in enumerate(style_layers):"),
    ]),
    "bug_tv_channel_axis": ("style_transfer_tensorflow.py", "tv_loss's vertical differences taken along the channels", [
        ("    down = img[:, 1:, :, :] - img[:, :-1, :, :]", "    down = img[:, :, :, 1:] - img[:, :, :, :-1]"),
    ]),
    "bug_tv_no_vertical": ("style_transfer_tensorflow.py", "tv_loss without the vertical differences", [
        ("    loss = tv_weight * (tf.reduce_sum(tf.square(down)) + tf.reduce_sum(tf.square(right)))",
         "    loss = tv_weight * tf.reduce_sum(tf.square(right))"),
    ]),
    # --- GANs (gan_tf.py)
    "bug_noise_zero_one": ("gan_tf.py", "sample_noise draws from [0, 1) (tf.random.uniform's default range)", [
        ("    return tf.random.uniform([batch_size, dim], minval=-1.0, maxval=1.0)",
         "    return tf.random.uniform([batch_size, dim])"),
    ]),
    "bug_d_loss_concat_batches": ("gan_tf.py", "discriminator_loss averages over the concatenated real+fake batch "
                                  "(times 2, which matches the notebook's equal batches of 10)", [
        ("    return _cross_entropy(logits_real, real=True) + _cross_entropy(logits_fake, real=False)",
         "    logits = tf.concat([logits_real, logits_fake], axis=0)\n"
         "    labels = tf.concat([tf.ones_like(logits_real), tf.zeros_like(logits_fake)], axis=0)\n"
         "    return 2.0 * tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))"),
    ]),
    "bug_d_loss_labels_other_batch": ("gan_tf.py", "discriminator_loss sizes the real images' labels from the fake "
                                      "batch: it breaks when the two batches differ, as on MNIST's last batch", [
        ("    return _cross_entropy(logits_real, real=True) + _cross_entropy(logits_fake, real=False)",
         "    labels = tf.ones_like(logits_fake)\n"
         "    real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits_real))\n"
         "    return real + _cross_entropy(logits_fake, real=False)"),
    ]),
    "bug_loss_log_sigmoid": ("gan_tf.py", "the cross-entropy as the log of a sigmoid: overflows at large logits", [
        ("    labels = tf.ones_like(logits) if real else tf.zeros_like(logits)\n"
         "    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))",
         "    probs = tf.sigmoid(logits)\n"
         "    return -tf.reduce_mean(tf.math.log(probs if real else 1.0 - probs))"),
    ]),
    "bug_solvers_default_beta1": ("gan_tf.py", "get_solvers leaves beta_1 at Adam's default 0.9", [
        ("    D_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)\n"
         "    G_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)",
         "    D_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate)\n"
         "    G_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate)"),
    ]),
    "bug_dc_generator_no_batchnorm": ("gan_tf.py", "dc_generator without its three BatchNorm layers", [
        ("        layers.Dense(1024, activation=\"relu\"),\n        layers.BatchNormalization(),\n",
         "        layers.Dense(1024, activation=\"relu\"),\n"),
        ("        layers.Dense(7 * 7 * 128, activation=\"relu\"),\n        layers.BatchNormalization(),\n",
         "        layers.Dense(7 * 7 * 128, activation=\"relu\"),\n"),
        ("        layers.Conv2DTranspose(64, 4, strides=2, padding=\"same\", activation=\"relu\"),\n"
         "        layers.BatchNormalization(),\n",
         "        layers.Conv2DTranspose(64, 4, strides=2, padding=\"same\", activation=\"relu\"),\n"),
    ]),
    "bug_generator_no_tanh": ("gan_tf.py", "generator's last Dense layer has no tanh", [
        ("        layers.Dense(IMAGE_DIM, activation=\"tanh\"),", "        layers.Dense(IMAGE_DIM),"),
    ]),
    "bug_discriminator_sigmoid": ("gan_tf.py", "discriminator ends with a sigmoid (probabilities, not logits)", [
        ("        layers.LeakyReLU(0.01),\n        layers.Dense(1),\n    ])\n\n\ndef generator(",
         "        layers.LeakyReLU(0.01),\n        layers.Dense(1, activation=\"sigmoid\"),\n    ])\n\n\n"
         "def generator("),
    ]),
    "bug_ls_loss_numpy": ("gan_tf.py", "ls_generator_loss computed with numpy: right values, no gradient", [
        ("    scores_fake = tf.convert_to_tensor(scores_fake)\n"
         "    return 0.5 * tf.reduce_mean(tf.square(scores_fake - 1.0))",
         "    return 0.5 * np.mean((np.asarray(scores_fake) - 1.0) ** 2)"),
    ]),
    "bug_solvers_ignore_arguments": ("gan_tf.py", "get_solvers always builds Adam(1e-3, beta_1=0.5), whatever "
                                     "learning_rate and beta1 it is given", [
        ("    D_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)\n"
         "    G_solver = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)",
         "    D_solver = tf.keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5)\n"
         "    G_solver = tf.keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5)"),
    ]),
    # --- the PyTorch track (net_visualization_pytorch.py, style_transfer_pytorch.py, gan_pytorch.py)
    "bug_pt_saliency_max_score": ("net_visualization_pytorch.py", "saliency of the highest score instead of the "
                                  "correct class's", [
        ("    correct = scores.gather(1, y.view(-1, 1)).squeeze(1)\n", "    correct = scores.max(dim=1)[0]\n"),
    ]),
    "bug_pt_saliency_cross_entropy": ("net_visualization_pytorch.py", "saliency of the cross-entropy loss instead "
                                      "of the correct class's score", [
        ("    correct = scores.gather(1, y.view(-1, 1)).squeeze(1)\n",
         "    correct = torch.nn.functional.cross_entropy(scores, y, reduction=\"none\")\n"),
    ]),
    "bug_pt_saliency_no_abs": ("net_visualization_pytorch.py", "saliency without the absolute value", [
        ("    saliency = X.grad.detach().abs().max(dim=1)[0]", "    saliency = X.grad.detach().max(dim=1)[0]"),
    ]),
    "bug_pt_fooling_norm_squared": ("net_visualization_pytorch.py", "fooling step divided by ||g||^2", [
        ("            X_fooling += learning_rate * g / g.norm()", "            X_fooling += learning_rate * g / g.norm() ** 2"),
    ]),
    "bug_pt_fooling_descent": ("net_visualization_pytorch.py", "fooling image by gradient descent on the target", [
        ("            X_fooling += learning_rate * g / g.norm()", "            X_fooling -= learning_rate * g / g.norm()"),
    ]),
    "bug_pt_class_vis_l2_sign": ("net_visualization_pytorch.py", "class visualization ascends s_y + l2 ||img||^2", [
        ("    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()",
         "    objective = model(img)[:, target_y].sum() + l2_reg * (img * img).sum()"),
    ]),
    "bug_pt_class_vis_l2_not_squared": ("net_visualization_pytorch.py", "class visualization penalises ||img||, "
                                        "not squared", [
        ("    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()",
         "    objective = model(img)[:, target_y].sum() - l2_reg * img.norm()"),
    ]),
    "bug_pt_class_vis_l2_data": ("net_visualization_pytorch.py", "class visualization computes the L2 term on "
                                 "img.data: no gradient from it", [
        ("    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()",
         "    objective = model(img)[:, target_y].sum() - l2_reg * (img.data * img.data).sum()"),
    ]),
    "bug_pt_class_vis_l2_on_score": ("net_visualization_pytorch.py", "class visualization penalises the score, "
                                     "not the image", [
        ("    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()",
         "    score = model(img)[:, target_y].sum()\n    objective = score - l2_reg * score * score"),
    ]),
    "bug_pt_class_vis_normalized": ("net_visualization_pytorch.py", "class visualization normalises the gradient", [
        ("        img += learning_rate * grad\n", "        img += learning_rate * grad / grad.norm()\n"),
    ]),
    "bug_pt_class_vis_mean_penalty": ("net_visualization_pytorch.py", "class visualization penalises the spread "
                                      "around the mean", [
        ("    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()",
         "    objective = model(img)[:, target_y].sum() - l2_reg * ((img - img.mean()) ** 2).sum()"),
    ]),
    "bug_pt_class_vis_grad_not_zeroed": ("net_visualization_pytorch.py", "class visualization through backward(), "
                                         "img.grad never zeroed", [
        ("    grad, = torch.autograd.grad(objective, img)\n    with torch.no_grad():\n"
         "        img += learning_rate * grad\n",
         "    objective.backward()\n    img.data += learning_rate * img.grad.data\n"),
    ]),
    "bug_pt_class_vis_not_in_place": ("net_visualization_pytorch.py", "class visualization returns a new image and "
                                      "leaves img as it was", [
        ("    with torch.no_grad():\n        img += learning_rate * grad\n",
         "    return img.detach() + learning_rate * grad\n"),
    ]),
    "bug_pt_content_loss_mean": ("style_transfer_pytorch.py", "content_loss averages instead of summing", [
        ("    return content_weight * torch.sum((content_current - content_original) ** 2)",
         "    return content_weight * torch.mean((content_current - content_original) ** 2)"),
    ]),
    "bug_pt_gram_not_normalized": ("style_transfer_pytorch.py", "gram_matrix never divides by H * W * C", [
        ("    if normalize:\n        gram = gram / (H * W * C)\n", ""),
    ]),
    "bug_pt_gram_no_batch_axis": ("style_transfer_pytorch.py", "gram_matrix of the first image only, (C, C)", [
        ("    flat = features.reshape(N, C, H * W)\n    gram = torch.bmm(flat, flat.transpose(1, 2))",
         "    flat = features.reshape(C, H * W)\n    gram = flat @ flat.t()"),
    ]),
    "bug_pt_style_loss_gram_of_targets": ("style_transfer_pytorch.py", "style_loss applies gram_matrix to its "
                                          "targets", [
        ("        loss = loss + style_weights[i] * torch.sum((gram - style_targets[i]) ** 2)",
         "        loss = loss + style_weights[i] * torch.sum((gram - gram_matrix(style_targets[i])) ** 2)"),
    ]),
    "bug_pt_style_loss_one_element": ("style_transfer_pytorch.py", "style_loss starts its sum from torch.zeros(1)", [
        ("    loss = 0.0\n    for i, layer in enumerate(style_layers):\n        gram = gram_matrix(feats[layer])",
         "    loss = torch.zeros(1)\n    for i, layer in enumerate(style_layers):\n        gram = gram_matrix(feats[layer])"),
    ]),
    "bug_pt_tv_roll": ("style_transfer_pytorch.py", "tv_loss with torch.roll: wraps around the borders", [
        ("    down = img[:, :, 1:, :] - img[:, :, :-1, :]\n    right = img[:, :, :, 1:] - img[:, :, :, :-1]\n",
         "    down = torch.roll(img, -1, dims=2) - img\n    right = torch.roll(img, -1, dims=3) - img\n"),
    ]),
    "bug_pt_tv_channel_axis": ("style_transfer_pytorch.py", "tv_loss's vertical differences taken along the "
                               "channels", [
        ("    down = img[:, :, 1:, :] - img[:, :, :-1, :]\n", "    down = img[:, 1:, :, :] - img[:, :-1, :, :]\n"),
    ]),
    "bug_pt_tv_no_vertical": ("style_transfer_pytorch.py", "tv_loss without the vertical differences", [
        ("    return tv_weight * (torch.sum(down ** 2) + torch.sum(right ** 2))",
         "    return tv_weight * torch.sum(right ** 2)"),
    ]),
    "bug_pt_tv_loop": ("style_transfer_pytorch.py", "tv_loss sums over the channels in a Python loop", [
        ("    return tv_weight * (torch.sum(down ** 2) + torch.sum(right ** 2))",
         "    loss = 0\n    for c in range(img.shape[1]):\n"
         "        loss = loss + torch.sum(down[:, c] ** 2) + torch.sum(right[:, c] ** 2)\n    return tv_weight * loss"),
    ]),
    "bug_pt_noise_zero_one": ("gan_pytorch.py", "sample_noise draws from [0, 1) (torch.rand's range)", [
        ("    return 2 * torch.rand(batch_size, dim) - 1", "    return torch.rand(batch_size, dim)"),
    ]),
    "bug_pt_bce_unstable": ("gan_pytorch.py", "bce_loss as the log of a sigmoid: overflows at large scores", [
        ("    return (input.clamp(min=0) - input * target + torch.log1p(torch.exp(-input.abs()))).mean()",
         "    p = torch.sigmoid(input)\n    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()"),
    ]),
    "bug_pt_losses_log_sigmoid": ("gan_pytorch.py", "discriminator_loss and generator_loss written as logs of "
                                  "sigmoids instead of with bce_loss", [
        ("    loss = bce_loss(logits_real, torch.ones_like(logits_real)) + bce_loss(logits_fake, torch.zeros_like("
         "logits_fake))",
         "    loss = -torch.log(torch.sigmoid(logits_real)).mean() - torch.log(1 - torch.sigmoid(logits_fake)).mean()"),
        ("    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))\n",
         "    loss = -torch.log(torch.sigmoid(logits_fake)).mean()\n"),
    ]),
    "bug_pt_optimizer_default_betas": ("gan_pytorch.py", "get_optimizer leaves Adam's betas at (0.9, 0.999)", [
        ("    optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))",
         "    optimizer = optim.Adam(model.parameters(), lr=1e-3)"),
    ]),
    "bug_pt_discriminator_layer_sizes": ("gan_pytorch.py", "discriminator with hidden layers of 512", [
        ("        nn.Linear(784, 256),\n        nn.LeakyReLU(0.01),\n        nn.Linear(256, 256),\n"
         "        nn.LeakyReLU(0.01),\n        nn.Linear(256, 1),",
         "        nn.Linear(784, 512),\n        nn.LeakyReLU(0.01),\n        nn.Linear(512, 512),\n"
         "        nn.LeakyReLU(0.01),\n        nn.Linear(512, 1),"),
    ]),
    "bug_pt_generator_layer_sizes": ("gan_pytorch.py", "generator with a second hidden layer of 512", [
        ("        nn.Linear(1024, 1024),\n        nn.ReLU(),\n        nn.Linear(1024, 784),",
         "        nn.Linear(1024, 512),\n        nn.ReLU(),\n        nn.Linear(512, 784),"),
    ]),
    "bug_pt_dc_classifier_layer_sizes": ("gan_pytorch.py", "build_dc_classifier with a hidden Linear of 512", [
        ("        nn.Linear(4 * 4 * 64, 4 * 4 * 64),\n        nn.LeakyReLU(0.01),\n        nn.Linear(4 * 4 * 64, 1),",
         "        nn.Linear(4 * 4 * 64, 512),\n        nn.LeakyReLU(0.01),\n        nn.Linear(512, 1),"),
    ]),
    "bug_pt_dc_generator_layer_sizes": ("gan_pytorch.py", "build_dc_generator with 32 channels after the first "
                                        "transposed convolution", [
        ("        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),\n        nn.ReLU(),\n"
         "        nn.BatchNorm2d(64),\n        nn.ConvTranspose2d(64, 1,",
         "        nn.ConvTranspose2d(128, 32, kernel_size=4, stride=2, padding=1),\n        nn.ReLU(),\n"
         "        nn.BatchNorm2d(32),\n        nn.ConvTranspose2d(32, 1,"),
    ]),
    "bug_pt_dc_generator_no_batchnorm": ("gan_pytorch.py", "build_dc_generator without its BatchNorm layers", [
        ("        nn.BatchNorm1d(1024),\n", ""),
        ("        nn.BatchNorm1d(7 * 7 * 128),\n", ""),
        ("        nn.BatchNorm2d(64),\n", ""),
    ]),
    "bug_pt_generator_no_tanh": ("gan_pytorch.py", "generator ends in a sigmoid instead of a tanh", [
        ("        nn.Linear(1024, 784),\n        nn.Tanh(),", "        nn.Linear(1024, 784),\n        nn.Sigmoid(),"),
    ]),
    "bug_pt_discriminator_sigmoid": ("gan_pytorch.py", "discriminator ends with a sigmoid (probabilities, not "
                                     "logits)", [
        ("        nn.Linear(256, 1),\n    )", "        nn.Linear(256, 1),\n        nn.Sigmoid(),\n    )"),
    ]),
}


def track_of(path: str) -> str:
    """The track a student file belongs to (``tensorflow`` for the captioning files, which both tracks share)."""
    return next((track for track, files in TRACK_FILES.items() if path in files), "tensorflow")


def make(name: str, root: Path = HERE, bugs: dict | None = None) -> Path:
    """Write the sample ``name`` into ``root/name``: a student who did one track (that of the bug's file), the
    reference's student files of that track plus the bug, the other track's files as the blank starter left
    them (``bugs``: another table of the same form, such as ``make_combined.COMBINED``)."""
    path, _, edits = (BUGS if bugs is None else bugs)[name]
    return write_sample(root / name, path, edits, name)


def write_sample(dest: Path, path: str, edits: list[tuple[str, str]], name: str = "") -> Path:
    """``dest``: the reference's student files and notebooks, with ``edits`` (literal replacements) in ``path``."""
    name = name or dest.name
    shutil.rmtree(dest, ignore_errors=True)
    other = {f for track, files in TRACK_FILES.items() if track != track_of(path) for f in files}
    for rel in ("__init__.py", "classifiers/__init__.py") + STUDENT_FILES:
        source = (SKELETON if rel in other else REFERENCE) / rel
        if source.is_file():
            (dest / "cs231n" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest / "cs231n" / rel)
    for notebook in REFERENCE.parent.glob("*.ipynb"):
        shutil.copyfile(notebook, dest / notebook.name)
    target = dest / "cs231n" / path
    text = target.read_text()
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit("%s: the edit %r does not apply to the reference any more" % (name, old[:60]))
        text = text.replace(old, new)
    target.write_text(text)
    return dest


if __name__ == "__main__":
    for bug in BUGS:
        print("wrote", make(bug))
