"""``tensor[index] = value`` (and the out-of-place ``index_put``) with PyTorch's semantics:
plain writes on data, writes recorded in the graph when a side requires grad, and the
refusals where PyTorch refuses; each case compared with PyTorch."""

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F


def twins(array):
    array = np.asarray(array, dtype=np.float32)
    return gn.tensor(array), torch.tensor(array)


@pytest.mark.parametrize("index", [
    1, (slice(None), 2), (1, slice(0, 2)), [0, 2], ([0, 0, 1], [1, 1, 3]),
    (Ellipsis, -1), (slice(None, None, 2), 0)], ids=str)
def test_plain_writes_match_torch_for_every_kind_of_index(index):
    ours, theirs = twins(np.arange(12.0).reshape(3, 4))
    ours[index] = 7.5
    theirs[index] = 7.5
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_bool_mask_and_tensor_values_broadcast_like_torch():
    ours, theirs = twins(np.arange(12.0).reshape(3, 4))
    ours[ours > 5] = 0.0
    theirs[theirs > 5] = 0.0
    ours[:, 1] = gn.tensor([9.0, 8.0, 7.0])
    theirs[:, 1] = torch.tensor([9.0, 8.0, 7.0])
    ours[0] = gn.tensor([1.0, 2.0, 3.0, 4.0], dtype=gn.float64)  # cast to float32
    theirs[0] = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == gn.float32


def test_integer_tensors_take_float_values_truncated_as_torch_does():
    ours, theirs = gn.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    ours[0] = 2.7
    theirs[0] = 2.7
    assert ours.tolist() == theirs.tolist() == [2, 2, 3]


def test_a_buffer_filled_with_results_that_require_grad_backpropagates_like_torch():
    h_np = np.array([1.0, 2.0, 3.0])
    grads = []
    for lib in (gn, torch):
        h = lib.tensor(h_np, requires_grad=True)
        out = lib.zeros(2, 3, dtype=lib.float64)
        out[0] = h * 2
        out[1] = h ** 2
        assert out.requires_grad
        (out * lib.tensor([[1.0], [3.0]], dtype=lib.float64)).sum().backward()
        grads.append(np.asarray(h.grad.tolist()))
    np.testing.assert_array_equal(grads[0], grads[1])


def recurrence(lib, x_np, clone: bool):
    """h[t] = tanh(w * h[t-1] + x[t]) written into one buffer, step by step."""
    w = lib.tensor(0.7, dtype=lib.float64, requires_grad=True)
    x = lib.tensor(x_np, requires_grad=True)
    h = lib.zeros(5, 3, dtype=lib.float64)
    h[0] = x[0].tanh()
    for t in range(1, 5):
        previous = h[t - 1].clone() if clone else h[t - 1]
        h[t] = (w * previous + x[t]).tanh()
    (h * h).sum().backward()
    return np.asarray(h.tolist()), float(w.grad), np.asarray(x.grad.tolist())


