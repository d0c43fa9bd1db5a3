"""Word2Vec: subsampling, negative sampling, the loss's gradient, and learning from context."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import gradcheck
from glassnet.words import Word2Vec, keep_probability, negative_sampling_loss, noise_distribution


def test_keep_probability_is_mikolovs_formula():
    counts = np.array([1000, 100, 10, 1])
    s = 1e-2
    f = counts / counts.sum()
    expected = np.minimum(1, (np.sqrt(f / s) + 1) * s / f)
    np.testing.assert_allclose(keep_probability(counts, s), expected)
    # by hand for the most frequent word: f = 1000/1111
    f0 = 1000 / 1111
    assert keep_probability(counts, s)[0] == pytest.approx((np.sqrt(f0 / s) + 1) * s / f0)
    assert keep_probability(counts, s)[-1] == 1.0  # rare words are always kept
    assert keep_probability(counts, 0).tolist() == [1, 1, 1, 1]


def tiny_model(**options) -> Word2Vec:
    tokens = ["a"] * 800 + ["b"] * 150 + ["c"] * 40 + ["d"] * 10
    rng = np.random.default_rng(0)
    tokens = list(rng.permutation(tokens))
    options = {"min_count": 1, "vector_size": 4, "epochs": 0, "seed": 1, **options}
    return Word2Vec(tokens, **options)


def test_negatives_follow_unigram_to_the_three_quarters():
    model = tiny_model()
    p = noise_distribution(model.vocab.counts)
    np.testing.assert_allclose(p, np.array([800, 150, 40, 10]) ** 0.75
                               / (np.array([800, 150, 40, 10]) ** 0.75).sum())
    draws = model.sample_negatives((200_000,))
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, p, atol=4 * np.sqrt(p * (1 - p) / draws.size).max())


def test_negatives_use_glassnet_generator_when_no_seed():
    model = tiny_model(seed=None)
    gn.manual_seed(5)
    first = model.sample_negatives((50,))
    gn.manual_seed(5)
    assert np.array_equal(first, model.sample_negatives((50,)))
    gn.manual_seed(6)  # another library seed: other draws, so the draws follow glassnet's
    assert not np.array_equal(first, model.sample_negatives((50,)))


def reference_loss(win, wout, inputs, targets, negatives, mask=None):
    """The negative-sampling loss written directly in NumPy (float64)."""
    if inputs.ndim == 1:
        h = win[inputs]
    else:
        h = (win[inputs] * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    log_sig = lambda z: -np.logaddexp(0, -z)  # noqa: E731
    pos = log_sig(np.sum(wout[targets] * h, 1))
    neg = log_sig(-np.einsum("bkd,bd->bk", wout[negatives], h))
    neg = neg * (negatives != targets[:, None])
    return -(pos + neg.sum(1))


@pytest.mark.parametrize("cbow", [False, True])
def test_negative_sampling_loss_value_and_gradcheck(cbow):
    rng = np.random.default_rng(0)
    v, d, b, k = 7, 3, 5, 4
    win = gn.tensor(rng.normal(size=(v, d)), dtype=gn.float64, requires_grad=True)
    wout = gn.tensor(rng.normal(size=(v, d)), dtype=gn.float64, requires_grad=True)
    targets = rng.integers(0, v, b)
    negatives = rng.integers(0, v, (b, k))
    negatives[0, 1] = targets[0]  # a negative equal to its target is masked out
    if cbow:
        inputs = rng.integers(0, v, (b, 4))
        inputs[1, :2] = 3  # one row looked up twice in an example
        mask = np.ones((b, 4), bool)
        mask[2, 3] = mask[4, 0] = False
    else:
        inputs, mask = rng.integers(0, v, b), None
        inputs[:2] = 2  # a centre word used twice in the batch
    per = negative_sampling_loss(win, wout, inputs, targets, negatives, mask, reduction="none")
    expected = reference_loss(win.detach().numpy(), wout.detach().numpy(), inputs, targets,
                              negatives, mask)
    np.testing.assert_allclose(per.detach().numpy(), expected, rtol=1e-12)
    total = negative_sampling_loss(win, wout, inputs, targets, negatives, mask)
    assert total.item() == pytest.approx(per.detach().numpy().sum())
    assert gradcheck(lambda a, o: negative_sampling_loss(a, o, inputs, targets, negatives, mask),
                     (win, wout))
    assert gradcheck(lambda a, o: negative_sampling_loss(a, o, inputs, targets, negatives, mask,
                                                         reduction="mean"), (win, wout))


def test_negative_sampling_loss_rejects_bad_shapes():
    w = gn.zeros(4, 2, requires_grad=True)
    with pytest.raises(ValueError, match=r"targets \(B,\).*negatives \(3,\)"):
        negative_sampling_loss(w, w, np.array([0, 1, 2]), np.array([0, 1, 2]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="reduction"):
        negative_sampling_loss(w, w, [0], [1], [[2]], reduction="avg")


def shared_context_corpus(n: int = 1500, seed: int = 0) -> list[list[str]]:
    """Two worlds that never meet: animals (cat, dog) eat and chase; vehicles (car, truck)
    drive and park. cat and dog share every context; cat and car share none."""
    rng = np.random.default_rng(seed)
    worlds = ((["cat", "dog"], ["eats", "chases"], ["fish", "mice", "birds"]),
              (["car", "truck"], ["drives", "parks"], ["road", "garage", "street"]))
    sentences = []
    for _ in range(n):
        subjects, verbs, objects = worlds[rng.integers(2)]
        sentences.append(["the", rng.choice(subjects), rng.choice(verbs), "the",
                          rng.choice(objects)])
    return sentences


@pytest.mark.parametrize("sg", [1, 0])
def test_words_sharing_contexts_end_up_nearer(sg):
    model = Word2Vec(shared_context_corpus(), vector_size=16, window=2, min_count=1, sg=sg,
                     negative=5, sample=0, epochs=8, batch_size=64, seed=3)
    wv = model.wv
    assert model.losses[-1] < model.losses[0]
    for a, b, other in (("cat", "dog", "car"), ("car", "truck", "dog"),
                        ("fish", "mice", "road"), ("drives", "parks", "eats")):
        assert wv.similarity(a, b) > wv.similarity(a, other) + 0.2, (a, b, other, sg)
    if sg == 0:
        assert wv.nearest("cat", 1)[0][0] == "dog"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that is being reported
def test_divergence_is_reported_not_hidden():
    with pytest.raises(FloatingPointError, match="lower batch_size or alpha"):
        Word2Vec(shared_context_corpus(), vector_size=16, window=2, min_count=1, sample=0,
                 epochs=3, batch_size=1024, alpha=1.0, seed=3)


def test_same_seed_same_vectors():
    corpus = shared_context_corpus(200)
    first = Word2Vec(corpus, vector_size=8, min_count=1, epochs=2, seed=11).wv.vectors
    second = Word2Vec(corpus, vector_size=8, min_count=1, epochs=2, seed=11).wv.vectors
    assert np.array_equal(first, second)


def test_word2vec_rejects_bad_input():
    with pytest.raises(TypeError, match="tokenize"):
        Word2Vec("the cat eats fish")
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec(["a", "b", "a"], min_count=5)
    with pytest.raises(ValueError, match="sg must be 1"):
        Word2Vec(sg=2)
    with pytest.raises(ValueError, match="window must be an int >= 1"):
        Word2Vec(window=0)
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec().train()


def test_tokens_that_are_not_str_are_refused_before_training():
    with pytest.raises(TypeError, match="tokens must be str, got 1 of type int"):
        Word2Vec([[1, 2, 3, 1, 2, 3] * 50], min_count=1, vector_size=4, epochs=1, seed=0)


def test_words_with_spaces_train_in_memory():
    sentences = [["new york", "is", "big"], ["new york", "is", "old"]] * 20
    model = Word2Vec(sentences, min_count=1, vector_size=4, epochs=2, seed=0, sample=0)
    assert "new york" in model.wv.key_to_index and model.losses[-1] > 0


def test_an_epoch_without_examples_warns_and_logs_nan():
    model = Word2Vec(min_count=1, vector_size=4, epochs=2, seed=0, sample=0, window=1)
    model.build_vocab([["a"], ["b"], ["c"]])  # one word per sentence: no pairs at all
    with pytest.warns(RuntimeWarning, match="epoch 1 has no training examples"):
        losses = model.train()
    assert len(losses) == 2 and all(np.isnan(losses))
