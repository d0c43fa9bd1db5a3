"""Tests of glassnet.classic.backprop.TextbookMLP: its hand-written deltas and gradients
against glassnet's autograd on the same nn.Sequential, SGD steps against nn + optim.SGD,
weight round trips and bad input."""

import zlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim
from glassnet.classic import ACTIVATIONS, TextbookMLP

SIZES = [3, 5, 4, 2]


def layer(name):
    """The nn layer for an activation name, built here independently of TextbookMLP."""
    return {"identity": nn.Identity(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(),
            "relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.01), "elu": nn.ELU(1.0),
            "softplus": nn.Softplus(1.0, 20.0)}[name]


def reference(hidden, output, make_layer=None):
    """An nn.Sequential in float64; ``output`` None ends it with the bare Linear (logits).
    ``make_layer`` builds an activation layer from its name (default: ``layer``)."""
    make_layer = make_layer or layer
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out, dtype=np.float64))
        last = i == len(SIZES) - 2
        if not last:
            layers.append(make_layer(hidden))
        elif output is not None:
            layers.append(make_layer(output))
    return nn.Sequential(*layers)


def copy_weights(model, net):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for l, lin in enumerate(linears, start=1):
        net.W[l] = lin.weight.data.copy()
        net.b[l] = lin.bias.data.copy()


def data(loss, batch, rng):
    """x and a target: (n_0,) and a single target when batch is None, else (batch, ...)."""
    shape = (SIZES[0],) if batch is None else (batch, SIZES[0])
    x = rng.normal(size=shape)
    out = () if batch is None else (batch,)
    if loss == "mse":
        y = rng.normal(size=out + (SIZES[-1],))
    elif loss == "binary_cross_entropy":
        y = rng.uniform(size=out + (SIZES[-1],))       # soft targets are fine for BCE
        y[..., 0] = rng.integers(0, 2, size=out)       # and hard ones
    else:
        y = rng.integers(0, SIZES[-1], size=out)
    return x, y


def autograd_grads(model, x, y, loss):
    out = model(gn.tensor(x))
    if loss == "mse":
        value = F.mse_loss(out, gn.tensor(y))
    elif loss == "binary_cross_entropy":
        value = F.binary_cross_entropy(out, gn.tensor(y))
    else:
        value = F.cross_entropy(out, gn.tensor(y))
    value.backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return value.item(), [m.weight.grad.numpy() for m in linears], \
        [m.bias.grad.numpy() for m in linears]


CASES = [(act, "mse", "identity") for act in ACTIVATIONS] \
    + [(act, "mse", act) for act in ACTIVATIONS if act != "identity"] \
    + [(act, "binary_cross_entropy", "sigmoid") for act in ACTIVATIONS] \
    + [(act, "cross_entropy", "softmax") for act in ACTIVATIONS]