def test_a_recurrence_written_into_a_buffer_step_by_step_matches_torch():
    x_np = np.random.default_rng(0).standard_normal((5, 3))
    ours, theirs = recurrence(gn, x_np, clone=True), recurrence(torch, x_np, clone=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # Without the clone, w * h[t-1] keeps a view of the buffer that the next step changes:
    # both refuse rather than backpropagate through the changed values.
    for lib in (gn, torch):
        with pytest.raises(RuntimeError, match="modified by an in"):
            recurrence(lib, x_np, clone=False)


def test_ops_that_used_a_tensor_before_a_recorded_write_keep_its_old_history():
    # z used x before x[0] = v: its gradient must reach w, not v (torch agrees)
    grads = []
    for lib in (gn, torch):
        w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor(5.0, dtype=lib.float64, requires_grad=True)
        x = w * 1.0
        z = x + 0.0  # add saves nothing of x: only the routing can go wrong
        x[0] = v
        x2 = x * 1.0
        x[1] = v * 2  # a second write: z and x2 each see their own earlier history
        (z.sum() + 10 * x2.sum() + 100 * x.sum()).backward()
        grads.append((np.asarray(w.grad.tolist()), float(v.grad)))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    assert grads[0][1] == grads[1][1]


def test_repeated_integer_indices_give_each_value_its_gradient_like_torch():
    results = []
    for lib in (gn, torch):
        v = lib.tensor([5.0, 6.0], requires_grad=True)
        z = lib.zeros(4)
        z[[1, 1]] = v
        z.sum().backward()
        results.append((z.tolist(), v.grad.tolist()))
    assert results[0] == results[1]


def test_a_value_of_another_dtype_gets_its_gradient_in_its_own_dtype():
    v = gn.tensor(2.5, dtype=gn.float64, requires_grad=True)
    x = gn.ones(3)
    x[0:2] = v
    x.sum().backward()
    assert v.grad.dtype == gn.float64 and v.grad.item() == 2.0


def test_writing_a_value_a_node_saved_makes_backward_refuse_like_torch():
    for lib in (gn, torch):
        h = lib.tensor([1.0, 2.0], requires_grad=True)
        e = h.exp()  # exp saves its output
        e[0] = 0.0
        with pytest.raises(RuntimeError, match="modified by an in"):
            e.sum().backward()


def test_a_leaf_that_requires_grad_is_refused_unless_under_no_grad():
    h = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        h[0] = 5.0
    assert h.tolist() == [1.0, 2.0]
    with gn.no_grad():
        h[0] = 5.0
    assert h.tolist() == [5.0, 2.0] and h.is_leaf and h.grad_fn is None


def test_a_view_in_the_graph_is_refused_and_the_base_can_be_written_instead():
    v = gn.tensor(3.0, requires_grad=True)
    buf = gn.zeros(2, 3)
    row = buf[0]
    with pytest.raises(RuntimeError, match=r"setitem: this tensor \(shape \(3,\)\) is a view"):
        row[1] = v
    assert buf.tolist() == [[0.0] * 3] * 2
    buf[0, 1] = v
    buf.sum().backward()
    assert v.grad.item() == 1.0


def test_bad_values_and_indices_are_refused_before_anything_is_written():
    x = gn.zeros(3)
    with pytest.raises(ValueError, match=r"setitem: a value of shape \(3,\) cannot be written "
                                         r"into the indexed shape \(2,\)"):
        x[0:2] = gn.ones(3)
    with pytest.raises(IndexError, match=r"setitem: index 5 is out of bounds for dimension 0 "
                                         r"with size 3 \(input shape \(3,\)"):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match="read-only view"):
        gn.zeros(1).expand(3)[0] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_index_put_is_out_of_place_and_differentiable_in_both_inputs():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = gn.tensor([7.0, 8.0], requires_grad=True)
    y = F.index_put(x, [2, 0], v)
    assert y.tolist() == [8.0, 2.0, 7.0] and x.tolist() == [1.0, 2.0, 3.0]
    (y * gn.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 10.0, 0.0] and v.grad.tolist() == [100.0, 1.0]


@pytest.mark.parametrize("index", [[[0, 1], [1, 1]], [0, slice(None)], [gn.tensor([0, 2]), [1, 3]],
                                   [None, 0]], ids=["nested", "slice", "tensor", "none"])
def test_an_ambiguous_list_index_is_refused_for_reading_and_writing(index):
    # PyTorch 2.13 reads these as tuples (with a deprecation warning), NumPy as arrays
    x = gn.arange(12.0).reshape(3, 4)
    with pytest.raises(IndexError, match=r"x\[tuple\(seq\)\] for the first"):
        x[index]
    with pytest.raises(IndexError, match="ambiguous"):
        x[index] = 0.0
    assert x[tuple(index)].shape == torch.arange(12.0).reshape(3, 4)[
        tuple(torch.as_tensor(i.data) if isinstance(i, gn.Tensor) else i for i in index)].shape


def test_a_value_with_extra_leading_ones_is_written_and_gets_its_gradient_like_torch():
    results = []
    for lib in (gn, torch):
        x = lib.zeros(2, 3)
        x[0] = lib.ones(1, 3)
        v = lib.ones(1, 1, 3, requires_grad=True)
        a = lib.zeros(2, 3)
        a[:, :] = v
        (a * 2).sum().backward()
        results.append((x.tolist(), v.grad.tolist()))
    assert results[0] == results[1]


