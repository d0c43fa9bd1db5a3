"""The backprop ledger: exact fractions against a hand computation, floats against autograd,
the fallback note, unsupported layers and losses, and well-formed renderings."""

import csv
import io
import re
from fractions import Fraction as Fr
from html.parser import HTMLParser

import numpy as np
import pytest

import glassnet as gn
from glassnet import functional as F
from glassnet import nn
from glassnet.explain import Ledger, LedgerRow, ledger


def set_weights(model, *arrays):
    """Load (weight, bias) pairs into the model's Linear layers, in order."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with gn.no_grad():
        for lin, (w, b) in zip(linears, zip(arrays[::2], arrays[1::2])):
            lin.weight.data[...] = w
            if b is not None:
                lin.bias.data[...] = b
    return model


def net_2_2_1(dtype=None):
    model = nn.Sequential(nn.Linear(2, 2, dtype=dtype), nn.ReLU(), nn.Linear(2, 1, dtype=dtype))
    return set_weights(model, [[0.5, -0.25], [-0.5, -0.25]], [0.1, 0.2], [[1.5, -1]], [0.25])


# ----------------------------------------------------------------------------- exact
def test_exact_mode_matches_the_hand_computation_of_a_2_2_1_relu_network():
    # float32 weights: 0.1 is stored as 0.100000001490116..., and must still read as 1/10
    book = ledger(net_2_2_1(), [1, 2], [1], nn.MSELoss(), lr=0.1, exact=True)
    assert book.exact and all(isinstance(r.value, Fr) for r in book.rows)

    # by hand, as on paper
    x = [Fr(1), Fr(2)]
    W1, b1 = [[Fr(1, 2), Fr(-1, 4)], [Fr(-1, 2), Fr(-1, 4)]], [Fr(1, 10), Fr(1, 5)]
    W2, b2, y, lr = [[Fr(3, 2), Fr(-1)]], [Fr(1, 4)], Fr(1), Fr(1, 10)
    z1 = [W1[0][0] * x[0] + W1[0][1] * x[1] + b1[0], W1[1][0] * x[0] + W1[1][1] * x[1] + b1[1]]
    assert z1 == [Fr(1, 10), Fr(-4, 5)]
    h1 = [max(Fr(0), z) for z in z1]
    yhat = W2[0][0] * h1[0] + W2[0][1] * h1[1] + b2[0]
    L = (yhat - y) ** 2
    g = 2 * (yhat - y)
    d2 = g  # no output activation
    dW2 = [d2 * h1[0], d2 * h1[1]]
    d1 = [d2 * W2[0][0] * (1 if z1[0] > 0 else 0), d2 * W2[0][1] * (1 if z1[1] > 0 else 0)]
    dW1 = [[d1[j] * x[i] for i in range(2)] for j in range(2)]

    assert [book["z1[0]"], book["z1[1]"]] == z1
    assert [book["h1[0]"], book["h1[1]"]] == [Fr(1, 10), Fr(0)]
    assert book["yhat[0]"] == yhat == Fr(2, 5)
    assert book["L"] == L == Fr(9, 25)
    assert book["dL/dyhat[0]"] == g and book["delta2[0]"] == d2
    assert [book["dL/dW2[0,0]"], book["dL/dW2[0,1]"]] == dW2 == [Fr(-3, 25), Fr(0)]
    assert book["dL/db2[0]"] == d2 == Fr(-6, 5)
    assert [book["delta1[0]"], book["delta1[1]"]] == d1 == [Fr(-9, 5), Fr(0)]
    for j in range(2):
        for i in range(2):
            assert book[f"dL/dW1[{j},{i}]"] == dW1[j][i]
            assert book[f"W1'[{j},{i}]"] == W1[j][i] - lr * dW1[j][i]
        assert book[f"dL/db1[{j}]"] == d1[j]
        assert book[f"b1'[{j}]"] == b1[j] - lr * d1[j]
    assert book["W1'[0,0]"] == Fr(17, 25) and book["b2'[0]"] == Fr(1, 4) + Fr(6, 50)

    # the cells a student reads
    rows = {r.quantity: r for r in book.rows}
    assert rows["z1[0]"].formula == "z1[0] = W1[0,0]*x[0] + W1[0,1]*x[1] + b1[0]"
    assert rows["z1[0]"].numbers == "= 0.5*1 + (-0.25)*2 + 0.1"
    assert rows["delta1[0]"].numbers == "= (-1.2)*1.5*1"
    assert book.value_text(book["L"]) == "0.36"


def test_exact_mode_batch_agrees_with_float_mode_and_shows_repeating_fractions():
    model = net_2_2_1(np.float64)
    x, y = [[1, 2], [0.5, -1], [3, 1]], [[1], [0], [2]]
    exact = ledger(model, x, y, nn.MSELoss(), exact=True)
    approx = ledger(model, x, y, nn.MSELoss())
    assert [r.quantity for r in exact.rows] == [r.quantity for r in approx.rows]
    for r, s in zip(exact.rows, approx.rows):
        assert isinstance(r.value, Fr) and float(r.value) == pytest.approx(s.value, abs=1e-12)
    # the mean over 3 samples gives thirds: shown as p/q, not rounded
    # yhat[1,0] = 1.5*0.6 + (-1)*0.2 + 0.25 = 0.95; dL/dyhat = 2*(0.95 - 0)/3 = 19/30
    assert exact["dL/dyhat[1,0]"] == Fr(19, 30)
    assert exact.value_text(exact["dL/dyhat[1,0]"]) == "19/30"


def test_exact_mode_leaky_relu_and_step():
    model = set_weights(nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(0.1), nn.Linear(2, 1),
                                      nn.Step()),
                        [[1, 1], [-1, 0]], [0, 0], [[1, 1]], [-0.5])
    book = ledger(model, [1, 1], [0], nn.MSELoss(), exact=True)
    assert book.exact
    assert book["h1[1]"] == Fr(-1, 10)  # 0.1 * (-1), exactly
    assert book["yhat[0]"] == 1  # step(2 - 0.1 - 0.5) = 1
    assert book["delta2[0]"] == 0  # the step's derivative
    row = next(r for r in book.rows if r.quantity == "delta2[0]")
    assert "f'(z) = 0 (step)" in row.formula
    assert all(book[f"dL/dW1[{j},{i}]"] == 0 for j in range(2) for i in range(2))


def test_exact_mode_with_a_sigmoid_falls_back_and_says_why():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))
    book = ledger(model, [1, 2], [1], nn.MSELoss(), exact=True, digits=3)
    assert not book.exact and all(isinstance(r.value, float) for r in book.rows)
    (note,) = book.notes
    assert "sigmoid(z) = 1/(1 + e^-z) is irrational for rational z != 0" in note
    assert "rounded to 3 significant digits" in note
    assert note in book.to_text() and note in book.to_markdown()
    bce = ledger(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), [1, 2], [1], nn.BCELoss(),
                 exact=True)
    assert "log(p)" in bce.notes[0] and "sigmoid" in bce.notes[0]


# ----------------------------------------------------------------------------- vs autograd
CASES = {
    "relu-mse-one": (lambda: [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)], nn.MSELoss(), None),
    "leaky-sigmoid-bce-batch": (lambda: [nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 2),
                                         nn.Sigmoid()], nn.BCELoss(), 4),
    "tanh-ce-batch": (lambda: [nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 3)],
                      nn.CrossEntropyLoss(), 3),
    "elu-softmax-mse-batch": (lambda: [nn.Linear(3, 4), nn.ELU(0.7), nn.Linear(4, 3),
                                       nn.Softmax(dim=-1)], F.mse_loss, 2),
    "sigmoid-mse-sum": (lambda: [nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Identity()],
                        nn.MSELoss(reduction="sum"), 5),
    "step-tanh-mse": (lambda: [nn.Linear(3, 3), nn.Step(), nn.Linear(3, 2), nn.Tanh()],
                      nn.MSELoss(), 2),
    "linear-linear-ce-one": (lambda: [nn.Linear(3, 3), nn.Linear(3, 4)], F.cross_entropy, None),
    "relu-ce-probs": (lambda: [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3, bias=False)],
                      "cross_entropy", 2),
    "three-layers-bce-one": (lambda: [nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2), nn.Tanh(),
                                      nn.Linear(2, 1), nn.Sigmoid()],
                             F.binary_cross_entropy, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_float_mode_equals_autograd(name):
    build, loss_fn, batch = CASES[name]
    gn.manual_seed(7)
    model = nn.Sequential(*build()).double()
    rng = np.random.default_rng(1)
    shape = (3,) if batch is None else (batch, 3)
    x = rng.normal(size=shape)
    out_shape = model(gn.tensor(x)).shape
    kind = loss_fn if isinstance(loss_fn, str) else getattr(
        loss_fn, "__name__", type(loss_fn).__name__)
    if "bce" in kind.lower() or "binary" in kind:
        y = rng.uniform(size=out_shape)
    elif "cross" in kind.lower():
        if name == "relu-ce-probs":
            y = rng.dirichlet(np.ones(out_shape[-1]), size=batch)
        else:
            y = rng.integers(0, out_shape[-1], size=() if batch is None else batch)
    else:
        y = rng.normal(size=out_shape)

    book = ledger(model, x, y, loss_fn, lr=0.3)

    for p in model.parameters():
        p.grad = None
    out = model(gn.tensor(x))
    fn = F.cross_entropy if loss_fn == "cross_entropy" else loss_fn
    loss = fn(out, gn.tensor(y))
    loss.backward()
    assert book.loss == pytest.approx(loss.item(), abs=1e-12, rel=1e-12)
    assert np.allclose(book.array("yhat"), out.data, rtol=0, atol=1e-12)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for l, lin in enumerate(linears, 1):
        np.testing.assert_allclose(book.array(f"dL/dW{l}"), lin.weight.grad, rtol=0,
                                   atol=1e-12)
        np.testing.assert_allclose(book.array(f"W{l}'"), lin.weight.data - 0.3 * lin.weight.grad,
                                   rtol=0, atol=1e-12)
        if lin.bias is not None:
            np.testing.assert_allclose(book.array(f"dL/db{l}"), lin.bias.grad, rtol=0,
                                       atol=1e-12)
        else:
            assert f"dL/db{l}[0]" not in book


# ----------------------------------------------------------------------------- bad input
class Conv2d(nn.Module):
    def forward(self, input):
        return input


def test_a_layer_it_cannot_lay_out_is_named():
    model = nn.Sequential(nn.Linear(2, 2), Conv2d(), nn.Linear(2, 1))
    with pytest.raises(ValueError, match=r"ledger: layer 1 \(Conv2d\) cannot be laid out: the "
                                         r"ledger handles Linear layers and elementwise"):
        ledger(model, [1, 2], [1], nn.MSELoss())
    with pytest.raises(ValueError, match=r"layer 2 \(Dropout\) cannot be laid out"):
        ledger(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Dropout()), [1, 2], [1, 1], "mse")
    with pytest.raises(ValueError, match=r"layer 1 \(Softmax\) must be the last layer"):
        ledger(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=-1), nn.Linear(2, 1)), [1, 2],
               [1], "mse")
    with pytest.raises(TypeError, match="nn.Sequential"):
        ledger(Conv2d(), [1, 2], [1], "mse")


def test_bad_loss_and_inputs():
    model = net_2_2_1()
    with pytest.raises(ValueError, match="loss_fn 'L1Loss' is not supported"):
        ledger(model, [1, 2], [1], nn.L1Loss())
    with pytest.raises(ValueError, match=r"x has 3 features but layer 0 \(Linear\) expects 2"):
        ledger(model, [1, 2, 3], [1], "mse")
    with pytest.raises(ValueError, match="x holds 9 samples"):
        ledger(model, np.ones((9, 2)), np.ones((9, 1)), "mse")
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but the network's output"):
        ledger(model, [1, 2], [1, 2], "mse")
    for exact in (False, True):
        with pytest.raises(ValueError, match=r"x\[1\] is 'abc', not a number"):
            ledger(model, [1, "abc"], [1], "mse", exact=exact)
        with pytest.raises(ValueError, match=r"x\[0\] is nan, not a finite number"):
            ledger(model, [float("nan"), 1], [1], "mse", exact=exact)
    with pytest.raises(ValueError, match=r"outputs in \[0, 1\]"):
        ledger(set_weights(nn.Sequential(nn.Linear(2, 1)), [[1, 1]], [0]), [1, 2], [1], "bce")


# ----------------------------------------------------------------------------- renderers
def test_text_table_is_aligned_and_csv_round_trips():
    book = ledger(net_2_2_1(), [[1, 2], [2, 1]], [[1], [0]], nn.MSELoss(), lr=0.1)
    lines = book.to_text().splitlines()
    rows = [ln for ln in lines if ln.split(" ")[0] in {r.quantity for r in book.rows}]
    assert len(rows) == len(book.rows)
    assert len({len(ln) for ln in rows}) == 1  # the value column ends in one place
    parsed = list(csv.reader(io.StringIO(book.to_csv())))
    assert parsed[0] == ["section", "quantity", "formula", "numbers", "value", "value_full"]
    assert [p[:5] for p in parsed[1:]] == [
        [r.section, r.quantity, r.formula, r.numbers, book.value_text(r.value)]
        for r in book.rows]
    assert [float(p[5]) for p in parsed[1:]] == [r.value for r in book.rows]


def test_markdown_latex_and_html_are_well_formed():
    book = ledger(net_2_2_1(), [1, 2], [1], nn.MSELoss(), lr=0.1, exact=True)
    md = book.to_markdown().splitlines()
    table = [ln for ln in md if ln.startswith("|")]
    assert table[1] == "|---|---|---|---:|"
    assert {len(re.findall(r"(?<!\\)\|", ln)) for ln in table} == {5}
    assert "| `z1[0]` | `z1[0] = W1[0,0]*x[0] + W1[0,1]*x[1] + b1[0]` | " \
        "`= 0.5*1 + (-0.25)*2 + 0.1` | 0.1 |" in md

    tex = book.to_latex()
    assert "\\begin{tabular}{llll}" in tex and tex.rstrip().endswith("\\end{tabular}")
    body = [ln for ln in tex.splitlines() if ln.startswith("$")]
    assert len(body) == len(book.rows)
    for ln in body:
        assert ln.count("$") == 8 and ln.endswith("\\\\")
        assert ln.count("{") == ln.count("}")
        assert "_" not in re.sub(r"_\{[0-9,]+\}", "", ln)  # only subscripts use '_'
    assert "\\partial L/\\partial {W}^{(2)}_{0,1}" in tex
    assert "\\text{ if }" in tex  # words in formulas are text, not italic letters

    rows = [LedgerRow("forward", "a<b", "a<b = <script>&", "= 1 < 2", 1.0)]
    page = Ledger(rows, notes=["x < y"]).to_html()
    assert "<table" in page and "</table>" in page and "<script>" not in page
    assert "a&lt;b = &lt;script&gt;&amp;" in page and "x &lt; y" in page

    class Cells(HTMLParser):
        cells: list = []

        def handle_data(self, data):
            self.cells.append(data)
    parser = Cells()
    parser.feed(ledger(net_2_2_1(), [1, 2], [1], "mse").to_html())
    assert "z1[0] = W1[0,0]*x[0] + W1[0,1]*x[1] + b1[0]" in parser.cells


@pytest.mark.parametrize("target, shown", [([2], r"y\[0\] = 2"), ([-0.5], r"y\[0\] = -0.5")])
def test_bce_refuses_targets_outside_the_unit_interval(target, shown):
    # torch: "all elements of target should be between 0 and 1"; the loss would be negative
    model = set_weights(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), [[0.1, 0.2]], [0.3])
    with pytest.raises(ValueError, match=rf"ledger: BCELoss needs targets in \[0, 1\].*{shown}$"):
        ledger(model, [1, 2], target, "bce")
    with pytest.raises(ValueError, match=r"y\[1,0\] = 3"):
        ledger(model, [[1, 2], [2, 1]], [[1], [3]], nn.BCELoss())
    assert ledger(model, [1, 2], [0.25], "bce").loss > 0
