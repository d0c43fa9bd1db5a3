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
    return train.Trainer(model, nn.CrossEntropyLoss(), opt), loader


@pytest.mark.parametrize("own_generator", [False, True])
@pytest.mark.parametrize("kill_step", [13, 20])  # mid-epoch, and right at an epoch's end
def test_resume_after_kill_is_bit_identical(tmp_path, own_generator, kill_step):
    reference, loader = setup(own_generator)
    reference.fit(loader, epochs=4, verbose=False)
    expected = {k: v.data.copy() for k, v in reference.model.state_dict().items()}

    path = str(tmp_path / "kill.safetensors")
    first, loader = setup(own_generator)
    with pytest.raises(Killed):
        first.fit(loader, epochs=4, verbose=False, callbacks=[KillAt(kill_step, path)])

    gn.manual_seed(123)  # a new process would start from another random state
    resumed, loader = setup(own_generator)
    gn.manual_seed(456)
    resumed.fit(loader, epochs=4, verbose=False, resume_from=path)
    for k, v in resumed.model.state_dict().items():
        np.testing.assert_array_equal(v.data, expected[k], err_msg=k)
    assert resumed.global_step == reference.global_step
