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


def build(config: dict) -> nn.Module:
    """The model described by ``config`` (as written to a run's config.json)."""
    kind = config.get("model", "mlp")
    if kind == "mlp":
        return mlp(config["in_features"], list(config["hidden"]), config["out_features"],
                   config.get("activation", "relu"), config.get("dropout", 0.0))
    raise ValueError(f"build: unknown model kind {kind!r} in config")