LAYERS = {  # name: (input shape, layer builder taking the nn module of either library)
    "linear-3d": ((2, 3, 4), lambda nn_: nn_.Linear(4, 2)),
    "conv2d": ((1, 2, 5, 5), lambda nn_: nn_.Conv2d(2, 3, 3)),
    "batchnorm1d": ((4, 3, 5), lambda nn_: nn_.BatchNorm1d(3)),
}


@pytest.mark.parametrize("make", list(LAYERS))
def test_outputs_of_ops_that_reshape_their_own_result_take_recorded_writes_like_torch(make):
    # Their arrays are reshaped views of a fresh result (.base is set) but of no tensor of
    # the user's: writing into them, in the graph, must work as in PyTorch.
    shape, build = LAYERS[make]
    x_np = np.random.default_rng(4).standard_normal(shape)
    t_layer = build(torch.nn).double()
    layer = build(gn.nn).double()
    layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    grads = []
    for lib, module in ((gn, layer), (torch, t_layer)):
        v = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
        h = module(lib.tensor(x_np))
        h[0] = v * 3
        (h * h).sum().backward()
        grads.append((float(v.grad), np.asarray(module.weight.grad.tolist())))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-12)


def test_a_view_taken_before_a_recorded_write_is_refused_when_used_after_it():
    # Its values are the written ones but its history the old one; PyTorch regenerates the
    # view's history, glassnet asks for the view to be taken again (never a wrong gradient).
    a = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = gn.tensor([10.0, 20.0], requires_grad=True)
    x = a * 1.0
    early = x[0:2]
    x[0:2] = w
    with pytest.raises(RuntimeError, match="take the view again after the write"):
        _ = early * early
    late = x[0:2]
    (late * late).sum().backward()
    assert w.grad.tolist() == [20.0, 40.0] and a.grad.tolist() == [0.0, 0.0, 0.0]


