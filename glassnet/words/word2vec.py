"""word2vec with negative sampling (Mikolov et al., 2013), trained by glassnet's autograd.

    from glassnet.data.text import fetch_corpus, read_text, tokenize
    from glassnet.words import Word2Vec

    tokens = tokenize(read_text(fetch_corpus("moby-dick")))
    model = Word2Vec(tokens, vector_size=100, window=5, min_count=5, epochs=2)
    model.wv.nearest("whale")

Two tables of vectors: ``in_weight`` (the word vectors, "syn0") and ``out_weight`` (the
output vectors, "syn1neg"). Each training example is an input vector h and a target word
o with K negative words n_1..n_K drawn from the unigram distribution raised to 3/4:

    skip-gram (sg=1): h = in[c] for a centre word c, o = one word of its window;
    CBOW (sg=0):      h = mean of in[w] over the window's words, o = the centre word;

    loss = -log sigmoid(out[o] . h) - sum_k log sigmoid(-out[n_k] . h)

which is binary cross-entropy on the logits (out[o] . h, out[n_1] . h, ...) with targets
(1, 0, ..., 0). ``negative_sampling_loss`` writes it with glassnet ops: two embedding
lookups, one batched matmul for the K+1 dot products, and the fused
``binary_cross_entropy_with_logits``; ``backward()`` gives the gradients of both tables, and
``glassnet.optim.SGD`` applies them. One mini-batch of ``batch_size`` examples is one graph.

Like the C tool and gensim: rare words (fewer than ``min_count``) are dropped before the
windows are cut; frequent words are subsampled each epoch, word w kept with probability
(sqrt(f_w / sample) + 1) * sample / f_w (f_w its share of the tokens); each position uses a
window of b words either side with b uniform in 1..window; the learning rate falls
linearly from ``alpha`` to ``min_alpha``; ``in_weight`` starts uniform in
(-0.5/dim, 0.5/dim) and ``out_weight`` at zero. Unlike them, the examples of an epoch are
shuffled and a batch's gradients are summed before the update (not applied one example at
a time), and a negative that equals the target is masked out rather than redrawn. A word
that fills many examples of a batch gets their summed step, so a tiny vocabulary wants a
smaller ``batch_size`` (a few dozen); a corpus like Moby-Dick (4,000+ words) trains well at
the default 1024.
"""

from __future__ import annotations

import math
import sys
import time
import warnings

import numpy as np

import glassnet.functional as F
from glassnet.data.text import WordVocab
from glassnet.optim import SGD
from glassnet.random import default_generator
from glassnet.tensor import Tensor
from glassnet.words.vectors import KeyedVectors

__all__ = ["Word2Vec", "negative_sampling_loss", "keep_probability", "noise_distribution"]


def keep_probability(counts, sample: float) -> np.ndarray:
    """Mikolov's subsampling: word w (frequency f = count / total) is kept with probability
    min(1, (sqrt(f / sample) + 1) * sample / f); ``sample=0`` keeps every word."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1) * sample / f)


def noise_distribution(counts, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: P(w) proportional to count(w) ** power."""
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


def _lookup(weight: Tensor, ids: np.ndarray) -> Tensor:
    """Rows of ``weight`` for integer ``ids`` (any shape) -> ids.shape + (dim,), through
    glassnet ops: ``F.embedding`` where the library has it, else indexing."""
    embedding = getattr(F, "embedding", None)
    if embedding is not None:
        return embedding(Tensor(ids), weight)
    return F.index(weight, ids)


