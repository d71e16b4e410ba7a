"""SqueezeNet 1.1 in tf.keras (Keras 2 API), laid out like the course's model.

The layout is what the notebooks and the course's checkpoint rely on: ``model.net`` is a Sequential of
14 layers (``extract_features`` walks ``net.layers[:-2]``), each Fire block keeps its convolutions in the
attributes ``squeeze``, ``expand1x1`` and ``expand3x3``, and the first layer declares the input shape, so
``model.load_weights('.../squeezenet.ckpt')`` restores the course's TF object checkpoint.

Without that checkpoint, ``build_squeezenet(seed=...)`` gives the same architecture with weights drawn
deterministically from a seed (see ``randomize``).
"""
import numpy as np
import tensorflow as tf

NUM_CLASSES = 1000


class Fire(tf.keras.Model):
    """Squeeze with a 1x1 convolution, then expand with 1x1 and 3x3 convolutions side by side."""

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes, name=None):
        super().__init__(name="%s/fire" % name)
        self.inplanes = inplanes
        self.squeeze = tf.keras.layers.Conv2D(squeeze_planes, kernel_size=1, strides=(1, 1), padding="VALID",
                                              activation="relu", name="squeeze")
        self.expand1x1 = tf.keras.layers.Conv2D(expand1x1_planes, kernel_size=1, strides=(1, 1),
                                                padding="VALID", activation="relu", name="e11")
        self.expand3x3 = tf.keras.layers.Conv2D(expand3x3_planes, kernel_size=3, strides=(1, 1),
                                                padding="SAME", activation="relu", name="e33")

    def call(self, x):
        s = self.squeeze(x)
        return tf.concat([self.expand1x1(s), self.expand3x3(s)], axis=3)


class SqueezeNet(tf.keras.Model):
    """NHWC images in, raw class scores (N, num_classes) out; no softmax."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.num_classes = num_classes
        layers = tf.keras.layers
        self.net = tf.keras.models.Sequential([
            layers.Conv2D(64, kernel_size=(3, 3), strides=(2, 2), padding="VALID", activation="relu",
                          input_shape=(224, 224, 3), name="features/layer0"),
            layers.MaxPool2D(pool_size=3, strides=2, name="features/layer2"),
            Fire(64, 16, 64, 64, name="features/layer3"),
            Fire(128, 16, 64, 64, name="features/layer4"),
            layers.MaxPool2D(pool_size=3, strides=2, name="features/layer5"),
            Fire(128, 32, 128, 128, name="features/layer6"),
            Fire(256, 32, 128, 128, name="features/layer7"),
            layers.MaxPool2D(pool_size=3, strides=2, name="features/layer8"),
            Fire(256, 48, 192, 192, name="features/layer9"),
            Fire(384, 48, 192, 192, name="features/layer10"),
            Fire(384, 64, 256, 256, name="features/layer11"),
            Fire(512, 64, 256, 256, name="features/layer12"),
            layers.Conv2D(num_classes, kernel_size=1, padding="VALID", activation="relu",
                          name="classifier/layer1"),
            layers.AveragePooling2D(pool_size=13, strides=13, padding="VALID", name="classifier/layer3"),
        ])

    def call(self, x, save_path=None):
        return tf.reshape(self.net(x), (-1, self.num_classes))


# ---------------------------------------------------------------------------------------- weights

CALIBRATION_IMAGES = 4
FIRST_LAYER_SMOOTHNESS = 0.3
"""The first layer's kernels are a per-channel colour filter, constant over the 3x3 window, plus this much
of a random pattern: like a trained network's first layer, it answers to colours and smooth shapes more
than to pixel noise."""
ACTIVE_BIAS = 1.0
"""Every convolution's pre-activation is centred at this many standard deviations above zero."""
SCORE_SCALE = 200.0
"""The classifier's outputs are multiplied by this: scores around 200, input gradients of norm 10-30, so that
a fooling step divided by ||g||^2 instead of ||g|| is 10-30 times too short."""


