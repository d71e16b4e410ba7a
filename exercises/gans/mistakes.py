"""Wrong implementations of the GAN notebook's functions, as students write them: the misconceptions of
``exercises/gans/misconceptions.py`` run these in a trusted TensorFlow worker, next to the reference package,
to see whether a failing student function answers exactly as one of them. Imported only in workers.
"""
import tensorflow as tf


def discriminator_loss_concat_batches(logits_real, logits_fake):
    """The mean over the real and fake batches concatenated, times 2: right only when the batches are equal."""
    logits = tf.concat([logits_real, logits_fake], axis=0)
    labels = tf.concat([tf.ones_like(logits_real), tf.zeros_like(logits_fake)], axis=0)
    return 2.0 * tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
