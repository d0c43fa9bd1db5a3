"""Ready-made models the command line trains, built from a small JSON-friendly config so a
run folder can rebuild its model from ``config.json`` and the saved weights."""

from __future__ import annotations

from glassnet import nn

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "gelu": nn.GELU, "softplus": nn.Softplus, "identity": nn.Identity,
}


def mlp(in_features: int, hidden: list[int], out_features: int,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """A fully connected network: Linear-act-(Dropout)-...-Linear, logits out.

    ``mlp(784, [128], 10)`` is the lectures' MNIST network: Sequential(Linear(784, 128),
    ReLU(), Linear(128, 10)), whose state_dict keys (0.weight, 0.bias, 2.weight, 2.bias) are
    the ones the same PyTorch Sequential has.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"mlp: unknown activation {activation!r}; choose from "
                         f"{', '.join(ACTIVATIONS)}")
    layers, width = [], in_features
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def mnist_cnn(activation: str = "relu", out_features: int = 10) -> nn.Sequential:
    """The lectures' MNIST CNN, for (N, 1, 28, 28) images:

        conv 1->32 3x3, act, max-pool 2    (N, 32, 13, 13)   28 - 3 + 1 = 26, 26 / 2 = 13
        conv 32->64 3x3, act, max-pool 2   (N, 64, 5, 5)     13 - 3 + 1 = 11, floor(11 / 2) = 5
        flatten, linear 1600->128, act     (N, 128)          64 * 5 * 5 = 1600
        linear 128->10                     (N, 10) logits
    """
    act = ACTIVATIONS[activation]
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), act(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), act(), nn.Linear(128, out_features))


def build(config: dict) -> nn.Module:
    """The model described by ``config`` (as written to a run's config.json)."""
    kind = config.get("model", "mlp")
    if kind == "mlp":
        return mlp(config["in_features"], list(config["hidden"]), config["out_features"],
                   config.get("activation", "relu"), config.get("dropout", 0.0))
    if kind == "cnn":
        return mnist_cnn(config.get("activation", "relu"), config["out_features"])
    raise ValueError(f"build: unknown model kind {kind!r} in config; expected 'mlp' or 'cnn'")
