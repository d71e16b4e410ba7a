"""A correct gan_tf.py written the way 2020 submissions were (TF 2.2/2.3, Keras 2 API): LeakyReLU(alpha=...),
input_shape= and a bare-int InputLayer on the first layer, tf.optimizers.Adam(beta_1=...), tf.random.set_seed,
a dc_generator that returns (N, 28, 28, 1) images. It must grade full marks unchanged."""
import numpy as np
import tensorflow as tf

NOISE_DIM = 96


def leaky_relu(x, alpha=0.01):
    x = tf.maximum(alpha * x, x)
    return x


def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
    return tf.random.uniform(shape=[batch_size, dim], minval=-1, maxval=1)


def discriminator(seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
    model = tf.keras.models.Sequential([
        tf.keras.layers.InputLayer(784),
        tf.keras.layers.Dense(256, use_bias=True),
        tf.keras.layers.LeakyReLU(alpha=0.01),
        tf.keras.layers.Dense(256, use_bias=True),
        tf.keras.layers.LeakyReLU(alpha=0.01),
        tf.keras.layers.Dense(1, use_bias=True),
    ])
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
    model = tf.keras.models.Sequential([
        tf.keras.layers.Dense(1024, activation=tf.nn.relu, input_shape=(noise_dim,)),
        tf.keras.layers.Dense(1024, activation=tf.nn.relu),
        tf.keras.layers.Dense(784, activation=tf.nn.tanh),
    ])
    return model


def discriminator_loss(logits_real, logits_fake):
    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    loss = bce(tf.ones_like(logits_real), logits_real) + bce(tf.zeros_like(logits_fake), logits_fake)
    return loss


def generator_loss(logits_fake):
    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    return bce(tf.ones_like(logits_fake), logits_fake)


def get_solvers(learning_rate=1e-3, beta1=0.5):
    D_solver = tf.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)
    G_solver = tf.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)
    return D_solver, G_solver


def ls_discriminator_loss(scores_real, scores_fake):
    loss = 0.5 * tf.reduce_mean((scores_real - 1) ** 2) + 0.5 * tf.reduce_mean(scores_fake ** 2)
    return loss


def ls_generator_loss(scores_fake):
    loss = 0.5 * tf.reduce_mean((scores_fake - 1) ** 2)
    return loss


def dc_discriminator():
    model = tf.keras.models.Sequential([
        tf.keras.layers.Reshape((28, 28, 1), input_shape=(784,)),
        tf.keras.layers.Conv2D(32, (5, 5), strides=(1, 1), padding='valid'),
        tf.keras.layers.LeakyReLU(alpha=0.01),
        tf.keras.layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
        tf.keras.layers.Conv2D(64, (5, 5), strides=(1, 1), padding='valid'),
        tf.keras.layers.LeakyReLU(alpha=0.01),
        tf.keras.layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4 * 4 * 64),
        tf.keras.layers.LeakyReLU(alpha=0.01),
        tf.keras.layers.Dense(1),
    ])
    return model


def dc_generator(noise_dim=NOISE_DIM):
    model = tf.keras.models.Sequential()
    model.add(tf.keras.layers.Dense(1024, activation='relu', input_shape=(noise_dim,)))
    model.add(tf.keras.layers.BatchNormalization())
    model.add(tf.keras.layers.Dense(7 * 7 * 128, activation='relu'))
    model.add(tf.keras.layers.BatchNormalization())
    model.add(tf.keras.layers.Reshape((7, 7, 128)))
    model.add(tf.keras.layers.Conv2DTranspose(64, (4, 4), strides=(2, 2), padding='same', activation='relu'))
    model.add(tf.keras.layers.BatchNormalization())
    model.add(tf.keras.layers.Conv2DTranspose(1, (4, 4), strides=(2, 2), padding='same', activation='tanh'))
    return model


# The course's provided helpers, as the students had them (never run by the grader).

def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss,
              show_every=250, print_every=20, batch_size=128, num_epochs=10, noise_size=96):
    mnist = MNIST(batch_size=batch_size, shuffle=True)
    iter_count = 0
    images = []
    for epoch in range(num_epochs):
        for (x, _) in mnist:
            with tf.GradientTape() as tape:
                real_data = x
                logits_real = D(preprocess_img(real_data))
                g_fake_seed = sample_noise(batch_size, noise_size)
                fake_images = G(g_fake_seed)
                logits_fake = D(tf.reshape(fake_images, [batch_size, 784]))
                d_total_error = discriminator_loss(logits_real, logits_fake)
                d_gradients = tape.gradient(d_total_error, D.trainable_variables)
                D_solver.apply_gradients(zip(d_gradients, D.trainable_variables))
            with tf.GradientTape() as tape:
                g_fake_seed = sample_noise(batch_size, noise_size)
                fake_images = G(g_fake_seed)
                gen_logits_fake = D(tf.reshape(fake_images, [batch_size, 784]))
                g_error = generator_loss(gen_logits_fake)
                g_gradients = tape.gradient(g_error, G.trainable_variables)
                G_solver.apply_gradients(zip(g_gradients, G.trainable_variables))
            if iter_count % show_every == 0:
                print('Epoch: {}, Iter: {}, D: {:.4}, G:{:.4}'.format(epoch, iter_count, d_total_error, g_error))
                images.append(fake_images.cpu().numpy()[0:16])
            iter_count += 1
    z = sample_noise(batch_size, noise_size)
    G_sample = G(z)
    return images, G_sample[:16]


class MNIST(object):
    def __init__(self, batch_size, shuffle=False):
        train, _ = tf.keras.datasets.mnist.load_data()
        X, y = train
        X = X.astype(np.float32) / 255
        X = X.reshape((X.shape[0], -1))
        self.X, self.y = X, y
        self.batch_size, self.shuffle = batch_size, shuffle

    def __iter__(self):
        N, B = self.X.shape[0], self.batch_size
        idxs = np.arange(N)
        if self.shuffle:
            np.random.shuffle(idxs)
        return iter((self.X[i:i + B], self.y[i:i + B]) for i in range(0, N, B))


def preprocess_img(x):
    return 2 * x - 1.0


def deprocess_img(x):
    return (x + 1.0) / 2.0


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    param_count = np.sum([np.prod(p.shape) for p in model.weights])
    return param_count
