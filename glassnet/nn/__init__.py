"""Layers and models with PyTorch's names, parameter layouts and state_dict keys."""

from glassnet.nn import functional, init, utils
from glassnet.nn.activation import (
    ELU,
    GELU,
    Heaviside,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from glassnet.nn.containers import ModuleDict, ModuleList, Sequential
from glassnet.nn.dropout import Dropout
from glassnet.nn.flatten import Flatten, Unflatten
from glassnet.nn.linear import Identity, Linear
from glassnet.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear",
    "Flatten", "Unflatten", "Dropout", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU",
    "Softplus", "Softmax", "LogSoftmax", "Maxout", "Step", "Heaviside", "MSELoss", "L1Loss",
    "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "HingeEmbeddingLoss", "MultiMarginLoss", "KLDivLoss", "init", "functional", "utils",
]
