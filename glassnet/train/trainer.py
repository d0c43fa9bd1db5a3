"""``Trainer``: the training loop, with ``fit``, ``evaluate`` and ``predict``.

    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      metrics=["accuracy"])
    history = trainer.fit(train_loader, epochs=5, val_data=test_loader,
                          callbacks=[EarlyStopping(patience=2)])

One training step (``train_step``) is: forward, loss, backward, optimizer step — the same four
lines a PyTorch user writes. ``fit`` repeats it over the epochs and calls the callbacks, which
are the only extension point (progress bar, History, early stopping, checkpoints, schedules).
The module-level ``fit``/``evaluate``/``predict`` functions build a Trainer and call it.
"""

from __future__ import annotations

import copy

import numpy as np

from glassnet import random
from glassnet.autograd.grad_mode import no_grad
from glassnet.ops._util import NonFiniteError
from glassnet.tensor import Tensor
from glassnet.train import metrics as metrics_lib
from glassnet.train.callbacks import Callback, CallbackList, History, ProgressBar


def as_loader(data, batch_size: int, shuffle: bool, caller: str = "fit", dtype=None):
    """A DataLoader for ``data``: a DataLoader as is, a Dataset, or a tuple (X, y) of
    arrays or Tensors. Floating inputs X given as arrays (not Tensors) are cast to ``dtype``,
    the model's parameter dtype, as Keras does."""
    from glassnet.data import DataLoader, Dataset, TensorDataset

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = (d if isinstance(d, Tensor) else Tensor(np.asarray(d)) for d in data)
        if not isinstance(data[0], Tensor):
            x = Tensor(_cast_inputs(x.data, dtype))
        return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
    raise TypeError(f"{caller}: data must be a DataLoader, a Dataset or a tuple (inputs, "
                    f"targets), got {type(data).__name__}")


def _cast_inputs(x: np.ndarray, dtype) -> np.ndarray:
    """Floating ``x`` in ``dtype`` (when that is a floating dtype); anything else as is."""
    if dtype is not None and x.dtype.kind == "f" and np.dtype(dtype).kind == "f":
        return x.astype(dtype, copy=False)
    return x


def _parameter_dtype(model):
    """The dtype of the model's first parameter (None for a model without parameters)."""
    for p in model.parameters():
        return p.data.dtype
    return None


