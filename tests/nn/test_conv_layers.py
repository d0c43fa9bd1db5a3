"""Conv1d and Conv2d against PyTorch through ``check_layer``, plus init, repr and errors."""

import math
import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn
from tests.nn.layer_check import check_layer

T = torch.nn
LAYERS = [
    ("conv2d-mnist", lambda m: m.Conv2d(1, 4, 3), (2, 1, 8, 8)),
    ("conv2d-stride-pad", lambda m: m.Conv2d(3, 4, (3, 2), stride=2, padding=1), (2, 3, 7, 6)),
    ("conv2d-groups-dilation-nobias",
     lambda m: m.Conv2d(4, 6, 3, dilation=(2, 1), groups=2, bias=False), (1, 4, 9, 7)),
    ("conv2d-depthwise-same", lambda m: m.Conv2d(3, 3, 2, padding="same", groups=3),
     (2, 3, 5, 6)),
    ("conv2d-reflect", lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
     (2, 2, 5, 5)),
    ("conv2d-circular-same",
     lambda m: m.Conv2d(2, 3, (2, 3), padding="same", padding_mode="circular"), (1, 2, 5, 6)),
    ("conv2d-unbatched", lambda m: m.Conv2d(2, 3, 3, padding="valid"), (2, 6, 5)),
    ("conv1d", lambda m: m.Conv1d(3, 5, 3), (2, 3, 10)),
    ("conv1d-stride-groups", lambda m: m.Conv1d(4, 6, 4, stride=2, padding=2, groups=2),
     (2, 4, 11)),
    ("conv1d-same-replicate",
     lambda m: m.Conv1d(2, 3, 4, padding="same", padding_mode="replicate"), (2, 2, 9)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_conv_layer_matches_torch(name, make, shape, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: 'same' with an even kernel
        check_layer(make(nn), make(T), shape, dtype=dtype, **tol)


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(1, 32, 3),
    lambda m: m.Conv1d(4, 8, 5, groups=2),
    lambda m: m.Conv2d(3, 6, (2, 3), stride=2, padding="valid", bias=False,
                       padding_mode="reflect"),
])
def test_conv_repr_and_state_dict_match_torch(make):
    ours, theirs = make(nn), make(T)
    assert repr(ours) == repr(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


def test_conv2d_default_init_is_pytorchs():
    layer = nn.Conv2d(8, 16, 3)
    bound = 1 / math.sqrt(8 * 9)
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (16, 8, 3, 3) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and w.std() > 0.5 * bound / math.sqrt(3)


def test_conv2d_layer_errors_name_the_layer():
    layer = nn.Conv2d(1, 32, 3)
    name = r"^Conv2d\(1, 32, kernel_size=\(3, 3\), stride=\(1, 1\)\): "
    with pytest.raises(ValueError, match=name + r"input has 3 channels but weight expects 1 "
                                                r"\(input shape \(2, 3, 8, 8\)"):
        layer(gn.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"^Conv2d\(1, 32, .*kernel size \(3, 3\) is larger"):
        layer(gn.randn(1, 1, 2, 5))
    with pytest.raises(ValueError, match=r"^Conv1d\(2, 4, kernel_size=\(3,\), stride=\(1,\), "
                                         r"padding_mode=reflect\): expected 2-D \(C, L\) or 3-D"):
        nn.Conv1d(2, 4, 3, padding_mode="reflect")(gn.randn(2, 2, 5, 5))


def test_padding_mode_errors_show_the_callers_input_and_padding_before_any_padding(monkeypatch):
    import glassnet.nn.conv as conv_module

    padded = []
    real_pad = conv_module.F.pad
    monkeypatch.setattr(conv_module.F, "pad",
                        lambda *a, **k: padded.append(1) or real_pad(*a, **k))
    layer = nn.Conv2d(3, 4, 12, padding=1, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"^Conv2d\(3, 4, kernel_size=\(12, 12\).*"
                                         r"padding_mode=reflect\): kernel size \(12, 12\) is "
                                         r"larger than the padded input \(10, 10\) \(padding "
                                         r"\(\(1, 1\), \(1, 1\)\)\) \(input shape \(2, 3, 8, 8\)"):
        layer(gn.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"input has 3 channels but weight expects 1 \(input "
                                         r"shape \(2, 3, 8, 8\)"):
        nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular")(gn.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"^Conv1d\(.*padding_mode=replicate\): groups=2 does "
                                         r"not divide the 3 input channels"):
        nn.Conv1d(2, 4, 3, padding=1, padding_mode="replicate", groups=2)(gn.randn(2, 3, 8))
    assert padded == []  # refused before any copy was made
    assert nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(gn.randn(2, 3, 8, 8)).shape \
        == (2, 4, 8, 8)
    assert padded == [1]


@pytest.mark.parametrize("kwargs,pieces", [
    (dict(groups=3), ["Conv2d", "in_channels=4", "groups=3"]),
    (dict(padding="same", stride=2), ["Conv2d", "padding='same'", "strided"]),
    (dict(padding_mode="mirror"), ["Conv2d", "padding_mode", "'zeros'", "'mirror'"]),
    (dict(stride=0), ["Conv2d", "'stride'", "positive"]),
])
def test_conv2d_constructor_refuses_bad_arguments(kwargs, pieces):
    with pytest.raises(ValueError) as info:
        nn.Conv2d(4, 6, 3, **kwargs)
    for piece in pieces:
        assert piece in str(info.value)


def test_numpy_integer_sizes_are_accepted_as_in_torch():
    layer = nn.Conv2d(np.int64(3), np.int32(4), 3, groups=np.int64(1))
    assert (layer.in_channels, layer.out_channels, layer.groups) == (3, 4, 1)
    assert all(type(v) is int for v in (layer.in_channels, layer.out_channels, layer.groups))
    assert layer.weight.shape == (4, 3, 3, 3)
    norm = nn.BatchNorm2d(np.int64(4))
    assert norm.num_features == 4 and type(norm.num_features) is int
