"""A correct solution written the way 2020 submissions were (TF 2.3, Keras 2 API): it must score full marks
unchanged. Static shapes, Keras backend helpers, einsum, a renamed parameter, a loop over the style layers."""
import numpy as np
import tensorflow as tf

K = tf.keras.backend


def tv_loss(img, tv_weight):
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    w_variance = tf.reduce_sum(tf.pow(img[:, :, :-1, :] - img[:, :, 1:, :], 2))
    h_variance = tf.reduce_sum(tf.pow(img[:, :-1, :, :] - img[:, 1:, :, :], 2))
    return tv_weight * (h_variance + w_variance)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def style_loss(feats, style_layers, style_targets, style_weights):
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = tf.constant(0.0)
    for i in range(len(style_layers)):
        current = gram_matrix(feats[style_layers[i]])
        loss += style_weights[i] * K.sum(K.square(current - style_targets[i]))
    return loss
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def gram_matrix(features, normalize=True):
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    _, H, W, C = features.shape
    gram = tf.einsum("bijc,bijd->cd", features, features)
    if normalize:
        gram /= tf.cast(H * W * C, tf.float32)
    return gram
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def content_loss(content_weight, content_current, content_target):
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return content_weight * tf.reduce_sum(tf.math.squared_difference(content_current, content_target))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def extract_features(x, cnn):
    features = []
    prev_feat = x
    for i, layer in enumerate(cnn.net.layers[:-2]):
        next_feat = layer(prev_feat)
        features.append(next_feat)
        prev_feat = next_feat
    return features


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))
