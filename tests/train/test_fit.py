"""fit / evaluate / predict on small problems, metrics, and every callback."""

import csv
import io

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import DataLoader, TensorDataset, toy


def blobs_problem(seed=0):
    X, y = toy.make_blobs(400, seed=seed)
    return gn.tensor(X), gn.tensor(y)


def small_model():
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))


def test_fit_learns_separable_blobs_and_history_records_epochs():
    X, y = blobs_problem()
    model = small_model()
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                        (X, y), epochs=5, val_data=(X, y), batch_size=32, verbose=False)
    assert history.epochs == [0, 1, 2, 3, 4]
    assert len(history.history["loss"]) == 5 and "val_accuracy" in history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
    results = train.evaluate(model, nn.CrossEntropyLoss(), (X, y))
    assert results["accuracy"] > 0.95
    assert train.predict(model, X).shape == (400, 2)


def test_fit_matches_a_pytorch_training_loop_step_for_step():
    X, y = blobs_problem()
    model = small_model()
    twin = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    twin.load_state_dict({k: torch.from_numpy(v.data.copy())
                          for k, v in model.state_dict().items()})
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
              DataLoader(TensorDataset(X, y), batch_size=50), epochs=2, verbose=False)
    opt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    tx, ty = torch.from_numpy(X.data), torch.from_numpy(y.data)
    for _ in range(2):
        for i in range(0, 400, 50):
            loss = torch.nn.functional.cross_entropy(twin(tx[i:i + 50]), ty[i:i + 50])
            opt.zero_grad()
            loss.backward()
            opt.step()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.data, twin.state_dict()[k].numpy(), rtol=1e-4, atol=1e-5)


def test_metrics():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 0.5]])
    y = np.array([0, 1, 1, 2])
    assert train.accuracy(logits, y) == 0.5
    assert train.top_k_accuracy(logits, y, k=2) == 0.75
    matrix = train.confusion_matrix(logits, y, 3)
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 1, 0]]
    assert train.mse(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == 2.5
    assert train.mae(np.array([1.0, -2.0]), np.array([0.0, 0.0])) == 1.5
    with pytest.raises(ValueError, match=r"got 3 predictions and targets of shape \(2,\)"):
        train.accuracy(logits[:3], y[:2])


def test_early_stopping_stops_and_restores_best_weights():
    X, y = blobs_problem()
    model = small_model()
    calls = []

    class FakeValidation(train.Callback):
        """Feeds EarlyStopping a validation loss that gets worse after epoch 1."""

        def on_epoch_end(self, epoch, logs):
            logs["val_loss"] = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9][epoch]
            calls.append(epoch)
            if epoch == 1:
                self.best = {k: v.data.copy() for k, v in self.trainer.model.state_dict().items()}

    fake = FakeValidation()
    stopper = train.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=6, callbacks=[fake, stopper], verbose=False)
    assert calls == [0, 1, 2, 3] and stopper.stopped_epoch == 3
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.data, fake.best[k])


def test_terminate_on_nan_names_the_step_and_the_parameter():
    X, y = blobs_problem()
    model = small_model()

    class Poison(train.Callback):
        def on_batch_end(self, step, logs):
            if step == 2:
                with gn.no_grad():
                    self.trainer.model[2].weight.data[0, 0] = np.nan

    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                        (X, y), epochs=2, batch_size=32,
                        callbacks=[Poison(), train.TerminateOnNaN()], verbose=False)
    assert history.stop_reason.startswith("TerminateOnNaN: loss became nan at step 4")
    assert "parameter '2.weight'" in history.stop_reason



def test_terminate_on_nan_blames_a_non_finite_input_batch_not_the_model():
    X, y = blobs_problem()
    X = gn.tensor(X.data.copy())
    X.data[37, 1] = np.nan  # batch 2 (rows 32-63), its row 5
    model = small_model()
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                        (X, y), epochs=1, batch_size=32, shuffle=False,
                        callbacks=[train.TerminateOnNaN()], verbose=False)
    assert history.stop_reason == (
        "TerminateOnNaN: loss became nan at step 2 (epoch 1); first non-finite: the input "
        "batch: row 5, index (5, 1) is nan")
    assert all(np.isfinite(p.data).all() for p in model.parameters())

