"""Training: ``fit``/``evaluate``/``predict`` (or a ``Trainer``), metrics and callbacks."""

from glassnet.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
)
from glassnet.train.metrics import (
    accuracy,
    binary_accuracy,
    confusion_matrix,
    mae,
    mse,
    top_k_accuracy,
)
from glassnet.train.trainer import Trainer, evaluate, fit, predict

__all__ = [
    "Trainer", "fit", "evaluate", "predict", "Callback", "History", "ProgressBar",
    "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "TerminateOnNaN", "CSVLogger",
    "accuracy", "binary_accuracy", "top_k_accuracy", "confusion_matrix", "mse", "mae",
]
