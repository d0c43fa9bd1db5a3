"""Callbacks: the only way to extend ``fit`` (as in Keras).

A callback overrides any of the hooks below; ``self.trainer`` is the running Trainer (its
model, optimizer, ``stop_training`` flag and ``global_step``). ``logs`` is a dict of numbers:
per batch ``loss``, ``batch_size`` and the running metrics; per epoch the epoch's means and
the validation results prefixed with ``val_``.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
import warnings

import numpy as np


def _partial_epoch(trainer) -> bool:
    """Whether the epoch whose end hooks run was cut short by a stop (see Trainer)."""
    return bool(getattr(trainer, "partial_epoch", False))


class Callback:
    """Base class: every hook does nothing."""

    trainer = None

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict) -> None: ...
    def on_train_end(self, logs: dict) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...
    def on_batch_begin(self, step: int, logs: dict) -> None: ...
    def on_batch_end(self, step: int, logs: dict) -> None: ...


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks, trainer):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be Callback instances, got "
                                f"{type(cb).__name__}")
            cb.set_trainer(trainer)
        # Only callbacks that override a per-batch hook are called per batch (hot loop).
        self._batch_begin = [cb for cb in self.callbacks
                             if type(cb).on_batch_begin is not Callback.on_batch_begin]
        self._batch_end = [cb for cb in self.callbacks
                           if type(cb).on_batch_end is not Callback.on_batch_end]

    def on_train_begin(self, logs):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs):
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, step, logs):
        for cb in self._batch_begin:
            cb.on_batch_begin(step, logs)

    def on_batch_end(self, step, logs):
        for cb in self._batch_end:
            cb.on_batch_end(step, logs)


class History(Callback):
    """Records every epoch's logs: ``history.history["val_loss"]`` is a list, one per epoch.

    Under a Trainer it records once every callback's ``on_epoch_end`` has run, so values
    that later callbacks add to the logs (``Perplexity``'s ``perplexity``) are kept too, and
    before any checkpoint of that point is written (both wait through ``call_after_hooks``).
    """

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epochs: list[int] = []
        self._partial_keys = None  # the keys of the last record, if its epoch was cut short

    def on_epoch_end(self, epoch, logs):
        defer = getattr(getattr(self, "trainer", None), "call_after_hooks", None)
        if defer is None:
            self._record(epoch, logs)
        else:
            defer(lambda: self._record(epoch, logs))

    def _record(self, epoch, logs):
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self._partial_keys = list(logs) if _partial_epoch(self.trainer) else None

    def state_dict(self) -> dict:
        """The records, less that of an epoch cut short by a stop: a run resumed from this
        point finishes that epoch and records it whole, as an uninterrupted run does."""
        history = {k: list(v) for k, v in self.history.items()}
        epochs = list(self.epochs)
        if self._partial_keys is not None:
            epochs.pop()
            for key in self._partial_keys:
                history[key].pop()
            history = {k: v for k, v in history.items() if v}
        return {"history": history, "epochs": epochs}

    def load_state_dict(self, state: dict) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epochs = list(state["epochs"])
        self._partial_keys = None


def _format_logs(logs: dict, keys=None) -> str:
    items = [(k, v) for k, v in logs.items() if keys is None or k in keys]
    return "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in items
                     if k != "batch_size")


class ProgressBar(Callback):
    """Per-batch progress: loss, running accuracy, throughput and ETA.

    Uses tqdm when it is installed and the stream is a terminal; otherwise prints plain lines
    (a few per epoch and one at its end), which read well in logs and CI.
    """

    def __init__(self, stream=None, lines_per_epoch: int = 4, use_tqdm: bool | None = None):
        self.stream = stream or sys.stderr
        self.lines_per_epoch = lines_per_epoch
        self.use_tqdm = use_tqdm
        self._bar = None

    def on_train_begin(self, logs):
        if self.use_tqdm is None:
            try:
                import tqdm  # noqa: F401
                self.use_tqdm = hasattr(self.stream, "isatty") and self.stream.isatty()
            except ImportError:
                self.use_tqdm = False

    def on_epoch_begin(self, epoch, logs):
        self.epoch, self.start, self.seen = epoch, time.perf_counter(), 0
        self.total = self.trainer.steps_per_epoch
        self.loss_sum, self.metric_sums = 0.0, {}
        self.every = max(1, (self.total or 1) // max(self.lines_per_epoch, 1))
        if self.use_tqdm:
            from tqdm import tqdm
            self._bar = tqdm(total=self.total, desc=f"epoch {epoch + 1}/{self.trainer.epochs}",
                             file=self.stream, unit="batch", leave=True, dynamic_ncols=True)

    def on_batch_end(self, step, logs):
        n = logs.get("batch_size", 1)
        self.seen += n
        self.loss_sum += logs["loss"] * n
        for key, value in logs.items():
            if key not in ("loss", "batch_size"):
                self.metric_sums[key] = self.metric_sums.get(key, 0.0) + value * n
        batch_index = step - self.trainer.epoch_start_step + 1
        elapsed = time.perf_counter() - self.start
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        running = {"loss": self.loss_sum / self.seen}
        running.update({k: v / self.seen for k, v in self.metric_sums.items()})
        if self._bar is not None:
            self._bar.update(1)
            if batch_index % 10 == 0 or batch_index == self.total:
                self._bar.set_postfix({**{k: f"{v:.4f}" for k, v in running.items()},
                                       "samples/s": f"{rate:,.0f}"}, refresh=False)
        elif self.total and batch_index % self.every == 0 and batch_index < self.total:
            eta = (self.total - batch_index) * elapsed / batch_index
            print(f"epoch {self.epoch + 1}/{self.trainer.epochs}  batch {batch_index}/"
                  f"{self.total}  {_format_logs(running)}  {rate:,.0f} samples/s  "
                  f"eta {eta:.1f}s", file=self.stream, flush=True)

    def on_epoch_end(self, epoch, logs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elapsed = time.perf_counter() - self.start
        print(f"epoch {epoch + 1}/{self.trainer.epochs}  {_format_logs(logs)}  "
              f"({elapsed:.1f}s, {self.seen / max(elapsed, 1e-9):,.0f} samples/s)",
              file=self.stream, flush=True)


def _better(mode: str, monitor: str, who: str) -> str:
    """'min' or 'max'; 'auto' picks 'max' for accuracy-like names (acc, auc, top-k,
    precision, recall, f1, with or without the val_ prefix) and 'min' otherwise."""
    if mode == "auto":
        name = monitor[4:] if monitor.startswith("val_") else monitor
        high = ("acc" in name or "auc" in name or name.startswith("top")
                or name in ("precision", "recall", "f1"))
        mode = "max" if high else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    optionally put back the best epoch's weights when training ends (so the stopping epoch's
    checkpoint still holds its own weights). The best value starts at +-inf and a NaN
    never improves on it. The state (best, wait, best weights, the stop) travels in
    checkpoints: the weights as tensors, so a resumed run restores the same ones, and a run
    resumed after the stop ends at once, as the stopped run did. An epoch cut short by
    another stop is skipped: its logs cover part of the epoch and hold no validation."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.mode = _better(mode, monitor, "EarlyStopping")
        self.restore_best_weights = restore_best_weights
        self._resumed = False

    def on_train_begin(self, logs):
        if not self._resumed:
            self.best = math.inf if self.mode == "min" else -math.inf
            self.wait, self.best_weights, self.stopped_epoch = 0, None, None
        elif self.stopped_epoch is not None:
            self.trainer.stop_training = True  # resumed after the stop: end as that run did
        self._resumed = False

    def state_dict(self) -> dict:
        """best, wait and the stopped epoch (JSON), and the best weights (arrays: stored as
        checkpoint tensors)."""
        return {"best": self.best, "wait": self.wait, "best_weights": self.best_weights,
                "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict) -> None:
        best = state["best"]  # None: a checkpoint from before best started at +-inf
        if best is None:
            best = math.inf if self.mode == "min" else -math.inf
        self.best, self.wait = best, state["wait"]
        weights = state.get("best_weights")
        self.best_weights = None if weights is None else dict(weights)
        # absent from checkpoints written before the stop was saved: not stopped
        self.stopped_epoch, self._resumed = state.get("stopped_epoch"), True

    def _improved(self, value: float) -> bool:
        if value != value:  # NaN
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs):
        if _partial_epoch(self.trainer):
            return
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitored value '{self.monitor}' is not in the "
                           f"epoch logs (available: {sorted(logs)})")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.data.copy()
                                     for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        # Keras: patience epochs without improvement; the first epoch (a NaN there) has
        # nothing to fall behind, so it never stops training
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs):
        # Restored here, as Keras does, and not when stopping: that epoch's checkpoints are
        # written once every epoch-end hook has run, and must hold that epoch's weights.
        if (self.stopped_epoch is not None and self.restore_best_weights
                and self.best_weights is not None):
            self.trainer.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save a training checkpoint after each epoch (or only when ``monitor`` improves).

    ``filepath`` may contain ``{epoch}`` (1-based) and any log key, e.g.
    ``"ckpt-{epoch:02d}-{val_accuracy:.4f}.safetensors"``. Writes are atomic, so an
    interrupted save leaves the previous checkpoint intact. With ``save_weights_only`` the
    file holds the weights alone (``glassnet.load`` reads it); otherwise it also holds the
    optimizer, random generator and data position for an exact resume.
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", save_weights_only: bool = False):
        self.filepath, self.monitor = filepath, monitor
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _better(mode, monitor, "ModelCheckpoint")
        self.best = None
        self.last_saved: str | None = None

    def state_dict(self) -> dict:
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.last_saved = state["best"], state["last_saved"]

    def on_epoch_end(self, epoch, logs):
        # Saved once every callback's on_epoch_end has run, so that the checkpoint holds
        # their states for this epoch (and the logs they added) whatever their order.
        defer = getattr(self.trainer, "call_after_hooks", None)
        if defer is None:
            self._save(epoch, logs)
        else:
            defer(lambda: self._save(epoch, logs))

    def _save(self, epoch, logs):
        if self.trainer.stop_reason or not all(
                math.isfinite(v) for v in logs.values() if isinstance(v, float)):
            return  # a halted or diverged epoch must not replace a good checkpoint
        best, last_saved = self.best, self.last_saved
        if self.save_best_only and _partial_epoch(self.trainer):
            return  # an epoch cut short by a stop cannot be compared with the best
        path = self._path(epoch, logs)
        if path is None:
            return
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise KeyError(f"ModelCheckpoint: monitored value '{self.monitor}' is not in "
                               f"the epoch logs (available: {sorted(logs)})")
            if self.best is not None and not (
                    value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        self.last_saved = path  # set first: the checkpoint holds this callback's new state
        try:
            if self.save_weights_only:
                from glassnet.io import save
                save(self.trainer.model, path, metadata={"epoch": epoch + 1, "logs": logs})
            else:
                # at the trainer's true position: after an epoch cut short by a stop, a
                # resume continues inside that epoch
                self.trainer.save_checkpoint(path)
        except BaseException:
            self.best, self.last_saved = best, last_saved
            raise

    def _path(self, epoch, logs) -> str | None:
        """``filepath`` filled in with the epoch and its logs; None (with a warning) for an
        epoch cut short by a stop whose logs lack a key the name uses (no validation ran)."""
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            missing = e.args[0]
            if _partial_epoch(self.trainer):
                warnings.warn(f"ModelCheckpoint: epoch {epoch + 1} was cut short by a stop, so "
                              f"its logs lack '{missing}', which the file name "
                              f"{self.filepath!r} uses; no checkpoint is written for it",
                              stacklevel=2)
                return None
            raise KeyError(f"ModelCheckpoint: the file name {self.filepath!r} uses "
                           f"'{missing}', which is not in the epoch logs (available: "
                           f"{sorted(logs)}; val_* keys need val_data)") from None


class LearningRateScheduler(Callback):
    """Drive the learning rate from a scheduler of ``glassnet.optim.lr_scheduler``, stepped
    once per epoch (default) or per batch, or from ``schedule(epoch, lr) -> lr``.

    ``ReduceLROnPlateau`` is stepped with the epoch's ``monitor`` value. Per-epoch steps skip an
    epoch cut short by a stop: a run resumed from there steps once, when it ends the epoch.
    """

    def __init__(self, schedule, per: str = "epoch", monitor: str = "val_loss"):
        if per not in ("epoch", "batch"):
            raise ValueError(f"LearningRateScheduler: per must be 'epoch' or 'batch', got {per!r}")
        self.schedule, self.per, self.monitor = schedule, per, monitor
        self._applied_epoch, self._resumed = None, False  # for a schedule(epoch, lr) function

    def _is_function(self) -> bool:
        return callable(self.schedule) and not hasattr(self.schedule, "step")

    def state_dict(self) -> dict:
        """The scheduler's state; for a function, the last epoch it was applied to (the
        optimizer's lr in the checkpoint already holds it: a resume must not apply it again)."""
        if hasattr(self.schedule, "state_dict"):
            return self.schedule.state_dict()
        return {"applied_epoch": self._applied_epoch}

    def load_state_dict(self, state: dict) -> None:
        if hasattr(self.schedule, "load_state_dict"):
            self.schedule.load_state_dict(state)
        else:
            self._applied_epoch, self._resumed = state.get("applied_epoch"), True

    def _is_plateau(self) -> bool:
        return type(self.schedule).__name__ == "ReduceLROnPlateau"

    def on_train_begin(self, logs):
        if not self._resumed:
            self._applied_epoch = None
        self._resumed = False

    def on_epoch_begin(self, epoch, logs):
        if not self._is_function():
            return
        if self._applied_epoch is not None and epoch <= self._applied_epoch:
            return  # resumed mid-epoch: this epoch's lr came back with the optimizer
        for group in self.trainer.optimizer.param_groups:
            group["lr"] = float(self.schedule(epoch, group["lr"]))
        self._applied_epoch = epoch

    def on_batch_end(self, step, logs):
        if self.per == "batch" and hasattr(self.schedule, "step") and not self._is_plateau():
            self.schedule.step()

    def on_epoch_end(self, epoch, logs):
        if not hasattr(self.schedule, "step") or _partial_epoch(self.trainer):
            return
        if self._is_plateau():
            if self.monitor not in logs:
                raise KeyError(f"LearningRateScheduler(ReduceLROnPlateau): monitored value "
                               f"'{self.monitor}' is not in the epoch logs (available: "
                               f"{sorted(logs)}); pass val_data to fit or choose another "
                               f"monitor")
            self.schedule.step(logs[self.monitor])
        elif self.per == "epoch":
            self.schedule.step()


class TerminateOnNaN(Callback):
    """Stop training at the first non-finite loss, naming the step and the first parameter
    (or gradient) that became non-finite; the reason is kept in ``trainer.stop_reason`` and
    printed to stderr unless ``verbose=False`` (the glassnet command reports it itself)."""

    def __init__(self, verbose: bool = True):
        self.verbose = verbose

    def on_batch_end(self, step, logs):
        loss = logs["loss"]
        if math.isfinite(loss):
            return
        culprit = None
        largest, largest_name = 0.0, None
        for name, p in self.trainer.model.named_parameters():
            if not np.isfinite(p.data).all():
                culprit = f"parameter '{name}'"
                break
            if p.grad is not None and not np.isfinite(p.grad.data).all():
                culprit = f"the gradient of parameter '{name}'"
                break
            peak = float(np.abs(p.data).max()) if p.data.size else 0.0
            if peak > largest:
                largest, largest_name = peak, name
        cause = getattr(self.trainer, "non_finite_cause", None)
        if culprit is None and cause is not None:  # the trainer saw it in the input batch
            culprit = cause
        elif culprit is None:
            culprit = (f"the model's output; every parameter is finite, the largest |value| "
                       f"is {largest:.3g} (in '{largest_name}'), so the forward pass "
                       "overflowed: try a smaller learning rate")
        epoch = self.trainer.epoch + 1
        self.trainer.stop_reason = (
            f"TerminateOnNaN: loss became {loss} at step {step + 1} (epoch {epoch}); first "
            f"non-finite: {culprit}")
        self.trainer.stop_training = True
        if self.verbose:
            print(self.trainer.stop_reason, file=sys.stderr)


class CSVLogger(Callback):
    """Append one CSV row of epoch logs per epoch to ``filename`` (flushed each epoch).

    In a run resumed from a checkpoint (``fit(resume_from=...)`` with ``append=True``), the
    last rows, those for epochs after the checkpoint's, are dropped first: the run is about
    to write them again (an epoch stopped by a NaN, or one finished after the last
    checkpoint)."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False):
        self.filename, self.separator, self.append = filename, separator, append
        self.keys = None

    def on_train_begin(self, logs):
        exists = self.append and os.path.exists(self.filename)
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        if exists and "resumed_at_epoch" in logs:
            self._drop_rows_after(logs["resumed_at_epoch"])
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = None
        self.keys = None
        self._has_header = exists

    def on_epoch_end(self, epoch, logs):
        if self.writer is None:
            self.keys = ["epoch", *sorted(logs)]
            if self._has_header:
                self._extend_existing_header()
            self.writer = csv.DictWriter(self.file, fieldnames=self.keys,
                                         delimiter=self.separator, extrasaction="ignore")
            if not self._has_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch + 1, **logs})
        self.file.flush()

    def _drop_rows_after(self, epoch: int) -> None:
        """Rewrite the log (atomically) without its last rows for epochs after ``epoch``:
        only the run's own tail is dropped; rows above it (an earlier run appended to the
        same file) stay, whatever their epochs."""
        with open(self.filename, newline="") as f:
            reader = csv.DictReader(f, delimiter=self.separator)
            keys, rows = list(reader.fieldnames or []), list(reader)
        end = len(rows)
        while end and _epoch_after(rows[end - 1].get("epoch"), epoch):
            end -= 1
        if end < len(rows):
            self._rewrite(keys, rows[:end])

    def _rewrite(self, keys: list, rows: list) -> None:
        temp = f"{self.filename}.tmp"
        try:
            with open(temp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=keys, delimiter=self.separator,
                                        extrasaction="ignore", restval="")
                writer.writeheader()
                writer.writerows({k: v for k, v in row.items() if k is not None}
                                 for row in rows)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, self.filename)
        finally:
            if os.path.exists(temp):
                os.remove(temp)

    def _extend_existing_header(self) -> None:
        """Appending to a log whose columns differ: keep its columns (in its order), add the
        new ones after them, and rewrite the earlier rows under that header (atomically), so
        that no row has more fields than the header and nothing is lost."""
        self.file.close()
        with open(self.filename, newline="") as f:
            reader = csv.DictReader(f, delimiter=self.separator)
            old_keys, rows = list(reader.fieldnames or []), list(reader)
        keys = old_keys + [k for k in self.keys if k not in old_keys]
        ragged = any(None in row for row in rows)  # fields past the header: unnamed
        if keys != old_keys or ragged:
            self._rewrite(keys, rows)
        self.keys = keys
        self.file = open(self.filename, "a", newline="")

    def on_train_end(self, logs):
        self.file.close()


def _epoch_after(value, epoch: int) -> bool:
    """Whether a CSV row's epoch field is a number > ``epoch`` (a row without one is kept)."""
    try:
        return int(value) > epoch
    except (TypeError, ValueError):
        return False