def test_index_put_accumulate_adds_every_repeat_like_torch():
    base = np.arange(12.0).reshape(4, 3)
    value = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [100.0, 200.0, 300.0]])
    x, v = gn.tensor(base, requires_grad=True), gn.tensor(value, requires_grad=True)
    tx, tv = torch.tensor(base, requires_grad=True), torch.tensor(value, requires_grad=True)
    rows = np.array([2, 0, 2])
    out = F.index_put(x, gn.tensor(rows), v, accumulate=True)
    t_out = torch.index_put(tx, (torch.tensor(rows),), tv, accumulate=True)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())  # row 2 got both adds
    upstream = np.arange(12.0).reshape(4, 3) + 1
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())  # x is in every element
    np.testing.assert_array_equal(v.grad.data, tv.grad.numpy())
    with pytest.raises(TypeError, match="index_put: argument 'accumulate' must be a bool"):
        F.index_put(x, gn.tensor(rows), v, accumulate="yes")


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8:UserWarning")  # backward
def test_a_uint8_index_is_a_mask_with_torchs_deprecation_warning():
    base = np.arange(6.0).reshape(2, 3)
    mask = np.array([1, 0], np.uint8)
    x, tx = gn.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
    with pytest.warns(UserWarning, match="indexing with dtype uint8 is deprecated"):
        out = x[gn.tensor(mask)]
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        t_out = tx[torch.tensor(mask)]
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())  # row 0, not rows 1, 0
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_augmented_assignment_into_a_slice_is_recorded_like_torch():
    # Python runs buf[1:] += w as v = buf[1:]; v += w; buf[1:] = v: the write goes through
    # a view and buf takes it back (PyTorch's CopySlices)
    results = []
    for lib in (gn, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        u = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        buf = lib.zeros(3)
        buf[1:] += w
        y = u * 2  # a base in the graph already
        y[1:] *= w
        y[:2] -= w
        (buf * buf).sum().backward()
        (y * y).sum().backward()
        results.append((buf.tolist(), y.tolist(), w.grad.tolist(), u.grad.tolist()))
    assert results[0] == results[1]


def test_a_recorded_write_through_a_view_stays_on_the_view_until_written_back():
    results = []
    for lib in (gn, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        base = lib.zeros(3)
        v = base[1:]
        v += w
        (v * v).sum().backward()  # the view carries the write: as in PyTorch
        results.append((base.tolist(), w.grad.tolist()))
    assert results[0] == results[1]
    # PyTorch also rewrites the base's history; glassnet refuses the base until the view is
    # written back into it, rather than backpropagate without w
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    base = gn.zeros(3)
    v = base[1:]
    v += w
    with pytest.raises(RuntimeError, match=r"Mul: input of shape \(3,\) shares its memory with "
                                           r"a view of shape \(2,\) that was changed"):
        base * base
    base[1:] = v
    (base * base).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    results = []  # written back into a view, which then carries the write in turn
    for lib in (gn, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        big = lib.zeros(2, 3)
        row = big[0]
        row[1:] += w
        (row * row).sum().backward()
        results.append((big.tolist(), w.grad.tolist()))
    assert results[0] == results[1]


def test_an_in_place_op_through_a_view_of_a_leaf_that_requires_grad_is_refused_like_torch():
    for lib in (gn, torch):
        u = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="view of a leaf"):
            u[1:] += 1.0
        assert u.tolist() == [1.0, 2.0, 3.0]


# Integers mixed with array indices: PyTorch selects with the integers first; NumPy counts
# them as advanced indices and, when a slice separates them from the arrays, moves the
# arrays' dimensions to the front (x[0, :, [0, 1]] was (2, 3) with its values transposed).
MIXED = [
    (0, slice(None), [0, 1]),
    (slice(None), 0, slice(None), [0, 1]),
    (1, [0, 2], slice(None)),
    (Ellipsis, 0, [0, 3]),
    (0, None, slice(None), [1, 1, 2]),
    (-1, slice(None), [2, 0], 3),
    (1, slice(None), np.array([True, False, True, True])),  # a bool mask
]


@pytest.mark.parametrize("index", MIXED, ids=str)
def test_integers_mixed_with_array_indices_read_as_in_torch(index):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    if isinstance(index[-1], np.ndarray) and index[-1].dtype == bool:
        x = x[:, :, :, 0]  # (2, 3, 4): the mask covers the last dimension
    ours, theirs = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    t_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    out, t_out = ours[index], theirs[t_index]
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * gn.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("index", MIXED[:4], ids=str)
def test_integers_mixed_with_array_indices_write_as_in_torch(index):
    x = np.zeros((2, 3, 4, 5))
    ours, theirs = gn.tensor(x.copy()), torch.tensor(x.copy())
    shape = tuple(theirs[index].shape)
    value = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours[index] = gn.tensor(value)
    theirs[index] = torch.tensor(value)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    base = gn.tensor(x.copy(), requires_grad=True)
    v = gn.tensor(value, requires_grad=True)
    t_base = torch.tensor(x.copy(), requires_grad=True)
    t_v = torch.tensor(value, requires_grad=True)
    out, t_out = F.index_put(base * 1.0, index, v), (t_base * 1.0).clone()
    t_out[index] = t_v
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    g = np.random.default_rng(1).standard_normal(x.shape)
    out.backward(gn.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_array_equal(base.grad.data, t_base.grad.numpy())
    np.testing.assert_array_equal(v.grad.data, t_v.grad.numpy())


def test_a_0d_integer_tensor_index_reads_as_an_int_as_in_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    out = gn.tensor(x)[gn.tensor(1), :, [0, 3]]
    expected = torch.tensor(x)[torch.tensor(1), :, [0, 3]]
    assert out.shape == tuple(expected.shape) == (3, 2)
    np.testing.assert_array_equal(out.data, expected.numpy())


@pytest.mark.parametrize("dtype, value", [
    ("int64", float("nan")), ("int64", float("inf")), ("int8", 300), ("int8", 127.5),
    ("int8", np.int64(300)), ("uint8", -256), ("uint8", -1.0), ("int64", 2 ** 63),
], ids=["nan", "inf", "int8-300", "int8-127.5", "np.int64", "uint8--256", "uint8--1.0",
        "2**63"])
def test_numbers_an_integer_tensor_cannot_hold_are_refused_like_torch(dtype, value):
    # Before: NaN wrote INT64_MIN and int8 took 300 as 44, silently
    theirs = torch.tensor([1, 2], dtype=getattr(torch, dtype))
    with pytest.raises((RuntimeError, ValueError), match="without overflow|Overflow"):
        theirs[0] = value
    ours = gn.tensor(np.array([1, 2], dtype=dtype))
    with pytest.raises(ValueError, match=rf"setitem: value .* cannot be converted to type "
                                         rf"{dtype} without overflow"):
        ours[0] = value
    with pytest.raises(ValueError, match=rf"fill_: value .* cannot be converted to type {dtype}"):
        ours.fill_(value)
    assert ours.tolist() == [1, 2]


@pytest.mark.parametrize("dtype, value", [
    ("uint8", -1), ("uint8", -255), ("int8", -128), ("int8", 2.9), ("int64", True),
])
def test_numbers_torch_takes_into_integer_tensors_are_still_written_like_torch(dtype, value):
    ours, theirs = gn.tensor(np.array([1, 2], dtype=dtype)), torch.tensor([1, 2]).to(
        getattr(torch, dtype))
    ours[0] = value
    theirs[0] = value
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("value", ["a", None])
def test_a_value_that_is_not_a_number_is_refused_naming_its_type(value):
    # Before: "could not convert string to float: 'a'"; None wrote NaN
    x = gn.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=rf"setitem: can't write a value of type "
                                        rf"{type(value).__name__} \({value!r}\) into a tensor "
                                        rf"of dtype float32"):
        x[0] = value
    assert x.tolist() == [1.0, 2.0]


def test_a_0d_index_array_mixed_with_arrays_still_writes_and_backpropagates_like_torch():
    # Before: a 0-d integer tensor (or 0-d array) among the integers made the first
    # selection an advanced index, a copy: writes, accumulations and gradients were lost.
    x = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours[gn.tensor(1), :, gn.tensor([0, 1])].sum().backward()
    theirs[torch.tensor(1), :, torch.tensor([0, 1])].sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())
    for index in ((gn.tensor(1), slice(None), [0, 1]), (np.array(1), slice(None), [0, 1])):
        y = gn.zeros(2, 3, 4)
        y[index] = 5.0
        assert y.data.sum() == 30.0
    out = F.index_put(gn.zeros(2, 3, 4), (gn.tensor(1), slice(None), gn.tensor([0, 1, 1])),
                      gn.tensor(1.0), accumulate=True)
    expected = torch.zeros(2, 3, 4).index_put(
        (torch.tensor(1), torch.arange(3)[:, None], torch.tensor([0, 1, 1])), torch.tensor(1.0),
        accumulate=True)
    np.testing.assert_array_equal(out.data, expected.numpy())


def test_fill_of_an_unsigned_tensor_with_a_negative_int_wraps_as_torch_does():
    ours = gn.tensor(np.array([1, 2], np.uint8))
    ours.fill_(-1)  # before: NumPy's raw OverflowError
    np.testing.assert_array_equal(ours.data, torch.tensor([1, 2], dtype=torch.uint8).fill_(-1))


@pytest.mark.parametrize("dtype, value", [(np.float32, 1e40), (np.float32, -1e39),
                                          (np.float16, 1e5), (np.float64, 2**200)])
def test_a_finite_number_beyond_a_float_dtypes_range_is_refused_like_torch(dtype, value):
    # Before: NumPy stored inf without a word (and 2**200 went through as a float)
    t_dtype = torch.from_numpy(np.zeros(1, dtype)).dtype
    with pytest.raises((RuntimeError, OverflowError)):
        torch.zeros(2, dtype=t_dtype).fill_(value)
    for write in (lambda t: t.fill_(value), lambda t: t.__setitem__(0, value)):
        t = gn.zeros(2, dtype=dtype)
        with pytest.raises(ValueError, match="cannot be converted|does not fit in 64 bits"):
            write(t)
        assert t.data.tolist() == [0, 0]  # refused before any write
    with pytest.raises(ValueError, match="cannot be converted|does not fit in 64 bits"):
        gn.full((2,), value, dtype=dtype)
    for fine in (float("inf"), float("nan"), 65504.0 if dtype == np.float16 else 1e38):
        gn.zeros(2, dtype=dtype).fill_(fine)  # inf, NaN and the largest finite values fit
