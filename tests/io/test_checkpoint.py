"""Weights and training checkpoints: corrupt files and mismatched models are refused
without changing the model."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.io import SafetensorsError, load_checkpoint, save_checkpoint


def model_and_optimizer():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return model, optim.Adam(model.parameters(), lr=0.01)


def train_steps(model, opt, n, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x = gn.tensor(rng.standard_normal((6, 4)).astype(np.float32))
        y = gn.tensor(rng.integers(0, 3, 6))
        loss = gn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def snapshot(model):
    return {k: v.data.copy() for k, v in model.state_dict().items()}


def test_checkpoint_restores_model_optimizer_and_random_state(tmp_path):
    model, opt = model_and_optimizer()
    train_steps(model, opt, 5)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt, epoch=2, step=5, extra={"note": "x"})
    draw_after_save = gn.rand(3).data
    train_steps(model, opt, 5, seed=2)
    expected = snapshot(model)

    model2, opt2 = model_and_optimizer()
    info = load_checkpoint(path, model2, opt2)
    assert info["epoch"] == 2 and info["step"] == 5 and info["extra"] == {"note": "x"}
    np.testing.assert_array_equal(gn.rand(3).data, draw_after_save)
    train_steps(model2, opt2, 5, seed=2)
    for k, v in snapshot(model2).items():
        np.testing.assert_array_equal(v, expected[k])


def test_checkpoint_for_another_architecture_is_refused_and_changes_nothing(tmp_path):
    model, opt = model_and_optimizer()
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt)
    other = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    other_opt = optim.Adam(other.parameters())
    before = snapshot(other)
    with pytest.raises(ValueError, match=r"0.weight: checkpoint shape \(8, 4\), model shape "
                                         r"\(5, 4\)"):
        load_checkpoint(path, other, other_opt)
    for k, v in snapshot(other).items():
        np.testing.assert_array_equal(v, before[k])


def test_optimizer_mismatch_rolls_the_model_back(tmp_path):
    model, opt = model_and_optimizer()
    train_steps(model, opt, 2)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt)
    fresh, _ = model_and_optimizer()
    before = snapshot(fresh)
    sgd = optim.SGD(fresh.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="Adam, not SGD"):
        load_checkpoint(path, fresh, sgd)
    for k, v in snapshot(fresh).items():
        np.testing.assert_array_equal(v, before[k])


def test_corrupt_and_truncated_files_are_refused(tmp_path):
    model, opt = model_and_optimizer()
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt)
    data = path.read_bytes()
    (tmp_path / "truncated.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.safetensors").write_bytes(b"\x00" * 3 + b"not a checkpoint")
    before = snapshot(model)
    for name in ("truncated.safetensors", "garbage.safetensors"):
        with pytest.raises(SafetensorsError, match="not a valid safetensors file"):
            load_checkpoint(tmp_path / name, model, opt)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_checkpoint(tmp_path / "missing.safetensors", model, opt)
    for k, v in snapshot(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_weights_file_is_not_taken_for_a_training_checkpoint(tmp_path):
    model, opt = model_and_optimizer()
    gn.save(model, tmp_path / "w.safetensors")
    with pytest.raises(SafetensorsError, match="not a glassnet training checkpoint"):
        load_checkpoint(tmp_path / "w.safetensors", model, opt)


@pytest.mark.parametrize("damage, message", [
    (lambda info: info.pop("rng_state"), "no valid 'rng_state'"),
    (lambda info: info.update(rng_state={"foo": 1}), "no valid 'rng_state'"),
    (lambda info: info.pop("epoch"), r"no valid 'epoch' \(got None"),
    (lambda info: info.update(step=-3), r"no valid 'step' \(got -3"),
    (lambda info: info.update(loader_state=[1, 2]), "a 'loader_state' of type list"),
    (lambda info: info["optimizer"].pop("scalars"), "a malformed 'optimizer' entry"),
    (lambda info: info.update(optimizer=None), "holds no optimizer state"),
    (lambda info: info["optimizer"].update(scalars={"\u00b2": {}}),  # '²'.isdigit() is True
     "a malformed 'optimizer' entry"),
], ids=["no-rng", "bad-rng", "no-epoch", "negative-step", "bad-loader", "bad-optimizer",
        "no-optimizer", "non-ascii-digit"])
def test_damaged_metadata_is_refused_before_anything_changes(tmp_path, damage, message):
    import json

    from glassnet.io.safetensors import load_file, save_file

    model, opt = model_and_optimizer()
    train_steps(model, opt, 2)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt, epoch=1, step=2)
    arrays, meta = load_file(path)
    info = json.loads(meta["glassnet"])
    damage(info)
    meta["glassnet"] = json.dumps(info)
    save_file(arrays, path, meta)

    fresh, fresh_opt = model_and_optimizer()
    train_steps(fresh, fresh_opt, 1, seed=5)  # some optimizer state of its own
    before, opt_before = snapshot(fresh), fresh_opt.state_dict()
    rng_before = gn.random.get_rng_state()
    with pytest.raises(ValueError, match=message):
        load_checkpoint(path, fresh, fresh_opt)
    for k, v in snapshot(fresh).items():
        np.testing.assert_array_equal(v, before[k])
    opt_after = fresh_opt.state_dict()
    assert opt_after["param_groups"] == opt_before["param_groups"]
    for index, entry in opt_before["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(opt_after["state"][index][key], value)
    assert gn.random.get_rng_state() == rng_before


def test_non_finite_floats_are_written_as_standard_json_and_read_back(tmp_path):
    import json

    from glassnet.io.safetensors import load_file, save_file

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    model, opt = model_and_optimizer()
    path = tmp_path / "ckpt.safetensors"
    values = {"best": float("inf"), "worst": -float("inf"), "nan": float("nan"), "x": [1.5]}
    save_checkpoint(path, model, opt, extra=values)
    arrays, meta = load_file(path)
    json.loads(meta["glassnet"], parse_constant=refuse)  # no Infinity, no NaN
    extra = load_checkpoint(path, model, opt)["extra"]
    assert (extra["best"], extra["worst"], extra["x"]) == (np.inf, -np.inf, [1.5])
    assert np.isnan(extra["nan"])
    # a file written before the tagging, with a bare Infinity, still loads
    info = json.loads(meta["glassnet"])
    info["extra"] = {"best": float("inf")}
    save_file(arrays, path, {**meta, "glassnet": json.dumps(info)})
    assert "Infinity" in load_file(path)[1]["glassnet"]
    assert load_checkpoint(path, model, opt)["extra"] == {"best": np.inf}
