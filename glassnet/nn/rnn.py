"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (whole sequences, stacked, optionally
bidirectional) and the single-step ``RNNCell``, ``LSTMCell``, ``GRUCell``.

PyTorch's layouts throughout: gates (i, f, g, o) for the LSTM and (r, z, n) for the GRU, the
parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and
``*_reverse`` for the backward direction) in PyTorch's state_dict order, states of shape
(num_layers * num_directions, N, H), and every parameter initialised from
U(-1/sqrt(H), 1/sqrt(H)). Each layer and direction is one fused node over the whole
sequence (see ``glassnet/ops/rnn.py``); the module only slices states and joins outputs.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from glassnet import backend
from glassnet import functional as F
from glassnet.nn import init
from glassnet.nn._layer_errors import check_device
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops import rnn as ops
from glassnet.ops._util import as_tensor
from glassnet.tensor import Tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_size(layer: str, name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {value!r}")


def _input_tensor(layer: str, input, dtype, arg: str = "input") -> Tensor:
    """``input`` (or the state named ``arg``) as a Tensor of the parameters' dtype."""
    x = input if isinstance(input, Tensor) else as_tensor(input, layer, arg)
    if x.data.dtype != dtype:
        raise TypeError(f"{layer}: {arg} has dtype {x.data.dtype} but the layer's parameters "
                        f"are {dtype} ({arg} shape {x.shape}); cast one of them")
    return x


class RNNBase(Module):
    """The machinery ``RNN``, ``LSTM`` and ``GRU`` share (PyTorch's ``RNNBase``).

    Args:
        mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
        input_size: features of each input step.
        hidden_size: features of the hidden state H.
        num_layers: stacked recurrent layers; layer k > 0 reads layer k-1's output.
        bias: whether to learn b_ih and b_hh.
        batch_first: input and output are (N, L, *) instead of (L, N, *); states are not.
        dropout: dropout probability on each layer's output except the last (training only).
        bidirectional: run a second recurrence from the end of the sequence backwards and
            concatenate both directions' outputs (D = 2).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        check_device(name, device)
        if mode not in _GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r} (expected one of {list(_GATES)})")
        _check_size(name, "input_size", input_size)  # (positive, as torch's layers; cells
        _check_size(name, "hidden_size", hidden_size)  # take 0, as torch's cells do)
        _check_size(name, "num_layers", num_layers)
        if (isinstance(dropout, bool) or not isinstance(dropout, numbers.Real)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout must be a number between 0 and 1 (the "
                             f"probability of zeroing an element), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout is applied after every recurrent layer but the last, so "
                f"dropout={dropout} does nothing with num_layers=1", stacklevel=2)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dtype = dtype or backend.get_default_dtype()
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {f"weight_ih{suffix}": (gate_size, layer_input),
                          f"weight_hh{suffix}": (gate_size, hidden_size)}
                if bias:
                    shapes[f"bias_ih{suffix}"] = (gate_size,)
                    shapes[f"bias_hh{suffix}"] = (gate_size,)
                for pname, shape in shapes.items():
                    setattr(self, pname, Parameter(np.zeros(shape, dtype=dtype)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for pname in self._flat_weights_names:
            init.uniform_(getattr(self, pname), -bound, bound)

    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------------ checks
    def _check_input(self, input) -> Tensor:
        dtype = getattr(self, self._flat_weights_names[0]).data.dtype
        x = _input_tensor(self._name, input, dtype)
        if x.ndim not in (2, 3):
            layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
            raise ValueError(f"{self._name}: input must be 2-D (L, input_size) unbatched or "
                             f"3-D {layout}, got {x.ndim}-D input of shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{self._name}: input has {x.shape[-1]} features but input_size "
                             f"is {self.input_size} (input shape {x.shape})")
        time_dim = 1 if (self.batch_first and x.ndim == 3) else 0
        if x.shape[time_dim] == 0:
            raise ValueError(f"{self._name}: input has an empty sequence (length 0 in "
                             f"dimension {time_dim}; input shape {x.shape})")
        return x

    def _check_state(self, name: str, state, expected: tuple, dtype, x_shape) -> Tensor:
        s = _input_tensor(self._name, state, dtype, name)
        if s.shape != expected:
            layout = ("(num_layers * num_directions, batch, hidden_size)" if len(expected) == 3
                      else "(num_layers * num_directions, hidden_size) for unbatched input")
            raise ValueError(f"{self._name}: {name} has shape {s.shape} but expected "
                             f"{expected} {layout} (input shape {x_shape})")
        return s

    def _states(self, hx, x: Tensor) -> list:
        """The initial states as a list ([h0] or [h0, c0]) of checked Tensors, or None."""
        lstm = self.mode == "LSTM"
        if hx is None:
            return None
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        if not lstm and isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._name}: hx must be one Tensor h_0, got a "
                            f"{type(hx).__name__}")
        directions = 2 if self.bidirectional else 1
        batched = x.ndim == 3
        batch = x.shape[0 if self.batch_first else 1] if batched else None
        expected = (self.num_layers * directions,) + ((batch,) if batched else ()) + (
            self.hidden_size,)
        names = ("h_0", "c_0") if lstm else ("h_0",)
        parts = hx if lstm else (hx,)
        return [self._check_state(n, s, expected, x.data.dtype, x.shape)
                for n, s in zip(names, parts)]

    def flatten_parameters(self) -> None:
        """PyTorch's (it packs the weights for cuDNN; on the CPU a no-op there too), so that
        code ported from PyTorch that calls it in ``forward`` runs unchanged."""

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        x = self._check_input(input)
        states = self._states(hx, x)
        batched = x.ndim == 3
        if not batched:  # (L, in) -> (L, 1, in); states (S, H) -> (S, 1, H)
            x = F.unsqueeze(x, 1)
            states = None if states is None else [F.unsqueeze(s, 1) for s in states]
        elif self.batch_first:
            x = F.transpose(x, 0, 1)  # (N, L, in) -> (L, N, in), a view
        steps, batch = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        zeros = np.zeros((batch, self.hidden_size), dtype=x.data.dtype)
        lstm = self.mode == "LSTM"
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                h0 = zeros if states is None else states[0][k]
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                w = [getattr(self, f"{p}{suffix}") if self.bias or p.startswith("weight")
                     else None for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                reverse = direction == 1
                last = 0 if reverse else steps - 1  # the time position of the final state
                if lstm:
                    c0 = zeros if states is None else states[1][k]
                    out = ops.lstm_layer(layer_input, h0, c0, *w, reverse=reverse)
                    outputs.append(out[:steps])  # (L, N, H); row L holds c_n
                    h_n.append(out[last])
                    c_n.append(out[steps])
                else:
                    if self.mode == "GRU":
                        out = ops.gru_layer(layer_input, h0, *w, reverse=reverse)
                    else:
                        act = "tanh" if self.mode == "RNN_TANH" else "relu"
                        out = ops.rnn_layer(layer_input, h0, *w, nonlinearity=act,
                                            reverse=reverse)
                    outputs.append(out)
                    h_n.append(out[last])
            layer_output = outputs[0] if directions == 1 else F.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_output = F.dropout(layer_output, self.dropout, True)
            layer_input = layer_output
        output = layer_input  # (L, N, D * H)
        h_n = F.stack(h_n)  # (D * num_layers, N, H)
        c_n = F.stack(c_n) if lstm else None
        if not batched:
            output, h_n = output[:, 0], h_n[:, 0]
            c_n = c_n[:, 0] if lstm else None
        elif self.batch_first:
            output = F.transpose(output, 0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN over a sequence: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    (or relu with ``nonlinearity="relu"``), for every layer and direction.

    Shape: input (L, N, input_size) ((N, L, input_size) with batch_first, (L, input_size)
    unbatched), h_0 (D * num_layers, N, H) (zeros if not given); returns (output, h_n):
    output (L, N, D * H), the last layer's h_t at every step, and h_n (D * num_layers, N, H).
    Parameters ``weight_ih_l{k}`` (H, in), ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (H,), all U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (expected 'tanh' "
                             "or 'relu')")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory over a sequence; at every step, gates in the order i, f, g, o:

        i, f, o = sigmoid(.), g = tanh(.) of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

    Shape: input (L, N, input_size) ((N, L, input_size) with batch_first, (L, input_size)
    unbatched), hx = (h_0, c_0), each (D * num_layers, N, H), zeros if not given; returns
    (output, (h_n, c_n)): output (L, N, D * H), h_n and c_n (D * num_layers, N, H).
    Parameters ``weight_ih_l{k}`` (4H, in), ``weight_hh_l{k}`` (4H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (4H,), all U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit over a sequence (PyTorch's formula), gates in the order r, z, n:

        r, z = sigmoid(x_t W_i^T + b_i + h W_h^T + b_h) of their chunks
        n = tanh(x_t W_in^T + b_in + r * (h W_hn^T + b_hn));   h_t = (1 - z) * n + z * h

    Shape: as ``RNN``; returns (output, h_n). Parameters ``weight_ih_l{k}`` (3H, in),
    ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (3H,),
    all U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# --------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrence; parameters ``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H),
    ``bias_ih``, ``bias_hh`` (G*H,), all U(-1/sqrt(H), 1/sqrt(H)) as PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, device=None,
                 dtype=None):
        super().__init__()
        check_device(self._name, device)
        _check_size(self._name, "input_size", input_size, 0)
        _check_size(self._name, "hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = dtype or backend.get_default_dtype()
        self.weight_ih = Parameter(np.zeros((gates * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.zeros((gates * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.zeros((gates * hidden_size,), dtype=dtype))
            self.bias_hh = Parameter(np.zeros((gates * hidden_size,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    @property
    def _name(self) -> str:
        return type(self).__name__

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _prepare(self, input, states: list) -> tuple:
        """Check input (N, in) or (in,) and the states; unbatched gets a batch of 1.

        Returns (x (N, in), states (N, H) each, whether the input was unbatched)."""
        x = _input_tensor(self._name, input, self.weight_ih.data.dtype)
        if x.ndim not in (1, 2):
            raise ValueError(f"{self._name}: input must be 1-D (input_size,) or 2-D "
                             f"(N, input_size), got {x.ndim}-D input of shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{self._name}: input has {x.shape[-1]} features but input_size "
                             f"is {self.input_size} (input shape {x.shape})")
        expected = x.shape[:-1] + (self.hidden_size,)
        checked = []
        for name, s in states:
            if s is None:
                checked.append(np.zeros(expected, dtype=x.data.dtype))
                continue
            s = _input_tensor(self._name, s, x.data.dtype, name)
            if s.shape != expected:
                raise ValueError(f"{self._name}: {name} has shape {s.shape} but expected "
                                 f"{expected} for input shape {x.shape}")
            checked.append(s)
        unbatched = x.ndim == 1
        if unbatched:
            x = F.unsqueeze(x, 0)
            checked = [s[None] if isinstance(s, np.ndarray) else F.unsqueeze(s, 0)
                       for s in checked]
        return x, checked, unbatched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # unquoted, as PyTorch
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (relu with ``nonlinearity="relu"``).

    Shape: input (N, input_size) or (input_size,), hx (N, H) or (H,) (zeros if None);
    output like hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (expected "
                             "'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None) -> Tensor:
        x, (h,), unbatched = self._prepare(input, [("hx", hx)])
        step = ops.rnn_tanh_cell if self.nonlinearity == "tanh" else ops.rnn_relu_cell
        out = step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out[0] if unbatched else out


class LSTMCell(RNNCellBase):
    """One LSTM step, gates i, f, g, o:  c' = f * c + i * g,  h' = o * tanh(c').

    Shape: input (N, input_size) or (input_size,), hx = (h, c) each (N, H) or (H,) (zeros
    if None); returns (h', c') like h.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a pair (h, c), got {type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        if hx is not None and (h is None or c is None):  # PyTorch refuses a half pair too
            missing = "h" if h is None else "c"
            raise TypeError(f"LSTMCell: hx must be a pair (h, c) of Tensors, got {missing} = "
                            "None; pass hx=None for zero states")
        x, (h, c), unbatched = self._prepare(input, [("h", h), ("c", c)])
        h1, c1 = ops.lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih,
                               self.bias_hh)
        return (h1[0], c1[0]) if unbatched else (h1, c1)


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n:  n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h.

    Shape: input (N, input_size) or (input_size,), hx (N, H) or (H,) (zeros if None);
    output like hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None) -> Tensor:
        x, (h,), unbatched = self._prepare(input, [("hx", hx)])
        out = ops.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out[0] if unbatched else out
