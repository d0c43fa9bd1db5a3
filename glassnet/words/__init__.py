"""Word vectors: word2vec (skip-gram and CBOW with negative sampling) trained by glassnet's
autograd, ``KeyedVectors`` (neighbours, analogies, the word2vec text format), and 2-D plots.

    from glassnet.data.text import fetch_corpus, read_text, tokenize
    from glassnet.words import Word2Vec, plot_words

    tokens = tokenize(read_text(fetch_corpus("moby-dick")))
    model = Word2Vec(tokens, vector_size=100, min_count=5, epochs=2, seed=0)
    model.wv.nearest("whale", k=5)
    model.wv.save_word2vec_format("moby.vec")
    plot_words(model.wv, ["whale", "ship", "sea", "ahab"], "words.png")
"""

from glassnet.words.plot import pca_2d, plot_words, tsne_2d
from glassnet.words.vectors import KeyedVectors, cosine_similarity
from glassnet.words.word2vec import (
    Word2Vec,
    keep_probability,
    negative_sampling_loss,
    noise_distribution,
)

__all__ = [
    "Word2Vec", "KeyedVectors", "cosine_similarity", "negative_sampling_loss",
    "keep_probability", "noise_distribution", "pca_2d", "tsne_2d", "plot_words",
]
