"""The shape walk-through: parameter arithmetic, totals, and mismatches named with a fix."""

import pytest

from glassnet import nn
from glassnet.explain import summary


def test_mnist_mlp_arithmetic_and_totals():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    s = summary(model, (784,))
    assert [r.output_shape for r in s.rows] == [(1, 128), (1, 128), (1, 10)]
    assert [r.params for r in s.rows] == [784 * 128 + 128, 0, 128 * 10 + 10]
    assert s.rows[0].arithmetic == "784*128 + 128 = 100,480"
    assert s.rows[2].arithmetic == "128*10 + 10 = 1,290"
    assert s.total_params == s.trainable_params == 101_770
    text = str(s)
    assert "784*128 + 128 = 100,480" in text
    assert "total params: 100,480 + 1,290 = 101,770" in text
    assert "trainable params: 101,770" in text and "non-trainable params: 0" in text


def test_frozen_layers_images_and_unknown_layers():
    class Halve(nn.Module):  # a layer summary has never heard of: its shape comes from running
        def forward(self, input):
            return input[:, : input.shape[1] // 2]

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64, bias=False), Halve(),
                          nn.Sequential(nn.Tanh(), nn.Linear(32, 10)))
    model[1].requires_grad_(False)
    s = summary(model, (1, 28, 28), batch_size=4)
    assert [(r.index, r.name, r.output_shape) for r in s.rows] == [
        ("0", "Flatten", (4, 784)), ("1", "Linear", (4, 64)), ("2", "Halve", (4, 32)),
        ("3.0", "Tanh", (4, 32)), ("3.1", "Linear", (4, 10))]
    assert s.rows[1].arithmetic == "784*64 = 50,176"
    assert s.total_params == 784 * 64 + 32 * 10 + 10
    assert s.trainable_params == 32 * 10 + 10
    assert "non-trainable params: 50,176" in str(s)


def test_shape_mismatch_names_layer_shapes_and_fix():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(100, 10))
    with pytest.raises(ValueError) as info:
        summary(model, (784,))
    assert str(info.value) == (
        "summary: layer 2 (Linear) expects 100 input features, shape (*, 100), but receives "
        "(1, 128): set in_features=128, or change the previous layer's out_features to 100")


def test_missing_flatten_before_linear_on_images():
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\) expects 784 input features.*"
                                         r"receives \(1, 1, 28, 28\): add nn.Flatten\(\) "
                                         r"before it$"):
        summary(nn.Sequential(nn.Linear(784, 10)), (1, 28, 28))
    with pytest.raises(ValueError, match=r"add nn.Flatten\(\) before it \(it gives 784 "
                                         r"features\) and set in_features=784"):
        summary(nn.Sequential(nn.Linear(100, 10)), (1, 28, 28))


def test_a_failing_unknown_layer_is_named_with_its_input_shape():
    class Broken(nn.Module):
        def forward(self, input):
            raise RuntimeError("needs a 4-D input")

    with pytest.raises(ValueError, match=r"summary: layer 1 \(Broken\) fails on input of "
                                         r"shape \(1, 8\): needs a 4-D input"):
        summary(nn.Sequential(nn.Linear(3, 8), Broken()), 3)
    with pytest.raises(ValueError, match="input_shape must be positive ints"):
        summary(nn.Linear(3, 8), (0, 3))


def test_cnn_summary_shows_the_output_size_arithmetic():
    from glassnet import models

    text = str(summary(models.mnist_cnn(), (1, 28, 28)))
    assert "1*3*3*32 + 32 = 320" in text
    assert "32*3*3*64 + 64 = 18,496" in text
    assert "H = W: floor((28 - 3 + 2*0) / 1) + 1 = 26" in text
    assert "H = W: floor((11 - 2 + 2*0) / 2) + 1 = 5" in text
    assert "1600*128 + 128 = 204,928" in text
    assert "total params: 320 + 18,496 + 204,928 + 1,290 = 225,034" in text


def test_conv_channel_mismatch_names_the_layer_and_a_fix():
    from glassnet import nn

    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
    with pytest.raises(ValueError, match=r"layer 2 \(Conv2d\) expects 4 input channels but "
                                         r"receives 8 .*set in_channels=8"):
        summary(model, (1, 12, 12))


def _printed_sizes(text: str) -> list[tuple[int, int]]:
    """Each "floor(...) + 1 = n" of an output-size line: (the expression evaluated as
    written, n)."""
    import math
    import re

    found = re.findall(r"((?:floor|ceil)\(.*?\) \+ 1(?: - 1)?) = (\d+)", text)
    return [(eval(expr, {"floor": math.floor, "ceil": math.ceil}), int(n))  # noqa: S307
            for expr, n in found]


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.Conv2d(1, 1, 3, dilation=2), (1, 10, 10)),
    (lambda m: m.Conv1d(1, 2, 3, dilation=3), (1, 20)),
    (lambda m: m.MaxPool2d(3, stride=2, dilation=2), (1, 9, 9)),
    (lambda m: m.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), (1, 7, 7)),
    (lambda m: m.AvgPool2d(3, stride=2, ceil_mode=True), (1, 8, 8)),
    (lambda m: m.Conv2d(1, 2, 4, padding="same"), (1, 9, 9)),
    (lambda m: m.Conv2d(1, 2, 3, padding="same", dilation=2), (1, 9, 9)),
    (lambda m: m.Conv2d(1, 2, 3, padding="valid"), (1, 8, 8)),
    (lambda m: m.Conv2d(1, 1, (3, 5), stride=(1, 2), padding=(1, 2)), (1, 9, 11)),
], ids=["dilated-conv", "dilated-conv1d", "dilated-pool", "ceil-drops-last-window",
        "ceil-keeps-last-window", "same-even-kernel", "same-dilated", "valid", "non-square"])
