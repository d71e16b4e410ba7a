"""A second correct solution of the whole assignment, written apart from the reference (other names, other
structure, other library calls where the assignment allows: ``np.split``, ``np.take``, dictionaries as caches,
softplus losses, ``Sequential.add``), for the similarity search's samples: two independent solutions must stay
below its threshold.

Only the bodies are here: ``submissions/make_similar.py`` (``independent()``) puts each in place of the
skeleton's ``pass`` in its function, as a student fills the starter in. It grades full marks
(``tests/test_similarity.py``, slow). Nothing of it is shipped: tests are not in the student package.
"""

BODIES: dict[tuple[str, str], str] = {}
"""(student file, function) -> the statements that replace the skeleton's ``pass``."""
BODIES["rnn_layers.py", "rnn_step_forward"] = '''
affine = prev_h @ Wh + x @ Wx + b
next_h = np.tanh(affine)
cache = {"x": x, "h": prev_h, "Wx": Wx, "Wh": Wh, "out": next_h}
'''
BODIES["rnn_layers.py", "rnn_step_backward"] = '''
dz = dnext_h * (1 - cache["out"] ** 2)
db = np.sum(dz, axis=0)
dWh = cache["h"].T @ dz
dWx = cache["x"].T @ dz
dprev_h = dz @ cache["Wh"].T
dx = dz @ cache["Wx"].T
'''
BODIES["rnn_layers.py", "rnn_forward"] = '''
N, T, _ = x.shape
steps = []
h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx, Wh, b))
current = h0
for step in range(T):
    current, step_cache = rnn_step_forward(x[:, step], current, Wx, Wh, b)
    h[:, step] = current
    steps.append(step_cache)
cache = steps
'''
BODIES["rnn_layers.py", "rnn_backward"] = '''
N, T, H = dh.shape
D = cache[0]["x"].shape[1]
dx = np.empty((N, T, D), dtype=dh.dtype)
dWx = np.zeros((D, H), dtype=dh.dtype)
dWh = np.zeros((H, H), dtype=dh.dtype)
db = np.zeros(H, dtype=dh.dtype)
carry = np.zeros((N, H), dtype=dh.dtype)
for step in range(T - 1, -1, -1):
    grads = rnn_step_backward(dh[:, step] + carry, cache[step])
    dx[:, step], carry = grads[0], grads[1]
    dWx = dWx + grads[2]
    dWh = dWh + grads[3]
    db = db + grads[4]
dh0 = carry
'''
BODIES["rnn_layers.py", "word_embedding_forward"] = '''
out = np.take(W, x, axis=0)
cache = (x, W)
'''
BODIES["rnn_layers.py", "word_embedding_backward"] = '''
words, W = cache
dW = np.zeros_like(W, dtype=np.result_type(W, dout))
np.add.at(dW, words.reshape(-1), dout.reshape(-1, dout.shape[-1]))
'''
BODIES["rnn_layers.py", "lstm_step_forward"] = '''
activation = x @ Wx + prev_h @ Wh + b
a_i, a_f, a_o, a_g = np.split(activation, 4, axis=1)
gate_i, gate_f, gate_o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
cand = np.tanh(a_g)
next_c = prev_c * gate_f + cand * gate_i
squashed = np.tanh(next_c)
next_h = squashed * gate_o
cache = dict(x=x, h=prev_h, c=prev_c, Wx=Wx, Wh=Wh, gates=(gate_i, gate_f, gate_o, cand), squashed=squashed)
'''
BODIES["rnn_layers.py", "lstm_step_backward"] = '''
gate_i, gate_f, gate_o, cand = cache["gates"]
squashed = cache["squashed"]
d_o = squashed * dnext_h
total_c = dnext_c + (1 - squashed ** 2) * gate_o * dnext_h
d_g = gate_i * total_c
d_f = cache["c"] * total_c
d_i = cand * total_c
dprev_c = gate_f * total_c
grad_a = np.hstack((gate_i * (1 - gate_i) * d_i, gate_f * (1 - gate_f) * d_f,
                    gate_o * (1 - gate_o) * d_o, (1 - cand ** 2) * d_g))
db = grad_a.sum(0)
dWh = cache["h"].T @ grad_a
dWx = cache["x"].T @ grad_a
dprev_h = grad_a @ cache["Wh"].T
dx = grad_a @ cache["Wx"].T
'''
BODIES["rnn_layers.py", "lstm_forward"] = '''
N, T, _ = x.shape
H = h0.shape[1]
h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
state_h, state_c = h0, np.zeros_like(h0)
cache = []
for step in range(T):
    state_h, state_c, step_cache = lstm_step_forward(x[:, step], state_h, state_c, Wx, Wh, b)
    h[:, step] = state_h
    cache.append(step_cache)
'''
BODIES["rnn_layers.py", "lstm_backward"] = '''
N, T, H = dh.shape
D = cache[0]["x"].shape[1]
dx = np.empty((N, T, D), dtype=dh.dtype)
dWx, dWh, db = np.zeros((D, 4 * H), dh.dtype), np.zeros((H, 4 * H), dh.dtype), np.zeros(4 * H, dh.dtype)
carry_h = np.zeros((N, H), dh.dtype)
carry_c = np.zeros((N, H), dh.dtype)
for step in reversed(range(T)):
    dx_t, carry_h, carry_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, step] + carry_h, carry_c, cache[step])
    dx[:, step] = dx_t
    dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
dh0 = carry_h
'''
BODIES["classifiers/rnn.py", "loss"] = '''
forward = rnn_forward if self.cell_type == "rnn" else lstm_forward
backward = rnn_backward if self.cell_type == "rnn" else lstm_backward
initial, cache_init = affine_forward(features, W_proj, b_proj)
embedded, cache_embed = word_embedding_forward(captions_in, W_embed)
states, cache_rec = forward(embedded, initial, Wx, Wh, b)
vocab_scores, cache_scores = temporal_affine_forward(states, W_vocab, b_vocab)
loss, d_scores = temporal_softmax_loss(vocab_scores, captions_out, mask)

d_states, dW_vocab, db_vocab = temporal_affine_backward(d_scores, cache_scores)
d_embedded, d_initial, dWx, dWh, db = backward(d_states, cache_rec)
dW_proj, db_proj = affine_backward(d_initial, cache_init)[1:]
grads = {"W_proj": dW_proj, "b_proj": db_proj, "W_embed": word_embedding_backward(d_embedded, cache_embed),
         "Wx": dWx, "Wh": dWh, "b": db, "W_vocab": dW_vocab, "b_vocab": db_vocab}
'''
BODIES["classifiers/rnn.py", "sample"] = '''
hidden = features @ W_proj + b_proj
cell = np.zeros_like(hidden)
previous = np.full(N, self._start)
for step in range(max_length):
    embedded = W_embed[previous]
    if self.cell_type == "lstm":
        hidden, cell, _ = lstm_step_forward(embedded, hidden, cell, Wx, Wh, b)
    else:
        hidden, _ = rnn_step_forward(embedded, hidden, Wx, Wh, b)
    previous = (hidden @ W_vocab + b_vocab).argmax(axis=1)
    captions[:, step] = previous
'''
BODIES["net_visualization_tensorflow.py", "compute_saliency_maps"] = '''
images = tf.Variable(X, dtype=tf.float32)
with tf.GradientTape() as tape:
    logits = model(images)
    chosen = tf.reduce_sum(logits * tf.one_hot(y, logits.shape[1]), axis=1)
gradient = tape.gradient(chosen, images).numpy()
saliency = np.abs(gradient).max(axis=-1)
'''
BODIES["net_visualization_tensorflow.py", "make_fooling_image"] = '''
X_fooling = X_fooling.astype(np.float32)
while True:
    image = tf.constant(X_fooling)
    with tf.GradientTape() as tape:
        tape.watch(image)
        logits = model(image)
        wanted = logits[0, target_y]
    if np.argmax(logits.numpy()[0]) == target_y:
        break
    step = tape.gradient(wanted, image).numpy()
    X_fooling = X_fooling + learning_rate * step / np.sqrt(np.sum(step ** 2))
'''
BODIES["net_visualization_tensorflow.py", "class_visualization_update_step"] = '''
image = tf.cast(tf.convert_to_tensor(X), tf.float32)
with tf.GradientTape() as tape:
    tape.watch(image)
    objective = model(image)[0, target_y] - l2_reg * tf.norm(image) ** 2
X = image + learning_rate * tape.gradient(objective, image)
'''
BODIES["style_transfer_tensorflow.py", "tv_loss"] = '''
vertical = tf.reduce_sum((img[:, 1:] - img[:, :-1]) ** 2)
horizontal = tf.reduce_sum((img[:, :, 1:] - img[:, :, :-1]) ** 2)
return tv_weight * (vertical + horizontal)
'''
BODIES["style_transfer_tensorflow.py", "style_loss"] = '''
terms = [w * tf.reduce_sum((gram_matrix(feats[layer]) - target) ** 2)
         for layer, target, w in zip(style_layers, style_targets, style_weights)]
return tf.add_n(terms)
'''
BODIES["style_transfer_tensorflow.py", "gram_matrix"] = '''
dims = tf.shape(features)
rows = tf.reshape(features, [dims[1] * dims[2], dims[3]])
G = tf.transpose(rows) @ rows
if not normalize:
    return G
return G / tf.cast(dims[1] * dims[2] * dims[3], G.dtype)
'''
BODIES["style_transfer_tensorflow.py", "content_loss"] = '''
difference = content_current - content_original
return tf.reduce_sum(difference * difference) * content_weight
'''
BODIES["gan_tf.py", "leaky_relu"] = '''
result = tf.where(x > 0, x, x * alpha)
'''
BODIES["gan_tf.py", "sample_noise"] = '''
noise = tf.random.uniform((batch_size, dim), -1, 1)
'''
BODIES["gan_tf.py", "discriminator"] = '''
model = tf.keras.Sequential()
model.add(tf.keras.layers.InputLayer(input_shape=(784,)))
for units in (256, 256):
    model.add(tf.keras.layers.Dense(units))
    model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
model.add(tf.keras.layers.Dense(1))
'''
BODIES["gan_tf.py", "generator"] = '''
model = tf.keras.Sequential()
model.add(tf.keras.layers.InputLayer(input_shape=(noise_dim,)))
for units, act in ((1024, tf.nn.relu), (1024, tf.nn.relu), (784, tf.nn.tanh)):
    model.add(tf.keras.layers.Dense(units, activation=act))
'''
BODIES["gan_tf.py", "discriminator_loss"] = '''
loss = tf.reduce_mean(tf.nn.softplus(-logits_real)) + tf.reduce_mean(tf.nn.softplus(logits_fake))
'''
BODIES["gan_tf.py", "generator_loss"] = '''
loss = tf.reduce_mean(tf.nn.softplus(-logits_fake))
'''
BODIES["gan_tf.py", "get_solvers"] = '''
D_solver, G_solver = [tf.keras.optimizers.Adam(learning_rate, beta_1=beta1) for _ in range(2)]
'''
BODIES["gan_tf.py", "ls_discriminator_loss"] = '''
loss = (tf.reduce_mean((scores_real - 1) ** 2) + tf.reduce_mean(scores_fake ** 2)) / 2
'''
BODIES["gan_tf.py", "ls_generator_loss"] = '''
loss = tf.reduce_mean((scores_fake - 1) ** 2) / 2
'''
BODIES["gan_tf.py", "dc_discriminator"] = '''
model = tf.keras.Sequential()
model.add(tf.keras.layers.InputLayer(input_shape=(784,)))
model.add(tf.keras.layers.Reshape((28, 28, 1)))
for filters in (32, 64):
    model.add(tf.keras.layers.Conv2D(filters, kernel_size=5))
    model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
    model.add(tf.keras.layers.MaxPooling2D(pool_size=2))
model.add(tf.keras.layers.Flatten())
model.add(tf.keras.layers.Dense(1024))
model.add(tf.keras.layers.LeakyReLU(alpha=0.01))
model.add(tf.keras.layers.Dense(1))
'''
BODIES["gan_tf.py", "dc_generator"] = '''
L = tf.keras.layers
model.add(L.InputLayer(input_shape=(noise_dim,)))
model.add(L.Dense(1024, activation="relu"))
model.add(L.BatchNormalization())
model.add(L.Dense(7 * 7 * 128, activation="relu"))
model.add(L.BatchNormalization())
model.add(L.Reshape((7, 7, 128)))
model.add(L.Conv2DTranspose(64, kernel_size=4, strides=2, padding="same", activation="relu"))
model.add(L.BatchNormalization())
model.add(L.Conv2DTranspose(1, kernel_size=4, strides=2, padding="same", activation="tanh"))
model.add(L.Flatten())
'''
