"""KeyedVectors (neighbours, analogies, word2vec text format), the 2-D maps, the example."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from glassnet.words import KeyedVectors, pca_2d, plot_words, tsne_2d


@pytest.fixture
def royals() -> KeyedVectors:
    # axes: royalty, maleness, fruitiness
    words = ["king", "queen", "man", "woman", "prince", "apple", "pear"]
    vectors = [[1, 1, 0], [1, -1, 0], [0, 1, 0], [0, -1, 0], [0.9, 0.9, 0.1], [0, 0, 1],
               [0.1, 0, 1]]
    return KeyedVectors(words, vectors)


def test_nearest_similarity_and_analogy(royals):
    assert royals["king"].tolist() == [1, 1, 0] and royals["king"].dtype == np.float32
    assert royals[["man", "pear"]].shape == (2, 3)
    assert royals.similarity("king", "king") == pytest.approx(1)
    assert royals.similarity("king", "queen") == pytest.approx(0)
    near = royals.nearest("apple", k=2)
    assert [w for w, _ in near] == ["pear", "prince"]  # itself left out, best first
    assert near[0][1] == pytest.approx(1 / np.sqrt(1.01))
    assert royals.nearest("king", k=1)[0][0] == "prince"
    assert len(royals.nearest("king", k=100)) == 6
    assert royals.nearest(np.array([0, 0, 1.0]), k=1)[0][0] == "apple"  # a vector: no exclusion
    assert royals.analogy("man", "king", "woman")[0][0] == "queen"
    assert royals.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] \
        == "queen"
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        royals.nearest("king", k=0)


def test_unknown_word_suggests_close_matches(royals):
    with pytest.raises(KeyError, match="'kings' is not in the vocabulary of 7 words; did you "
                       "mean 'king'"):
        royals["kings"]
    with pytest.raises(KeyError, match="'quen'"):
        royals.analogy("man", "king", "quen")


def test_constructor_checks():
    with pytest.raises(ValueError, match=r"shape \(2, dim\)"):
        KeyedVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        KeyedVectors([None], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="appears twice"):
        KeyedVectors(["a", "a"], np.zeros((2, 2)))


def test_word2vec_text_format_round_trip(tmp_path, royals):
    rng = np.random.default_rng(0)
    wv = KeyedVectors(["whale", "ship", "ahab's", "naïve"], rng.normal(size=(4, 5)) * 1e3)
    path = tmp_path / "v.vec"
    wv.save_word2vec_format(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "4 5" and lines[1].startswith("whale ") and len(lines) == 5
    back = KeyedVectors.load_word2vec_format(path)
    assert back.index_to_key == wv.index_to_key
    assert np.array_equal(back.vectors, wv.vectors)  # 9 significant digits: float32 exact


@pytest.mark.parametrize("content, message", [
    ("2 3\na 1 2 3\n", "promises 2 words but the file has 1 rows"),
    ("1 3\na 1 2 3\nb 1 2 3\n", "promises 1 words but the file has 2 rows"),
    ("2 3\na 1 2 3\nb 1 2\n", "line 3: expected a word and 3 values .the header's dim., got 2"),
    ("2 3\na 1 2 3\nb 1 x 3\n", "line 3: value 'x' for word 'b' is not a number"),
    ("2 3\na 1 2 3\na 4 5 6\n", "line 3: word 'a' already appeared on line 2"),
    ("three 3\na 1 2 3\n", "line 1: the header must be '<count> <dim>'"),
    ("1\na 1\n", "line 1: the header must be '<count> <dim>'"),
    ("1 0\na\n", "line 1: the header must be"),
])
def test_bad_word2vec_files(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        KeyedVectors.load_word2vec_format(path)
    assert "bad.vec" in str(info.value)


def test_empty_vector_file(tmp_path):
    (tmp_path / "e.vec").write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        KeyedVectors.load_word2vec_format(tmp_path / "e.vec")


def test_failed_save_keeps_the_old_file(tmp_path, royals, monkeypatch):
    path = tmp_path / "v.vec"
    royals.save_word2vec_format(path)
    before = path.read_bytes()
    monkeypatch.setattr(np.char, "mod", lambda *a: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        royals.save_word2vec_format(path)
    assert path.read_bytes() == before


def test_pca_and_tsne_maps(tmp_path, royals):
    rng = np.random.default_rng(0)
    line = np.outer(np.arange(6.0), [1, 2, 3]) + 1e-9 * rng.normal(size=(6, 3))
    xy = pca_2d(line)
    assert np.abs(xy[:, 1]).max() < 1e-6 and np.ptp(xy[:, 0]) == pytest.approx(5 * np.sqrt(14))
    blobs = np.concatenate([rng.normal(size=(20, 10)), rng.normal(size=(20, 10)) + 8])
    y = tsne_2d(blobs, perplexity=5, n_iter=1000)
    # t-SNE keeps neighbourhoods: of each point's 5 nearest neighbours on the map, at least
    # 90% come from its own blob (a random map gives about half). Not every point: exact
    # t-SNE on 40 points flings one out now and then, scikit-learn's as often (about one
    # seed in ten), and which seed does it moves with the last bits of the BLAS products.
    gaps = np.linalg.norm(y[:, None] - y[None], axis=2) + np.diag(np.full(40, np.inf))
    neighbours = np.argsort(gaps, axis=1)[:, :5]
    blob = np.arange(40) >= 20
    assert (blob[neighbours] == blob[:, None]).mean() >= 0.9
    # and the blobs lie apart: their medians are farther apart than their spreads
    ma, mb = np.median(y[~blob], axis=0), np.median(y[blob], axis=0)
    spread = max(np.median(np.linalg.norm(y[~blob] - ma, axis=1)),
                 np.median(np.linalg.norm(y[blob] - mb, axis=1)))
    assert np.linalg.norm(ma - mb) > 2 * spread
    for method in ("pca", "tsne"):
        path = plot_words(royals, ["king", "queen", "man", "woman", "apple", "pear"],
                          tmp_path / f"{method}.png", method=method, perplexity=2)
        assert pathlib.Path(path).read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="method must be"):
        plot_words(royals, ["king", "queen"], tmp_path / "x.png", method="umap")


def test_example_trains_on_moby_dick(tmp_path):
    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "word_vectors.py"
    spec = importlib.util.spec_from_file_location("example_word_vectors", script)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    found = example.main(epochs=1, vector_size=16, min_count=3, max_tokens=20_000,
                         out=str(tmp_path), k=5)
    assert set(found["neighbours"]) >= {"whale", "ship", "sea"}
    assert all(len(v) == 5 for v in found["neighbours"].values())
    vec, png = found["paths"]
    back = KeyedVectors.load_word2vec_format(vec)
    assert back.vector_size == 16 and "whale" in back
    assert pathlib.Path(png).stat().st_size > 10_000


# ------------------------------------------------------------ limits of t-SNE and the format
@pytest.mark.parametrize("points", [np.random.default_rng(0).normal(size=(3, 8)), np.eye(3)])
def test_tsne_of_three_points_is_finite(points):
    # the perplexity cap (n - 1) / 3 is below 1 here: the affinities must not overflow
    assert np.isfinite(tsne_2d(points, n_iter=300)).all()


def test_tsne_perplexity_one_is_finite_and_below_one_is_refused():
    points = np.random.default_rng(0).normal(size=(20, 8))
    assert np.isfinite(tsne_2d(points, perplexity=1.0, n_iter=300)).all()
    for numpy_number in (np.int64(5), np.float32(5.0)):
        assert np.isfinite(tsne_2d(points, perplexity=numpy_number, n_iter=50)).all()
    for bad in (0.5, 0, -3, float("nan")):
        with pytest.raises(ValueError, match="perplexity must be a number >= 1"):
            tsne_2d(points, perplexity=bad)


def test_rows_end_at_newlines_only_as_gensim_reads_them(tmp_path):
    path = tmp_path / "vectors.txt"
    # U+2028 and U+0085 are line breaks to str.splitlines but not to the format; NBSP is
    # not a field separator; CRLF line ends are read as LF
    path.write_bytes("3 2\r\na\u2028b 0.1 0.2\r\nnew\u00a0york 1 2\r\nc\u0085d 3 4\r\n"
                     .encode("utf-8"))
    kv = KeyedVectors.load_word2vec_format(path)
    assert kv.index_to_key == ["a\u2028b", "new\u00a0york", "c\u0085d"]
    np.testing.assert_array_equal(kv["new\u00a0york"], [1, 2])


def test_words_with_spaces_live_in_memory_but_are_not_saved(tmp_path):
    kv = KeyedVectors(["new york", "paris"], np.eye(2))
    assert kv.most_similar("new york", topn=1)[0][0] == "paris"
    path = tmp_path / "v.txt"
    path.write_text("kept")
    with pytest.raises(ValueError, match="word 0 is 'new york'.*nothing was written"):
        kv.save_word2vec_format(path)
    assert path.read_text() == "kept"
    with pytest.raises(ValueError, match="non-empty"):
        KeyedVectors(["", "x"], np.eye(2))
