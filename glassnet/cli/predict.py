"""``glassnet predict RUN IMAGE``: classify a handwritten digit image with a trained run."""

from __future__ import annotations

import numpy as np

from glassnet.cli.datasets import MNIST_INFO, model_inputs
from glassnet.cli.errors import CommandError
from glassnet.cli.runs import check_dataset_fits, load_model


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run folder of an MNIST model")
    parser.add_argument("image", help="a digit image (PNG, JPEG, ...) of any size")


def run(args) -> int:
    from glassnet import train
    from glassnet.data.digits import load_digit_image

    model, config = load_model(args.run)
    if config["dataset"] != "mnist":
        raise CommandError(f"predict: run {args.run!r} was trained on {config['dataset']!r}; "
                           "predict reads digit images for MNIST models")
    check_dataset_fits(args.run, config, MNIST_INFO)
    try:
        pixels = load_digit_image(args.image)  # (28, 28) float32 in [0, 1], MNIST-style
    except (OSError, ValueError) as e:
        raise CommandError(f"predict: cannot read {args.image!r} as an image: {e}") from None
    logits = train.predict(model, model_inputs(config, pixels.reshape(1, 784))).data[0]
    shifted = np.exp(logits - logits.max())
    probs = shifted / shifted.sum()
    best = int(np.argmax(probs))
    print(f"Predicted: {best} (probability {probs[best]:.2%})")
    ranked = np.argsort(-probs)[:3]
    print("top 3: " + ", ".join(f"{int(i)} {probs[i]:.2%}" for i in ranked))
    return 0
