"""Behaviour of the shape and indexing ops beyond the registry's PyTorch parity: views,
negative slice steps (PyTorch has none: checked against NumPy and finite differences),
gradient accumulation, dtypes, and the error messages for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd import gradcheck


def _t(shape, dtype=np.float64, grad=True, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return gn.Tensor(data, requires_grad=grad)


# --------------------------------------------------------------------- views
def test_view_and_reshape_share_memory_with_a_contiguous_input():
    x = gn.Tensor(np.arange(12.0))
    assert np.shares_memory(x.view(3, 4).data, x.data)
    assert np.shares_memory(x.reshape((2, -1)).data, x.data)
    assert np.shares_memory(x[1:5:2].data, x.data)
    assert np.shares_memory(F.transpose(x.view(3, 4), 0, 1).data, x.data)
    assert np.shares_memory(x.view(3, 1, 4).expand(3, 2, 4).data, x.data)


def test_view_of_a_non_contiguous_input_copies_instead_of_raising():
    x = gn.Tensor(np.arange(12.0).reshape(3, 4))
    out = x.T.view(12)  # PyTorch raises here; glassnet copies
    np.testing.assert_array_equal(out.data, np.arange(12.0).reshape(3, 4).T.ravel())


def test_tensor_methods_and_properties():
    x = _t((2, 3, 4))
    assert x.T.shape == (4, 3, 2)
    assert x.mT.shape == (2, 4, 3)
    assert x.view(6, 4).shape == (6, 4)
    assert x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(1).squeeze().shape == (2, 3, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x[:, :1].expand_as(x).shape == x.shape
    assert [p.shape for p in x.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [p.shape for p in x.chunk(2, 1)] == [(2, 2, 4), (2, 1, 4)]
    assert x.view_as(_t((24,))).shape == (24,)


# --------------------------------------------------------------------- indexing
@pytest.mark.parametrize("index", [
    (slice(None, None, -1),),
    (slice(None, None, -2), slice(3, 0, -1)),
    (Ellipsis, slice(None, None, -1), 1),
    (np.array([2, 0, 2]), slice(None, None, -2)),
])
def test_negative_steps_match_numpy_and_finite_differences(index):
    x = _t((4, 5))
    out = x[index]
    np.testing.assert_array_equal(out.data, x.data[index])
    assert gradcheck(lambda t: t[index], [x])


def test_repeated_indices_accumulate_their_gradients():
    x = _t((3, 2))
    idx = gn.Tensor(np.array([2, 0, 2, 2]))
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1], [0, 0], [3, 3]])


def test_tensors_inside_an_index_are_used_as_arrays():
    x = _t((4, 3))
    mask = gn.Tensor(np.array([True, False, True, False]))
    np.testing.assert_array_equal(x[mask, gn.Tensor(2)].data, x.data[[0, 2], 2])
    np.testing.assert_array_equal(x[gn.Tensor(np.array([[1], [3]])), :2].data,
                                  x.data[[[1], [3]], :2])
    assert x[[]].shape == (0, 3)


def test_index_gradient_keeps_float32():
    x = _t((3, 4), np.float32)
    x[[0, 0], 1:].sum().backward()
    assert x.grad.dtype == np.float32


# --------------------------------------------------------------------- joining and splitting
def test_cat_promotes_dtypes_and_gives_each_input_its_own_gradient_dtype():
    a, b = _t((2, 2), np.float32), _t((1, 2), np.float64)
    out = F.cat([a, b])
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_split_and_chunk_gradients_flow_to_the_input():
    x = _t((5, 2))
    pieces = F.split(x, [2, 3])
    (pieces[0].sum() * 2 + pieces[1].sum()).backward()
    np.testing.assert_array_equal(x.grad.data[:, 0], [2, 2, 1, 1, 1])


def test_chunk_of_an_empty_dimension_gives_chunks_empty_pieces():
    x = gn.Tensor(np.zeros((0, 2)))
    assert [p.shape for p in F.chunk(x, 3)] == [(0, 2)] * 3


def test_pad_reflect_with_crop_passes_gradcheck():
    x = _t((2, 3, 5))
    for mode in ("reflect", "replicate", "circular"):
        assert gradcheck(lambda t, m=mode: F.pad(t, (-1, 3, 2, 0), mode=m), [x])


# --------------------------------------------------------------------- bad input
def test_reshape_to_an_incompatible_size_names_both_shapes():
    x = _t((3, 4))
    with pytest.raises(ValueError, match=r"reshape: shape \(5, 7\) .*size 12.*\(3, 4\)"):
        x.reshape(5, 7)
    with pytest.raises(ValueError, match=r"view: shape \(5, -1\) .*\(3, 4\)"):
        x.view(5, -1)
    with pytest.raises(ValueError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(TypeError, match="reshape: sizes must be ints"):
        x.reshape(2.0, 6)


def test_cat_of_mismatched_shapes_names_positions_and_shapes():
    a, b, c = _t((2, 3)), _t((4, 3)), _t((2, 5))
    with pytest.raises(ValueError, match=r"cat: .*dimension 0.*tensor 2 .*\(2, 5\).*tensor 0 "
                                         r".*\(2, 3\)"):
        F.cat([a, b, c])
    with pytest.raises(ValueError, match=r"cat: tensor 1 has 3 dimension"):
        F.cat([a, _t((2, 3, 1))])
    with pytest.raises(ValueError, match="cat: tensor 0 is 0-d"):
        F.cat([_t(()), a])
    with pytest.raises(ValueError, match="non-empty"):
        F.cat([])
    with pytest.raises(ValueError, match=r"stack: .*tensor 1 .*\(4, 3\).*tensor 0.*\(2, 3\)"):
        F.stack([a, b])


def test_index_out_of_range_names_index_dimension_and_size():
    x = _t((3, 4))
    with pytest.raises(IndexError, match=r"index: index 5 is out of bounds for dimension 1 "
                                          r"with size 4 \(input shape \(3, 4\)"):
        x[:, 5]
    with pytest.raises(IndexError, match=r"index -4 is out of bounds for dimension 0 with size 3"):
        x[[0, -4]]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="boolean index"):
        x[gn.Tensor(np.array([True, False]))]


def test_gather_rejects_bad_indices():
    x = _t((3, 4))
    with pytest.raises(IndexError, match=r"gather: index 4 is out of bounds for dimension 1 "
                                          r"with size 4"):
        F.gather(x, 1, gn.Tensor(np.array([[0], [4], [1]])))
    with pytest.raises(IndexError, match="index -1"):
        F.gather(x, 0, gn.Tensor(np.array([[-1]])))
    with pytest.raises(TypeError, match="int64 tensor, got dtype float"):
        F.gather(x, 0, gn.Tensor(np.array([[0.0]])))
    with pytest.raises(ValueError, match="index has 1 dimension"):
        F.gather(x, 0, gn.Tensor(np.array([0])))
    with pytest.raises(ValueError, match=r"larger than input shape"):
        F.gather(x, 0, gn.Tensor(np.zeros((1, 5), dtype=np.int64)))


def test_shape_argument_errors():
    x = _t((2, 3))
    with pytest.raises(ValueError, match=r"expand: the expanded size 4 must match the "
                                         r"existing size 3"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match="expand: 1 sizes"):
        x.expand(3)
    with pytest.raises(ValueError, match=r"permute: dims \(0,\) has 1 entries"):
        x.permute(0)
    with pytest.raises(ValueError, match="repeats a dimension"):
        x.permute(1, 1)
    with pytest.raises(IndexError, match="transpose: argument 'dim1' is 2"):
        x.transpose(0, 2)
    with pytest.raises(ValueError, match="flatten: start_dim"):
        x.flatten(1, 0)
    with pytest.raises(ValueError, match=r"split: split sizes \[1, 2\] must .* sum to 2"):
        x.split([1, 2])
    with pytest.raises(ValueError, match="chunks must be greater than 0"):
        x.chunk(0)
    with pytest.raises(ValueError, match="narrow: start"):
        F.narrow(x, 1, 2, 2)


def test_pad_errors():
    x = _t((2, 3))
    with pytest.raises(ValueError, match="pad: mode must be one of 'constant', 'reflect'"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"reflect padding \(3, 0\) of dimension 1 \(size 3\)"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="wraps around more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(ValueError, match="does not take a value"):
        F.pad(x, (1, 0), mode="replicate", value=2.0)
    with pytest.raises(ValueError, match=r"crops more than the dimension holds"):
        F.pad(x, (-2, -2))


def test_reshape_refuses_negative_sizes_other_than_minus_one_like_torch():
    x = gn.zeros(6)
    for shape in ((-2, 3), (3, -5), (-3,)):
        with pytest.raises(ValueError, match=rf"reshape: invalid size {min(shape)} in shape"):
            x.reshape(*shape)
        import torch

        with pytest.raises(RuntimeError, match="invalid shape dimension"):
            torch.zeros(6).reshape(*shape)
    assert x.reshape(-1, 3).shape == (2, 3)


def test_flatten_of_a_0d_tensor_checks_its_dims_like_torch():
    # a 0-d input returned (1,) before its dims were looked at, so nn.Flatten()'s
    # start_dim=1 passed; torch counts a scalar as 1-d here: dims -1 and 0 only
    import torch

    scalar, t_scalar = gn.tensor(2.0), torch.tensor(2.0)
    for dims in ((), (0,), (0, -1), (-1, 0), (0, 0)):
        out = F.flatten(scalar, *dims)
        assert out.shape == tuple(torch.flatten(t_scalar, *dims).shape) == (1,)
        assert scalar.flatten(*dims).tolist() == [2.0]
    for dims, arg in (((1,), "start_dim"), ((0, 1), "end_dim"), ((-2,), "start_dim")):
        with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\]"):
            torch.flatten(t_scalar, *dims)
        with pytest.raises(IndexError, match=rf"flatten: argument '{arg}' is {dims[-1]}, out "
                                             r"of range .* \(expected -1 to 0\)"):
            F.flatten(scalar, *dims)


# --------------------------------------------------------------------- PyTorch's edge rules
@pytest.mark.parametrize("make, dim", [
    (lambda m: [m.zeros(0, dtype=m.float64), m.ones(2, 3)], 0),
    (lambda m: [m.ones(2, 3), m.zeros(0, dtype=m.float64)], -1),
    (lambda m: [m.zeros(0), m.ones(2, 3), m.zeros(0)], 1),
    (lambda m: [m.zeros(0), m.zeros(0)], 5),  # only (0,) tensors: any dim, result (0,)
    (lambda m: [m.zeros(0), m.ones(3)], 0),
], ids=["first", "last", "both-sides", "all-empty", "1-d"])
def test_cat_skips_legacy_empty_1d_tensors_like_torch(make, dim):
    # Before: "cat: tensor 1 has 2 dimension(s) but tensor 0 has 1"
    ours, theirs = F.cat(make(gn), dim=dim), torch.cat(make(torch), dim=dim)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")  # the empties count
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_a_skipped_empty_tensor_gets_an_empty_gradient_like_torch():
    empty, ones = gn.zeros(0, requires_grad=True), gn.ones(2, 3, requires_grad=True)
    F.cat([empty, ones], dim=1).sum().backward()
    assert empty.grad.shape == (0,) and ones.grad.tolist() == [[1.0] * 3] * 2
    with pytest.raises(IndexError, match="cat: argument 'dim' is 2, out of range for a tensor "
                                         "with 2 dimension"):
        F.cat([gn.zeros(0), gn.ones(2, 3)], dim=2)  # dims count in the first kept tensor


@pytest.mark.parametrize("data, index", [
    ([5.0, 6.0], 1), (5.0, [0, 0]), (5.0, 0), ([5.0, 6.0], [1, 0]),
], ids=["0d-index", "0d-input", "both-0d", "1d"])
def test_gather_takes_a_0d_index_or_input_as_1d_like_torch(data, index):
    # Before: "gather: index has 0 dimension(s) but input has 1"
    ours_x, theirs_x = gn.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours = F.gather(ours_x, 0, gn.tensor(index))
    theirs = torch.gather(theirs_x, 0, torch.tensor(index))
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    ours.sum().backward()
    theirs.sum().backward()
    assert ours_x.grad.tolist() == theirs_x.grad.tolist()


def test_gather_still_refuses_a_0d_index_into_a_2d_input_and_sparse_gradients():
    with pytest.raises(ValueError, match="gather: index has 0 dimension"):
        F.gather(gn.tensor([[5.0]]), 0, gn.tensor(0))
    x = gn.tensor([5.0, 6.0])
    assert F.gather(x, 0, gn.tensor([1]), sparse_grad=False).tolist() == [6.0]
    with pytest.raises(ValueError, match="gather: sparse_grad=True is not supported"):
        x.gather(0, gn.tensor([1]), sparse_grad=True)


@pytest.mark.parametrize("call", [
    lambda m, x: m.permute(x, dims=(1, 0)),
    lambda m, x: x.permute(dims=[1, 0]),
    lambda m, x: x.reshape(shape=(3, 2)),
    lambda m, x: x.view(size=(3, 2)),
    lambda m, x: x[:1].expand(size=(4, 3)),
    lambda m, x: x.split(split_size=1)[1],
    lambda m, x: m.split(x, split_size_or_sections=[1, 1])[0],
    lambda m, x: m.gather(x, 1, x.argmax(1, keepdim=True), sparse_grad=False),
    lambda m, x: m.cat([x, x], axis=1),
    lambda m, x: m.stack([x, x], axis=2),
    lambda m, x: x.squeeze(axis=0),
    lambda m, x: x.chunk(2, axis=1)[0],
], ids=["permute", "Tensor.permute", "reshape", "view", "expand", "Tensor.split", "split",
        "gather", "cat", "stack", "squeeze", "chunk"])
def test_keyword_names_and_the_axis_alias_that_torch_takes(call):
    # Before: TypeError, unexpected keyword argument
    data = np.arange(6.0).reshape(2, 3)
    ours, theirs = call(F, gn.tensor(data)), call(torch, torch.tensor(data))
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


def test_sizes_given_twice_or_dim_and_axis_together_are_refused():
    x = gn.ones(2, 3)
    with pytest.raises(TypeError, match=r"reshape: got sizes both as arguments \(3,\) and as "
                                        r"shape=\(3, 2\)"):
        x.reshape(3, shape=(3, 2))
    with pytest.raises(TypeError, match="cat: got both dim=1 and its alias axis=0"):
        F.cat([x, x], 1, axis=0)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.split(1.5), TypeError,
     r"split: argument 'split_size_or_sections' must be an int or a list of ints, got float 1.5"),
    (lambda x: x.split([1.5, 0.5]), TypeError,
     r"split: argument 'split_size_or_sections\[0\]' must be an int, got float 1.5"),
    (lambda x: x.chunk(1.5), TypeError, r"chunk: argument 'chunks' must be an int, got float"),
    (lambda x: x.narrow(0, 0.5, 1), TypeError,
     r"narrow: argument 'start' must be an int, got float 0.5"),
    (lambda x: x.narrow(0, 1, -1), ValueError, r"narrow: length must be non-negative, got -1"),
    (lambda x: F.pad(x, (1.5, 1)), TypeError, r"pad: argument 'pad\[0\]' must be an int, got "
                                              r"float 1.5"),
    (lambda x: x[:1, :1].expand(-2, 1), ValueError,
     r"expand: size -2 at dimension 0 is not allowed .* input shape \(1, 1\)"),
    (lambda x: x.mT[0].mT, ValueError, r"mT: tensor.mT is only supported on matrices or "
                                       r"batches of matrices; got a 1-D tensor"),
], ids=["split", "split-list", "chunk", "narrow-start", "narrow-length", "pad", "expand", "mT"])
def test_bad_arguments_name_the_op_argument_and_value(call, error, message):
    # Before: "'float' object is not iterable", NumPy's broadcast message, "start + length
    # exceeds", "transpose: argument 'dim0' is -2" ...
    with pytest.raises(error, match=message):
        call(gn.ones(2, 3))
