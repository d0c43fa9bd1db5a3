"""RNN, LSTM, GRU and their cells against PyTorch: same weights through state_dict, then
outputs, final states, input/state gradients and EVERY parameter's gradient."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim

LAYERS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
          "GRU": (nn.GRU, torch.nn.GRU)}

CONFIGS = [
    ("basic", {}, (6, 3, 5)),
    ("2-layers", {"num_layers": 2}, (6, 3, 5)),
    ("bidirectional", {"bidirectional": True}, (6, 3, 5)),
    ("2-layers-bidirectional", {"num_layers": 2, "bidirectional": True}, (5, 2, 5)),
    ("batch_first", {"batch_first": True}, (3, 6, 5)),
    ("no-bias", {"bias": False, "num_layers": 2}, (6, 3, 5)),
    ("unbatched", {"num_layers": 2, "bidirectional": True}, (6, 5)),
    ("batch_first-bidirectional-3-layers", {"batch_first": True, "bidirectional": True,
                                            "num_layers": 3}, (2, 4, 5)),
    ("one-step", {}, (1, 2, 5)),
]


def _states(kind, layer, shape, rng, dtype):
    d = 2 if layer.bidirectional else 1
    batched = len(shape) == 3
    batch = (shape[0] if layer.batch_first else shape[1]) if batched else None
    s = (d * layer.num_layers,) + ((batch,) if batched else ()) + (4,)
    n = 2 if kind == "LSTM" else 1
    return [rng.standard_normal(s).astype(dtype) for _ in range(n)]


def _compare(kind, kwargs, shape, dtype, with_states, relu=False):
    rng = np.random.default_rng(0)
    cls, tcls = LAYERS[kind]
    extra = {"nonlinearity": "relu"} if relu else {}
    t = tcls(5, 4, **kwargs, **extra).to(torch.float64 if dtype == np.float64 else torch.float32)
    g = cls(5, 4, **kwargs, **extra).to(dtype)
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict({k: v.numpy().copy() for k, v in t.state_dict().items()})
    x = rng.standard_normal(shape).astype(dtype)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gs = ts = None
    if with_states:
        arrays = _states(kind, g, shape, rng, dtype)
        gs = [gn.tensor(a, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    hx_g = None if gs is None else (tuple(gs) if kind == "LSTM" else gs[0])
    hx_t = None if ts is None else (tuple(ts) if kind == "LSTM" else ts[0])
    out, state = g(gx, hx_g)
    t_out, t_state = t(tx, hx_t)
    outs = [out, *(state if kind == "LSTM" else (state,))]
    t_outs = [t_out, *(t_state if kind == "LSTM" else (t_state,))]
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for o, to in zip(outs, t_outs):
        assert o.shape == tuple(to.shape)
        np.testing.assert_allclose(o.data, to.detach().numpy(), **tol)
    loss = sum((o * gn.tensor(rng.standard_normal(o.shape).astype(dtype))).sum() for o in outs)
    rng2 = np.random.default_rng(0)
    rng2.standard_normal(shape)
    if with_states:
        _states(kind, g, shape, rng2, dtype)
    t_loss = sum((to * torch.from_numpy(rng2.standard_normal(to.shape).astype(dtype))).sum()
                 for to in t_outs)
    loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), **tol)
    for s, st in zip(gs or [], ts or []):
        np.testing.assert_allclose(s.grad.data, st.grad.numpy(), **tol)
    t_params = dict(t.named_parameters())
    names = [n for n, _ in g.named_parameters()]
    assert names == list(t_params)
    for name, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.data, t_params[name].grad.numpy(), **tol,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_states", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("name,kwargs,shape", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layer_matches_torch(kind, name, kwargs, shape, with_states, dtype):
    _compare(kind, kwargs, shape, dtype, with_states)


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True}])
def test_rnn_relu_matches_torch(kwargs):
    _compare("RNN", kwargs, (6, 3, 5), np.float64, True, relu=True)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_default_init_is_uniform_1_over_sqrt_hidden(kind):
    gn.manual_seed(0)
    layer = LAYERS[kind][0](20, 64, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(64)
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.9 * bound, name
        assert p.shape[0] == gates * 64
    assert layer.weight_ih_l0.shape == (gates * 64, 20)
    assert layer.weight_ih_l1_reverse.shape == (gates * 64, 128)


# ------------------------------------------------------------------ cells
CELLS = [
    ("RNNCell", lambda: nn.RNNCell(5, 4), lambda: torch.nn.RNNCell(5, 4), 1),
    ("RNNCell-relu-nobias", lambda: nn.RNNCell(5, 4, bias=False, nonlinearity="relu"),
     lambda: torch.nn.RNNCell(5, 4, bias=False, nonlinearity="relu"), 1),
    ("LSTMCell", lambda: nn.LSTMCell(5, 4), lambda: torch.nn.LSTMCell(5, 4), 2),
    ("GRUCell", lambda: nn.GRUCell(5, 4), lambda: torch.nn.GRUCell(5, 4), 1),
    ("GRUCell-nobias", lambda: nn.GRUCell(5, 4, bias=False),
     lambda: torch.nn.GRUCell(5, 4, bias=False), 1),
]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name,make,make_torch,n_states", CELLS, ids=[c[0] for c in CELLS])
def test_cell_matches_torch(name, make, make_torch, n_states, with_state, batched):
    rng = np.random.default_rng(0)
    g, t = make().double(), make_torch().double()
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict({k: v.numpy().copy() for k, v in t.state_dict().items()})
    lead = (3,) if batched else ()
    x = rng.standard_normal(lead + (5,))
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hx_g = hx_t = None
    if with_state:
        arrays = [rng.standard_normal(lead + (4,)) for _ in range(n_states)]
        gs = [gn.tensor(a, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        hx_g, hx_t = (tuple(gs), tuple(ts)) if n_states == 2 else (gs[0], ts[0])
    out, t_out = g(gx, hx_g), t(tx, hx_t)
    outs = list(out) if n_states == 2 else [out]
    t_outs = list(t_out) if n_states == 2 else [t_out]
    for o, to in zip(outs, t_outs):
        np.testing.assert_allclose(o.data, to.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
    sum(o.sum() * (i + 1) for i, o in enumerate(t_outs)).backward()
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    t_params = dict(t.named_parameters())
    for pname, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.data, t_params[pname].grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


# ------------------------------------------------------------------ dropout, repr
def test_dropout_between_layers_only_in_training():
    gn.manual_seed(0)
    layer = nn.LSTM(5, 4, num_layers=3, dropout=0.5).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((6, 2, 5)))
    a, b = layer(x)[0].data, layer(x)[0].data
    assert not np.allclose(a, b)  # fresh masks each call
    layer.eval()
    t = torch.nn.LSTM(5, 4, num_layers=3, dropout=0.5).double().eval()
    layer.load_state_dict({k: v.numpy().copy() for k, v in t.state_dict().items()})
    np.testing.assert_allclose(layer(x)[0].data, t(torch.from_numpy(x.data))[0].detach(),
                               rtol=1e-10)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


def test_repr_matches_torch_style():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == \
        repr(torch.nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    # PyTorch's RNN leaves the nonlinearity out of its repr (its RNNCell shows it)
    assert repr(nn.RNN(3, 4, nonlinearity="relu", num_layers=2)) == \
        repr(torch.nn.RNN(3, 4, nonlinearity="relu", num_layers=2)) == "RNN(3, 4, num_layers=2)"


# ------------------------------------------------------------------ bad input
def test_wrong_feature_size_is_named_before_any_work():
    layer = nn.LSTM(8, 16)
    with pytest.raises(ValueError, match=r"^LSTM: input has 10 features but input_size is 8 "
                                         r"\(input shape \(35, 32, 10\)\)$"):
        layer(gn.zeros(35, 32, 10))
    with pytest.raises(ValueError, match=r"GRU: input must be 2-D .* got 4-D input of shape"):
        nn.GRU(8, 16)(gn.zeros(2, 3, 4, 8))
    with pytest.raises(ValueError, match="empty sequence"):
        nn.RNN(8, 16)(gn.zeros(0, 3, 8))
    with pytest.raises(TypeError, match="float64 but the layer's parameters are float32"):
        nn.RNN(8, 16)(gn.zeros(3, 2, 8).double())


def test_wrong_initial_state_names_expected_and_received_shapes():
    layer = nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
    x = gn.zeros(3, 5, 8)  # batch 3
    h = gn.zeros(4, 3, 16)
    with pytest.raises(ValueError, match=r"LSTM: c_0 has shape \(4, 5, 16\) but expected "
                                         r"\(4, 3, 16\)"):
        layer(x, (h, gn.zeros(4, 5, 16)))
    with pytest.raises(TypeError, match=r"LSTM: hx must be a pair"):
        layer(x, h)
    with pytest.raises(ValueError, match=r"GRU: h_0 has shape \(1, 16\) but expected "
                                         r"\(1, 2, 16\)"):
        nn.GRU(8, 16)(gn.zeros(5, 2, 8), gn.zeros(1, 16))
    with pytest.raises(ValueError, match=r"LSTMCell: h has shape \(2, 16\) but expected "
                                         r"\(3, 16\)"):
        nn.LSTMCell(8, 16)(gn.zeros(3, 8), (gn.zeros(2, 16), gn.zeros(3, 16)))
    for half in ((gn.zeros(3, 16), None), (None, gn.zeros(3, 16))):  # was zeros, silently
        with pytest.raises(TypeError, match=r"LSTMCell: hx must be a pair \(h, c\) of "
                                            r"Tensors, got [hc] = None"):
            nn.LSTMCell(8, 16)(gn.zeros(3, 8), half)
    with pytest.raises(ValueError, match="LSTM: dropout must be a number between 0 and 1"):
        nn.LSTM(8, 16, dropout=1.5)
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity 'sigmoid'"):
        nn.RNN(8, 16, nonlinearity="sigmoid")



def test_initial_state_of_the_wrong_dtype_is_named_not_blamed_on_the_input():
    x = gn.zeros(5, 2, 3)  # float32, the layer's dtype
    with pytest.raises(TypeError, match=r"^LSTM: h_0 has dtype float64 but the layer's "
                                        r"parameters are float32 \(h_0 shape \(1, 2, 4\)\)"):
        nn.LSTM(3, 4)(x, (gn.zeros(1, 2, 4).double(), gn.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match=r"^LSTM: c_0 has dtype int64"):
        nn.LSTM(3, 4)(x, (gn.zeros(1, 2, 4), gn.tensor(np.zeros((1, 2, 4), np.int64))))
    with pytest.raises(TypeError, match=r"^GRUCell: hx has dtype float64 .*\(hx shape \(2, 4\)\)"):
        nn.GRUCell(3, 4)(gn.zeros(2, 3), gn.zeros(2, 4).double())
    with pytest.raises(TypeError, match=r"^LSTMCell: c has dtype float64"):
        nn.LSTMCell(3, 4)(gn.zeros(2, 3), (gn.zeros(2, 4), gn.zeros(2, 4).double()))
    with pytest.raises(TypeError, match=r"^GRU: argument 'h_0' must be a Tensor, got str"):
        nn.GRU(3, 4)(x, "h")

def test_embedding_then_lstm_trains_like_torch():
    """A small language model end to end: Embedding -> LSTM -> Linear, cross-entropy on the
    next token, three Adam steps in both: outputs, every gradient and the final weights."""
    ids = np.random.default_rng(0).integers(0, 11, (8, 3))
    t_model = torch.nn.ModuleDict({"emb": torch.nn.Embedding(11, 6, padding_idx=0),
                                   "lstm": torch.nn.LSTM(6, 5), "head": torch.nn.Linear(5, 11)})
    model = nn.ModuleDict({"emb": nn.Embedding(11, 6, padding_idx=0), "lstm": nn.LSTM(6, 5),
                           "head": nn.Linear(5, 11)})
    t_model.double()
    model.double()
    model.load_state_dict({k: v.numpy().copy() for k, v in t_model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=0.01)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01)
    inputs, targets = ids[:-1], ids[1:]  # predict each next token
    for _ in range(3):
        out, (h, c) = model["lstm"](model["emb"](gn.tensor(inputs)))
        t_out, (th, tc) = t_model["lstm"](t_model["emb"](torch.from_numpy(inputs)))
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        logits = model["head"](out).reshape(-1, 11)
        t_logits = t_model["head"](t_out).reshape(-1, 11)
        loss = gn.functional.cross_entropy(logits, gn.tensor(targets.reshape(-1))) + \
            (h * h).sum() + c.sum()
        t_loss = torch.nn.functional.cross_entropy(
            t_logits, torch.from_numpy(targets.reshape(-1))) + (th * th).sum() + tc.sum()
        np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
        opt.zero_grad()
        t_opt.zero_grad()
        loss.backward()
        t_loss.backward()
        for (name, p), t_p in zip(model.named_parameters(), t_model.parameters(), strict=True):
            np.testing.assert_allclose(p.grad.data, t_p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)
        assert not model["emb"].weight.grad.data[0].any()  # padding_idx gets no gradient
        opt.step()
        t_opt.step()
    for key, value in t_model.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].data, value.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=key)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_ported_torch_idioms_run_and_a_zero_input_size_is_refused_like_torch(kind):
    layer = getattr(nn, kind)(3, 4)
    assert layer.flatten_parameters() is None  # before: AttributeError (torch: a CPU no-op)
    with pytest.raises(ValueError, match="input_size must be greater than zero"):
        getattr(torch.nn, kind)(0, 4)
    with pytest.raises(ValueError, match=rf"{kind}: input_size must be an int >= 1, got 0"):
        getattr(nn, kind)(0, 4)  # before: built, and ran on (L, N, 0) inputs


@pytest.mark.parametrize("op, args", [
    ("rnn_tanh_cell", lambda x, h, wi, wh: (x, None, wi, wh)),
    ("gru_cell", lambda x, h, wi, wh: (x, h, None, wh)),
], ids=["hx-None", "w_ih-None"])
def test_functional_cells_refuse_a_missing_state_or_weight_by_name(op, args):
    # Before: AttributeError: 'NoneType' object has no attribute 'shape'
    rng = np.random.default_rng(0)
    gates = 3 if op == "gru_cell" else 1
    x, h = gn.tensor(rng.standard_normal((2, 3))), gn.tensor(rng.standard_normal((2, 4)))
    wi = gn.tensor(rng.standard_normal((gates * 4, 3)))
    wh = gn.tensor(rng.standard_normal((gates * 4, 4)))
    with pytest.raises(TypeError, match=rf"^{op}: argument '\w+' must be a Tensor, not None"):
        getattr(gn.nn.functional, op)(*args(x, h, wi, wh))


def test_embedding_from_pretrained_shares_memory_like_torch():
    table = gn.tensor(np.arange(6.0).reshape(3, 2))
    layer = nn.Embedding.from_pretrained(table)
    assert np.shares_memory(layer.weight.data, table.data)  # before: a copy
    t_table = torch.arange(6.0).reshape(3, 2)
    assert torch.nn.Embedding.from_pretrained(t_table).weight.data_ptr() == t_table.data_ptr()