class Trainer:
    """Trains ``model`` to minimise ``loss_fn`` with ``optimizer``.

    Attributes callbacks may read or set: ``model``, ``optimizer``, ``epoch`` (0-based),
    ``epochs``, ``global_step``, ``steps_per_epoch``, ``stop_training``, ``stop_reason``.
    ``partial_epoch`` is True in the end hooks of an epoch cut short by a stop: its logs cover
    the batches run and hold no validation, so monitors skip that epoch.
    """

    def __init__(self, model, loss_fn, optimizer, metrics="auto"):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        # "auto": accuracy for classification losses, nothing for regression ones
        self.metrics = metrics_lib.metrics_for(loss_fn, metrics)
        self.epoch, self.epochs, self.global_step = 0, 0, 0
        self.epoch_start_step, self.steps_per_epoch = 0, None
        self.stop_training, self.stop_reason = False, None
        self.non_finite_cause = None  # set while callbacks hear of a loss that refused NaN
        self.train_loader = None
        self._deferred: list = []  # call_after_hooks: run once the current hooks have run
        self._epoch_ended = False  # the current epoch's end hooks have all run
        self.partial_epoch = False  # the current epoch was cut short by a stop

    # ------------------------------------------------------------------ one step
    def train_step(self, x: Tensor, y: Tensor) -> dict:
        """Forward, loss, backward, update. Returns the batch's logs (loss and metrics)."""
        output = self.model(x)
        loss = self.loss_fn(output, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        logs = {"loss": loss.item(), "batch_size": x.shape[0]}
        for name, fn in self.metrics:
            logs[name] = self._metric("fit", name, fn, output, y)
        return logs

    @staticmethod
    def _metric(caller: str, name: str, fn, output, y) -> float:
        """``fn(output, y)``; a metric that cannot apply to these shapes is named."""
        try:
            return fn(output.data, y.data)
        except (ValueError, TypeError, IndexError) as error:
            raise ValueError(f"{caller}: metric '{name}' cannot be computed for output shape "
                             f"{tuple(output.shape)} and target shape {tuple(y.shape)}: "
                             f"{error}") from error

    def eval_step(self, x: Tensor, y: Tensor) -> tuple:
        with no_grad():
            output = self.model(x)
            loss = self.loss_fn(output, y)
        return output, loss.item()

    # ------------------------------------------------------------------ loops
    def fit(self, train_data, epochs: int = 1, val_data=None, batch_size: int = 32,
            shuffle: bool = True, callbacks=(), verbose: bool = True, initial_epoch: int = 0,
            resume_from: str | None = None) -> History:
        """Train for ``epochs`` epochs; returns the History (per-epoch logs).

        ``resume_from`` is a training checkpoint written by ModelCheckpoint or
        ``save_checkpoint``: weights, optimizer, random generator and data position are
        restored and training continues exactly where it stopped.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
        dtype = _parameter_dtype(self.model)
        loader = as_loader(train_data, batch_size, shuffle, "fit", dtype)
        val_loader = None if val_data is None else as_loader(val_data, 1024, False, "fit",
                                                             dtype)
        history = History()
        extra = [ProgressBar()] if verbose else []
        cbs = CallbackList([history, *callbacks, *extra], self)
        self._callbacks, self._deferred = cbs.callbacks, []
        self.train_loader, self.epochs = loader, epochs
        self.stop_training, self.stop_reason = False, None
        self.steps_per_epoch = len(loader)
        skip_batches, resumed_totals = 0, None
        if resume_from is not None:
            info = self._resume(resume_from, loader)
            initial_epoch, skip_batches = info["epoch"], info["batch"]
            totals = info["extra"].get("epoch_totals")
            resumed_totals = (totals["sums"], totals["seen"]) if totals else None
        # where a checkpoint taken now (before the first epoch) would resume
        self.epoch, self.epoch_start_step = initial_epoch, self.global_step - skip_batches
        self._epoch_ended = False
        # A resumed run tells its callbacks where it starts: epochs after initial_epoch are
        # about to be run (again), e.g. for CSVLogger to drop rows written past the checkpoint.
        cbs.on_train_begin({} if resume_from is None else {"resumed_at_epoch": initial_epoch})
        try:
            for epoch in range(initial_epoch, epochs):
                if self.stop_training:  # stopped in on_train_begin: a resumed, stopped run
                    break
                self.epoch, self.epoch_start_step = epoch, self.global_step - skip_batches
                self._epoch_ended, self.partial_epoch = False, False
                self.model.train()
                cbs.on_epoch_begin(epoch, {})
                # Running sums of this epoch's logs; a mid-epoch resume restores them so the
                # epoch's means cover every batch, as in an uninterrupted run.
                self._totals, self._seen = resumed_totals or ({}, 0)
                totals = self._totals
                # A checkpoint taken after the epoch's last batch (before its end-of-epoch
                # hooks) resumes straight into them; otherwise the loader continues by itself.
                batches = () if skip_batches >= self.steps_per_epoch else loader
                skip_batches, resumed_totals = 0, None
                for x, y in batches:
                    cbs.on_batch_begin(self.global_step, {})
                    try:
                        logs = self.train_step(x, y)
                    except NonFiniteError as error:
                        # The loss refused a NaN input: report a NaN loss to the callbacks
                        # (TerminateOnNaN names the culprit and stops); if none stops
                        # training, continuing would only spread NaN, so the error stands.
                        # For TerminateOnNaN: a non-finite value in the batch itself, if
                        # any (else it looks at the parameters and the model's output).
                        self.non_finite_cause = _non_finite_batch(x)
                        cbs.on_batch_end(self.global_step, {"loss": float("nan"),
                                                            "batch_size": x.shape[0]})
                        self.non_finite_cause = None
                        self._run_deferred()
                        if not self.stop_training:
                            raise
                        self.stop_reason = self.stop_reason or str(error)
                        break
                    n = logs["batch_size"]
                    self._seen += n
                    for key, value in logs.items():
                        if key != "batch_size":
                            totals[key] = totals.get(key, 0.0) + value * n
                    self.global_step += 1  # counted before the hooks: a checkpoint saved
                    cbs.on_batch_end(self.global_step - 1, logs)  # there includes this step
                    if self._deferred:
                        self._run_deferred()
                    if self.stop_training:
                        break
                epoch_logs = {k: v / max(self._seen, 1) for k, v in totals.items()}
                if self.optimizer is not None:
                    epoch_logs["lr"] = self.optimizer.param_groups[0]["lr"]
                # A stop during the batches (even after the last one) cuts the epoch short:
                # no validation, and a checkpoint now resumes into this epoch's end.
                self.partial_epoch = self.stop_training
                if val_loader is not None and not self.partial_epoch:
                    epoch_logs.update({f"val_{k}": v
                                       for k, v in self.evaluate(val_loader).items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                self._epoch_ended = True  # a checkpoint now resumes at the next epoch
                self._run_deferred()
                if self.stop_training:
                    break
        finally:
            cbs.on_train_end({})
        history.stop_reason = self.stop_reason
        return history

    def call_after_hooks(self, fn) -> None:
        """Run ``fn()`` once every callback's hook for the current batch end or epoch end has
        run (ModelCheckpoint saves this way): a checkpoint saved then holds every callback's
        state for that point, whatever the order of the callbacks."""
        self._deferred.append(fn)

    def _run_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        for fn in deferred:
            fn()

    def evaluate(self, data, batch_size: int = 1024) -> dict:
        """Mean loss and metrics over ``data`` in eval mode, without a graph."""
        loader = as_loader(data, batch_size, False, "evaluate", _parameter_dtype(self.model))
        was_training = self.model.training
        self.model.eval()
        totals, seen = {"loss": 0.0, **{name: 0.0 for name, _ in self.metrics}}, 0
        try:
            for x, y in loader:
                output, loss = self.eval_step(x, y)
                n = x.shape[0]
                seen += n
                totals["loss"] += loss * n
                for name, fn in self.metrics:
                    value = self._metric("evaluate", name, fn, output, y)
                    totals[name] = totals.get(name, 0.0) + value * n
        finally:
            self.model.train(was_training)
        # a mean over no samples is NaN (as torch.mean of an empty tensor), not 0
        return {k: v / seen if seen else float("nan") for k, v in totals.items()}

    def predict(self, data, batch_size: int = 1024) -> Tensor:
        """The model's outputs for every sample of ``data`` (inputs, or (inputs, targets))."""
        return predict(self.model, data, batch_size)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str, epoch_finished: int | None = None) -> None:
        """A checkpoint to resume from, after a finished epoch or mid-epoch: weights,
        optimizer, random generator, the loader's position (so the remaining batches, and
        the next epochs' shuffles, are the ones an uninterrupted run would see) and the
        callbacks' states. Called after ``fit`` returns, it resumes after the last epoch run.
        Called from a hook, it holds the callbacks' states as they are at that moment; use
        ``call_after_hooks`` to save once every callback's hook has run."""
        from glassnet.io import save_checkpoint

        if epoch_finished is not None:
            epoch, batch = epoch_finished + 1, 0
        else:
            epoch, batch = self.epoch, self.global_step - self.epoch_start_step
            # The epoch and its end hooks are done, unless a stop cut it short: then even
            # after its last batch, a resume runs its end again, this time with validation.
            if (self._epoch_ended and not self.partial_epoch
                    and batch >= (self.steps_per_epoch or 0)):
                epoch, batch = epoch + 1, 0
        loader_state = self.train_loader.state_dict() if self.train_loader else None
        save_checkpoint(path, self.model, self.optimizer, epoch=epoch, step=self.global_step,
                        loader_state=loader_state,
                        extra={"batch": batch, "callbacks": self._callback_states(),
                               "epoch_totals": None if batch == 0 else
                               {"sums": dict(self._totals), "seen": self._seen}})

    def _callback_states(self) -> dict:
        """State of every callback that has one (schedules, History, EarlyStopping), keyed
        by position and type so a resumed run with the same callbacks gets it back. Arrays in
        a state (EarlyStopping's best weights) are stored as the checkpoint's tensors."""
        return {f"{i}:{type(cb).__name__}": cb.state_dict()
                for i, cb in enumerate(getattr(self, "_callbacks", ()))
                if hasattr(cb, "state_dict")}

    def _restore_callbacks(self, states: dict) -> None:
        mine = {f"{i}:{type(cb).__name__}": cb for i, cb in enumerate(self._callbacks)
                if hasattr(cb, "load_state_dict")}
        missing = sorted(set(states) - set(mine))
        if missing:
            raise ValueError(f"fit: the checkpoint holds state for callbacks {missing} that "
                             f"this run does not have ({sorted(mine)}); resume with the same "
                             "callbacks")
        for key, state in states.items():
            mine[key].load_state_dict(state)

    def _resume(self, path: str, loader) -> dict:
        """Restore a checkpoint into the model, optimizer, generator, loader, callbacks and
        step count, or, if any part refuses (a loader of another batch size, callbacks that
        differ, a malformed field), into none of them: everything is put back as it was."""
        model = {k: v.data.copy() for k, v in self.model.state_dict().items()}
        optimizer = (copy.deepcopy(self.optimizer.state_dict())
                     if self.optimizer is not None else None)
        rng = random.get_rng_state()
        loader_fields = dict(getattr(loader, "__dict__", {}))
        loader_rng = getattr(getattr(loader, "generator", None), "bit_generator", None)
        loader_rng_state = loader_rng.state if loader_rng is not None else None
        callbacks = [_snapshot(cb) for cb in self._callbacks]
        step = self.global_step
        try:
            info = self.load_checkpoint(path)
            if info["loader_state"] is not None:
                loader.load_state_dict(info["loader_state"])
            self._restore_callbacks(info["extra"].get("callbacks", {}))
            totals = info["extra"].get("epoch_totals")
            if totals is not None and not (isinstance(totals, dict) and set(totals) >= {
                    "sums", "seen"}):
                raise ValueError(f"fit: the checkpoint {path} has malformed epoch totals")
            if isinstance(info["batch"], bool) or not isinstance(info["batch"], int) \
                    or info["batch"] < 0:
                raise ValueError(f"fit: the checkpoint {path} has a bad batch position "
                                 f"{info['batch']!r}")
            self.global_step = info["step"]
            return info
        except BaseException:
            self.model.load_state_dict(model)
            if optimizer is not None:
                self.optimizer.load_state_dict(optimizer)
            random.set_rng_state(rng)
            if loader_fields:
                loader.__dict__.clear()
                loader.__dict__.update(loader_fields)
            if loader_rng is not None:
                loader_rng.state = loader_rng_state
            for snapshot in callbacks:
                _restore(*snapshot)
            self.global_step = step
            raise

    def load_checkpoint(self, path: str) -> dict:
        """Restore model, optimizer and random generator; returns the checkpoint's info
        (epoch, step, batch within the epoch, loader_state)."""
        from glassnet.io import load_checkpoint

        info = load_checkpoint(path, self.model, self.optimizer)
        info["batch"] = info["extra"].get("batch", 0)
        return info