@pytest.mark.parametrize("batch", [None, 1, 7])
@pytest.mark.parametrize("hidden,loss,output", CASES)
def test_gradients_equal_autograd(hidden, loss, output, batch):
    rng = np.random.default_rng(zlib.crc32(f"{hidden} {loss} {output} {batch}".encode()))
    model = reference(hidden, None if output in ("softmax",) else output)
    net = TextbookMLP(SIZES, hidden, output, loss)
    copy_weights(model, net)
    x, y = data(loss, batch, rng)
    y_hat = net.forward(x)
    assert y_hat.shape == ((SIZES[-1],) if batch is None else (batch, SIZES[-1]))
    value = net.compute_loss(y)
    net.backward(y)
    ref_value, ref_dW, ref_db = autograd_grads(model, x, y, loss)
    assert value == pytest.approx(ref_value, rel=1e-12, abs=1e-14)
    for l in range(1, net.L + 1):
        assert net.dW[l].shape == net.W[l].shape and net.db[l].shape == net.b[l].shape
        np.testing.assert_allclose(net.dW[l], ref_dW[l - 1], rtol=0, atol=1e-10)
        np.testing.assert_allclose(net.db[l], ref_db[l - 1], rtol=0, atol=1e-10)
        assert net.delta[l].shape == net.z[l].shape


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "elu"])
def test_kinks_take_pytorchs_value(hidden):
    # W_1 = 0 and b_1 = 0 put every z_1 exactly at the kink 0: relu'(0) = 0,
    # leaky_relu'(0) = negative_slope, elu'(0) = alpha, as autograd (and PyTorch) take them
    model = reference(hidden, "identity")
    model[0].weight.data[...] = 0.0
    model[0].bias.data[...] = 0.0
    net = TextbookMLP(SIZES, hidden, "identity", "mse")
    copy_weights(model, net)
    x, y = data("mse", 4, np.random.default_rng(0))
    net.forward(x)
    net.backward(y)
    _, ref_dW, ref_db = autograd_grads(model, x, y, "mse")
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(net.dW[l], ref_dW[l - 1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.db[l], ref_db[l - 1], rtol=0, atol=1e-12)


def test_deltas_follow_the_recursion_by_hand():
    # a 1-1-1 network with identity activations and mse, by hand:
    # z1 = 2*3 + 1 = 7, z2 = 0.5*7 - 1 = 2.5, L = (2.5 - 1)^2, delta2 = 2 (2.5 - 1) = 3,
    # delta1 = delta2 * W2 = 1.5, dW2 = h1 delta2 = 21, dW1 = x delta1 = 4.5
    net = TextbookMLP([1, 1, 1], "identity", "identity", "mse")
    net.W[1][...], net.b[1][...] = 2.0, 1.0
    net.W[2][...], net.b[2][...] = 0.5, -1.0
    assert net.forward(np.array([3.0])) == pytest.approx([2.5])
    assert net.compute_loss(np.array([1.0])) == pytest.approx(2.25)
    net.backward(np.array([1.0]))
    assert net.delta[2].item() == pytest.approx(3.0)
    assert net.delta[1].item() == pytest.approx(1.5)
    assert net.dW[2].item() == pytest.approx(21.0) and net.db[2].item() == pytest.approx(3.0)
    assert net.dW[1].item() == pytest.approx(4.5) and net.db[1].item() == pytest.approx(1.5)


def test_cross_entropy_with_probability_targets():
    rng = np.random.default_rng(5)
    model = reference("tanh", None)
    net = TextbookMLP(SIZES, "tanh", loss="cross_entropy")
    copy_weights(model, net)
    x = rng.normal(size=(6, SIZES[0]))
    y = rng.dirichlet(np.ones(SIZES[-1]), size=6)
    net.forward(x)
    net.backward(y)
    _, ref_dW, ref_db = autograd_grads(model, x, y, "cross_entropy")
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(net.dW[l], ref_dW[l - 1], rtol=0, atol=1e-10)
        np.testing.assert_allclose(net.db[l], ref_db[l - 1], rtol=0, atol=1e-10)


@pytest.mark.parametrize("loss,output", [("mse", "identity"), ("cross_entropy", "softmax")])
def test_sgd_steps_equal_nn_and_optim_sgd(loss, output):
    rng = np.random.default_rng(11)
    model = reference("relu", None if output == "softmax" else output)
    net = TextbookMLP(SIZES, "relu", output, loss)
    copy_weights(model, net)
    opt = optim.SGD(model.parameters(), lr=0.3)
    for _ in range(4):
        x, y = data(loss, 8, rng)
        net.train_step(x, y, lr=0.3)
        opt.zero_grad()
        autograd_grads(model, x, y, loss)
        opt.step()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for l, lin in enumerate(linears, start=1):
        np.testing.assert_allclose(net.W[l], lin.weight.data, rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.b[l], lin.bias.data, rtol=0, atol=1e-12)


def test_round_trip_with_nn_sequential():
    net = TextbookMLP([4, 6, 3], "leaky_relu", "sigmoid", "binary_cross_entropy",
                      negative_slope=0.2, seed=0)
    model = net.to_module()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(6, 4), (3, 6)]   # (out, in)
    assert isinstance(model[1], nn.LeakyReLU) and model[1].negative_slope == 0.2
    assert isinstance(model[-1], nn.Sigmoid)
    x = np.random.default_rng(1).normal(size=(5, 4))
    np.testing.assert_allclose(model(gn.tensor(x)).data, net.forward(x), atol=1e-14)
    back = TextbookMLP.from_module(model, loss="binary_cross_entropy")
    assert back.sizes == [4, 6, 3] and back.activations == net.activations
    assert back.negative_slope == 0.2
    for l in (1, 2):
        np.testing.assert_array_equal(back.W[l], net.W[l])
        np.testing.assert_array_equal(back.b[l], net.b[l])


def test_from_module_cross_entropy_reads_logits_model():
    model = reference("elu", None)
    net = TextbookMLP.from_module(model, loss="cross_entropy")
    assert net.activations[1:] == ["elu", "elu", "softmax"]
    x = np.random.default_rng(2).normal(size=(3, SIZES[0]))
    logits = model(gn.tensor(x)).data
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net.forward(x), probs, atol=1e-14)
    assert not isinstance(net.to_module()[-1], nn.Softmax)  # the loss applies the softmax


def test_initial_weights_are_seeded_and_pytorch_shaped():
    a, b = TextbookMLP([3, 4, 2], seed=7), TextbookMLP([3, 4, 2], seed=7)
    np.testing.assert_array_equal(a.W[1], b.W[1])
    assert a.W[1].shape == (4, 3) and a.b[2].shape == (2,) and a.W[0] is None
    assert np.all(np.abs(a.W[1]) <= 1 / np.sqrt(3))


# ---- bad input ---------------------------------------------------------------------------

