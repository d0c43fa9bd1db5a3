"""Toy 2-D classification sets and regression functions: shapes, dtypes, class balance,
determinism, and the geometry each one promises."""

import math

import numpy as np
import pytest

import glassnet
from glassnet.data import functions, toy

MAKERS = [toy.make_blobs, toy.make_xor, toy.make_circles, toy.make_moons, toy.make_spirals,
          toy.make_gaussian_clusters]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("n", [7, 200])
def test_shapes_dtypes_balance(make, n):
    x, y = make(n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1 and counts.sum() == n
    assert np.isfinite(x).all()


@pytest.mark.parametrize("make", MAKERS)
def test_determinism(make):
    a, b = make(50, seed=3), make(50, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], make(50, seed=4)[0])
    gen1, gen2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(make(50, seed=gen1)[0], make(50, seed=gen2)[0])
    glassnet.manual_seed(5)
    c = make(50)
    glassnet.manual_seed(5)
    np.testing.assert_array_equal(c[0], make(50)[0])


def test_rows_are_shuffled():
    _, y = toy.make_moons(100, seed=0)
    assert not (np.diff(y) >= 0).all()


def test_blobs_linearly_separable():
    x, y = toy.make_blobs(500, seed=0)
    assert ((x.sum(axis=1) > 0) == (y == 1)).all()


def test_xor_labels():
    x, y = toy.make_xor(400, seed=0)
    assert ((x[:, 0] * x[:, 1] < 0) == (y == 1)).all()
    assert (np.abs(x) >= 0.1 - 1e-6).all() and (np.abs(x) <= 1).all()


def test_circles_radii():
    x, y = toy.make_circles(100, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-5)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-5)
    with pytest.raises(ValueError, match="factor must be in"):
        toy.make_circles(10, factor=1.5)


def test_moons_on_curves():
    x, y = toy.make_moons(100, noise=0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1, x[y == 1, 1] - 0.5), 1.0, rtol=1e-5)


def test_spirals_classes_and_radius():
    x, y = toy.make_spirals(300, noise=0.0, n_classes=3, seed=0)
    assert set(y.tolist()) == {0, 1, 2}
    assert np.hypot(*x.T).max() <= 1 + 1e-6


def test_gaussian_clusters_centres():
    x, y = toy.make_gaussian_clusters(3000, noise=0.1, n_classes=4, radius=2.0, seed=0)
    for k in range(4):
        centre = 2.0 * np.array([math.cos(k * math.pi / 2), math.sin(k * math.pi / 2)])
        np.testing.assert_allclose(x[y == k].mean(axis=0), centre, atol=0.02)
    x, y = toy.make_gaussian_clusters(10, centers=[[0, 0], [5, 5]], noise=0.0, seed=0)
    np.testing.assert_array_equal(x[y == 1], 5.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        toy.make_moons(1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -1"):
        toy.make_xor(10, noise=-1)
    # Before: NaN and inf passed the check and gave all-NaN/inf points; True counted as 1.
    for noise in (float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
            toy.make_blobs(10, noise=noise, seed=0)
        with pytest.raises(ValueError, match="make_sine: noise must be a finite number >= 0"):
            functions.make_sine(10, noise=noise, seed=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        toy.make_blobs(10, seed="a")


def test_train_test_split():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    xtr, xte, ytr, yte = toy.train_test_split(x, y, test_fraction=0.25, seed=0)
    assert len(xte) == 3 and len(xtr) == 7
    assert sorted(ytr.tolist() + yte.tolist()) == list(range(10))
    np.testing.assert_array_equal(xtr[:, 0], ytr * 2.0)  # rows stay paired
    again = toy.train_test_split(x, y, test_fraction=0.25, seed=0)
    np.testing.assert_array_equal(again[3], yte)
    tx = toy.train_test_split(glassnet.from_numpy(x), glassnet.from_numpy(y), seed=1)
    assert all(isinstance(t, glassnet.Tensor) for t in tx)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        toy.train_test_split(x, y[:9])
    with pytest.raises(ValueError, match="test_fraction must be in"):
        toy.train_test_split(x, y, test_fraction=1.0)


REGRESSIONS = [("sine", 1), ("abs", 1), ("step", 1), ("plane", 2), ("sum_of_gaussians", 2)]


@pytest.mark.parametrize("name,d", REGRESSIONS)
def test_regression_functions(name, d):
    make = getattr(functions, f"make_{name}")
    x, y = make(100, seed=0)
    assert x.shape == (100, d) and y.shape == (100, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    low, high, dim = functions.INTERVALS[name]
    assert dim == d and (x >= low).all() and (x <= high).all()
    target = getattr(functions, name)(x.astype(np.float64))
    np.testing.assert_allclose(y, target, rtol=1e-6, atol=1e-6)
    noisy = make(100, noise=0.1, seed=0)[1]
    assert 0.05 < np.std(noisy - y) < 0.2
    np.testing.assert_array_equal(make(100, seed=0)[1], y)


def test_regression_values():
    np.testing.assert_allclose(functions.plane(np.array([[1.0, 1.0]])), [[-0.5]])
    np.testing.assert_array_equal(functions.step(np.array([[-0.1], [0.0]])), [[0.0], [1.0]])
    peak = functions.sum_of_gaussians(np.array([[-1.0, -1.0]]))
    expected = 1.0 + 0.8 * math.exp(-10.25 / 0.72) - 0.6 * math.exp(-2.5 / 2)
    np.testing.assert_allclose(peak, [[expected]])
    with pytest.raises(ValueError, match="n must be a positive int"):
        functions.make_sine(0)
