"""``KeyedVectors``: words and their vectors, with cosine neighbours, analogies, and the
word2vec text format (gensim's ``KeyedVectors`` names where they exist).

    wv = KeyedVectors.load_word2vec_format("vectors.txt")
    wv["whale"]                      # (dim,) float32
    wv.nearest("whale", k=5)         # [("sperm", 0.81), ...]: cosine, the word itself left out
    wv.analogy("man", "king", "woman")   # man : king :: woman : ?  (3CosAdd)

Cosine similarity: cos(u, v) = u . v / (|u| |v|). The analogy a : b :: c : ? is answered
by 3CosAdd (Mikolov et al., 2013): the word w, other than a, b and c, maximising
cos(w, b^ - a^ + c^), where x^ = x / |x|.

The word2vec text format: a header line "<count> <dim>", then one line per word,
"word v1 v2 ... v_dim", separated by single spaces (so a word cannot contain whitespace).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from glassnet.data.fetch import _atomic_write
from glassnet.data.text import read_text, unknown_word_message

__all__ = ["KeyedVectors", "cosine_similarity"]


def cosine_similarity(u, v) -> float:
    """cos(u, v) = u . v / (|u| |v|); 0 when either vector is zero."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    denom = np.linalg.norm(u) * np.linalg.norm(v)
    return float(u @ v / denom) if denom > 0 else 0.0


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row divided by its length (zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


class KeyedVectors:
    """Word vectors, one row per word.

    Args:
        words: the words (distinct, non-empty str), in row order. Only the text format
            limits them: ``save_word2vec_format`` refuses a word with a space or a line
            break, which would not read back.
        vectors: array (len(words), dim); kept as float32.
        counts: optional word counts (e.g. from training), same order.

    Attributes:
        index_to_key: the words, row order; ``key_to_index``: word -> row.
        vectors: the (n, dim) float32 array; ``vector_size``: dim.
    """

    def __init__(self, words, vectors, counts=None) -> None:
        words = list(words)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"KeyedVectors: vectors must have shape ({len(words)}, dim) for "
                             f"{len(words)} words, got {vectors.shape}")
        index = {}
        for i, w in enumerate(words):
            if not isinstance(w, str) or not w:
                raise ValueError(f"KeyedVectors: word {i} is {w!r}; words must be non-empty "
                                 "strings")
            if w in index:
                raise ValueError(f"KeyedVectors: word {w!r} appears twice (rows {index[w]} "
                                 f"and {i})")
            index[w] = i
        self.index_to_key: list[str] = words
        self.key_to_index: dict[str, int] = index
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)

    # ------------------------------------------------------------------- access
    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def get_index(self, word: str) -> int:
        """The row of ``word``; KeyError naming it and suggesting close matches."""
        try:
            return self.key_to_index[word]
        except (KeyError, TypeError):
            raise KeyError(unknown_word_message("KeyedVectors", word, self.index_to_key)) \
                from None

    def __getitem__(self, word):
        """The vector of a word (dim,), or of a list of words (n, dim)."""
        if isinstance(word, (list, tuple)):
            return self.vectors[[self.get_index(w) for w in word]]
        return self.vectors[self.get_index(word)]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words' vectors."""
        return cosine_similarity(self[w1], self[w2])

    # --------------------------------------------------------------- neighbours
    def _top(self, target: np.ndarray, k: int, exclude: set[int]) -> list[tuple[str, float]]:
        """The k words whose vectors have the largest cosine with ``target``."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"KeyedVectors: k must be an int >= 1, got {k!r}")
        unit = _unit_rows(self.vectors.astype(np.float64))
        norm = np.linalg.norm(target)
        sims = unit @ (target / norm if norm > 0 else target)  # (n,)
        if exclude:
            sims[list(exclude)] = -np.inf
        k = min(int(k), len(self) - len(exclude))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((top, -sims[top]))]  # by similarity, ties by row
        return [(self.index_to_key[i], float(sims[i])) for i in top]

    def nearest(self, word, k: int = 10) -> list[tuple[str, float]]:
        """The k nearest words by cosine similarity, as (word, similarity), best first.

        ``word`` is a word (itself left out) or a vector (dim,) (nothing left out)."""
        if isinstance(word, str):
            return self._top(self[word].astype(np.float64), k, {self.get_index(word)})
        vec = np.asarray(word, dtype=np.float64)
        if vec.shape != (self.vector_size,):
            raise ValueError(f"KeyedVectors.nearest: a vector must have shape "
                             f"({self.vector_size},), got {vec.shape}")
        return self._top(vec, k, set())

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """a : b :: c : ?  by 3CosAdd: the k words (not a, b or c) nearest to
        b^ - a^ + c^ (unit vectors), as (word, cosine), best first."""
        ia, ib, ic = self.get_index(a), self.get_index(b), self.get_index(c)
        unit = _unit_rows(self.vectors[[ia, ib, ic]].astype(np.float64))
        return self._top(unit[1] - unit[0] + unit[2], k, {ia, ib, ic})

    def most_similar(self, positive=(), negative=(), topn: int = 10) -> list[tuple[str, float]]:
        """gensim's query: the words nearest to the mean of the unit vectors of
        ``positive`` minus those of ``negative`` (the query words left out)."""
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise ValueError("KeyedVectors.most_similar: give at least one word")
        rows = [self.get_index(w) for w in positive + negative]
        signs = np.array([1.0] * len(positive) + [-1.0] * len(negative))[:, None]
        unit = _unit_rows(self.vectors[rows].astype(np.float64))
        return self._top((signs * unit).mean(axis=0), topn, set(rows))

    # ---------------------------------------------------------- word2vec text format
    def save_word2vec_format(self, path: str | os.PathLike) -> None:
        """Write the word2vec text format ("<count> <dim>", then "word v1 ... v_dim" lines,
        each value with 9 significant digits, which round-trips float32 exactly).
        The write is atomic: a failed save leaves the previous file intact."""
        n, dim = self.vectors.shape
        for i, w in enumerate(self.index_to_key):
            if any(c in w for c in " \n\r"):
                raise ValueError(
                    f"KeyedVectors.save_word2vec_format: word {i} is {w!r}; the text format "
                    "separates fields with spaces and rows with line breaks, so a word must "
                    "contain neither (nothing was written)")
        body = np.char.mod("%.9g", self.vectors)  # (n, dim) strings, no Python loop per value
        lines = [f"{n} {dim}"]
        lines += [w + " " + " ".join(row) for w, row in zip(self.index_to_key, body.tolist())]
        _atomic_write(Path(path), ("\n".join(lines) + "\n").encode("utf-8"))

    save = save_word2vec_format

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike) -> KeyedVectors:
        """Read the word2vec text format; every line is checked against the header.

        Raises:
            ValueError: naming the file and line: a bad header, a row with the wrong
                number of values or a value that is not a number, a repeated word, or a
                row count that disagrees with the header.
        """
        # Rows end at "\n" only (with an optional "\r" before it), as gensim reads them:
        # str.splitlines would also break a word at U+2028, U+0085 or a form feed.
        lines = [line[:-1] if line.endswith("\r") else line
                 for line in read_text(path).split("\n")]
        where = f"KeyedVectors.load_word2vec_format: {path}"
        header = lines[0].split()
        try:
            n, dim = (int(v) for v in header)
            if n < 0 or dim < 1:
                raise ValueError
        except ValueError:
            raise ValueError(f"{where}, line 1: the header must be '<count> <dim>' (two "
                             f"integers, dim >= 1), got {lines[0][:80]!r}") from None
        while lines and not lines[-1].strip():  # a trailing blank line is harmless
            lines.pop()
        rows = lines[1:]
        if len(rows) != n:
            raise ValueError(f"{where}: the header (line 1) promises {n} words but the file "
                             f"has {len(rows)} rows")
        words, vectors = [], np.empty((n, dim), dtype=np.float32)
        seen: dict[str, int] = {}
        for i, line in enumerate(rows):
            parts = line.rstrip().split(" ")
            lineno = i + 2
            if len(parts) != dim + 1:
                raise ValueError(f"{where}, line {lineno}: expected a word and {dim} values "
                                 f"(the header's dim), got {len(parts) - 1} values")
            word = parts[0]
            if not word:
                raise ValueError(f"{where}, line {lineno}: the row starts with a space (no "
                                 "word)")
            if word in seen:
                raise ValueError(f"{where}, line {lineno}: word {word!r} already appeared on "
                                 f"line {seen[word]}")
            seen[word] = lineno
            try:
                vectors[i] = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                bad = next(p for p in parts[1:] if not _is_float(p))
                raise ValueError(f"{where}, line {lineno}: value {bad!r} for word {word!r} "
                                 "is not a number") from None
            words.append(word)
        return cls(words, vectors)

    load = load_word2vec_format

    def __repr__(self) -> str:
        return f"KeyedVectors(words={len(self)}, vector_size={self.vector_size})"


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
