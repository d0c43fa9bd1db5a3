"""Word vectors from Moby-Dick: skip-gram with negative sampling, trained by glassnet.

    python examples/word_vectors.py
    python examples/word_vectors.py --epochs 2 --vector-size 50 --out runs/words

Fetches the novel (verified by SHA-256; see ``glassnet.data.text``), splits it into
lower-case words, trains 100-d skip-gram vectors (window 5, 5 negatives, words seen at
least 5 times, frequent words subsampled), prints the nearest neighbours of a few words
and two analogies, and writes ``moby_dick.vec`` (word2vec text format) and
``moby_dick_words.png`` (a PCA map of chosen words) to ``--out``.

On one CPU core five epochs take about half a minute; the neighbours that come out are
the book's cast and gear: "captain" sits by "peleg", "ahab" and "bildad", "ship" by "pequod".
"""

from __future__ import annotations

import argparse
import os
import time

from glassnet.data.text import fetch_corpus, read_text, tokenize
from glassnet.words import Word2Vec, plot_words

QUERIES = ("whale", "ship", "sea", "captain", "ahab")
ANALOGIES = (("ahab", "captain", "starbuck"), ("whale", "whales", "boat"))
MAP_WORDS = ("whale", "whales", "sperm", "ship", "boat", "boats", "sea", "ocean", "water",
             "captain", "mate", "ahab", "starbuck", "stubb", "flask", "queequeg", "ishmael",
             "harpoon", "lance", "line", "oil", "head", "jaw", "eye", "leg", "day", "night")


def main(epochs: int = 5, vector_size: int = 100, min_count: int = 5, max_tokens: int | None
         = None, out: str = "runs/word_vectors", seed: int = 0, k: int = 8,
         root: str | None = None) -> dict:
    """Train, print, save; returns {"neighbours", "analogies", "seconds", "paths", ...}."""
    text = read_text(fetch_corpus("moby-dick", root))
    tokens = tokenize(text)[:max_tokens]
    print(f"Moby-Dick: {len(tokens)} tokens")
    start = time.perf_counter()
    model = Word2Vec(tokens, vector_size=vector_size, window=5, min_count=min_count, sg=1,
                     negative=5, sample=1e-3, epochs=epochs, seed=seed, verbose=True)
    seconds = time.perf_counter() - start
    wv = model.wv
    print(f"{model}: {len(wv)} words, {epochs} epochs in {seconds:.1f}s, loss per example "
          + " -> ".join(f"{v:.3f}" for v in model.losses))

    neighbours = {}
    for word in QUERIES:
        if word in wv:
            neighbours[word] = wv.nearest(word, k)
            print(f"  {word:>8}: " + ", ".join(f"{w} {s:.2f}" for w, s in neighbours[word]))
    analogies = {}
    for a, b, c in ANALOGIES:
        if all(w in wv for w in (a, b, c)):
            analogies[(a, b, c)] = wv.analogy(a, b, c, k=3)
            print(f"  {a} : {b} :: {c} : " + ", ".join(f"{w} ({s:.2f})"
                                                     for w, s in analogies[(a, b, c)]))

    os.makedirs(out, exist_ok=True)
    vec_path = os.path.join(out, "moby_dick.vec")
    wv.save_word2vec_format(vec_path)
    png = plot_words(wv, [w for w in MAP_WORDS if w in wv],
                     os.path.join(out, "moby_dick_words.png"),
                     title=f"Moby-Dick skip-gram vectors ({vector_size}-d), PCA")
    print(f"wrote {vec_path} and {png}")
    return {"neighbours": neighbours, "analogies": analogies, "seconds": seconds,
            "losses": model.losses, "paths": (vec_path, png), "model": model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="train on the first N tokens only (quick runs)")
    parser.add_argument("--out", default="runs/word_vectors")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.vector_size, args.min_count, args.max_tokens, args.out, args.seed)
