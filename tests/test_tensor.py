"""Tensor basics: creation and dtype inference (PyTorch's rules), conversion, printing."""

import numpy as np
import pytest
import torch

import glassnet as gn


@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2], [3, 4]], True, [True, False], 3])
def test_tensor_infers_dtype_like_torch(data):
    assert np.dtype(gn.tensor(data).dtype) == torch.tensor(data).numpy().dtype


def test_numpy_arrays_keep_their_dtype_and_tensor_copies():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = gn.tensor(a)
    assert t.dtype == gn.float64
    a[0, 0] = 100
    assert t.data[0, 0] == 0, "tensor() must copy"
    shared = gn.from_numpy(a)
    a[0, 1] = 7
    assert shared.data[0, 1] == 7, "from_numpy must share memory"


def test_creation_functions_shapes_and_dtypes():
    assert gn.zeros(2, 3).shape == (2, 3) and gn.zeros(2, 3).dtype == gn.float32
    assert gn.ones((4,), dtype=gn.float64).dtype == gn.float64
    assert gn.full((2, 2), 7).dtype == gn.int64
    assert gn.full((2, 2), 7.0).dtype == gn.float32
    assert gn.arange(5).dtype == gn.int64 and gn.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert gn.arange(0, 1, 0.25).dtype == gn.float32
    assert gn.rand(3, 4).shape == (3, 4) and gn.randn(5).dtype == gn.float32
    x = gn.randn(2, 3, dtype=gn.float64)
    for like in (gn.zeros_like, gn.ones_like, gn.rand_like, gn.randn_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype == gn.float64
    assert gn.full_like(x, 2.0).data.tolist() == [[2.0] * 3] * 2


def test_rand_is_in_unit_interval():
    r = gn.rand(1000).data
    assert r.min() >= 0 and r.max() < 1


def test_manual_seed_reproduces_every_random_op():
    gn.manual_seed(123)
    a = (gn.rand(5).data, gn.randn(5).data, gn.randint(0, 10, (5,)).data)
    gn.manual_seed(123)
    b = (gn.rand(5).data, gn.randn(5).data, gn.randint(0, 10, (5,)).data)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    gn.manual_seed(124)
    assert not np.array_equal(gn.rand(5).data, a[0])



def test_manual_seed_takes_torchs_range_and_remaps_negative_seeds_like_torch():
    import torch

    for seed in (-1, -2**63, 2**64 - 1, 0):
        gn.manual_seed(seed)
        torch.manual_seed(seed)
        assert gn.initial_seed() == torch.initial_seed()
    gn.manual_seed(-1)
    a = gn.rand(3).data
    gn.manual_seed(2**64 - 1)
    np.testing.assert_array_equal(gn.rand(3).data, a)  # the same seed after remapping
    for seed in (-2**63 - 1, 2**64):
        with pytest.raises(ValueError, match=r"manual_seed: seed must be in \[-2\*\*63, "):
            gn.manual_seed(seed)
    gn.manual_seed(0)

def test_attributes_and_conversions():
    t = gn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.device == "cpu" and t.numel() == 4
    assert t.size() == (2, 2) and t.size(1) == 2 and len(t) == 2
    assert gn.tensor(3.5).item() == 3.5
    assert np.asarray(t).shape == (2, 2)
    assert t.double().dtype == gn.float64 and t.long().dtype == gn.int64
    assert t.numpy() is t.data


def test_item_on_many_elements_is_an_error():
    with pytest.raises(ValueError, match=r"item.*shape \(3,\)"):
        gn.ones(3).item()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating point tensors can require gradients"):
        gn.tensor([1, 2, 3], requires_grad=True)
    t = gn.tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad_()
    assert t.requires_grad is False


def test_numpy_of_tensor_requiring_grad_is_refused():
    with pytest.raises(RuntimeError, match="detach"):
        gn.ones(2, requires_grad=True).numpy()


def test_comparisons_give_bool_tensors_without_grad():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == gn.bool and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]