def conv_layers(model):
    """Every Conv2D of the model, in the order of the network."""
    convs = []
    for layer in model.net.layers:
        if isinstance(layer, Fire):
            convs += [layer.squeeze, layer.expand1x1, layer.expand3x3]
        elif isinstance(layer, tf.keras.layers.Conv2D):
            convs.append(layer)
    return convs


def calibration_images(rs, count, size=224):
    """Smooth random pictures with the statistics of preprocessed photos: detail at every scale, a random
    contrast and a random colour cast."""
    images = np.zeros((count, size, size, 3))
    for cells in (4, 8, 16, 32, 64, 128):
        noise = rs.standard_normal((count, cells, cells, 3))
        images += tf.image.resize(noise, (size, size), method="bilinear").numpy() / np.sqrt(cells)
    images /= images.std(axis=(1, 2, 3), keepdims=True)
    images *= rs.uniform(0.3, 1.5, (count, 1, 1, 1))
    images += 0.7 * rs.standard_normal((count, 1, 1, 3))
    return images.astype(np.float32)


def randomize(model, seed):
    """Draw every weight from ``seed``, then calibrate it on random smooth pictures (also from ``seed``).

    Kernels start He-scaled; each convolution is then rescaled, layer after layer, so that its outputs on
    the calibration pictures have unit variance per channel and a mean of ``ACTIVE_BIAS``. A random net
    made this way has features that differ from picture to picture, class scores that are non-zero and
    differ between pictures (no class wins everywhere), and useful input gradients.
    """
    if not model.built:
        model(np.zeros((1, 224, 224, 3), np.float32))
    rs = np.random.RandomState(seed)
    x = calibration_images(rs, CALIBRATION_IMAGES)

    def calibrate(conv, inputs, first=False):
        kernel = conv.get_weights()[0]
        fan_in = int(np.prod(kernel.shape[:3]))
        kernel = rs.standard_normal(kernel.shape) * np.sqrt(2.0 / fan_in)
        if first:
            kernel = FIRST_LAYER_SMOOTHNESS * kernel + rs.standard_normal((1, 1) + kernel.shape[2:])
        kernel = kernel.astype(np.float32)
        z = tf.nn.conv2d(inputs, kernel, conv.strides, conv.padding.upper()).numpy().astype(np.float64)
        std = z.std(axis=(0, 1, 2)) + 1e-6
        bias = ACTIVE_BIAS - z.mean(axis=(0, 1, 2)) / std
        conv.set_weights([(kernel / std).astype(np.float32), bias.astype(np.float32)])
        return conv(inputs)

    layers = model.net.layers
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Fire):
            squeezed = calibrate(layer.squeeze, x)
            x = tf.concat([calibrate(layer.expand1x1, squeezed), calibrate(layer.expand3x3, squeezed)], axis=3)
        elif isinstance(layer, tf.keras.layers.Conv2D):
            x = calibrate(layer, x, first=(i == 0))
        else:
            x = layer(x)
    classifier = layers[-2]
    kernel, bias = classifier.get_weights()
    classifier.set_weights([kernel * SCORE_SCALE, bias * SCORE_SCALE])
    return model


def build_squeezenet(weights=None, seed=0):
    """A built SqueezeNet, not trainable (as the notebooks leave it), with the course's weights read from
    ``weights`` (the checkpoint's path, e.g. ``cs231n/datasets/squeezenet.ckpt``) or weights drawn from
    ``seed`` when no checkpoint is given."""
    model = SqueezeNet()
    if weights:
        model.load_weights(weights).expect_partial()
        model(np.zeros((1, 224, 224, 3), np.float32))
        unfilled = [conv.name for conv in conv_layers(model) if not np.any(conv.bias.numpy())]
        if unfilled:
            raise ValueError("%s is not a SqueezeNet checkpoint: it left %d of the %d layers unset (e.g. %s)"
                             % (weights, len(unfilled), len(conv_layers(model)), unfilled[0]))
    else:
        randomize(model, seed)
    model.trainable = False
    return model