def fit(model, loss_fn, optimizer, train_data, epochs: int = 1, val_data=None,
        batch_size: int = 32, shuffle: bool = True, callbacks=(), metrics="auto",
        verbose: bool = True, resume_from: str | None = None) -> History:
    """Train ``model``; see ``Trainer.fit``. Returns the History. ``metrics="auto"`` logs
    accuracy for classification losses and nothing else for regression losses."""
    trainer = Trainer(model, loss_fn, optimizer, metrics)
    return trainer.fit(train_data, epochs, val_data, batch_size, shuffle, callbacks, verbose,
                       resume_from=resume_from)


def evaluate(model, loss_fn, data, metrics="auto", batch_size: int = 1024) -> dict:
    """Mean loss and metrics of ``model`` on ``data``."""
    return Trainer(model, loss_fn, None, metrics).evaluate(data, batch_size)


def predict(model, data, batch_size: int = 1024) -> Tensor:
    """The outputs of ``model`` for ``data``, concatenated over batches: a Tensor, an array
    or an array-like (e.g. a list of samples) of inputs, a tuple (inputs, targets), a
    Dataset or a DataLoader (of inputs, or of tuples whose first item is the inputs).
    Floating inputs given as arrays are cast to the model's parameter dtype."""
    from glassnet.data import DataLoader, Dataset, TensorDataset

    if isinstance(data, tuple) and data and isinstance(data[0], (Tensor, np.ndarray)):
        data = data[0]  # (inputs, targets): the inputs
    elif type(data) is TensorDataset:  # its inputs (a subclass may transform them)
        data = data.tensors[0]
    if not isinstance(data, (Tensor, np.ndarray, Dataset, DataLoader)):
        try:
            data = np.asarray(data)
        except ValueError as error:  # ragged
            raise TypeError(f"predict: data must be inputs (a Tensor, an array or a list of "
                            f"samples of one shape), a tuple (inputs, targets), a Dataset or "
                            f"a DataLoader; could not read {type(data).__name__}: {error}") \
                from None
        if data.dtype.kind not in "biuf":
            raise TypeError(f"predict: inputs must be numbers; {type(data).__name__} data "
                            f"reads as dtype {data.dtype}")
    if isinstance(data, (Tensor, np.ndarray)):
        x = data.data if isinstance(data, Tensor) else _cast_inputs(data,
                                                                   _parameter_dtype(model))
        # an empty input still goes through the model once: its output has the right shape
        batches = (Tensor(x[i:i + batch_size]) for i in range(0, max(len(x), 1), batch_size))
    else:
        loader = as_loader(data, batch_size, False, "predict")
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in loader)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(x).data for x in batches]
    finally:
        model.train(was_training)
    return Tensor(np.concatenate(outputs) if outputs else np.zeros((0,), np.float32))