def test_repr_is_readable():
    assert repr(gn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    r = repr(gn.tensor([1.0], dtype=gn.float64, requires_grad=True))
    assert "dtype=float64" in r and "requires_grad=True" in r
    y = gn.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<MulBackward>" in repr(y)


def test_scalar_type_promotion_follows_torch():
    i = gn.tensor([1, 2])
    f32 = gn.tensor([1.0, 2.0])
    assert (i * 2.5).dtype == gn.float32
    assert (i + 1).dtype == gn.int64
    assert (f32 * 2).dtype == gn.float32
    assert (f32 + gn.tensor([1.0], dtype=gn.float64)).dtype == gn.float64
    assert (i / 2).dtype == gn.float32
    assert (f32 + i).dtype == gn.float32


@pytest.mark.parametrize("left,right", [
    ((np.float32, (2,)), (np.float64, ())),
    ((np.float64, ()), (np.float32, (3, 1))),
    ((np.float32, ()), (np.float64, ())),
    ((np.int32, (2,)), (np.int64, ())),
    ((np.int64, (2,)), (np.float64, ())),
    ((np.bool_, (2,)), (np.int64, ())),  # bool < int < float: the 0-d int decides
    ((np.int64, ()), (np.bool_, (2,))),
    ((np.bool_, (2,)), (np.float64, ())),
    ((np.bool_, (2,)), (np.int8, (2,))),
])
def test_tensor_tensor_promotion_follows_torch_including_0d(left, right):
    a, b = (np.arange(1, 1 + int(np.prod(shape))).reshape(shape).astype(dtype)
            for dtype, shape in (left, right))
    for op in (lambda x, y: x * y, lambda x, y: x + y, lambda x, y: x / y):
        ours = op(gn.tensor(a), gn.tensor(b))
        theirs = op(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours.data, theirs)


def test_float_arange_does_not_accumulate_rounding_error():
    np.testing.assert_array_equal(gn.arange(-1, 1, 0.3).data, torch.arange(-1, 1, 0.3).numpy())


def test_ragged_data_is_a_clear_error():
    with pytest.raises(ValueError, match="tensor: data must be rectangular"):
        gn.tensor([[1, 2], [3]])


def test_in_place_arithmetic_refuses_a_result_of_a_higher_category_like_torch():
    cases = [(lambda t: t.__iadd__(1.5), [1, 2]), (lambda t: t.__itruediv__(2), [3, 4]),
             (lambda t: t.__imul__(1.5), [1, 2]),
             (lambda t: t.__iadd__(1), [True, False])]
    for op, values in cases:
        ours, theirs = gn.tensor(values), torch.tensor(values)
        with pytest.raises(RuntimeError, match="can't be cast to this tensor's dtype"):
            op(ours)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            op(theirs)
        assert ours.data.tolist() == values  # unchanged
    with pytest.raises(RuntimeError, match="result type float32 can't be cast"):
        gn.tensor([1, 2]).__imul__(gn.tensor([1.5, 1.5]))  # a float tensor operand as well
    x, tx = gn.tensor([1.0]), torch.tensor([1.0])  # narrowing within a category is allowed
    x += gn.tensor([2.0], dtype=gn.float64)
    tx += torch.tensor([2.0], dtype=torch.float64)
    assert x.dtype == gn.float32 and x.data.tolist() == tx.tolist() == [3.0]


def test_random_draws_refuse_integer_dtypes_and_arange_a_step_that_casts_to_zero():
    for make in (lambda: gn.rand(3, dtype=gn.int64), lambda: gn.randn(3, dtype=gn.int32),
                 lambda: gn.rand_like(gn.tensor([1, 2])),
                 lambda: gn.randn_like(gn.tensor([1, 2]))):
        with pytest.raises(TypeError, match="samples need a floating dtype"):
            make()
    with pytest.raises(RuntimeError):
        torch.rand(3, dtype=torch.int64)  # PyTorch refuses as well
    with pytest.raises(ValueError, match=r"'step' \(0.5\) is 0 in dtype int64"):
        gn.arange(0, 2.5, 0.5, dtype=gn.int64)
    np.testing.assert_array_equal(gn.arange(0, 5, 2, dtype=gn.int64).data,
                                  torch.arange(0, 5, 2, dtype=torch.int64).numpy())
    assert gn.zeros(2, dtype=gn.int64).dtype == gn.int64  # zeros/ones keep any dtype


def test_bitwise_ops_are_logical_on_bool_and_bitwise_on_integers_like_torch():
    pairs = [([6, 5], [3, 3]), ([True, False], [True, True]), ([True, False], [3, 2])]
    for left, right in pairs:
        a, b, ta, tb = gn.tensor(left), gn.tensor(right), torch.tensor(left), torch.tensor(right)
        for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y,
                   lambda x, y: ~x, lambda x, y: x & 1, lambda x, y: 1 | x):
            ours, theirs = op(a, b), op(ta, tb)
            assert ours.dtype == theirs.numpy().dtype
            np.testing.assert_array_equal(ours.data, theirs.numpy())
    with pytest.raises(TypeError, match=r"&: only bool and integer tensors .* got float32"):
        gn.tensor([1.0]) & gn.tensor([1.0])
    with pytest.raises(TypeError, match=r"~: only bool and integer tensors"):
        ~gn.tensor([1.0])


