"""Elementwise ops beyond what the registry's smooth samples reach: floor division and
remainder on integers and at zero, and maximum/minimum with NaN and mixed dtypes, each
against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F


@pytest.mark.parametrize("a, b", [([5, -5, 7, -7], [2, 2, -3, -3]),
                                  ([5.0, -5.0, 7.5, -0.5], [2.0, 2.0, -2.0, 0.25])])
def test_floor_division_and_remainder_follow_python_signs_like_torch(a, b):
    ga, gb, ta, tb = gn.tensor(a), gn.tensor(b), torch.tensor(a), torch.tensor(b)
    for ours, theirs in ((ga // gb, ta // tb), (ga % gb, ta % tb),
                         (ga // 2, ta // 2), (ga % 3, ta % 3),
                         (7 // gb, 7 // tb), (7 % gb, 7 % tb)):
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf % 3 is NaN, as torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_remainder_and_floor_division_match_torch_bit_for_bit(dtype):
    # Exactly divisible negatives give -0.0 in PyTorch (NumPy and Python give 0.0), and
    # every other sign and infinity follows fmod moved into b's sign.
    rng = np.random.default_rng(0)
    edge_a = [-0.0, 0.0, -3.0, 3.0, 6.0, -6.0, np.inf, -np.inf, 5.0, -5.0, 1e-30, -1e-30]
    edge_b = [3.0, 3.0, 3.0, 3.0, -3.0, -3.0, 3.0, 3.0, np.inf, np.inf, 3.0, -3.0]
    a = np.concatenate([rng.standard_normal(5000) * 10, edge_a]).astype(dtype)
    b = np.concatenate([rng.standard_normal(5000) * 3, edge_b]).astype(dtype)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for ours, theirs in ((gn.tensor(a) % gn.tensor(b), torch.from_numpy(a) % torch.from_numpy(b)),
                         (gn.tensor(a) // gn.tensor(b),
                          torch.from_numpy(a) // torch.from_numpy(b))):
        ours, theirs = ours.data, theirs.numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        finite = ~np.isnan(ours)
        np.testing.assert_array_equal(ours[finite].view(bits), theirs[finite].view(bits))
    assert np.signbit((gn.tensor([-3.0]) % 3).data[0])  # -0.0, as in PyTorch


def test_mixed_int_and_float_division_promotes_like_torch():
    for ours, theirs in ((gn.tensor([5, 6]) // 2.5, torch.tensor([5, 6]) // 2.5),
                         (gn.tensor([5, 6]) % gn.tensor([2.5]), torch.tensor([5, 6]) %
                          torch.tensor([2.5]))):
        assert ours.dtype == gn.float32 and theirs.dtype == torch.float32
        assert ours.tolist() == theirs.tolist()


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")  # NumPy's, as div gives
def test_float_division_by_zero_gives_inf_and_nan_like_torch():
    ours = (gn.tensor([5.0, -5.0]) // 0.0).tolist(), (gn.tensor([5.0]) % 0.0).tolist()
    theirs = (torch.tensor([5.0, -5.0]) // 0.0).tolist(), (torch.tensor([5.0]) % 0.0).tolist()
    assert ours[0] == theirs[0] == [np.inf, -np.inf]
    assert np.isnan(ours[1][0]) and np.isnan(theirs[1][0])


@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_division_by_zero_is_refused(op):
    operands = {"x": gn.tensor([5, 6]), "y": gn.tensor([1, 0])}
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        eval(f"x {op} y", {}, operands)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):  # PyTorch refuses too
        eval(f"torch.tensor([5, 6]) {op} torch.tensor([1, 0])")


def test_bool_division_is_refused():
    with pytest.raises(TypeError, match="floor_divide: not defined for bool"):
        gn.tensor([True]) // gn.tensor([True])


def test_in_place_floor_division_and_remainder_keep_the_dtype_or_refuse():
    x = gn.tensor([7, -7])
    x //= 2
    assert x.tolist() == [3, -4] and x.dtype == gn.int64
    x %= 3
    assert x.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match=r"//=: result type float32 can't be cast"):
        x //= 2.5
    assert x.tolist() == [0, 2]


def test_remainder_gradients_match_torch_and_floor_division_gives_zeros():
    a_np, b_np = np.array([5.3, -5.3, 7.7]), np.array([2.0, 2.0, -2.5])
    a, b = gn.tensor(a_np, requires_grad=True), gn.tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    ((a % b) * gn.tensor([1.0, 2.0, 3.0])).sum().backward()
    ((ta % tb) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.data, tb.grad.numpy())  # -floor(a / b)
    a.grad = b.grad = None
    (a // b).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_pass_the_gradient_to_both_where_one_is_nan(name):
    a_np = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    b_np = np.array([1.0, 1.0, np.nan, 5.0, np.nan])
    a, b = gn.tensor(a_np, requires_grad=True), gn.tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    out, t_out = getattr(F, name)(a, b), getattr(torch, name)(ta, tb)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.data, tb.grad.numpy())
    assert a.grad.data[1] == b.grad.data[1] == 1.0  # NaN against 1: both get it all


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_promote_dtypes_like_torch(name):
    cases = [(np.array([1, 2]), np.array([1.5, 0.5], dtype=np.float32)),
             (np.array([1.0, 2.0], dtype=np.float32), np.array(1.5)),  # 0-d float64
             (np.array([True, False]), np.array([3, -1]))]
    for x, y in cases:
        ours = getattr(F, name)(gn.tensor(x), gn.tensor(y))
        theirs = getattr(torch, name)(torch.from_numpy(x), torch.from_numpy(y))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (x.dtype, y.dtype)
        assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("a, b", [([1.0, 2.0], [True, False]), ([1, 2], True),
                                  ([True], 2.5), ([True], [True]), (2.5, [True])])
def test_subtraction_with_bools_is_refused_as_torch_refuses_it(a, b):
    # glassnet computed these (True - 2.5 = -1.5); PyTorch refuses every one
    def tensor(v, lib):
        return lib.tensor(v) if isinstance(v, list) else v
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with"):
        tensor(a, torch) - tensor(b, torch)
    with pytest.raises(TypeError, match=r"sub: subtraction with a bool .* use (~|\^)"):
        tensor(a, gn) - tensor(b, gn)
    with pytest.raises(TypeError, match="neg: negation of a bool tensor"):
        F.neg(gn.tensor([True, False]))


def test_the_sign_of_a_bool_tensor_is_itself_like_torch():
    ours, theirs = F.sign(gn.tensor([True, False])), torch.sign(torch.tensor([True, False]))
    assert ours.tolist() == theirs.tolist() and ours.dtype == gn.bool


@pytest.mark.parametrize("x, lo, hi", [
    (np.array([0.0, 2.0], np.float32), np.array([1.0]), None),  # a (1,) float64 bound wins
    (np.array([0, 2]), np.array([1.0], np.float16), None),  # int input, float16 bound
    (np.array([0.0, 2.0], np.float32), np.array(1.0), None),  # a 0-d bound does not
    (np.array([0.0, 2.0]), np.array(1.0, np.float32), np.array([1.5], np.float16)),
    (np.array([0.0, 2.0], np.float32), None, np.array([1.5])),
])
def test_clamp_with_tensor_bounds_promotes_like_torch(x, lo, hi):
    # the bounds were cast to the input's dtype: a float64 bound left a float32 clamp
    def wrap(v, lib):
        return None if v is None else lib.tensor(v)
    ours = F.clamp(gn.tensor(x), wrap(lo, gn), wrap(hi, gn))
    theirs = torch.clamp(torch.tensor(x), wrap(lo, torch), wrap(hi, torch))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([True, False]).clamp(min=2),  # bool with an int bound: int64
    lambda m: m.tensor([1, 3]).clamp(min=np.float32(1.5)),  # a NumPy float bound: float
    lambda m: m.tensor([1, 3]).clamp(max=np.int64(2)),
], ids=["bool-int", "int-npfloat", "int-npint"])
def test_clamp_promotes_bool_inputs_and_numpy_bounds_as_torch_does(make):
    # Before: [True, False].clamp(min=2) stayed bool ([True, True]) and an np.float32 bound
    # was cut to an int.
    ours, theirs = make(gn), make(torch)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("make", [
    lambda m: 2 ** m.tensor([-2, 0, 3]),
    lambda m: m.tensor([2]) ** m.tensor(-1),
    lambda m: m.tensor([0, 1, -1, 2, -2, 0]) ** m.tensor([-1, -3, -3, -2, -1, -2]),
    lambda m: m.tensor(np.array([0, 1, 255, 2], np.uint8)) ** m.tensor(-1),
    lambda m: m.tensor([True, False]) ** m.tensor([-1, -2]),
], ids=["int-base", "0d-exponent", "ones-and-zeros", "uint8", "bool"])
def test_integers_to_negative_exponent_tensors_follow_torchs_integer_rule(make):
    # Before: NumPy's "Integers to negative integer powers are not allowed" for all of these
    ours, theirs = make(gn), make(torch)
    assert ours.tolist() == theirs.tolist()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("exponent", [-1, np.int64(-2)], ids=["int", "np.int64"])
def test_an_integer_tensor_to_a_negative_number_is_still_refused_like_torch(exponent):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        torch.tensor([2]) ** exponent
    with pytest.raises(ValueError, match=r"pow: integers to negative integer powers are not "
                                         r"allowed \(exponent -[12], base dtype int64\)"):
        gn.tensor([2]) ** exponent


@pytest.mark.parametrize("make", [
    lambda m: m.tensor(np.array([1], np.uint8)) + 300,
    lambda m: m.tensor(np.array([1], np.int8)) * 200,
    lambda m: m.tensor(np.array([1], np.int32)) + 2 ** 40,
    lambda m: m.tensor(np.array([1], np.uint8)) - 3,
    lambda m: m.tensor(np.array([100], np.uint8)) // -3,
    lambda m: 300 - m.tensor(np.array([1], np.uint8)),
    lambda m: m.tensor([1]) + 2 ** 63,
], ids=["uint8+300", "int8*200", "int32+2**40", "uint8-3", "uint8//-3", "300-uint8", "2**63"])
def test_a_python_int_out_of_a_narrow_dtypes_range_wraps_like_torch(make):
    # Before: NumPy's raw "OverflowError: Python integer 300 out of bounds for uint8"
    ours, theirs = make(gn), make(torch)
    assert ours.tolist() == theirs.tolist()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_a_python_int_beyond_64_bits_is_refused_naming_the_op_and_value():
    with pytest.raises(OverflowError, match=r"add: the integer 18446744073709551616 does not "
                                            r"fit in 64 bits, .* dtype uint8"):
        gn.tensor(np.array([1], np.uint8)) + 2 ** 64


@pytest.mark.parametrize("op", ["add", "sub"])
@pytest.mark.parametrize("other, alpha", [([3, 4], 0.5), ([3, 4], 1.0), (1, 0.5)],
                         ids=["tensor", "alpha-1.0", "number"])
def test_a_float_alpha_with_integer_inputs_is_refused_like_torch(op, other, alpha):
    # Before: add(int, int, alpha=0.5) quietly gave float32
    def call(make, ops):
        other_ = make(other) if isinstance(other, list) else other
        return getattr(ops, op)(make([1, 2]), other_, alpha=alpha)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point"):
        call(torch.tensor, torch)
    with pytest.raises(TypeError, match=rf"{op}: for integral input tensors, argument alpha "
                                        rf"must not be a floating point number \(got "
                                        rf"alpha={alpha}, result dtype int64\)"):
        call(gn.tensor, F)


def test_alpha_still_scales_and_float_inputs_take_a_float_alpha_like_torch():
    for make in (lambda m, t: m.add(t([1, 2]), t([3, 4]), alpha=2),
                 lambda m, t: m.sub(t([1.0, 2.0]), t([3, 4]), alpha=0.5),
                 lambda m, t: m.add(t([1, 2]), 1.5, alpha=0.5)):
        ours, theirs = make(F, gn.tensor), make(torch, torch.tensor)
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_abs_of_a_bool_tensor_is_refused_like_torch():
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        abs(torch.tensor([True, False]))
    with pytest.raises(TypeError, match=r"abs: not implemented for bool tensors \(shape "
                                        r"\(2,\)\)"):
        abs(gn.tensor([True, False]))


def test_the_exponents_gradient_takes_the_log_in_the_promoted_dtype_like_torch():
    # Before: log(a) in float32 gave 5.545177459716797 against torch's 5.545177444479562
    def grads(m):
        a = m.tensor([2.0], requires_grad=True)
        b = m.tensor([3.0], dtype=m.float64, requires_grad=True)
        (a ** b).backward()
        return a.grad.item(), b.grad.item()
    assert grads(gn) == grads(torch)


@pytest.mark.parametrize("kwargs", [{"min": "a"}, {"max": "a"}, {"min": 1j}])
def test_clamp_with_a_bound_that_is_not_a_number_names_the_argument(kwargs):
    # Before: NumPy's "could not convert string to float: 'a'"
    (name, bound), = kwargs.items()
    with pytest.raises(TypeError, match=rf"clamp: argument '{name}' must be a number or a "
                                        rf"Tensor, got (str|complex) {bound!r}"):
        gn.tensor([1.0, 2.0]).clamp(**kwargs)


@pytest.mark.parametrize("dtype, exponent", [(np.int8, 200), (np.uint8, 300)])
def test_an_integer_exponent_out_of_the_bases_range_is_refused_like_torch(dtype, exponent):
    # Before: the exponent wrapped as + and * wrap a scalar (200 became -56 in int8) and the
    # power came out as [1, 0]; torch refuses it.
    base = np.array([1, 2], dtype)
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.tensor(base) ** exponent
    with pytest.raises(ValueError, match=rf"^pow: value {exponent} cannot be converted to type "
                                         rf"{np.dtype(dtype)} without overflow"):
        gn.tensor(base) ** exponent
