"""fit / evaluate / predict on the layouts PyTorch users train: default metrics that fit the
loss, sequence and probability targets, single-logit binary classifiers, inputs-only data,
NumPy float64 arrays; and the callbacks' small rules (NaN, auto mode, missing keys)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import DataLoader, Dataset


def fit(model, loss_fn, data, **kwargs):
    kwargs.setdefault("verbose", False)
    return train.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), data, **kwargs)


class Sequence(nn.Module):
    """(N, T, 4) -> logits (N, 3, T), as CrossEntropyLoss takes sequence labels."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return self.linear(x).permute(0, 2, 1)


class InputsOnly(Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def test_regression_gets_no_default_accuracy_and_classification_does():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.random((64, 3), dtype=np.float32)
    for outputs in (2, 1):
        history = fit(nn.Linear(3, outputs), nn.MSELoss(), (X, rng.random((64, outputs),
                                                                           dtype=np.float32)))
        assert set(history.history) == {"loss", "lr"}
    history = fit(nn.Linear(3, 4), nn.CrossEntropyLoss(), (X, rng.integers(0, 4, 64)))
    assert set(history.history) == {"loss", "accuracy", "lr"}


def test_fit_logs_accuracy_for_sequence_labels_and_probability_targets():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Sequence()
    X, Y = rng.random((8, 5, 4), dtype=np.float32), rng.integers(0, 3, (8, 5))
    before = train.predict(model, X).data
    history = fit(model, nn.CrossEntropyLoss(), (X, Y), batch_size=8, shuffle=False)
    assert history.history["accuracy"] == [float((before.argmax(1) == Y).mean())]
    linear = nn.Linear(3, 4)
    P = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 64)]
    result = train.evaluate(linear, nn.CrossEntropyLoss(), (rng.random((64, 3)), P))
    assert 0.0 <= result["accuracy"] <= 1.0


def test_a_requested_metric_that_cannot_apply_is_named_with_the_shapes():
    rng = np.random.default_rng(0)
    model = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r"fit: metric 'top5' .* output shape \(32, 3\)"):
        fit(model, nn.CrossEntropyLoss(), (rng.random((64, 3)), rng.integers(0, 3, 64)),
            metrics=["top5"])


def test_bce_with_logits_accuracy_thresholds_logits_at_zero():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    model = nn.Linear(2, 1)
    fit(model, nn.BCEWithLogitsLoss(), (X, y), epochs=1)
    logits = train.predict(model, X).data
    result = train.evaluate(model, nn.BCEWithLogitsLoss(), (X, y))
    assert result["accuracy"] == float(((logits > 0) == (y > 0.5)).mean())
    named = train.evaluate(model, nn.BCEWithLogitsLoss(), (X, y),
                           metrics=["binary_accuracy"])
    assert named["binary_accuracy"] == result["accuracy"]  # the same reading, either name
    probabilities = 1 / (1 + np.exp(-logits))
    result = train.evaluate(nn.Sequential(model, nn.Sigmoid()), nn.BCELoss(), (X, y))
    assert result["accuracy"] == float(((probabilities > 0.5) == (y > 0.5)).mean())


def test_predict_takes_inputs_only_data_and_lists_of_samples():
    gn.manual_seed(0)
    model = nn.Linear(4, 3)
    xs = gn.tensor(np.random.default_rng(0).random((10, 4), dtype=np.float32))
    expected = train.predict(model, xs).data
    np.testing.assert_allclose(train.predict(model, InputsOnly(xs), batch_size=4).data,
                               expected, rtol=1e-6)
    loader = DataLoader(InputsOnly(xs), batch_size=3)
    np.testing.assert_allclose(train.predict(model, loader).data, expected, rtol=1e-6)
    samples = xs.data.tolist()
    for n in (2, 3):
        np.testing.assert_allclose(train.predict(model, samples[:n]).data, expected[:n],
                                   rtol=1e-6)
    with pytest.raises(TypeError, match="^predict: "):
        train.predict(model, "data.csv")


def test_float64_numpy_inputs_are_cast_to_the_model_dtype_and_tensors_are_not():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X, y = rng.random((64, 3)), rng.integers(0, 4, 64)  # float64
    model = nn.Linear(3, 4)
    history = fit(model, nn.CrossEntropyLoss(), (X, y), val_data=(X, y))
    assert "val_accuracy" in history.history
    assert train.predict(model, X).data.dtype == np.float32
    assert train.evaluate(model, nn.CrossEntropyLoss(), (X, y))["loss"] > 0
    with pytest.raises(TypeError, match="dtype float64 and weight dtype float32"):
        train.predict(model, gn.tensor(X))


class Scripted(train.Callback):
    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, epoch, logs):
        logs["score"] = self.values[epoch]


def test_early_stopping_ignores_a_nan_first_value():
    rng = np.random.default_rng(0)
    stopper = train.EarlyStopping("score", patience=1)
    history = fit(nn.Linear(3, 2), nn.CrossEntropyLoss(),
                  (rng.random((8, 3)), rng.integers(0, 2, 8)), epochs=5,
                  callbacks=[Scripted([float("nan"), 1.0, 0.5, 0.25, 0.1]), stopper])
    assert history.epochs == [0, 1, 2, 3, 4] and stopper.best == 0.1


def test_auto_mode_maximises_accuracy_like_names():
    for name in ("val_top5", "top5", "val_accuracy", "auc"):
        assert train.EarlyStopping(name).mode == "max"
        assert train.ModelCheckpoint("x", monitor=name).mode == "max"
    assert train.EarlyStopping("val_loss").mode == "min"


def test_reduce_lr_on_plateau_without_validation_data_names_the_missing_key():
    rng = np.random.default_rng(0)
    model = nn.Linear(2, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = train.LearningRateScheduler(optim.lr_scheduler.ReduceLROnPlateau(opt))
    with pytest.raises(KeyError, match=r"LearningRateScheduler\(ReduceLROnPlateau\).*val_loss"):
        train.fit(model, nn.CrossEntropyLoss(), opt, (rng.random((8, 2)),
                  rng.integers(0, 3, 8)), verbose=False, callbacks=[plateau])
