"""Callback state in checkpoints: whatever the callbacks' order, a resumed run (from a
checkpoint written by ModelCheckpoint, mid-epoch, or after ``fit`` returned) continues
bit for bit like the run that was never stopped."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import io, nn, optim, train
from glassnet.data import DataLoader, TensorDataset, toy
from tests.train.test_resume import KillAt, Killed


class KillAfterEpoch(train.Callback):
    """Dies in the end-of-epoch hooks of ``epoch``, like a process killed there."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise Killed


class Score(train.Callback):
    """A scripted monitored value: improves at epoch 1, then never again."""

    def on_epoch_end(self, epoch, logs):
        logs["score"] = [1.0, 0.5, 0.9, 0.9, 0.9, 0.9][epoch]


def setup():
    gn.manual_seed(0)
    X, y = toy.make_blobs(64, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, int(y.max()) + 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(gn.tensor(X), gn.tensor(y)), batch_size=16, shuffle=True)
    return train.Trainer(model, nn.CrossEntropyLoss(), opt), loader


def weights(trainer):
    return {k: v.data.copy() for k, v in trainer.model.state_dict().items()}


def assert_same_weights(trainer, expected):
    for k, v in trainer.model.state_dict().items():
        np.testing.assert_array_equal(v.data, expected[k], err_msg=k)


def run_killed_and_resumed(make_callbacks, path, epochs, kill):
    """(uninterrupted history, weights), (resumed history, weights)."""
    reference, loader = setup()
    history = reference.fit(loader, epochs=epochs, verbose=False,
                            callbacks=make_callbacks(reference))
    first, loader = setup()
    with pytest.raises(Killed):
        first.fit(loader, epochs=epochs, verbose=False,
                  callbacks=[*make_callbacks(first), kill])
    resumed, loader = setup()
    resumed_history = resumed.fit(loader, epochs=epochs, verbose=False, resume_from=path,
                                  callbacks=make_callbacks(resumed))
    return (history, weights(reference)), (resumed_history, resumed)


@pytest.mark.parametrize("checkpoint_first", [True, False])
def test_a_checkpoint_holds_the_lr_schedule_after_its_epoch_whatever_the_order(
        tmp_path, checkpoint_first):
    path = str(tmp_path / "ck.safetensors")

    def callbacks(trainer):
        schedule = train.LearningRateScheduler(
            optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.5))
        pair = [train.ModelCheckpoint(path), schedule]
        return pair if checkpoint_first else pair[::-1]

    (history, expected), (resumed_history, resumed) = run_killed_and_resumed(
        callbacks, path, 4, KillAfterEpoch(2))
    assert history.history["lr"] == [0.1, 0.05, 0.025, 0.0125]
    assert resumed_history.history["lr"] == history.history["lr"]
    assert resumed_history.history["loss"] == history.history["loss"]
    assert_same_weights(resumed, expected)


@pytest.mark.parametrize("restore", [False, True])
def test_early_stopping_resumes_with_its_state_of_that_epoch_and_its_best_weights(
        tmp_path, restore):
    path = str(tmp_path / "ck.safetensors")

    def callbacks(trainer):
        return [Score(), train.ModelCheckpoint(path),
                train.EarlyStopping("score", patience=2, mode="min",
                                    restore_best_weights=restore)]

    (history, expected), (resumed_history, resumed) = run_killed_and_resumed(
        callbacks, path, 6, KillAfterEpoch(2))
    assert history.epochs == [0, 1, 2, 3]
    assert resumed_history.epochs == history.epochs
    assert_same_weights(resumed, expected)  # with restore: epoch 1's weights, kept in the file
    if restore:
        tensors, _ = io.load_file(path)
        assert any(k.startswith("extra.callbacks.") and "best_weights" in k for k in tensors)


def test_a_function_schedule_is_not_applied_twice_to_the_epoch_resumed_mid_way(tmp_path):
    path = str(tmp_path / "ck.safetensors")

    def callbacks(trainer):
        return [train.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)]

    (history, expected), (resumed_history, resumed) = run_killed_and_resumed(
        callbacks, path, 3, KillAt(5, path))  # 4 batches per epoch: step 5 is in epoch 1
    assert history.history["lr"] == [0.1, 0.05, 0.025]
    assert resumed_history.history["lr"] == history.history["lr"]
    assert_same_weights(resumed, expected)


def test_save_checkpoint_after_fit_returns_resumes_at_the_next_epoch(tmp_path):
    path = str(tmp_path / "ck.safetensors")

    def schedule(trainer):
        return train.LearningRateScheduler(
            optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.5))

    reference, loader = setup()
    history = reference.fit(loader, epochs=4, verbose=False, callbacks=[schedule(reference)])
    first, loader = setup()
    first.fit(loader, epochs=2, verbose=False, callbacks=[schedule(first)])
    first.save_checkpoint(path)
    info = first.load_checkpoint(path)
    assert (info["epoch"], info["batch"]) == (2, 0)
    resumed, loader = setup()
    resumed_history = resumed.fit(loader, epochs=4, verbose=False, resume_from=path,
                                  callbacks=[schedule(resumed)])
    assert resumed_history.epochs == [0, 1, 2, 3]
    assert resumed_history.history["lr"] == history.history["lr"]
    assert_same_weights(resumed, weights(reference))


