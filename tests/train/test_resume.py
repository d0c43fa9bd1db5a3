"""Training resumed after a kill continues bit for bit like a run that was never stopped."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import DataLoader, TensorDataset, toy


class Killed(Exception):
    pass


class KillAt(train.Callback):
    """Saves a mid-epoch checkpoint at ``step`` and then dies, like a process killed there."""

    def __init__(self, step, path):
        self.step, self.path = step, path

    def on_batch_end(self, step, logs):
        if step == self.step:
            self.trainer.save_checkpoint(self.path)
            raise Killed


def setup(own_generator: bool):
    gn.manual_seed(0)
    X, y = toy.make_spirals(300, seed=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    generator = np.random.default_rng(5) if own_generator else None
    loader = DataLoader(TensorDataset(gn.tensor(X), gn.tensor(y)), batch_size=32,
                        shuffle=True, generator=generator)
    schedule = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=4 * len(loader))
    callbacks = [train.LearningRateScheduler(schedule, per="batch"),
                 train.EarlyStopping(monitor="loss", patience=10)]
    return train.Trainer(model, nn.CrossEntropyLoss(), opt), loader, callbacks


@pytest.mark.parametrize("own_generator", [False, True])
@pytest.mark.parametrize("kill_step", [13, 19, 20])  # mid-epoch, at an epoch's end, just after
def test_resume_after_kill_is_bit_identical(tmp_path, own_generator, kill_step):
    reference, loader, callbacks = setup(own_generator)
    history = reference.fit(loader, epochs=4, verbose=False, callbacks=callbacks)
    expected = {k: v.data.copy() for k, v in reference.model.state_dict().items()}

    path = str(tmp_path / "kill.safetensors")
    first, loader, callbacks = setup(own_generator)
    with pytest.raises(Killed):
        first.fit(loader, epochs=4, verbose=False,
                  callbacks=[*callbacks, KillAt(kill_step, path)])

    gn.manual_seed(123)  # a new process would start from another random state
    resumed, loader, callbacks = setup(own_generator)
    gn.manual_seed(456)
    resumed_history = resumed.fit(loader, epochs=4, verbose=False, resume_from=path,
                                  callbacks=[*callbacks, KillAt(-1, path)])
    for k, v in resumed.model.state_dict().items():
        np.testing.assert_array_equal(v.data, expected[k], err_msg=k)
    assert resumed.global_step == reference.global_step
    assert resumed.optimizer.param_groups[0]["lr"] == reference.optimizer.param_groups[0]["lr"]
    # The History (restored, and the resumed epoch's sums) is the uninterrupted run's.
    assert resumed_history.history["loss"] == history.history["loss"]
