"""glassnet.ops.row_blas: row-strided copies and adds through OpenBLAS, against NumPy's own
``dest[...] = src`` and ``dest += src`` bit for bit, with NumPy's path for what BLAS cannot
take; and the convolution that uses them, against the same convolution on NumPy alone."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.openblas_kernels import loaded_openblas
from glassnet.ops import row_blas
from glassnet.ops.row_blas import _routine, add_rows_, copy_rows_

needs_openblas = pytest.mark.skipif(loaded_openblas() is None,
                                    reason="this NumPy does not run on OpenBLAS")


def _blocks(dtype, seed=0):
    """A (40, 23) block of columns of a (40, 31) matrix as dest, and a src of that shape cut
    from a (40, 29) matrix: two row strides that differ from each other and from the width."""
    rng = np.random.default_rng(seed)
    wide = rng.standard_normal((40, 31)).astype(dtype)
    other = rng.standard_normal((40, 29)).astype(dtype)
    return wide, wide[:, 5:28], other[:, 3:26]


@needs_openblas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_strided_float_views_take_openblas(dtype):
    _, dest, src = _blocks(dtype)
    assert _routine("geadd", dest, src) is not None
    assert _routine("omatcopy", dest, src) is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_rows_is_numpys_sum_bit_for_bit_and_leaves_other_columns_alone(dtype):
    wide, dest, src = _blocks(dtype)
    expected = wide.copy()
    expected[:, 5:28] += src
    add_rows_(dest, src)
    np.testing.assert_array_equal(wide, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_copy_rows_copies_exactly_and_leaves_other_columns_alone(dtype):
    wide, dest, src = _blocks(dtype)
    expected = wide.copy()
    expected[:, 5:28] = src
    copy_rows_(dest, src)
    np.testing.assert_array_equal(wide, expected)


def test_special_values_pass_through_as_in_numpy():
    wide, dest, src = _blocks(np.float32)
    src[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    dest[0, :4] = [1.0, -np.inf, np.inf, 0.0]
    expected = wide.copy()
    with np.errstate(invalid="ignore"):  # inf + -inf
        expected[:, 5:28] += src
        add_rows_(dest, src)
    np.testing.assert_array_equal(wide, expected)  # NaNs compare equal here
    assert np.signbit(wide[0, 8]) == np.signbit(expected[0, 8])


@pytest.mark.parametrize("case", ["float16", "element stride", "reversed rows", "overlap",
                                  "overlapping rows", "mixed dtypes", "disabled"])
def test_other_views_go_through_numpy(case, monkeypatch):
    dtype = np.float16 if case == "float16" else np.float32
    wide, dest, src = _blocks(dtype)
    if case == "element stride":
        dest, src = wide[:, 0:30:2], src[:, :15]
    elif case == "reversed rows":
        src = src[::-1]
    elif case == "overlap":
        src = wide[:, 4:27]  # shares memory with dest
    elif case == "overlapping rows":
        # rows 3 values apart but 23 long: BLAS would read them as separate rows
        base = np.arange(200, dtype=dtype)
        src = np.lib.stride_tricks.as_strided(base, (40, 23), (3 * base.itemsize,
                                                               base.itemsize))
    elif case == "mixed dtypes":
        src = src.astype(np.float64)
    elif case == "disabled":
        monkeypatch.setattr(row_blas, "enabled", False)
    if case != "mixed dtypes":
        assert _routine("geadd", dest, src) is None
    for operation in (add_rows_, copy_rows_):
        before = wide.copy()
        expected_wide = wide.copy()
        expected = expected_wide[:, 0:30:2] if case == "element stride" else \
            expected_wide[:, 5:28]
        if operation is add_rows_:
            expected += src
        else:
            expected[...] = src
        operation(dest, src)
        np.testing.assert_array_equal(wide, expected_wide)
        wide[...] = before


def test_single_rows_and_empty_views():
    row = np.zeros((1, 8), np.float32)[:, ::1]
    add_rows_(row, np.ones((1, 8), np.float32))
    copy_rows_(row[:, :4], np.full((1, 4), 3, np.float32))
    np.testing.assert_array_equal(row, [[3, 3, 3, 3, 1, 1, 1, 1]])
    empty = np.zeros((0, 5), np.float32)
    add_rows_(empty, empty.copy())  # nothing to do, and no BLAS error for lda = 0
    copy_rows_(np.zeros((3, 0), np.float32), np.zeros((3, 0), np.float32))


# --------------------------------------------------------------------- the convolution
@pytest.mark.parametrize("config", [
    dict(shape=(3, 4, 9, 8), weight=(6, 4, 3, 2), stride=1, padding=1, dilation=1, groups=1),
    dict(shape=(2, 6, 7, 7), weight=(6, 2, 3, 3), stride=1, padding=0, dilation=2, groups=3),
    dict(shape=(2, 70, 6, 5), weight=(4, 70, 2, 2), stride=1, padding=0, dilation=1,
         groups=1),  # more than 64 rows in cols: the batch-folded product
    dict(shape=(2, 3, 9, 9), weight=(5, 3, 3, 3), stride=2, padding=1, dilation=1, groups=1),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_through_openblas_equals_conv2d_on_numpy_alone(config, dtype, monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(config["shape"]).astype(dtype)
    w = rng.standard_normal(config["weight"]).astype(dtype)
    b = rng.standard_normal(config["weight"][0]).astype(dtype)
    g = None

    def run():
        nonlocal g
        xt, wt, bt = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.conv2d(xt, wt, bt, stride=config["stride"], padding=config["padding"],
                       dilation=config["dilation"], groups=config["groups"])
        if g is None:
            g = rng.standard_normal(out.shape).astype(dtype)
        out.backward(gn.tensor(g))
        return [out.data, xt.grad.data, wt.grad.data, bt.grad.data]

    taken = []
    routine = row_blas._routine
    monkeypatch.setattr(row_blas, "_routine",
                        lambda *args: taken.append(routine(*args)) or taken[-1])
    with_blas = run()
    if loaded_openblas() is not None and config["stride"] == 1:
        assert any(found is not None for found in taken)  # col2im went through BLAS
    monkeypatch.setattr(row_blas, "enabled", False)
    for a, b_ in zip(with_blas, run(), strict=True):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_copy_transposed_splits_interleaved_pairs_exactly(dtype):
    from glassnet.ops.row_blas import copy_transposed_
    pairs = np.random.default_rng(5).standard_normal((1000, 2)).astype(dtype)
    split = np.empty((2, 1000), dtype)
    if loaded_openblas() is not None:
        assert _routine("omatcopy", split, pairs, transposed=True) is not None
    copy_transposed_(split, pairs)
    np.testing.assert_array_equal(split, pairs.T)
    wide = np.zeros((3, 7), dtype)  # into a block of a wider matrix, from a strided source
    source = np.arange(28, dtype=dtype).reshape(4, 7)[:, 1:4]
    copy_transposed_(wide[:, 2:6], source)
    expected = np.zeros((3, 7), dtype)
    expected[:, 2:6] = source.T
    np.testing.assert_array_equal(wide, expected)