def test_a_checkpoint_written_before_callback_tensors_existed_still_resumes(tmp_path):
    path = str(tmp_path / "old.safetensors")
    trainer, loader = setup()
    trainer.fit(loader, epochs=1, verbose=False)
    old_states = {"0:History": {"history": {"loss": [1.0]}, "epochs": [0]},
                  "1:EarlyStopping": {"best": None, "wait": 0},
                  "2:LearningRateScheduler": {}}  # the old format: no arrays, no epoch
    io.save_checkpoint(path, trainer.model, trainer.optimizer, epoch=1, step=4,
                       loader_state=loader.state_dict(),
                       extra={"batch": 0, "callbacks": old_states, "epoch_totals": None})
    resumed, loader = setup()
    stopper = train.EarlyStopping("loss", patience=5, restore_best_weights=True)
    history = resumed.fit(loader, epochs=3, verbose=False, resume_from=path,
                          callbacks=[stopper, train.LearningRateScheduler(lambda e, lr: lr)])
    assert history.epochs == [0, 1, 2] and stopper.best_weights is not None


def test_checkpoint_extra_arrays_round_trip_as_tensors_and_a_missing_one_is_named(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    trainer, _ = setup()
    best = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    io.save_checkpoint(path, trainer.model, extra={"cb": {"best": best, "n": np.int64(3)}})
    info = io.load_checkpoint(path, trainer.model)
    np.testing.assert_array_equal(info["extra"]["cb"]["best"]["w"], best["w"])
    assert info["extra"]["cb"]["n"] == 3
    io.save_checkpoint(path, trainer.model, extra={"cb": {"__tensor__": "extra.cb.gone"}})
    with pytest.raises(ValueError, match="refers to a tensor 'extra.cb.gone'"):
        io.load_checkpoint(path, trainer.model)


def test_history_keeps_what_later_callbacks_add_to_an_epochs_logs():
    from glassnet.train import Callback

    class AddsAMetric(Callback):
        def on_epoch_end(self, epoch, logs):
            logs["twice_loss"] = 2 * logs["loss"]

    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    x, y = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32), np.zeros(16, int)
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                        (x, y),
                        epochs=2, callbacks=[AddsAMetric()], verbose=False)
    assert history.history["twice_loss"] == [2 * v for v in history.history["loss"]]


def test_the_stopping_epochs_checkpoint_holds_its_own_weights_and_fit_ends_on_the_best(
        tmp_path):
    from glassnet.io.checkpoint import load_checkpoint

    class Score(train.Callback):  # best at epoch 1, then no improvement
        def on_epoch_end(self, epoch, logs):
            logs["score"] = [1.0, 0.5, 0.9, 0.9, 0.9, 0.9][epoch]

    ended_with = {}

    class Snapshot(train.Callback):
        def on_epoch_end(self, epoch, logs):
            ended_with[epoch] = {k: v.data.copy()
                                 for k, v in self.trainer.model.state_dict().items()}

    for order in ("checkpoint first", "early stopping first"):
        gn.manual_seed(0)
        x, y = toy.make_blobs(64, seed=0)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
        loader = DataLoader(TensorDataset(gn.tensor(x), gn.tensor(y)), batch_size=16,
                            shuffle=True)
        stop = train.EarlyStopping(monitor="score", mode="min", patience=2,
                                   restore_best_weights=True)
        save = train.ModelCheckpoint(str(tmp_path / (order + "-{epoch}.safetensors")))
        callbacks = [Score(), Snapshot()] + ([save, stop] if order == "checkpoint first"
                                             else [stop, save])
        train.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1)) \
            .fit(loader, 6, callbacks=callbacks, verbose=False)
        last = stop.stopped_epoch
        saved = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
        load_checkpoint(tmp_path / f"{order}-{last + 1}.safetensors", saved)
        for key, value in saved.state_dict().items():
            np.testing.assert_array_equal(value.data, ended_with[last][key])
            np.testing.assert_array_equal(model.state_dict()[key].data, ended_with[1][key])


def test_arrays_in_extra_that_would_share_a_name_are_refused(tmp_path):
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="both be stored as 'extra.a.b'"):
        io.checkpoint.save_checkpoint(tmp_path / "c.safetensors", model, extra={
            "a.b": np.ones(2), "a": {"b": np.zeros(2)}})
    assert not (tmp_path / "c.safetensors").exists()