def test_nan_loss_without_terminate_on_nan_raises():
    X, y = blobs_problem()
    model = small_model()
    with gn.no_grad():
        model[0].weight.data[:] = np.nan
    with pytest.raises(ValueError, match="cross_entropy: argument 'input' contains NaN"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  (X, y), epochs=1, verbose=False)


def test_csv_logger_and_learning_rate_scheduler(tmp_path):
    X, y = blobs_problem()
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    path = tmp_path / "log.csv"
    train.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=3, verbose=False,
              callbacks=[train.LearningRateScheduler(schedule), train.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert [float(r["lr"]) for r in rows] == [0.1, 0.05, 0.025]
    assert opt.param_groups[0]["lr"] == 0.0125


@pytest.mark.parametrize("mode, scores, kept", [
    ("max", [0.5, 0.3, 0.7, 0.6], [1, 3]),
    ("min", [0.5, 0.3, 0.7, 0.2], [1, 2, 4]),
])
def test_model_checkpoint_saves_best_only(tmp_path, mode, scores, kept):
    X, y = blobs_problem()
    model = small_model()
    weights_after = {}

    class Score(train.Callback):  # a scripted monitored value, and the weights it refers to
        def on_epoch_end(self, epoch, logs):
            logs["score"] = scores[epoch]
            weights_after[epoch + 1] = {k: v.data.copy() for k, v in model.state_dict().items()}

    ckpt = train.ModelCheckpoint(str(tmp_path / "best-{epoch}.safetensors"), monitor="score",
                                 mode=mode, save_best_only=True, save_weights_only=True)
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=len(scores), callbacks=[Score(), ckpt], verbose=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        sorted(f"best-{e}.safetensors" for e in kept)
    assert ckpt.last_saved == str(tmp_path / f"best-{kept[-1]}.safetensors")
    for epoch in kept:
        state = gn.load(tmp_path / f"best-{epoch}.safetensors")
        assert list(state) == list(model.state_dict())
        for key, value in state.items():
            np.testing.assert_array_equal(value.data, weights_after[epoch][key])


def test_progress_bar_prints_plain_lines_when_not_a_terminal():
    X, y = blobs_problem()
    model = small_model()
    stream = io.StringIO()
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=1, batch_size=20, verbose=False, callbacks=[train.ProgressBar(stream)])
    text = stream.getvalue()
    assert "epoch 1/1  batch 5/20" in text and "samples/s" in text and "eta" in text
    assert "epoch 1/1  loss" in text and "accuracy" in text


def test_fit_rejects_bad_arguments():
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="DataLoader, a Dataset or a tuple"):
        train.fit(model, nn.CrossEntropyLoss(), opt, "data.csv", verbose=False)
    with pytest.raises(ValueError, match="epochs must be a non-negative int"):
        train.fit(model, nn.CrossEntropyLoss(), opt, blobs_problem(), epochs=-1)


def test_evaluate_and_predict_on_no_samples():
    model = small_model()
    empty_x, empty_y = np.zeros((0, 2), np.float32), np.zeros((0,), np.int64)
    result = train.evaluate(model, nn.CrossEntropyLoss(), (empty_x, empty_y))
    assert np.isnan(result["loss"])  # a mean over nothing, as torch.mean of an empty tensor
    out = train.predict(model, empty_x)
    assert out.shape == (0, 2)
    assert train.predict(model, (empty_x, empty_y)).shape == (0, 2)
    assert train.predict(model, TensorDataset(empty_x, empty_y)).shape == (0, 2)
    with_metrics = train.Trainer(model, nn.CrossEntropyLoss(), None, metrics=("accuracy",))
    result = with_metrics.evaluate((empty_x, empty_y))
    assert set(result) == {"loss", "accuracy"} and np.isnan(result["accuracy"])