def test_output_size_arithmetic_evaluates_to_the_size_it_states_and_torchs(make, shape):
    import numpy as np
    import torch

    import glassnet as gn

    layer = make(nn)
    row = summary(nn.Sequential(layer), shape).rows[0]
    printed = _printed_sizes(row.shape_arithmetic)
    assert printed, row.shape_arithmetic
    t_layer = make(torch.nn)
    expected = tuple(t_layer(torch.zeros((1,) + shape)).shape[2:])
    sizes = [n for _, n in printed]
    assert tuple(sizes if len(sizes) == len(expected) else sizes * len(expected)) == expected
    for value, n in printed:
        assert value == n, row.shape_arithmetic  # the line computes what it claims
    assert row.output_shape[2:] == layer(gn.tensor(np.zeros((1,) + shape, np.float32))).shape[2:]


def test_a_first_layer_mismatch_suggests_the_input_not_a_previous_layer():
    with pytest.raises(ValueError) as info:
        summary(nn.Sequential(nn.Conv2d(3, 8, 3)), (1, 12, 12))
    assert str(info.value) == (
        "summary: layer 0 (Conv2d) expects 3 input channels but receives 1 (input shape "
        "(1, 1, 12, 12)): set in_channels=1, or give inputs with 3 channels")


def test_summary_leaves_the_model_its_buffers_and_the_random_stream_alone():
    import numpy as np

    import glassnet as gn

    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Dropout(0.5),
                          nn.Sequential(nn.Linear(3, 2)))
    model[3].eval()  # a mixed state, to be kept as it is
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    gn.manual_seed(0)
    expected_draw = gn.rand(3).data
    gn.manual_seed(0)
    s = summary(model, (4,))  # batch 1: fine for BatchNorm1d, as it walks in eval mode
    assert [r.output_shape for r in s.rows] == [(1, 3), (1, 3), (1, 3), (1, 2)]
    np.testing.assert_array_equal(gn.rand(3).data, expected_draw)
    assert [m.training for m in model.modules()] == modes
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k], err_msg=k)
    summary(model, (4,), batch_size=2)
    assert model[1].num_batches_tracked.item() == 0


@pytest.mark.parametrize("layers", [
    [nn.MaxPool2d(2)],
    [nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(676, 10)],
])
def test_an_input_shape_without_channels_is_named_not_misread(layers):
    # (28, 28) is one sample without its channel dim: summary adds the batch dim, and the
    # layer must not read (1, 28, 28) as an unbatched image with one "channel"
    with pytest.raises(ValueError, match=r"without the batch dimension, \(C, H, W\)"):
        summary(nn.Sequential(*layers), (28, 28))
    assert summary(nn.Sequential(*layers), (1, 28, 28)).rows


def test_adaptive_pooling_checks_for_the_channel_dimension():
    with pytest.raises(ValueError, match=r"layer 0 \(AdaptiveAvgPool2d\) expects input "
                                         r"\(N, C, H, W\), but receives \(1, 10, 10\)"):
        summary(nn.Sequential(nn.AdaptiveAvgPool2d(1)), (10, 10))
    assert summary(nn.Sequential(nn.AdaptiveAvgPool2d(1)), (3, 10, 10)).output_shape == \
        (1, 3, 1, 1)


def test_max_pool_with_indices_shows_the_values_shape():
    s = summary(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), (1, 4, 4))
    assert s.rows[0].output_shape == (1, 1, 2, 2)
    assert "also returns the indices" in s.rows[0].shape_arithmetic
    assert "also returns the indices" in str(s)
    # a layer after it would receive the (values, indices) tuple: say so
    with pytest.raises(ValueError, match=r"layer 1 \(Flatten\) receives a tuple, the "
                                         r"\(values, indices\) of layer 0 \(MaxPool2d\)"):
        summary(nn.Sequential(nn.MaxPool2d(2, return_indices=True), nn.Flatten()), (1, 4, 4))


def test_input_shape_takes_numpy_ints_and_refuses_none():
    import numpy as np

    model = nn.Sequential(nn.Linear(3, 4))
    assert summary(model, (np.int64(3),)).output_shape == (1, 4)
    assert summary(model, np.int32(3)).input_shape == (1, 3)
    assert summary(model, np.array([3])).output_shape == (1, 4)
    assert summary(model, (3,), batch_size=np.int64(2)).output_shape == (2, 4)
    with pytest.raises(TypeError, match="summary: input_shape must be a tuple of positive "
                                        "ints.*got None"):
        summary(model, None)
    with pytest.raises(ValueError, match=r"input_shape must be positive ints.*\(3\.0,\)"):
        summary(model, (3.0,))


@pytest.mark.parametrize("make, shape, why", [
    (lambda m: m.MaxPool2d(1, stride=2, ceil_mode=True), (1, 4, 4),
     "the last window would start past the end of the input)"),
    (lambda m: m.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), (1, 5, 5),
     "the last window would start in the padding)"),
    (lambda m: m.MaxPool2d(2, stride=5, padding=1, ceil_mode=True), (1, 3, 3),
     "the last window would start past the end of the input and its padding)"),
])
def test_ceil_mode_note_says_where_the_dropped_window_would_start(make, shape, why):
    import torch

    row = summary(nn.Sequential(make(nn)), shape).rows[0]
    assert row.shape_arithmetic.endswith(why), row.shape_arithmetic
    assert row.output_shape == tuple(make(torch.nn)(torch.zeros((1,) + shape)).shape)
    for value, n in _printed_sizes(row.shape_arithmetic):
        assert value == n
