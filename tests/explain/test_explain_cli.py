"""``glassnet explain``: the example network end to end, every format, and bad files that
exit 1 with a one-line message naming the layer and the entry."""

import csv
import io
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from glassnet.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ledger_2_2_1.json"


def explain(capsys, *args):
    code = main(["explain", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, spec, name="net.json"):
    path = tmp_path / name
    path.write_text(json.dumps(spec) if isinstance(spec, dict) else spec)
    return path


def test_example_network_end_to_end(capsys):
    code, out, err = explain(capsys, EXAMPLE)
    assert code == 0 and err == ""
    assert "z1[0] = W1[0,0]*x[0] + W1[0,1]*x[1] + b1[0]" in out
    assert "= 0.5*1 + (-0.25)*2 + 0.1" in out
    lines = {ln.split()[0]: ln.split()[-1] for ln in out.splitlines() if ln.strip()}
    # by hand: z1 = (0.1, -0.8), h1 = (0.1, 0), yhat = 1.5*0.1 + 0.25 = 0.4, L = 0.6^2
    assert lines["yhat[0]"] == "0.4" and lines["L"] == "0.36"
    assert lines["dL/dW1[0,1]"] == "-3.6"  # -1.2*1.5 * x[1] = -1.8*2
    assert lines["W1'[0,0]"] == "0.68"  # 0.5 - 0.1*(-1.8), the file's lr


def test_exact_csv_out_and_overrides(capsys, tmp_path):
    code, out, _ = explain(capsys, EXAMPLE, "--exact", "--format", "csv", "--x", "2,1",
                           "--lr", "0.5")
    assert code == 0
    rows = {r["quantity"]: r for r in csv.DictReader(io.StringIO(out))}
    # z1[0] = 0.5*2 - 0.25*1 + 0.1 = 0.85; z1[1] = -1 - 0.25 + 0.2 < 0; yhat = 1.5*0.85 + 0.25
    assert rows["z1[0]"]["value_full"] == "17/20"
    assert Fraction(rows["yhat[0]"]["value_full"]) == Fraction("1.5") * Fraction("0.85") + \
        Fraction("0.25") == Fraction(61, 40)
    assert rows["yhat[0]"]["value"] == "1.525"
    assert rows["W2'[0,0]"]["numbers"].startswith("= 1.5 - 0.5*")
    target = tmp_path / "ledger.md"
    code, out, _ = explain(capsys, EXAMPLE, "--out", target)
    assert code == 0 and "wrote" in out and str(target) in out
    assert target.read_text().startswith("| quantity | formula | numbers | value |")


def test_yaml_batch_and_sigmoid_fallback_note(capsys, tmp_path):
    import yaml  # noqa: F401  (PyYAML is in the cli extra the tests install: never skipped)
    path = write(tmp_path, """
layers:
  - {type: linear, weight: [[1, -1]], bias: [0]}
  - {type: sigmoid}
loss: bce
x: [[1, 2], [2, 1]]
y: [[0], [1]]
""", "net.yaml")
    code, out, _ = explain(capsys, path, "--exact", "--digits", "3")
    assert code == 0
    assert "sigmoid(z) = 1/(1 + e^-z) is irrational" in out and "3 significant" in out
    assert "yhat[1,0]" in out and "dL/dW1[0,1] = delta1[0,0]*x[0,1] + delta1[1,0]*x[1,1]" in out


@pytest.mark.parametrize("spec,message", [
    ({"layers": [{"type": "linear", "weight": [[1, 2], ["abc", 1]]}], "x": [1, 2], "y": [1, 1]},
     "layer 0 (linear): weight[1][0] is 'abc', not a number"),
    ({"layers": [{"type": "linear", "weight": [[1, 2], [3, 4]]}, {"type": "relu"},
                 {"type": "linear", "weight": [[1, 2, 3]]}], "x": [1, 2], "y": [1]},
     "layer 2 (linear): weight has 3 columns but the previous layer gives 2 values"),
    ({"layers": [{"type": "linear", "weight": [[1, 2, 3]]}], "x": [1, 2], "y": [1]},
     "layer 0 (linear): weight has 3 columns but x has 2 values"),
    ({"layers": [{"type": "linear", "weight": [[1, 2], [3]]}], "x": [1, 2], "y": [1]},
     "layer 0 (linear): weight[1] has 1 entries but weight[0] has 2"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]], "bias": [1, 2]}], "x": [1, 2],
      "y": [1]}, "layer 0 (linear): bias has 2 entries but weight has 1 rows"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]], "bias": [True]}], "x": [1, 2],
      "y": [1]}, "layer 0 (linear): bias[0] is True, not a number"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]]}, {"type": "conv2d"}], "x": [1, 2],
      "y": [1]}, "layer 1: unknown type 'conv2d'"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]]}], "x": [1, 2], "y": [1],
      "loss": "hinge"}, "unknown loss 'hinge'"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]]}], "y": [1]}, "no input"),
    ({"layers": [{"type": "linear", "weight": [[1, 2]]}], "x": [1, 2], "y": [1, 2]},
     "y has shape (2,) but the network's output has shape (1,)"),
    ({"weights": []}, 'expected an object with a non-empty "layers" list'),
    ("{not json", "not valid JSON"),
])
def test_bad_files_exit_1_with_one_line_naming_the_entry(capsys, tmp_path, spec, message):
    code, out, err = explain(capsys, write(tmp_path, spec))
    assert code == 1 and out == ""
    assert err.startswith("glassnet explain: error: ") and message in err
    assert err.count("\n") == 1


def test_missing_file_and_process_exit_code(tmp_path):
    result = subprocess.run([sys.executable, "-m", "glassnet", "explain",
                             str(tmp_path / "nope.json")], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("glassnet explain: error: cannot read")
    assert "Traceback" not in result.stderr