def test_comparisons_of_shapes_that_do_not_broadcast_name_the_op():
    with pytest.raises(ValueError, match=r"eq: shapes \(3,\) and \(4,\) cannot be broadcast"):
        _ = gn.ones(3) == gn.ones(4)
    with pytest.raises(ValueError, match=r"lt: shapes \(2, 3\) and \(2,\) cannot be"):
        _ = gn.ones(2, 3) < gn.ones(2)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_np_array_copies_and_np_asarray_shares_like_numpys_protocol():  # (torch's warns)
    for lib in (gn, torch):
        t = lib.tensor([1.0, 2.0, 3.0])
        np.array(t)[0] = 100.0  # NumPy 2 asks for a copy
        np.array(t, dtype=np.float32)[1] = 200.0
        assert t.tolist() == [1.0, 2.0, 3.0]
        np.asarray(t)[2] = 7.0  # a view
        assert t.tolist() == [1.0, 2.0, 7.0]
    t = gn.tensor([1.0, 2.0])
    assert np.shares_memory(np.array(t, copy=False), t.data)
    assert np.array(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="float32 to float64 needs a copy, but copy=False"):
        np.array(t, dtype=np.float64, copy=False)


def test_torch_as_tensor_shares_memory_and_torch_tensor_copies_through_dlpack():
    for data in ([1.0, 2.0], 3.0, [[1, 2], [3, 4]], [True, False]):
        t = gn.tensor(data)
        shared, copied = torch.as_tensor(t), torch.tensor(t)
        assert shared.tolist() == copied.tolist() == t.tolist()
        assert shared.numpy().dtype == copied.numpy().dtype == t.dtype
        assert np.shares_memory(shared.numpy(), t.data)
        assert not np.shares_memory(copied.numpy(), t.data)
    w = gn.tensor([1.0, 2.0], requires_grad=True)  # the values only, as np.asarray gives
    assert not torch.tensor(w).requires_grad and torch.tensor(w).tolist() == [1.0, 2.0]
    # views DLPack consumers cannot take as they are (torch aborts on negative strides)
    # are exported as copies
    for view in (gn.arange(3.0)[::-1], gn.ones(1).expand(3), gn.arange(6.0).reshape(2, 3).T):
        assert torch.as_tensor(view).tolist() == view.tolist()


def test_in_place_power_and_bitwise_ops_write_through_views_like_torch():
    cases = [([1.0, 2.0, 3.0], lambda v: v.__ipow__(2)),
             ([True, False, True], lambda v: v.__iand__(False)),
             ([1, 2, 3], lambda v: v.__ior__(8)),
             ([1, 2, 3], lambda v: v.__ixor__(1))]
    for values, op in cases:
        results = []
        for lib in (gn, torch):
            base = lib.tensor(values)
            view = base[1:]
            assert op(view) is view
            results.append(base.tolist())
        assert results[0] == results[1]
    for lib in (gn, torch):  # x @= m is x = x @ m in PyTorch: not in place, any shape
        x = lib.ones(2, 3)
        alias = x
        x @= lib.ones(3, 4)
        assert x.shape == (2, 4) and alias.shape == (2, 3)
    flags = gn.tensor([True, False])
    with pytest.raises(RuntimeError, match=r"&=: result type int64 can't be cast"):
        flags &= gn.tensor([3, 1])
    ints = gn.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"\*\*=: result type float32 can't be cast"):
        ints **= 0.5
    assert flags.tolist() == [True, False] and ints.tolist() == [1, 2]


def test_iteration_gives_rows_and_a_0d_tensor_refuses_like_torch():
    assert [row.tolist() for row in gn.tensor([[1.0, 2.0], [3.0, 4.0]])] == [[1.0, 2.0],
                                                                           [3.0, 4.0]]
    for lib in (gn, torch):
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            list(lib.tensor(3.0))


