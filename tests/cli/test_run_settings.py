"""What a run records in config.json is what ran: options given on the command line are
honoured (even at a value equal to some default), omitted ones get their model's defaults,
a resumed run rebuilds the same optimizer and schedule, and a damaged or hand-edited
config.json is a one-line error in every command that reads it."""

import json

import numpy as np
import pytest

from glassnet.cli import train as train_command
from glassnet.cli.main import main
from glassnet.train import Callback

# 200 points of circles: 150 to train on, 5 batches of 32 per epoch (well under a second)
TINY = ["--dataset", "circles", "--samples", "200", "--hidden", "8", "--batch-size", "32",
        "--quiet"]


class Spy(Callback):
    """Records the optimizer's settings at every step; raises KeyboardInterrupt (as Ctrl-C
    would) when epoch ``stop_at`` begins, after the previous epoch's checkpoint."""

    def __init__(self, stop_at=None):
        self.steps, self.stop_at = [], stop_at

    def on_epoch_begin(self, epoch, logs):
        if epoch == self.stop_at:
            raise KeyboardInterrupt

    def on_batch_begin(self, step, logs):
        group = self.trainer.optimizer.param_groups[0]
        self.steps.append({k: v for k, v in group.items() if k != "params"})


FIT_RUN = train_command.fit_run


def spy_on_training(monkeypatch, stop_at=None) -> Spy:
    """A Spy added to the callbacks of the next ``glassnet train`` (replacing any earlier)."""
    spy = Spy(stop_at)

    def fit_run_with_spy(trainer, loader, val_data, callbacks, *rest):
        return FIT_RUN(trainer, loader, val_data, [*callbacks, spy], *rest)

    monkeypatch.setattr(train_command, "fit_run", fit_run_with_spy)
    return spy


def config_of(run) -> dict:
    return json.loads((run / "config.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------- weight decay
@pytest.mark.parametrize("extra, decay", [
    ([], 0.01),  # omitted: AdamW's default
    (["--weight-decay", "0"], 0.0),  # ran 0.01 while config.json said 0.0
    (["--weight-decay", "0.05"], 0.05),
])
def test_adamw_runs_and_records_the_weight_decay_given(tmp_path, monkeypatch, extra, decay):
    spy = spy_on_training(monkeypatch)
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--optimizer", "adamw", *extra,
                 "--out", str(run)]) == 0
    assert {step["weight_decay"] for step in spy.steps} == {decay}
    assert config_of(run)["weight_decay"] == decay


# ------------------------------------------------------------------------------ momentum
@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
@pytest.mark.parametrize("momentum", ["0.5", "0.9"])  # 0.9: the default's value, typed
def test_a_momentum_given_is_held_constant_under_onecycle(tmp_path, monkeypatch, optimizer,
                                                          momentum):
    spy = spy_on_training(monkeypatch)
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--optimizer", optimizer, "--momentum",
                 momentum, "--lr", "0.01", "--out", str(run)]) == 0
    assert {step["momentum"] for step in spy.steps} == {float(momentum)}
    assert len({step["lr"] for step in spy.steps}) > 1  # the learning rate still cycles
    config = config_of(run)
    assert config["momentum"] == float(momentum) and config["cycle_momentum"] is False


def test_without_momentum_onecycle_cycles_it_as_the_default_recipe_does(tmp_path, monkeypatch):
    spy = spy_on_training(monkeypatch)
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(run)]) == 0
    momenta = [step["momentum"] for step in spy.steps]
    assert momenta[0] == pytest.approx(0.95) and min(momenta) < 0.9
    assert "cycle_momentum" not in config_of(run)  # the recipe's config.json as before