def test_csv_logger_appending_new_columns_extends_the_header_and_keeps_every_row(tmp_path):
    path = tmp_path / "log.csv"
    X, y = blobs_problem()
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    train.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=1, metrics=(),
              callbacks=[train.CSVLogger(str(path))], verbose=False)
    train.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, val_data=(X, y),
              callbacks=[train.CSVLogger(str(path), append=True)], verbose=False)
    rows = list(csv.reader(open(path)))
    header = rows[0]
    assert header[:3] == ["epoch", "loss", "lr"] and "val_loss" in header
    assert all(len(row) == len(header) for row in rows) and len(rows) == 4
    first = dict(zip(header, rows[1]))
    assert first["val_loss"] == "" and float(first["loss"]) > 0  # the old row, kept
    assert float(dict(zip(header, rows[3]))["val_loss"]) > 0


def test_a_resume_that_fails_part_way_changes_nothing(tmp_path):
    X, y = blobs_problem()
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = train.Trainer(model, nn.CrossEntropyLoss(), opt)
    trainer.fit((X, y), epochs=1, batch_size=16, verbose=False)
    path = str(tmp_path / "ckpt.safetensors")
    trainer.save_checkpoint(path, epoch_finished=0)

    gn.manual_seed(123)
    fresh = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    fresh_opt = optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    fresh_trainer = train.Trainer(fresh, nn.CrossEntropyLoss(), fresh_opt)
    fresh_trainer.fit((X, y), epochs=1, batch_size=32, verbose=False)  # state of its own
    weights = {k: v.data.copy() for k, v in fresh.state_dict().items()}
    buffers = {i: {k: v.copy() for k, v in st.items()}
               for i, st in fresh_opt.state_dict()["state"].items()}
    rng = gn.random.get_rng_state()
    with pytest.raises(ValueError, match="DataLoader.load_state_dict"):  # another batch size
        fresh_trainer.fit((X, y), epochs=2, batch_size=32, verbose=False, resume_from=path)
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.data, weights[k])
    for i, st in fresh_opt.state_dict()["state"].items():
        for k, v in st.items():
            np.testing.assert_array_equal(v, buffers[i][k])
    assert gn.random.get_rng_state() == rng


def test_csv_logger_appends_to_a_ragged_log_without_failing(tmp_path):
    path = tmp_path / "log.csv"  # a row with more fields than its header (older versions)
    path.write_text("epoch,loss,lr\n1,0.7,0.1\n2,0.6,0.1,0.5,0.6\n")
    X, y = blobs_problem()
    model = small_model()
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=1, val_data=(X, y), callbacks=[train.CSVLogger(str(path), append=True)],
              verbose=False)
    rows = list(csv.reader(open(path)))
    assert all(len(row) == len(rows[0]) for row in rows) and len(rows) == 4
    assert rows[2][:3] == ["2", "0.6", "0.1"]  # the labelled fields are kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]  # no temp file left


def test_a_resumed_run_rewrites_the_log_rows_after_its_checkpoint_once(tmp_path):
    # After a NaN stop in epoch 2 the log kept an empty epoch-2 row, and --resume then
    # appended a second epoch-2 row.
    X, y = blobs_problem()
    model = small_model()
    trainer = train.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    trainer.fit((X, y), epochs=1, batch_size=16, verbose=False)
    checkpoint = str(tmp_path / "ckpt.safetensors")
    trainer.save_checkpoint(checkpoint, epoch_finished=0)
    log = tmp_path / "log.csv"
    # an earlier run's three epochs, then this run's epoch 1 and an epoch 2 stopped by a NaN
    log.write_text("epoch,loss,lr\n1,0.9,0.1\n2,0.8,0.1\n3,0.75,0.1\n1,0.7,0.1\n2,,0.1\n")
    trainer.fit((X, y), epochs=3, batch_size=16, verbose=False, resume_from=checkpoint,
                callbacks=[train.CSVLogger(str(log), append=True)])
    rows = list(csv.DictReader(open(log)))
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "1", "2", "3"]  # only its tail
    assert rows[2]["loss"] == "0.75" and rows[3]["loss"] == "0.7"
    assert float(rows[4]["loss"]) > 0  # the new epoch-2 row
    fresh = tmp_path / "fresh.csv"  # a plain append (no resume) still keeps every row
    fresh.write_text("epoch,loss,lr\n1,0.7,0.1\n")
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=1, metrics=(), callbacks=[train.CSVLogger(str(fresh), append=True)],
              verbose=False)
    assert [row["epoch"] for row in csv.DictReader(open(fresh))] == ["1", "1"]
