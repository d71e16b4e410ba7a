"""Image captioning with a recurrent language model (vanilla RNN or LSTM)."""
import numpy as np

from ..rnn_layers import *
from ..layers import *


class CaptioningRNN(object):
    """A CaptioningRNN produces captions from image features with a recurrent
    neural network.

    The RNN receives input vectors of size D, has a vocabulary of size V, works
    on sequences of length T, has hidden size H, uses word vectors of size W,
    and operates on minibatches of size N. There is no regularisation.
    """

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128,
                 hidden_dim=128, cell_type="rnn", dtype=np.float32):
        """Construct a new CaptioningRNN instance.

        Inputs:
        - word_to_idx: dict giving the vocabulary; V entries, each word mapped
          to an integer in [0, V)
        - input_dim: dimension D of the input image feature vectors
        - wordvec_dim: dimension W of the word vectors
        - hidden_dim: dimension H of the hidden state
        - cell_type: 'rnn' or 'lstm'
        - dtype: numpy datatype of the parameters (float32 for training,
          float64 for numeric gradient checking)
        """
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError('Invalid cell_type "%s"' % cell_type)

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        # Word vectors
        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100

        # Projection from image features to the initial hidden state
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        # Recurrent parameters
        dim_mul = {"lstm": 4, "rnn": 1}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)

        # Hidden state to vocabulary scores
        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        """Training-time loss and gradients.

        The ground-truth captions are fed to the RNN (teacher forcing) and the
        model predicts each next word; <NULL> targets are masked out.

        Inputs:
        - features: image features, shape (N, D)
        - captions: ground-truth captions, integer array of shape (N, T + 1)

        Returns a tuple of:
        - loss: scalar loss
        - grads: dict with the same keys as self.params
        """
        # Inputs are all words but the last; targets are all words but the
        # first; <NULL> targets do not count.
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]

        mask = captions_out != self._null

        # Projection from image features to the initial hidden state
        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]

        # Word embedding matrix
        W_embed = self.params["W_embed"]

        # Input-to-hidden, hidden-to-hidden, and biases for the RNN
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]

        # Hidden-to-vocab weights and biases
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        # -> temporal affine -> temporal softmax loss) and backward pass,
        # filling grads with one entry per key of self.params.
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

        return loss, grads

    def sample(self, features, max_length=30):
        """Greedy test-time decoding.

        The initial hidden state is the affine projection of the features (and
        the initial cell state is zero for an LSTM); the first input word is
        <START>. At every step the previous word is embedded, one RNN/LSTM step
        is taken, and the highest-scoring word is both recorded and fed back
        in. All max_length steps are always run (there is no stop at <END>).

        Inputs:
        - features: image features, shape (N, D)
        - max_length: length T of the generated captions

        Returns:
        - captions: integer array of shape (N, max_length); column 0 holds the
          first sampled word (not <START>)
        """
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        # Unpack parameters
        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        # of step t into captions[:, t].
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

        return captions