@pytest.mark.parametrize("extra", [[], ["--momentum", "0.5"]])
def test_an_interrupted_run_resumes_with_the_same_optimizer_and_schedule(
        tmp_path, monkeypatch, extra):
    import glassnet as gn

    options = ["train", *TINY, "--epochs", "2", "--lr", "0.05", *extra]
    reference = tmp_path / "reference"
    spy = spy_on_training(monkeypatch)
    assert main([*options, "--out", str(reference)]) == 0
    second_epoch = spy.steps[len(spy.steps) // 2:]

    stopped = tmp_path / "stopped"
    spy_on_training(monkeypatch, stop_at=1)
    assert main([*options, "--out", str(stopped)]) == 130  # after epoch 1's checkpoint
    assert not (stopped / "model.safetensors").exists()
    spy = spy_on_training(monkeypatch)
    assert main(["train", "--resume", str(stopped), "--quiet"]) == 0

    assert spy.steps == second_epoch  # lr and momentum step for step
    ours, theirs = gn.load(stopped / "model.safetensors"), gn.load(reference / "model.safetensors")
    for key in theirs:
        np.testing.assert_array_equal(ours[key].data, theirs[key].data, err_msg=key)
    assert config_of(stopped) == config_of(reference)


# ---------------------------------------------------------- options given vs model defaults
def config_before_training(tmp_path, monkeypatch, *options) -> dict:
    """The config.json ``glassnet train *options`` writes, stopped before it trains."""
    spy_on_training(monkeypatch, stop_at=0)
    run = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    assert main(["train", *options, "--quiet", "--out", str(run)]) == 130
    config = config_of(run)
    config.pop("vocab", None)
    return config


RECIPE_KEYS = ("hidden", "optimizer", "lr", "momentum", "weight_decay", "schedule",
               "batch_size", "epochs")


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the whale, the sea and the ship. " * 20, encoding="utf-8")
    return str(path)


def test_options_equal_to_an_mlp_default_are_not_replaced_by_a_models_recipe(
        tmp_path, monkeypatch, text_file):
    # --model cnn --lr 0.1 --epochs 12 ran at 0.05 for 3 epochs; charlm replaced all four
    cnn = config_before_training(tmp_path, monkeypatch, "--model", "cnn", "--lr", "0.1",
                                 "--epochs", "12")
    assert (cnn["lr"], cnn["epochs"]) == (0.1, 12)
    charlm = config_before_training(tmp_path, monkeypatch, "--model", "charlm", "--text",
                                    text_file, "--optimizer", "sgd", "--lr", "0.1",
                                    "--batch-size", "8", "--schedule", "onecycle",
                                    "--hidden", "128", "--epochs", "12")
    assert [charlm[k] for k in ("optimizer", "lr", "batch_size", "schedule", "hidden",
                                "epochs")] == ["sgd", 0.1, 8, "onecycle", 128, 12]


def test_omitted_options_keep_each_models_documented_recipe(tmp_path, monkeypatch, text_file):
    mlp = config_before_training(tmp_path, monkeypatch)
    assert {k: mlp[k] for k in RECIPE_KEYS} == {
        "hidden": [128], "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
        "weight_decay": 0.0, "schedule": "onecycle", "batch_size": 64, "epochs": 12}
    cnn = config_before_training(tmp_path, monkeypatch, "--model", "cnn")
    assert {k: cnn[k] for k in RECIPE_KEYS} == {**{k: mlp[k] for k in RECIPE_KEYS},
                                                 "lr": 0.05, "epochs": 3}
    charlm = config_before_training(tmp_path, monkeypatch, "--model", "charlm", "--text",
                                    text_file, "--batch-size", "8")
    assert {k: charlm[k] for k in RECIPE_KEYS} == {
        "hidden": 256, "optimizer": "adam", "lr": 0.002, "momentum": 0.9,
        "weight_decay": 0.0, "schedule": "none", "batch_size": 8, "epochs": 3}
    for config in (mlp, cnn, charlm):
        assert "cycle_momentum" not in config


# ------------------------------------------------------------- damaged or edited configs
@pytest.fixture
def toy_run(tmp_path):
    """A finished 2-class run on 2-D points."""
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(run)]) == 0
    return run


def one_line_error(capsys, command) -> str:
    capsys.readouterr()
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_config_json_that_is_not_utf8_is_one_line_in_every_command(toy_run, capsys):
    (toy_run / "config.json").write_bytes(b'{"dataset": "circ\xefles"}')
    for command in (["evaluate", str(toy_run)], ["predict", str(toy_run), "digit.png"],
                    ["sample", str(toy_run)], ["train", "--resume", str(toy_run)]):
        err = one_line_error(capsys, command)
        assert "config.json is not UTF-8 text: byte 0xef at offset 17" in err, command


@pytest.mark.parametrize("key, value, message", [
    ("seed", "abc", "config.json has a bad setting: argument --seed: --seed must be an "
                    "integer, got 'abc'"),
    ("samples", -5, "--samples must be > 0, got '-5'"),
    ("dataset", "nope", "argument --dataset: invalid choice: 'nope'"),
    ("out_features", "2", "out_features must be a positive integer, got '2'"),
])
def test_evaluate_and_predict_check_config_json_as_resume_does(toy_run, capsys, key, value,
                                                                message):
    config = config_of(toy_run)
    (toy_run / "config.json").write_text(json.dumps({**config, key: value}))
    for command in (["evaluate", str(toy_run)], ["predict", str(toy_run), "digit.png"]):
        err = one_line_error(capsys, command)
        assert message in err and str(toy_run) in err, err


def test_evaluate_and_predict_refuse_a_dataset_that_does_not_fit_the_model(toy_run, capsys):
    config = config_of(toy_run)
    (toy_run / "config.json").write_text(json.dumps({**config, "dataset": "clusters"}))
    err = one_line_error(capsys, ["evaluate", str(toy_run)])
    assert f"run {str(toy_run)!r} does not fit its dataset 'clusters': the model takes 2 " \
        "inputs and gives 2 classes, the dataset has 2 inputs and 3 classes" in err
    (toy_run / "config.json").write_text(json.dumps({**config, "dataset": "mnist"}))
    err = one_line_error(capsys, ["predict", str(toy_run), "digit.png"])
    assert "does not fit its dataset 'mnist': the model takes 2 inputs and gives 2 " \
        "classes, the dataset has 784 inputs and 10 classes" in err


# ------------------------------------------------------------ a model that cannot be built
@pytest.mark.parametrize("hidden, message", [
    ("99999999999999", "a model of 2-99999999999999-2 (relu) does not fit in memory"),
    ("99999999999999999999999", "cannot be built"),
])
def test_a_model_that_cannot_be_built_leaves_no_run_folder(tmp_path, capsys, text_file,
                                                           hidden, message):
    out = tmp_path / "run"
    options = ["train", "--dataset", "circles", "--samples", "200", "--epochs", "1",
               "--quiet", "--out", str(out)]
    err = one_line_error(capsys, [*options, "--hidden", hidden])
    assert message in err
    assert not out.exists()
    assert main([*options, "--hidden", "8"]) == 0  # the same --out is free to use

    charlm = tmp_path / "charlm"
    err = one_line_error(capsys, ["train", "--model", "charlm", "--text", text_file,
                                  "--batch-size", "8", "--hidden", hidden, "--quiet",
                                  "--out", str(charlm)])
    assert "train: a model of Embedding(" in err
    assert not charlm.exists()
