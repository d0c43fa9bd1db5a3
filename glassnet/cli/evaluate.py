"""``glassnet evaluate RUN``: the test loss, accuracy and confusion matrix of a trained run."""

from __future__ import annotations

import numpy as np

from glassnet.cli import datasets
from glassnet.cli.errors import CommandError
from glassnet.cli.runs import check_dataset_fits, load_model


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run folder written by glassnet train")
    parser.add_argument("--data-root", default=None)


def run(args) -> int:
    import glassnet as gn
    from glassnet import nn, train

    model, config = load_model(args.run)
    try:
        _, _, x_test, y_test, info = datasets.load(config["dataset"], config["seed"],
                                                   args.data_root, config.get("samples", 1000))
    except (OSError, ValueError, RuntimeError, MemoryError) as e:  # (fetching: RuntimeError)
        raise CommandError(f"evaluate: could not load dataset {config['dataset']!r} of run "
                           f"{args.run!r}: {e}") from None
    check_dataset_fits(args.run, config, info)
    x_test = datasets.model_inputs(config, x_test)
    results = train.evaluate(model, nn.CrossEntropyLoss(),
                             (gn.from_numpy(x_test), gn.from_numpy(y_test)))
    outputs = train.predict(model, x_test).data
    matrix = train.confusion_matrix(outputs, y_test, info["classes"])
    print(f"{args.run}: {config['dataset']} test accuracy {results['accuracy']:.2%}, "
          f"test loss {results['loss']:.4f} ({len(y_test)} samples)")
    print("confusion matrix (rows: true class, columns: predicted):")
    width = max(4, len(str(matrix.max())) + 1)
    print("    " + "".join(f"{j:>{width}}" for j in range(matrix.shape[1])))
    for i, row in enumerate(matrix):
        print(f"{i:>3} " + "".join(f"{v:>{width}}" for v in row))
    per_class = np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)
    worst = int(np.argmin(per_class))
    print(f"hardest class: {worst} ({per_class[worst]:.2%} correct)")
    return 0
