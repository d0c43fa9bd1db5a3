"""The example scripts run with tiny settings and find what their docstrings promise."""

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    """Import examples/<name>.py as a module (examples/ is a folder of scripts)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_documents_its_command():
    for path in EXAMPLES.glob("*.py"):
        doc = load(path.stem).__doc__
        assert doc and f"python examples/{path.name}" in doc, path.name



def test_xor_mlp_learns_the_truth_table(capsys):
    final_loss = load("xor_mlp").main()  # the script's own settings: ~0.2 s
    out = capsys.readouterr().out
    assert "4/4 correct" in out
    assert final_loss < 0.05, final_loss  # BCE: every prediction on the right side, and sure

def test_single_neuron_fails_where_a_hidden_layer_and_polar_coordinates_succeed(tmp_path):
    found = load("single_neuron_limits").main(out=str(tmp_path), n=200, steps=300)
    for data in ("xor", "circles"):
        assert found[data]["neuron"] <= 0.75, found  # no line does better on either set
        assert found[data]["hidden"] >= 0.95, found
    assert found["circles"]["neuron_polar"] >= 0.95, found  # r alone separates the circles
    assert found["xor"]["neuron_polar"] <= 0.75, found  # XOR's classes are 4 angle ranges
    assert (tmp_path / "single_neuron_limits.png").stat().st_size > 10_000


def test_deep_linear_network_is_one_linear_map(tmp_path):
    example = load("linear_collapse")
    found = example.main(out=str(tmp_path), n=200, steps=300, hidden=8)
    assert found["max_abs_diff"] < 1e-5
    for data in ("xor", "circles"):
        assert found[data]["deep linear"] <= 0.75, found
        assert found[data]["tanh MLP"] >= 0.95, found
        assert found[data]["agreement"] == 1.0, found  # it predicts as its collapsed map
    assert (tmp_path / "linear_collapse.png").stat().st_size > 10_000


def test_collapse_matches_the_hand_written_product():
    import glassnet as gn

    example = load("linear_collapse")
    gn.manual_seed(3)
    net = example.deep_linear((3, 4, 5, 2))
    W, b = example.collapse(net)
    (W1, b1), (W2, b2), (W3, b3) = [(m.weight.data.astype(np.float64),
                                     m.bias.data.astype(np.float64)) for m in net]
    np.testing.assert_allclose(W, W3 @ W2 @ W1, rtol=1e-12)
    np.testing.assert_allclose(b, W3 @ W2 @ b1 + W3 @ b2 + b3, rtol=1e-12)


def test_universal_approximation_error_falls_with_width(tmp_path):
    found = load("universal_approximation").main(out=str(tmp_path), widths=(1, 4, 16),
                                                 n=100, steps=600)
    for target, errors in found.items():
        assert errors[4] < errors[1], (target, errors)
        assert errors[16] < 0.6 * errors[1], (target, errors)
    assert found["sine"][16] < 1e-2 < found["sine"][1]  # one sigmoid cannot make a wave
    assert (tmp_path / "universal_approximation.png").stat().st_size > 10_000


def test_mnist_wide_beats_narrow(tmp_path):
    from glassnet.data import MNIST

    MNIST(train=False)  # fetched and verified like everywhere else in the suite
    found = load("mnist_width").main(out=str(tmp_path), epochs=2, limit=2000,
                                     test_limit=1000, batch_size=32)
    narrow, wide = found[10], found[1568]
    assert narrow["parameters"] == 784 * 10 + 10 + 10 * 10 + 10
    assert wide["parameters"] == 784 * 1568 + 1568 + 1568 * 10 + 10
    assert wide["test_accuracy"] >= 0.8 and narrow["test_accuracy"] >= 0.3  # chance: 0.1
    assert wide["test_accuracy"] > narrow["test_accuracy"]
    for f in (narrow, wide):
        assert all(t != p and c > 0 for t, p, c in f["confusions"])
        assert pathlib.Path(f["plot"]).stat().st_size > 10_000
