"""The job `glassnet train` does, written in PyTorch: the comparison for the whole-process
benchmark (benchmarks/train_process.py).

    .venv/bin/python benchmarks/torch_train_job.py OUT_DIR

Same data (the cached, SHA-256-verified MNIST IDX files), same model (784-128-10 ReLU), same
recipe (SGD lr 0.1, Nesterov momentum 0.9, one-cycle over 12 epochs, batch 64), test
evaluation and a checkpoint after every epoch, then metrics.json and the same three plots
(drawn by the same plotting functions, so only the training framework differs).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import torch
from mnist_common import torch_batches

from glassnet.cli.train import DEFAULTS
from glassnet.data.fetch import data_home
from glassnet.data.idx import read_idx


def load(kind: str):
    folder = os.path.join(data_home(), "mnist")
    images = read_idx(os.path.join(folder, f"{kind}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(folder, f"{kind}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.reshape(len(images), 784).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x, y = load("train")
    x_test, y_test = load("t10k")
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    epochs, lr = DEFAULTS["epochs"], DEFAULTS["lr"]
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=DEFAULTS["momentum"],
                          nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * 938)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    history = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        total, correct = 0.0, 0
        for xb, yb in torch_batches(x, y, rng.permutation(len(x))):
            out_b = model(xb)
            loss = loss_fn(out_b, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(yb)
            correct += int((out_b.argmax(1) == yb).sum())
        with torch.no_grad():
            logits = model(x_test)
            history["val_loss"].append(float(loss_fn(logits, y_test)))
            history["val_accuracy"].append(float((logits.argmax(1) == y_test).float().mean()))
        history["loss"].append(total / len(x))
        history["accuracy"].append(correct / len(x))
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "epoch": epoch + 1}, os.path.join(out, "checkpoint.pt"))
        print(f"epoch {epoch + 1}/{epochs} val_accuracy {history['val_accuracy'][-1]:.4f}")
    seconds = time.perf_counter() - start
    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    outputs = logits.numpy()
    predicted = outputs.argmax(1)
    from glassnet import viz
    from glassnet.train import confusion_matrix

    labels = y_test.numpy()
    matrix = confusion_matrix(outputs, labels, 10)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"test_accuracy": history["val_accuracy"][-1], "train_seconds": seconds,
                   "history": history, "confusion_matrix": matrix.tolist()}, f)
    viz.plot_curves(history, os.path.join(out, "curves.png"))
    viz.plot_confusion_matrix(matrix, os.path.join(out, "confusion_matrix.png"))
    pick = np.arange(32)
    viz.plot_digit_predictions(x_test.numpy()[pick], predicted[pick], labels[pick],
                               os.path.join(out, "predictions.png"))
    print(f"test accuracy {history['val_accuracy'][-1]:.2%} ({seconds:.1f}s of training)")


if __name__ == "__main__":
    main(sys.argv[1])
