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
from glassnet.nn.conv import Conv1d, Conv2d
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
from glassnet.nn.normalization import BatchNorm1d, BatchNorm2d
from glassnet.nn.parameter import Parameter
from glassnet.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from glassnet.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from glassnet.nn.sparse import Embedding

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear",
    "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d",
    "BatchNorm2d",
    "Flatten", "Unflatten", "Dropout", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU",
    "Softplus", "Softmax", "LogSoftmax", "Maxout", "Step", "Heaviside", "MSELoss", "L1Loss",
    "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "HingeEmbeddingLoss", "MultiMarginLoss", "KLDivLoss", "init", "functional", "utils",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "Embedding",
]
