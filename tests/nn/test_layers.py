"""Every layer against its PyTorch twin through the shared ``check_layer`` helper."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn
from tests.nn.layer_check import check_layer

LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5)),
    ("linear-nobias", lambda: nn.Linear(5, 3, bias=False),
     lambda: torch.nn.Linear(5, 3, bias=False), (4, 5)),
    ("linear-3d", lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (2, 4, 5)),
    ("mlp", lambda: nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)),
     lambda: torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 3)), (5, 6)),
    ("relu", nn.ReLU, torch.nn.ReLU, (3, 4)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 4)),
    ("elu", lambda: nn.ELU(0.7), lambda: torch.nn.ELU(0.7), (3, 4)),
    ("sigmoid", nn.Sigmoid, torch.nn.Sigmoid, (3, 4)),
    ("tanh", nn.Tanh, torch.nn.Tanh, (3, 4)),
    ("gelu", nn.GELU, torch.nn.GELU, (3, 4)),
    ("gelu-tanh", lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (3, 4)),
    ("softplus", lambda: nn.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0), (3, 4)),
    ("softmax", lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (3, 4)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1), (3, 4)),
    ("flatten", nn.Flatten, torch.nn.Flatten, (2, 3, 4, 5)),
    ("unflatten", lambda: nn.Unflatten(1, (3, 4)), lambda: torch.nn.Unflatten(1, (3, 4)),
     (2, 12)),
    ("identity", nn.Identity, torch.nn.Identity, (3, 4)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,make,make_torch,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(name, make, make_torch, shape, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    check_layer(make(), make_torch(), shape, dtype=dtype, **tol)


def test_maxout_layer_takes_the_max_of_each_group():
    layer = nn.Maxout(pieces=2)
    x = gn.tensor([[1.0, 5.0, -2.0, -3.0]])
    assert layer(x).tolist() == [[5.0, -2.0]]


def test_dropout_layer_is_identity_in_eval_and_scales_in_training():
    layer = nn.Dropout(0.5)
    x = gn.ones(1000)
    out = layer(x).data
    assert set(np.unique(out)) <= {0.0, 2.0} and 0.4 < (out == 0).mean() < 0.6
    layer.eval()
    assert layer(x) is x or np.array_equal(layer(x).data, x.data)


def test_inplace_dropout_writes_into_its_input_and_matches_the_out_of_place_layer():
    x_np = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    results = []
    for inplace in (False, True):
        gn.manual_seed(3)  # the same mask for both
        linear = nn.Linear(6, 5)
        x = gn.tensor(x_np)
        hidden = linear(x)
        out = nn.Dropout(0.4, inplace=inplace)(hidden)
        assert (out is hidden) == inplace
        (out * out).sum().backward()
        results.append((out.data.copy(), linear.weight.grad.data.copy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert repr(nn.Dropout(0.3, inplace=True)) == "Dropout(p=0.3, inplace=True)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"


def test_inplace_dropout_after_an_op_that_saved_its_output_refuses_backward_like_torch():
    x_np = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5, inplace=True))
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                  torch.nn.Dropout(0.5, inplace=True))
    with pytest.raises(RuntimeError, match="its output of node <ReLUBackward>"):
        model(gn.tensor(x_np)).sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t_model(torch.from_numpy(x_np)).sum().backward()


def test_inplace_dropout_on_a_leaf_that_requires_grad_is_refused_and_changes_nothing():
    w = gn.ones(5, requires_grad=True)
    with pytest.raises(RuntimeError, match="dropout: a leaf tensor that requires grad"):
        gn.functional.dropout(w, 0.5, training=True, inplace=True)
    assert w.tolist() == [1.0] * 5
    with pytest.raises(TypeError, match="inplace=True needs a floating point Tensor"):
        gn.functional.dropout(gn.tensor([1, 2]), 0.5, inplace=True)
    layer = nn.Dropout(0.5, inplace=True).eval()
    x = gn.ones(5)
    assert layer(x) is x and x.tolist() == [1.0] * 5


def test_losses_modules_match_functional():
    import glassnet.functional as F

    x = gn.randn(4, 3)
    y = gn.tensor([0, 2, 1, 0])
    assert nn.CrossEntropyLoss()(x, y).item() == F.cross_entropy(x, y).item()
    assert nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum")(x, y).item() == \
        F.cross_entropy(x, y, label_smoothing=0.1, reduction="sum").item()
    t = gn.randn(4, 3)
    assert nn.MSELoss()(x, t).item() == F.mse_loss(x, t).item()
    assert nn.HuberLoss(delta=0.5)(x, t).item() == F.huber_loss(x, t, delta=0.5).item()
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        nn.MSELoss(reduction="avg")
