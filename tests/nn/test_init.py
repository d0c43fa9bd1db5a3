"""nn.init against torch.nn.init: bad arguments are refused with the value in the message and
the tensor left untouched; PyTorch's lower-cased mode and ``generator=`` keyword work."""

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn

init = nn.init


@pytest.mark.parametrize("slope", [True, "a", [0.1]])
def test_calculate_gain_refuses_a_slope_that_is_not_a_number_like_torch(slope):
    # True was read as a slope of 1.0 (gain 1.0); "a" raised float()'s own error
    with pytest.raises(ValueError, match="not a valid number"):
        torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match=f"calculate_gain: negative_slope {slope!r} not a "
                                         "valid number".replace("[", r"\[")):
        init.calculate_gain("leaky_relu", slope)


def test_calculate_gain_takes_ints_floats_and_none_like_torch():
    for slope in (None, 0, 0.2, np.float64(0.3)):
        assert init.calculate_gain("leaky_relu", slope) == \
            torch.nn.init.calculate_gain("leaky_relu", slope)


def filled(shape=(3, 4), dtype=np.float32):
    return gn.tensor(np.full(shape, 7, dtype=dtype))


@pytest.mark.parametrize("call,error,message", [
    (lambda t: init.normal_(t, std=-1.0), ValueError,
     r"normal_: normal expects std >= 0.0, but found std -1.0"),
    (lambda t: init.normal_(t, std=float("nan")), ValueError, "found std nan"),
    (lambda t: init.uniform_(t, 1.0, 0.0), ValueError,
     r"uniform_ expects to return a \[from, to\) range, but found from=1.0 > to=0.0"),
    (lambda t: init.uniform_(t, 0.0, math.inf), ValueError,
     "uniform_: a and b must be finite, got a=0.0, b=inf"),
    (lambda t: init.normal_(t, mean="a"), TypeError,
     "normal_: argument 'mean' must be a number, got str 'a'"),
])
def test_bad_bounds_and_spreads_are_refused_and_the_tensor_kept(call, error, message):
    # NumPy's own "scale < 0" / "high - low range exceeds valid bounds" came through before
    t = filled()
    with pytest.raises(error, match=message):
        call(t)
    assert (t.data == 7).all()


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_",
                                  "kaiming_uniform_", "kaiming_normal_"])
def test_random_fills_refuse_integer_tensors_as_torch_does(name):
    # they wrote the draws into the int64 array: mostly zeros, silently
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.init, name)(torch.full((3, 4), 7))
    t = filled(dtype=np.int64)
    with pytest.raises(TypeError, match=f"{name}: random values need a floating point "
                                         r"tensor, got dtype int64 \(shape \(3, 4\)\)"):
        getattr(init, name)(t)
    assert (t.data == 7).all()
    assert init.constant_(t, 2).tolist()[0] == [2, 2, 2, 2]  # a constant fits any dtype


@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_mode_is_lower_cased_like_torch(fill):
    gn.manual_seed(0)
    upper = fill(filled((6, 5), np.float64), mode="FAN_OUT").data
    gn.manual_seed(0)
    lower = fill(filled((6, 5), np.float64), mode="fan_out").data
    np.testing.assert_array_equal(upper, lower)
    with pytest.raises(ValueError, match=f"{fill.__name__}: mode must be 'fan_in' or "
                                         "'fan_out', got 'fan'"):
        fill(filled(), mode="fan")


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {"a": -1.0, "b": 2.0}), ("normal_", {"mean": 1.0, "std": 0.5}),
    ("xavier_uniform_", {}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_normal_", {"mode": "fan_out"}),
])
def test_a_numpy_generator_given_as_generator_is_the_one_drawn_from(name, kwargs):
    fill = getattr(init, name)
    before = gn.random.get_rng_state()
    first = fill(filled((4, 5), np.float64), generator=np.random.default_rng(5), **kwargs)
    second = fill(filled((4, 5), np.float64), generator=np.random.default_rng(5), **kwargs)
    np.testing.assert_array_equal(first.data, second.data)
    assert gn.random.get_rng_state() == before  # glassnet's own generator was not used
    gn.manual_seed(9)
    from_none = fill(filled((4, 5), np.float64), generator=None, **kwargs).data
    gn.manual_seed(9)
    np.testing.assert_array_equal(from_none, fill(filled((4, 5), np.float64), **kwargs).data)


def test_a_generator_that_is_not_a_numpy_generator_is_refused():
    t = filled()
    for bad in (3, torch.Generator()):
        with pytest.raises(TypeError, match="uniform_: generator must be a "
                                            "numpy.random.Generator or None .*got "
                                            f"{type(bad).__name__}"):
            init.uniform_(t, generator=bad)
    assert (t.data == 7).all()
