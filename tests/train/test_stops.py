"""Stops and resumes: a run stopped by a callback (inside an epoch or by EarlyStopping)
checkpoints its true position, a resume from it ends as an uninterrupted run does, and a
refused resume leaves the callbacks as they were."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import toy
from tests.train.test_resume_callbacks import Score, assert_same_weights, setup, weights


class StopAt(train.Callback):
    """Stops training cleanly after batch ``step`` (e.g. a wall-clock budget ran out)."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, step, logs):
        if step == self.step:
            self.trainer.stop_training = True


def step_lr(trainer):
    return train.LearningRateScheduler(
        optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.5))


@pytest.mark.parametrize("stop_step", [5, 7])  # 4 batches an epoch: inside epoch 1, its last
def test_a_run_stopped_inside_an_epoch_resumes_where_it_stopped(tmp_path, stop_step):
    path = str(tmp_path / "ck.safetensors")
    val = toy.make_blobs(16, seed=1)

    def run(callbacks, resume_from=None):
        trainer, loader = setup()
        history = trainer.fit(loader, epochs=3, val_data=val, verbose=False,
                              resume_from=resume_from,
                              callbacks=[step_lr(trainer), *callbacks])
        return trainer, history

    reference, history = run([])
    run([train.ModelCheckpoint(path), StopAt(stop_step)])
    resumed, resumed_history = run([train.ModelCheckpoint(path)], resume_from=path)
    assert resumed_history.epochs == history.epochs == [0, 1, 2]
    assert resumed_history.history == history.history
    assert_same_weights(resumed, weights(reference))


def test_a_refused_resume_leaves_the_callbacks_as_they_were(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    halve = train.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    stopper = train.EarlyStopping("loss", patience=5)
    trainer, loader = setup()
    trainer.fit(loader, epochs=2, verbose=False,
                callbacks=[halve, stopper, train.ModelCheckpoint(path)])

    def states():  # every attribute but the trainer, which each fit sets
        return [{k: v for k, v in cb.__dict__.items() if k != "trainer"}
                for cb in (halve, stopper)]

    before = states()
    with pytest.raises(ValueError, match="batch_size"):  # another batch size: refused
        setup()[0].fit(toy.make_blobs(64, seed=0), epochs=3, batch_size=8, verbose=False,
                       callbacks=[halve, stopper], resume_from=path)
    assert states() == before
    history = setup()[0].fit(setup()[1], epochs=3, verbose=False, callbacks=[halve, stopper])
    assert history.history["lr"] == [0.1, 0.05, 0.025]  # the schedule started afresh


@pytest.mark.parametrize("restore", [False, True])
def test_a_run_resumed_from_the_early_stopping_epochs_checkpoint_ends_as_it_did(
        tmp_path, restore):
    def run(resume_from=None):
        trainer, loader = setup()
        stopper = train.EarlyStopping("score", patience=2, mode="min",
                                      restore_best_weights=restore)
        save = train.ModelCheckpoint(str(tmp_path / "ck-{epoch}.safetensors"))
        history = trainer.fit(loader, epochs=6, verbose=False, resume_from=resume_from,
                              callbacks=[Score(), stopper, save])
        return trainer, history, stopper

    stopped, history, stopper = run()
    assert history.epochs == [0, 1, 2, 3] and stopper.stopped_epoch == 3
    resumed, resumed_history, resumed_stopper = run(str(tmp_path / "ck-4.safetensors"))
    assert resumed_history.epochs == history.epochs  # no extra epoch
    assert resumed_stopper.stopped_epoch == 3
    assert_same_weights(resumed, weights(stopped))  # with restore: epoch 1's weights


def nan_problem():
    gn.manual_seed(0)
    x, y = toy.make_blobs(20, seed=0)
    x = x.astype(np.float32)
    x[13, 1] = np.nan  # in batch 2 of 4 when not shuffled
    model = nn.Sequential(nn.Linear(2, 3))
    return train.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1)), \
        (x, y)


@pytest.mark.parametrize("stop", ["nan", "clean"])
@pytest.mark.parametrize("monitor", ["early stopping", "best checkpoint", "plateau"])
def test_a_stop_inside_an_epoch_skips_validation_monitors_and_keeps_its_reason(
        tmp_path, monitor, stop):
    trainer, (x, y) = nan_problem()
    watcher = {
        "early stopping": lambda: train.EarlyStopping(patience=2),
        "best checkpoint": lambda: train.ModelCheckpoint(str(tmp_path / "best.safetensors"),
                                                         save_best_only=True),
        "plateau": lambda: train.LearningRateScheduler(
            optim.lr_scheduler.ReduceLROnPlateau(trainer.optimizer)),
    }[monitor]
    stopper = train.TerminateOnNaN(verbose=False) if stop == "nan" else StopAt(1)
    history = trainer.fit((x, y), epochs=3, batch_size=5, shuffle=False,
                          val_data=(x[:10], y[:10]), verbose=False,
                          callbacks=[stopper, watcher()])
    if stop == "nan":
        assert history.stop_reason.startswith("TerminateOnNaN: loss became nan at step 3")
    else:
        assert history.stop_reason is None and history.epochs == [0]
    assert "val_loss" not in history.history
    assert not (tmp_path / "best.safetensors").exists()  # a cut-short epoch is not a best
    with pytest.raises(KeyError, match="'val_loss' is not in the epoch logs"):
        nan_problem()[0].fit((x[:10], y[:10]), epochs=1, batch_size=5, verbose=False,
                             callbacks=[watcher()])  # a whole epoch without val_data


def test_a_checkpoint_name_using_a_validation_value_is_skipped_with_a_warning_when_cut_short(
        tmp_path):
    # Before: the stop inside epoch 1 (no validation ran) ended in a raw KeyError 'val_loss'
    # from formatting the file name, which hid the stop.
    name = str(tmp_path / "ck-{epoch}-{val_loss:.3f}.safetensors")
    trainer, loader = setup()
    val = toy.make_blobs(16, seed=1)
    with pytest.warns(UserWarning, match=r"epoch 2 was cut short by a stop, so its logs lack "
                                         r"'val_loss'"):
        trainer.fit(loader, epochs=3, val_data=val, verbose=False,
                    callbacks=[StopAt(5), train.ModelCheckpoint(name)])
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 1 and written[0].startswith("ck-1-")  # epoch 1's, complete
    trainer, loader = setup()
    with pytest.raises(KeyError, match=r"the file name .* uses 'val_loss', which is not in the "
                                       r"epoch logs .* val_\* keys need val_data"):
        trainer.fit(loader, epochs=1, verbose=False, callbacks=[train.ModelCheckpoint(name)])
