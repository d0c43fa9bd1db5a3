"""Recurrent and embedding ops beyond the registry: whole-sequence gradient checks,
embedding's padding_idx / max_norm / scale_grad_by_freq against PyTorch, and bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.autograd import gradcheck
from glassnet.ops import rnn as rnn_ops


def _params(rng, gates, n_in, hid, scale=0.5):
    g = gates * hid
    return [gn.tensor(scale * rng.standard_normal(s), requires_grad=True)
            for s in ((g, n_in), (g, hid), (g,), (g,))]


# ------------------------------------------------------------------ sequence gradchecks
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_gradcheck_through_20_steps(reverse):
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((21, 2, 3)), requires_grad=True)
    h0 = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    c0 = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    params = _params(rng, 4, 3, 4)

    def fn(x, h0, c0, *p):
        return rnn_ops.lstm_layer(x, h0, c0, *p, reverse=reverse)

    assert gradcheck(fn, [x, h0, c0, *params], eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("reverse", [False, True])
def test_gru_layer_gradcheck_through_20_steps(reverse):
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.standard_normal((22, 2, 3)), requires_grad=True)
    h0 = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    params = _params(rng, 3, 3, 4)

    def fn(x, h0, *p):
        return rnn_ops.gru_layer(x, h0, *p, reverse=reverse)

    assert gradcheck(fn, [x, h0, *params], eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_rnn_layer_gradcheck_through_20_steps(act):
    rng = np.random.default_rng(2)
    x = gn.tensor(rng.standard_normal((20, 2, 3)), requires_grad=True)
    h0 = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    params = _params(rng, 1, 3, 4)

    def fn(x, h0, *p):
        return rnn_ops.rnn_layer(x, h0, *p, nonlinearity=act)

    assert gradcheck(fn, [x, h0, *params], eps=1e-6, atol=1e-5, rtol=1e-3)


def test_whole_stacked_bidirectional_lstm_and_gru_gradcheck():
    rng = np.random.default_rng(3)
    for cls in (nn.LSTM, nn.GRU):
        gn.manual_seed(0)
        layer = cls(3, 4, num_layers=2, bidirectional=True).double()
        x = gn.tensor(rng.standard_normal((20, 2, 3)), requires_grad=True)
        params = list(layer.parameters())

        def fn(x, *p, layer=layer):
            out, state = layer(x)
            h_n = state[0] if isinstance(state, tuple) else state
            return out, h_n

        assert gradcheck(fn, [x, *params], eps=1e-6, atol=1e-5, rtol=1e-3)


def test_lstm_cell_is_one_graph_node():
    rng = np.random.default_rng(4)
    x = gn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h, c = gn.zeros(2, 4).double(), gn.zeros(2, 4).double()
    h1, c1 = F.lstm_cell(x, (h, c), *_params(rng, 4, 3, 4))
    # h' and c' are views (Index nodes) of the same fused LSTM node
    assert h1.grad_fn.parents[0] is c1.grad_fn.parents[0]
    assert type(h1.grad_fn.parents[0].grad_fn).__name__ == "LSTM"


# ------------------------------------------------------------------ cell errors
def test_cell_errors_name_the_argument_and_shapes():
    rng = np.random.default_rng(5)
    w = _params(rng, 4, 3, 4)
    h = gn.zeros(2, 4).double()
    with pytest.raises(ValueError, match=r"lstm_cell: input has 5 features but w_ih expects "
                                         r"3 \(input shape \(2, 5\)"):
        F.lstm_cell(gn.zeros(2, 5).double(), (h, h), *w)
    with pytest.raises(ValueError, match=r"lstm_cell: c has shape \(3, 4\) but expected "
                                         r"\(2, 4\)"):
        F.lstm_cell(gn.zeros(2, 3).double(), (h, gn.zeros(3, 4).double()), *w)
    with pytest.raises(ValueError, match="lstm_cell: input must be 2-D"):
        F.lstm_cell(gn.zeros(3).double(), (h, h), *w)
    with pytest.raises(ValueError, match=r"gru_cell: w_hh must have shape \(3 \* hidden_size"):
        F.gru_cell(gn.zeros(2, 3).double(), h, w[0], w[1])
    with pytest.raises(TypeError, match="same dtype"):
        F.rnn_tanh_cell(gn.zeros(2, 3, dtype=np.float32), h.double(),
                        *_params(rng, 1, 3, 4))


# ------------------------------------------------------------------ embedding
def _emb_pair(num=7, dim=4, seed=0):
    w = np.random.default_rng(seed).standard_normal((num, dim))
    return gn.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)


@pytest.mark.parametrize("kwargs", [{"padding_idx": 3}, {"padding_idx": -2},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 1, "scale_grad_by_freq": True}])
def test_embedding_gradient_options_match_torch(kwargs):
    ids = np.array([[1, 3, 3], [0, 5, 1], [3, 3, 6]])
    gw, tw = _emb_pair()
    out = F.embedding(gn.tensor(ids), gw, **kwargs)
    t_out = TF.embedding(torch.from_numpy(ids), tw, **kwargs)
    np.testing.assert_allclose(out.data, t_out.detach().numpy())
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.from_numpy(v))
    np.testing.assert_allclose(gw.grad.data, tw.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalises_weight_in_place_like_torch(norm_type):
    ids = np.array([[1, 2, 2], [0, 5, 1]])
    gw, tw = _emb_pair(seed=2)
    gw.data *= 3  # rows well above the max norm
    with torch.no_grad():
        tw *= 3
    out = F.embedding(gn.tensor(ids), gw, max_norm=1.5, norm_type=norm_type)
    t_out = TF.embedding(torch.from_numpy(ids), tw, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.data, tw.detach().numpy(), rtol=1e-12)  # same side effect
    untouched = [3, 4, 6]  # rows not looked up keep their norm
    assert np.all(np.linalg.norm(gw.data[untouched], axis=1) > 1.5)
    out.backward(np.ones(out.shape))
    t_out.backward(torch.ones(t_out.shape, dtype=torch.float64))
    np.testing.assert_allclose(gw.grad.data, tw.grad.numpy())


def test_embedding_max_norm_float32_and_second_lookup_keeps_first_node_valid():
    layer = nn.Embedding(10, 3, max_norm=1.0)
    t_layer = torch.nn.Embedding(10, 3, max_norm=1.0)
    layer.load_state_dict({"weight": t_layer.weight.detach().numpy().copy()})
    a, b = np.array([1, 2, 3]), np.array([4, 5, 1])
    loss = layer(gn.tensor(a)).sum() + layer(gn.tensor(b)).sum()  # the second lookup renorms
    t_loss = t_layer(torch.from_numpy(a)).sum() + t_layer(torch.from_numpy(b)).sum()
    loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(layer.weight.data, t_layer.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.data, t_layer.weight.grad.numpy())


def test_embedding_layer_init_padding_and_state_dict():
    gn.manual_seed(0)
    layer = nn.Embedding(1000, 16, padding_idx=-1)
    assert layer.padding_idx == 999
    w = layer.weight.data
    assert w.shape == (1000, 16) and w.dtype == np.float32
    assert not w[999].any()
    assert abs(w[:999].mean()) < 0.02 and abs(w[:999].std() - 1) < 0.02  # N(0, 1)
    assert list(layer.state_dict()) == list(torch.nn.Embedding(5, 2).state_dict())
    assert "padding_idx=999" in repr(layer)
    frozen = nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32))
    assert not frozen.weight.requires_grad
    assert frozen(gn.tensor([2])).tolist() == [[0.0, 0.0, 1.0]]


def test_embedding_bad_ids():
    w = gn.randn(5, 2, requires_grad=True)
    before = w.data.copy()
    with pytest.raises(IndexError, match=r"token id 7 at position \(1, 0\) is out of range "
                                         r"for num_embeddings 5"):
        F.embedding(gn.tensor([[0, 1], [7, 2]]), w, max_norm=0.1)
    with pytest.raises(IndexError, match=r"token id -1 at position \(2,\)"):
        F.embedding(gn.tensor([0, 1, -1]), w)
    np.testing.assert_array_equal(w.data, before)  # max_norm did not run
    with pytest.raises(TypeError, match=r"integer tensor of token ids, got dtype float32"):
        F.embedding(gn.tensor([0.0, 1.0]), w)
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(gn.tensor([0]), w, padding_idx=5)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=-6)


# ------------------------------------------------- zero initial states, one bias, frozen inputs
def _torch_layer(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """The same layer as a loop of PyTorch's cells (a missing bias is a zero that wants no
    gradient), for the ops' shortcuts: zero h0, one bias, frozen inputs, non-finite values."""
    gates = w_ih.shape[0]
    zero = torch.zeros(gates, dtype=x.dtype)
    b_ih = zero if b_ih is None else b_ih
    b_hh = zero if b_hh is None else b_hh
    h, c, outs = h0, c0, [None] * x.shape[0]
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        if kind == "lstm":
            h, c = torch.lstm_cell(x[t], (h, c), w_ih, w_hh, b_ih, b_hh)
        elif kind == "gru":
            h = torch.gru_cell(x[t], h, w_ih, w_hh, b_ih, b_hh)
        else:
            h = torch.rnn_tanh_cell(x[t], h, w_ih, w_hh, b_ih, b_hh)
        outs[t] = h
    return torch.stack(outs + ([c] if kind == "lstm" else []))