def negative_sampling_loss(in_weight: Tensor, out_weight: Tensor, inputs, targets,
                           negatives, input_mask=None, reduction: str = "sum") -> Tensor:
    """The negative-sampling loss of a batch of B examples, as a glassnet graph.

        h_b   = in[inputs_b]                                      (skip-gram, inputs (B,))
        h_b   = sum_j mask_bj in[inputs_bj] / sum_j mask_bj         (CBOW, inputs (B, C))
        s_b   = (out[targets_b] . h_b, out[neg_b1] . h_b, ..., out[neg_bK] . h_b)
        loss  = sum_b [ -log sigmoid(s_b0) - sum_k w_bk log sigmoid(-s_bk) ]

    with w_bk = 0 where a negative equals the target (it would push the target away from
    its own context) and 1 otherwise. Gradients (what autograd computes):
    d loss / d s_b0 = sigmoid(s_b0) - 1, d loss / d s_bk = w_bk sigmoid(s_bk); then
    d/d out[w] = sum of (d loss / d s) h over the slots holding w, and d/d h_b =
    sum_k (d loss / d s_bk) out[.]_k, spread back to the input rows.

    Args:
        in_weight: (V, D) input vectors; out_weight: (V, D) output vectors.
        inputs: int array (B,) of centre words, or (B, C) of context words with
            ``input_mask`` (B, C) bool marking the real ones (CBOW).
        targets: int array (B,); negatives: int array (B, K).
        reduction: "sum" (the word2vec update), "mean" (per example) or "none" (B,).

    Shape: returns a scalar, or (B,) with reduction="none".
    """
    if reduction not in ("sum", "mean", "none"):
        raise ValueError(f"negative_sampling_loss: reduction must be 'sum', 'mean' or "
                         f"'none', got {reduction!r}")
    inputs, targets, negatives = (np.asarray(a) for a in (inputs, targets, negatives))
    b = targets.shape[0]
    if targets.ndim != 1 or negatives.ndim != 2 or negatives.shape[0] != b \
            or inputs.shape[0] != b or inputs.ndim not in (1, 2):
        raise ValueError(f"negative_sampling_loss: expected inputs (B,) or (B, C), targets "
                         f"(B,) and negatives (B, K), got inputs {inputs.shape}, targets "
                         f"{targets.shape}, negatives {negatives.shape}")
    if inputs.ndim == 1:
        h = _lookup(in_weight, inputs)                                # (B, D)
    else:
        mask = np.ones(inputs.shape, bool) if input_mask is None else np.asarray(input_mask)
        if mask.shape != inputs.shape:
            raise ValueError(f"negative_sampling_loss: input_mask {mask.shape} must match "
                             f"inputs {inputs.shape}")
        n = mask.sum(axis=1, keepdims=True)                           # (B, 1)
        if (n == 0).any():
            raise ValueError("negative_sampling_loss: a CBOW example has no context word "
                             f"(row {int(np.flatnonzero(n[:, 0] == 0)[0])} of input_mask)")
        scale = (mask / n).astype(in_weight.dtype)[:, :, None]        # (B, C, 1)
        h = (_lookup(in_weight, inputs) * Tensor(scale)).sum(1)       # (B, D)
    slots = np.concatenate([targets[:, None], negatives], axis=1)     # (B, 1+K)
    u = _lookup(out_weight, slots)                                    # (B, 1+K, D)
    scores = (u @ h.unsqueeze(-1)).squeeze(-1)                        # (B, 1+K)
    labels = np.zeros(slots.shape, dtype=scores.dtype)
    labels[:, 0] = 1
    weight = np.ones(slots.shape, dtype=scores.dtype)
    weight[:, 1:] = negatives != targets[:, None]
    per_slot = F.binary_cross_entropy_with_logits(scores, Tensor(labels), Tensor(weight),
                                                  reduction="none" if reduction == "none"
                                                  else "sum")
    if reduction == "none":
        return per_slot.sum(1)
    return per_slot / b if reduction == "mean" else per_slot