__all__ = ["Trainer", "fit", "evaluate", "predict", "Callback"]


def _snapshot(cb) -> tuple:
    """What ``_restore`` needs to put ``cb`` back as it is now: its attributes, and a copy of
    its state (which may live in objects it holds, such as a scheduler it steps)."""
    state = None
    if hasattr(cb, "state_dict") and hasattr(cb, "load_state_dict"):
        try:
            state = copy.deepcopy(cb.state_dict())
        except AttributeError:  # no state yet: some make theirs in on_train_begin
            pass
    return cb, dict(cb.__dict__), state


def _restore(cb, fields: dict, state) -> None:
    """Put back a callback saved by ``_snapshot``. Its attributes are restored last and
    whole: ``load_state_dict`` alone would leave it marked as resumed (and so skipping its
    reset in the next ``fit``) and keep attributes it set that were not there before."""
    if state is not None:
        cb.load_state_dict(state)
    cb.__dict__.clear()
    cb.__dict__.update(fields)


def _non_finite_batch(x) -> str | None:
    """Where the input batch holds its first NaN or inf, e.g. "the input batch: row 4, index
    (4, 0) is nan"; None when every value is finite (or x is not a float array)."""
    data = getattr(x, "data", x)
    if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
        return None
    bad = ~np.isfinite(data)
    if not bad.any():
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"the input batch: row {where[0]}, index {where} is {data[where]}"