def test_comparisons_with_non_numbers_and_membership_follow_torch():
    for lib in (gn, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert (x == None) is False and (x != "a") is True  # noqa: E711
        assert x not in [None, "a"]
        assert 2.0 in x and 7 not in x and lib.tensor([3.0, 4.0]) in x
        assert lib.tensor(4.0) in x and lib.tensor([5.0, 4.0]) in x
        with pytest.raises(TypeError, match="'<' not supported"):
            x < "a"  # noqa: B015
        with pytest.raises(RuntimeError):
            "a" in x  # noqa: B015
    with pytest.raises(RuntimeError, match="in: only a Tensor or a number .* got list"):
        [3.0, 4.0] in gn.ones(2)  # noqa: B015
    with pytest.raises(TypeError, match="eq: argument 'other' must be a Tensor or a number, "
                                        "got NoneType"):
        gn.ones(2).eq(None)


def test_to_takes_device_then_dtype_and_another_tensor_like_torch():
    x = gn.tensor([1.0, 2.0])
    assert x.to("cpu", gn.float64).dtype == gn.float64
    assert x.to("cpu", dtype=gn.float64).dtype == gn.float64
    assert x.to(gn.tensor([1], dtype=gn.float64)).dtype == gn.float64
    assert x.to("cpu") is x and x.to(device="cpu", dtype=gn.float32) is x
    with pytest.raises(ValueError, match="glassnet runs on the CPU only, got device 'cuda'"):
        x.to("cuda", gn.float64)
    with pytest.raises(TypeError, match="Tensor.to: dtype given twice"):
        x.to(gn.float64, dtype=gn.float32)


def test_assigning_requires_grad_checks_like_requires_grad_():
    t = gn.tensor([1, 2])
    with pytest.raises(TypeError, match="requires_grad: only floating point tensors can "
                                        "require gradients, got dtype int64"):
        t.requires_grad = True
    assert t.requires_grad is False
    w = gn.tensor([1.0, 2.0])
    w.requires_grad = True
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    y = w * 2
    with pytest.raises(RuntimeError, match="only change requires_grad of leaf tensors"):
        y.requires_grad = False
    assert y.requires_grad


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([0.1]) == m.tensor(np.float64(0.1)),  # 0-d float64 does not promote
    lambda m: m.tensor([0.1]) == np.float64(0.1),
    lambda m: m.tensor([2**24 + 1]) == float(2**24),  # int with a float: default float32
    lambda m: m.tensor([0.1]) < m.tensor(np.array([0.1])),  # 1-D float64 does promote
    lambda m: m.tensor([1.5, 2.5]).ge(np.float64(2.5)),
], ids=["0d-f64", "np-f64", "int-float", "1d-f64", "ge"])
def test_comparisons_promote_as_torch_does(make):
    # Before: comparisons ran NumPy's ufunc on the raw arrays, in float64.
    ours, theirs = make(gn), make(torch)
    assert ours.dtype == np.bool_
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_mT_of_a_1d_tensor_is_refused_in_torchs_words_and_a_0d_one_is_kept():  # noqa: N802
    # Before: "transpose: argument 'dim0' is -2"
    with pytest.raises(RuntimeError, match="only supported on matrices or batches of matrices"):
        _ = torch.tensor([1.0]).mT
    with pytest.raises(ValueError, match=r"mT: tensor.mT is only supported on matrices or "
                                         r"batches of matrices; got a 1-D tensor \(shape"):
        _ = gn.tensor([1.0]).mT
    with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
        assert gn.tensor(2.0).mT.item() == 2.0
    assert gn.ones(4, 2, 3).mT.shape == (4, 3, 2)


@pytest.mark.parametrize("compare, expected", [
    (lambda x: x < 300, [True, True]),
    (lambda x: x == 257, [False, False]),
    (lambda x: x > -200, [True, True]),
], ids=["<300", "==257", ">-200"])
def test_integer_comparisons_with_out_of_range_ints_stay_exact_not_wrapped(compare, expected):
    # Arithmetic wraps such an int to the tensor's dtype as torch does (uint8 + 300 adds 44);
    # comparisons deliberately stay exact (torch 2.13 wraps there too: uint8 [1, 255] < 300
    # is [True, False] in torch), as glassnet's comparisons always were.
    assert compare(gn.tensor(np.array([1, 255], np.uint8))).tolist() == expected
    assert compare(gn.tensor(np.array([1, 127], np.int8))).tolist() == expected