class Word2Vec:
    """Word vectors by skip-gram or CBOW with negative sampling (gensim's argument names).

    Args:
        sentences: a list of tokens, or an iterable of sentences (lists of tokens); windows
            never cross a sentence boundary. When given, the model is built and trained at
            once; else call ``build_vocab`` and ``train``.
        vector_size: dimension of the vectors.
        window: largest distance between a centre word and a context word.
        min_count: words seen fewer times are dropped.
        sg: 1 for skip-gram, 0 for CBOW (context vectors averaged).
        negative: negative words per example (K).
        sample: subsampling threshold (0 disables it); see ``keep_probability``.
        alpha, min_alpha: learning rate at the start and at the end (linear decay).
        epochs: passes over the corpus.
        batch_size: examples per mini-batch (one graph, one SGD step).
        seed: the examples, windows, subsampling and negatives come from a generator seeded
            with this; None draws them from glassnet's generator (``glassnet.manual_seed``).
        verbose: print the loss of each epoch.

    Attributes:
        wv: ``KeyedVectors`` of the input vectors (what is used as "the word vectors").
        vocab: the ``WordVocab``; ``in_weight``, ``out_weight``: the two (V, D) Tensors;
        losses: mean loss per example, one per epoch; ``train_seconds``: time per epoch.
    """

    def __init__(self, sentences=None, vector_size: int = 100, window: int = 5,
                 min_count: int = 5, sg: int = 1, negative: int = 5, sample: float = 1e-3,
                 alpha: float = 0.025, min_alpha: float = 0.0001, epochs: int = 5,
                 batch_size: int = 1024, seed: int | None = None,
                 verbose: bool = False) -> None:
        for name, value, low in (("vector_size", vector_size, 1), ("window", window, 1),
                                 ("min_count", min_count, 1), ("negative", negative, 1),
                                 ("epochs", epochs, 0), ("batch_size", batch_size, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < low:
                raise ValueError(f"Word2Vec: {name} must be an int >= {low}, got {value!r}")
        if sg not in (0, 1):
            raise ValueError(f"Word2Vec: sg must be 1 (skip-gram) or 0 (CBOW), got {sg!r}")
        if not (sample >= 0 and alpha > 0 and 0 <= min_alpha <= alpha):
            raise ValueError(f"Word2Vec: need sample >= 0 and 0 <= min_alpha <= alpha > 0, "
                             f"got sample={sample!r}, alpha={alpha!r}, min_alpha={min_alpha!r}")
        self.vector_size, self.window, self.min_count = int(vector_size), int(window), \
            int(min_count)
        self.sg, self.negative, self.sample = int(sg), int(negative), float(sample)
        self.alpha, self.min_alpha, self.epochs = float(alpha), float(min_alpha), int(epochs)
        self.batch_size, self.seed, self.verbose = int(batch_size), seed, verbose
        self.losses: list[float] = []
        self.train_seconds: list[float] = []
        self.vocab: WordVocab | None = None
        if sentences is not None:
            self.build_vocab(sentences)
            self.train()

    # --------------------------------------------------------------------- corpus
    def _rng(self) -> np.random.Generator:
        if self.seed is None:
            return default_generator()
        if not hasattr(self, "_own_rng"):
            self._own_rng = np.random.Generator(np.random.PCG64(self.seed))
        return self._own_rng

    def build_vocab(self, sentences) -> Word2Vec:
        """Count the words, keep those seen ``min_count`` times, encode the corpus, and
        initialise both tables."""
        if isinstance(sentences, str):
            raise TypeError("Word2Vec: sentences must be tokens or lists of tokens, got a "
                            "str; pass glassnet.data.text.tokenize(text)")
        sentences = list(sentences)
        if sentences and all(isinstance(s, str) for s in sentences):
            sentences = [sentences]  # one token list: one long sentence
        elif not all(isinstance(s, (list, tuple)) for s in sentences):
            raise TypeError("Word2Vec: sentences must be a list of tokens (str) or an "
                            "iterable of lists of tokens")
        self.vocab = WordVocab((w for s in sentences for w in s), min_count=self.min_count)
        if len(self.vocab) < 2:
            raise ValueError(f"Word2Vec: only {len(self.vocab)} word(s) occur at least "
                             f"min_count={self.min_count} times in {self.vocab.total} "
                             "tokens; lower min_count or give more text")
        encoded = [self.vocab.encode(s) for s in sentences]
        self._ids = np.concatenate(encoded).astype(np.int64)                       # (N,)
        self._sentence = np.repeat(np.arange(len(encoded)), [len(e) for e in encoded])
        self._keep = keep_probability(self.vocab.counts, self.sample)
        self._noise_cdf = np.cumsum(noise_distribution(self.vocab.counts))
        self._noise_cdf[-1] = 1.0
        v, d = len(self.vocab), self.vector_size
        rng = self._rng()
        init = (rng.random((v, d), dtype=np.float32) - 0.5) / d
        self.in_weight = Tensor(init, requires_grad=True)
        self.out_weight = Tensor(np.zeros((v, d), np.float32), requires_grad=True)
        self.wv = KeyedVectors(self.vocab.words, self.in_weight.data, self.vocab.counts)
        return self

    def sample_negatives(self, shape) -> np.ndarray:
        """Word ids drawn from ``noise_distribution`` (count ** 0.75), int64 ``shape``."""
        draws = self._rng().random(shape)
        return np.searchsorted(self._noise_cdf, draws, side="right").astype(np.int64)

    def _epoch_corpus(self, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Subsampled ids, their sentence numbers, and each position's window size."""
        kept = rng.random(self._ids.shape[0]) < self._keep[self._ids]
        ids, sent = self._ids[kept], self._sentence[kept]
        reach = rng.integers(1, self.window + 1, size=ids.shape[0])  # b in 1..window
        return ids, sent, reach

    def _skipgram_examples(self, rng) -> tuple[np.ndarray, np.ndarray]:
        """(centre, context) pairs of one epoch, shuffled; one vectorised pass per offset."""
        ids, sent, reach = self._epoch_corpus(rng)
        centres, contexts = [], []
        for d in range(1, self.window + 1):
            # forward: centre i, context i + d; backward: centre i + d, context i
            fwd = (reach[:-d] >= d) & (sent[:-d] == sent[d:])
            bwd = (reach[d:] >= d) & (sent[:-d] == sent[d:])
            centres += [ids[:-d][fwd], ids[d:][bwd]]
            contexts += [ids[d:][fwd], ids[:-d][bwd]]
        centres, contexts = np.concatenate(centres), np.concatenate(contexts)
        order = rng.permutation(centres.shape[0])
        return centres[order], contexts[order]

    def _cbow_examples(self, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(context ids (M, 2*window), mask, centre) of one epoch, shuffled."""
        ids, sent, reach = self._epoch_corpus(rng)
        n, w = ids.shape[0], self.window
        offsets = np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])    # (2w,)
        pos = np.arange(n)[:, None] + offsets                                # (n, 2w)
        inside = (pos >= 0) & (pos < n)
        pos = np.clip(pos, 0, n - 1)
        mask = inside & (np.abs(offsets) <= reach[:, None]) & (sent[pos] == sent[:, None])
        has = mask.any(axis=1)
        order = rng.permutation(np.flatnonzero(has))
        return ids[pos[order]], mask[order], ids[order]

    # ------------------------------------------------------------------- training
    def train(self, epochs: int | None = None) -> list[float]:
        """Run the epochs; returns the mean loss per example of each."""
        if self.vocab is None:
            raise RuntimeError("Word2Vec.train: call build_vocab(sentences) first")
        epochs = self.epochs if epochs is None else int(epochs)
        rng = self._rng()
        optimizer = SGD([self.in_weight, self.out_weight], lr=self.alpha)
        group = optimizer.param_groups[0]
        for epoch in range(epochs):
            start = time.perf_counter()
            if self.sg:
                centres, contexts = self._skipgram_examples(rng)
                inputs, mask, targets = centres, None, contexts
            else:
                inputs, mask, targets = self._cbow_examples(rng)
            m = targets.shape[0]
            if m == 0:  # nothing to learn from: say so rather than log a loss of 0
                warnings.warn(
                    f"Word2Vec: epoch {epoch + 1} has no training examples: no two kept "
                    f"words share a sentence within window={self.window} (after "
                    f"subsampling with sample={self.sample}); its loss is NaN",
                    RuntimeWarning, stacklevel=2)
                self.losses.append(math.nan)
                self.train_seconds.append(time.perf_counter() - start)
                continue
            n_batches = -(-m // self.batch_size)
            total = 0.0
            for bi in range(n_batches):
                sl = slice(bi * self.batch_size, (bi + 1) * self.batch_size)
                progress = (epoch + bi / n_batches) / max(epochs, 1)
                group["lr"] = self.alpha - (self.alpha - self.min_alpha) * progress
                tgt = targets[sl]
                negs = self.sample_negatives((tgt.shape[0], self.negative))
                loss = negative_sampling_loss(self.in_weight, self.out_weight, inputs[sl],
                                              tgt, negs,
                                              None if mask is None else mask[sl])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                value = float(loss.data)
                if not np.isfinite(value):
                    raise FloatingPointError(
                        f"Word2Vec: the loss became {value} in epoch {epoch + 1}, batch "
                        f"{bi + 1} (lr {group['lr']:.4g}); with a small vocabulary a word "
                        f"fills many of a batch's {self.batch_size} examples and their summed "
                        "step is too large: lower batch_size or alpha")
                total += value
            self.losses.append(total / max(m, 1))
            self.train_seconds.append(time.perf_counter() - start)
            if self.verbose:
                print(f"word2vec epoch {epoch + 1}/{epochs}: {m} examples, loss "
                      f"{self.losses[-1]:.4f}, {self.train_seconds[-1]:.1f}s",
                      file=sys.stderr, flush=True)
        # the tables were updated in place or replaced: point wv at the current vectors
        self.wv.vectors = self.in_weight.data
        return self.losses[-epochs:] if epochs else []

    def __repr__(self) -> str:
        words = 0 if self.vocab is None else len(self.vocab)
        return (f"Word2Vec(words={words}, vector_size={self.vector_size}, "
                f"{'skip-gram' if self.sg else 'CBOW'}, window={self.window}, "
                f"negative={self.negative})")