def _glassnet_layer(kind, x, h0, c0, *params, reverse):
    if kind == "lstm":
        return rnn_ops.lstm_layer(x, h0, c0, *params, reverse=reverse)
    if kind == "gru":
        return rnn_ops.gru_layer(x, h0, *params, reverse=reverse)
    return rnn_ops.rnn_layer(x, h0, *params, reverse=reverse)


STATE_CASES = {  # (h0, c0): "zero" or "random", and whether they want a gradient
    "zero-h0-wants-grad": ("zero", "random", True),
    "zero-h0-random-c0-frozen": ("zero", "random", False),
    "random-h0-zero-c0": ("random", "zero", True),
    "zero-states-frozen": ("zero", "zero", False),
}
BIASES = {"both": (True, True), "ih-only": (True, False), "hh-only": (False, True),
          "none": (False, False)}


@pytest.mark.parametrize("frozen", [(), ("x", "b_ih")], ids=["all-train", "x-and-b_ih-frozen"])
@pytest.mark.parametrize("bias", list(BIASES))
@pytest.mark.parametrize("state", list(STATE_CASES))
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_layer_shortcuts_match_torch(kind, reverse, state, bias, frozen):
    rng = np.random.default_rng(7)
    steps, batch, n_in, hid = 5, 2, 3, 4
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    h_kind, c_kind, state_grad = STATE_CASES[state]
    arrays = {
        "x": rng.standard_normal((steps, batch, n_in)),
        "h0": np.zeros((batch, hid)) if h_kind == "zero" else rng.standard_normal((batch, hid)),
        "c0": np.zeros((batch, hid)) if c_kind == "zero" else rng.standard_normal((batch, hid)),
        "w_ih": 0.5 * rng.standard_normal((gates * hid, n_in)),
        "w_hh": 0.5 * rng.standard_normal((gates * hid, hid)),
        "b_ih": rng.standard_normal(gates * hid) if BIASES[bias][0] else None,
        "b_hh": rng.standard_normal(gates * hid) if BIASES[bias][1] else None,
    }
    wants = {name: a is not None and name not in frozen
             and (state_grad or name not in ("h0", "c0")) for name, a in arrays.items()}
    g = {k: None if a is None else gn.tensor(a, requires_grad=wants[k]) for k, a in arrays.items()}
    t = {k: None if a is None else torch.tensor(a, requires_grad=wants[k])
         for k, a in arrays.items()}
    names = ("w_ih", "w_hh", "b_ih", "b_hh")
    out = _glassnet_layer(kind, g["x"], g["h0"], g["c0"], *(g[n] for n in names),
                          reverse=reverse)
    t_out = _torch_layer(kind, t["x"], t["h0"], t["c0"], *(t[n] for n in names), reverse)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(torch.from_numpy(upstream))
    for name, want in wants.items():
        if name == "c0" and kind != "lstm":
            continue
        if not want:
            assert g[name] is None or g[name].grad is None, name
            continue
        np.testing.assert_allclose(g[name].grad.data, t[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=f"gradient of {name}")


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_with_zero_h0_still_turns_inf_weights_and_grads_into_nan_like_torch(reverse):
    """The zero-h0 shortcut must not hide inf * 0 = NaN: not from an inf in W_hh (forward)
    nor from an inf in the gradient that reaches the step that read h0 (dW_hh)."""
    rng = np.random.default_rng(0)
    steps, batch, n_in, hid = 3, 2, 4, 5
    x, zeros = rng.standard_normal((steps, batch, n_in)), np.zeros((batch, hid))
    w_ih = rng.standard_normal((4 * hid, n_in))
    w_hh = rng.standard_normal((4 * hid, hid))
    b = rng.standard_normal(4 * hid)
    bad = w_hh.copy()
    bad[0, 0] = np.inf
    out = rnn_ops.lstm_layer(gn.tensor(x), zeros, zeros, w_ih, bad, b, b, reverse=reverse)
    t_out = _torch_layer("lstm", torch.tensor(x), torch.tensor(zeros), torch.tensor(zeros),
                         torch.tensor(w_ih), torch.tensor(bad), torch.tensor(b),
                         torch.tensor(b), reverse)
    assert np.isnan(t_out.numpy()).any()
    np.testing.assert_array_equal(np.isnan(out.data), np.isnan(t_out.numpy()))

    w = gn.tensor(w_hh, requires_grad=True)
    t_w = torch.tensor(w_hh, requires_grad=True)
    out = rnn_ops.lstm_layer(gn.tensor(x), zeros, zeros, w_ih, w, b, b, reverse=reverse)
    t_out = _torch_layer("lstm", torch.tensor(x), torch.tensor(zeros), torch.tensor(zeros),
                         torch.tensor(w_ih), t_w, torch.tensor(b), torch.tensor(b), reverse)
    upstream = np.zeros(out.shape)
    upstream[steps - 1 if reverse else 0, 0, 0] = np.inf  # reaches only the h0 step's dA
    out.backward(upstream)
    t_out.backward(torch.from_numpy(upstream))
    assert np.isnan(t_w.grad.numpy()).any()
    np.testing.assert_array_equal(np.isnan(w.grad.data), np.isnan(t_w.grad.numpy()))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layer_takes_an_empty_batch_like_torch(kind):
    layer, t_layer = getattr(nn, kind)(4, 5), getattr(torch.nn, kind)(4, 5)
    out, _ = layer(gn.zeros(3, 0, 4))
    t_out, _ = t_layer(torch.zeros(3, 0, 4))
    assert out.shape == tuple(t_out.shape) == (3, 0, 5)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layer_backward_through_an_empty_batch_like_torch(kind, bidirectional):
    layer = getattr(nn, kind)(4, 5, num_layers=2, bidirectional=bidirectional)
    t_layer = getattr(torch.nn, kind)(4, 5, num_layers=2, bidirectional=bidirectional)
    x = gn.zeros(3, 0, 4, requires_grad=True)
    t_x = torch.zeros(3, 0, 4, requires_grad=True)
    out, _ = layer(x)
    out.sum().backward()
    t_out, _ = t_layer(t_x)
    t_out.sum().backward()
    assert x.grad.shape == tuple(t_x.grad.shape) == (3, 0, 4)
    for (name, p), t_p in zip(layer.named_parameters(), t_layer.parameters()):
        assert p.grad.shape == tuple(t_p.grad.shape), name
        np.testing.assert_array_equal(p.grad.data, t_p.grad.numpy(), err_msg=name)  # all zero


def test_a_relu_rnn_passes_the_gradient_through_a_nan_like_torch():
    # relu's backward gives the upstream gradient where the output is NaN (its test is
    # "out <= 0"); the RNN's own relu derivative used out > 0 and gave 0 there
    x = np.array([[np.nan, 1.0]])
    w_ih, w_hh, b = np.eye(2), np.zeros((2, 2)), np.zeros(2)
    h = np.zeros((1, 2))
    leaves = [gn.tensor(a, requires_grad=True) for a in (w_ih, b)]
    out = F.rnn_relu_cell(gn.tensor(x), gn.tensor(h), leaves[0], gn.tensor(w_hh), leaves[1])
    out.backward(np.ones((1, 2)))
    t_leaves = [torch.tensor(a, requires_grad=True) for a in (w_ih, b)]
    t_out = torch.rnn_relu_cell(torch.tensor(x), torch.tensor(h), t_leaves[0],
                                torch.tensor(w_hh), t_leaves[1], None)
    t_out.backward(torch.ones((1, 2), dtype=torch.float64))
    np.testing.assert_array_equal(leaves[1].grad.data, t_leaves[1].grad.numpy())  # [1, 1]