def test_unsupported_names():
    with pytest.raises(ValueError, match="unsupported activation 'swish'"):
        TextbookMLP([2, 3, 1], "swish")
    with pytest.raises(ValueError, match="unsupported output_activation 'gelu'"):
        TextbookMLP([2, 3, 1], "tanh", "gelu")
    with pytest.raises(ValueError, match="unsupported loss 'hinge'"):
        TextbookMLP([2, 3, 1], loss="hinge")
    with pytest.raises(ValueError, match="'binary_cross_entropy' is written for a 'sigmoid'"):
        TextbookMLP([2, 3, 1], "tanh", "identity", "binary_cross_entropy")
    with pytest.raises(ValueError, match="'softmax' output is supported only with"):
        TextbookMLP([2, 3, 2], "tanh", "softmax", "mse")
    with pytest.raises(ValueError, match="2 hidden layers.*need 2 activations, got 1"):
        TextbookMLP([2, 3, 3, 1], ["tanh"])
    with pytest.raises(ValueError, match="sizes"):
        TextbookMLP([2])


def test_shape_mismatches():
    net = TextbookMLP([3, 4, 2], "tanh", seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(3,\) or \(N, 3\).*\(5, 4\)"):
        net.forward(np.zeros((5, 4)))
    with pytest.raises(RuntimeError, match="call forward"):
        net.backward(np.zeros((5, 2)))
    net.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"target y has shape \(5,\).*\(5, 2\)"):
        net.backward(np.zeros(5))
    ce = TextbookMLP([3, 4, 2], "tanh", loss="cross_entropy", seed=0)
    ce.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="class index 2 but the output has 2 classes"):
        ce.backward(np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match=r"\(5,\) class indices.*got shape \(4,\)"):
        ce.backward(np.array([0, 1, 1, 0]))


def test_from_module_names_the_layer_it_cannot_lay_out():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="layer 1 \\(Dropout\\)"):
        TextbookMLP.from_module(model)
    with pytest.raises(TypeError, match="Sequential"):
        TextbookMLP.from_module(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="no bias"):
        TextbookMLP.from_module(nn.Sequential(nn.Linear(2, 3, bias=False)))


PARAMS = {"negative_slope": 0.2, "alpha": 0.7, "beta": 2.0, "threshold": 1.5}


def layer_with(name):
    """The nn layer with PARAMS' (non-default) parameters."""
    return {"leaky_relu": nn.LeakyReLU(PARAMS["negative_slope"]), "elu": nn.ELU(PARAMS["alpha"]),
            "softplus": nn.Softplus(PARAMS["beta"], PARAMS["threshold"])}[name]


@pytest.mark.parametrize("hidden", ["leaky_relu", "elu", "softplus"])
@pytest.mark.parametrize("at_kink", [False, True], ids=["spread", "kink"])
def test_activation_parameters_reach_forward_and_backward(hidden, at_kink):
    # non-default parameters (and inputs wide enough to cross softplus's threshold, where it
    # turns linear), and with W_1 = b_1 = 0 every z_1 at 0: elu'(0) = alpha = 0.7 here
    model = reference(hidden, None, layer_with)
    if at_kink:
        model[0].weight.data[...] = 0.0
        model[0].bias.data[...] = 0.0
    net = TextbookMLP(SIZES, hidden, "identity", "mse", **PARAMS)
    copy_weights(model, net)
    x, y = data("mse", 6, np.random.default_rng(1))
    x = 3 * x  # |z| well past the threshold 1.5 / beta for some units
    out = net.forward(x)
    np.testing.assert_allclose(out, model(gn.tensor(x)).data, rtol=1e-12, atol=1e-12)
    net.backward(y)
    _, ref_dW, ref_db = autograd_grads(model, x, y, "mse")
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(net.dW[l], ref_dW[l - 1], rtol=0, atol=1e-10)
        np.testing.assert_allclose(net.db[l], ref_db[l - 1], rtol=0, atol=1e-10)


def test_bce_gradient_matches_autograd_where_the_sigmoid_saturates():
    # z = -40: y_hat (1 - y_hat) ~ 4e-18 < 1e-12, where PyTorch clamps BCE's denominator, so
    # the textbook simplification delta = (y_hat - y) / n would be off by ~2e5
    model = nn.Sequential(nn.Linear(1, 1, dtype=np.float64), nn.Sigmoid())
    model[0].weight.data[...] = 40.0
    model[0].bias.data[...] = 0.0
    net = TextbookMLP([1, 1], loss="binary_cross_entropy", seed=0)
    copy_weights(model, net)
    net.forward(np.array([[-1.0], [0.02]]))
    net.backward(np.array([[0.3], [1.0]]))
    x = gn.tensor(np.array([[-1.0], [0.02]]))
    F.binary_cross_entropy(model(x), gn.tensor(np.array([[0.3], [1.0]]))).backward()
    np.testing.assert_allclose(net.dW[1], model[0].weight.grad.data, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(net.db[1], model[0].bias.grad.data, rtol=1e-10, atol=1e-15)
