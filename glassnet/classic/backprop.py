"""Textbook backpropagation: a fully connected network trained with the explicit delta
recursion, in plain NumPy and without autograd, written as the lectures write it.

For layers l = 1..L with weights W_l (out, in) (PyTorch's layout), biases b_l (out,), a batch
of N inputs h_0 = x (N, n_0) and activation f_l::

    forward     z_l = h_{l-1} W_l^T + b_l          (N, n_l)
                h_l = f_l(z_l)                     (N, n_l);  y_hat = h_L
    output      delta_L = grad_yhat(L) * f_L'(z_L)                       (N, n_L)
    recursion   delta_l = (delta_{l+1} W_{l+1}) * f_l'(z_l)              (N, n_l)
    gradients   dL/dW_l = h_{l-1}^T delta_l   (n_{l-1}, n_l), stored transposed as
                          (n_l, n_{l-1}) to match W_l's PyTorch layout
                dL/db_l = sum over the batch of delta_l                  (n_l,)
    update      W_l <- W_l - lr dL/dW_l,  b_l <- b_l - lr dL/db_l

``*`` is the elementwise product. The losses and their output deltas (n = number of elements
of y_hat, N = batch size)::

    mse                   L = mean((y_hat - y)^2)         delta_L = 2 (y_hat - y) / n * f'(z_L)
    binary_cross_entropy  L = -mean(y log y_hat + (1 - y) log(1 - y_hat)),  sigmoid output:
                          grad_yhat = (y_hat - y) / (y_hat (1 - y_hat)) / n and
                          f'(z_L) = y_hat (1 - y_hat), so delta_L = (y_hat - y) / n
                          (PyTorch clamps y_hat (1 - y_hat) at 1e-12 in grad_yhat; so
                          does this class, where the sigmoid saturates that far)
    cross_entropy         L = -mean over the batch of log y_hat[target],  softmax output:
                          the softmax Jacobian times -onehot / y_hat collapses to
                          delta_L = (softmax(z_L) - onehot) / N

Lists are indexed as the lectures index layers: ``W[l]``, ``b[l]``, ``z[l]``, ``delta[l]``,
``dW[l]``, ``db[l]`` for l = 1..L (index 0 holds None) and ``h[l]`` for l = 0..L, h[0] = x.
A 1-D input x (n_0,) is a batch of one: it is stored as (1, n_0), and ``forward`` returns a
1-D output.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassnet.data.toy import as_generator

__all__ = ["TextbookMLP", "ACTIVATIONS", "LOSSES"]

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus")
LOSSES = ("mse", "binary_cross_entropy", "cross_entropy")
# The output activation each loss is written for: bce's and cross-entropy's simple deltas
# hold only with a sigmoid and a softmax output respectively.
_DEFAULT_OUTPUT = {"mse": "identity", "binary_cross_entropy": "sigmoid",
                   "cross_entropy": "softmax"}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) <= 1 never overflows: sigmoid is 1/(1+e) for z >= 0 and e/(1+e) below
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # shift by the row max: no overflow
    return e / e.sum(axis=1, keepdims=True)


class TextbookMLP:
    """A multilayer perceptron with hand-written forward, delta recursion and SGD step.

    Args:
        sizes: layer widths ``[n_0, n_1, ..., n_L]`` (inputs first), at least two entries.
        activation: hidden activation, one name for every hidden layer or a list with one
            name per hidden layer; one of ``ACTIVATIONS``.
        output_activation: f_L; defaults to what ``loss`` is written for (mse: identity,
            binary_cross_entropy: sigmoid, cross_entropy: softmax). bce needs sigmoid and
            cross_entropy needs softmax; mse takes any name in ``ACTIVATIONS``.
        loss: one of ``LOSSES``.
        negative_slope, alpha, beta, threshold: the parameters of leaky_relu, elu and
            softplus, with PyTorch's defaults.
        seed: int, numpy Generator or None (glassnet's generator) for the initial weights,
            drawn as ``nn.Linear`` draws them: U(-1/sqrt(n_in), 1/sqrt(n_in)).
        dtype: float64 by default, so that gradients can be compared to 1e-10.
    """

    def __init__(self, sizes: Sequence[int], activation: str | Sequence[str] = "sigmoid",
                 output_activation: str | None = None, loss: str = "mse", *,
                 negative_slope: float = 0.01, alpha: float = 1.0, beta: float = 1.0,
                 threshold: float = 20.0, seed=None, dtype=np.float64):
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                                 or s < 1 for s in sizes):
            raise ValueError("TextbookMLP: sizes must list at least two positive ints "
                             f"[n_0, ..., n_L], got {sizes!r}")
        if loss not in LOSSES:
            raise ValueError(f"TextbookMLP: unsupported loss {loss!r}; choose one of {LOSSES}")
        n_hidden = len(sizes) - 2
        hidden = [activation] * n_hidden if isinstance(activation, str) else list(activation)
        if len(hidden) != n_hidden:
            raise ValueError(f"TextbookMLP: {n_hidden} hidden layers (sizes {sizes}) need "
                             f"{n_hidden} activations, got {len(hidden)}: {hidden!r}")
        for name in hidden:
            if name not in ACTIVATIONS:
                raise ValueError(f"TextbookMLP: unsupported activation {name!r}; choose one "
                                 f"of {ACTIVATIONS}")
        out = _DEFAULT_OUTPUT[loss] if output_activation is None else output_activation
        if out not in ACTIVATIONS + ("softmax",):
            raise ValueError(f"TextbookMLP: unsupported output_activation {out!r}; choose one "
                             f"of {ACTIVATIONS + ('softmax',)}")
        if loss != "mse" and out != _DEFAULT_OUTPUT[loss]:
            raise ValueError(f"TextbookMLP: loss {loss!r} is written for a "
                             f"{_DEFAULT_OUTPUT[loss]!r} output, got output_activation "
                             f"{out!r}")
        if out == "softmax" and loss != "cross_entropy":
            raise ValueError("TextbookMLP: a 'softmax' output is supported only with "
                             f"loss='cross_entropy' (where delta_L simplifies), got {loss!r}")
        self.sizes, self.loss, self.dtype = sizes, loss, np.dtype(dtype)
        self.activations = [None] + hidden + [out]  # activations[l] is f_l, l = 1..L
        self.negative_slope, self.alpha = negative_slope, alpha
        self.beta, self.threshold = beta, threshold
        gen = as_generator(seed, "TextbookMLP")
        self.W: list = [None]
        self.b: list = [None]
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / np.sqrt(n_in)
            self.W.append(gen.uniform(-bound, bound, (n_out, n_in)).astype(self.dtype))
            self.b.append(gen.uniform(-bound, bound, (n_out,)).astype(self.dtype))
        self._clear()

    @property
    def L(self) -> int:
        """The number of layers with weights."""
        return len(self.sizes) - 1

    def _clear(self) -> None:
        self.z: list = [None] * (self.L + 1)
        self.h: list = [None] * (self.L + 1)
        self.delta: list = [None] * (self.L + 1)
        self.dW: list = [None] * (self.L + 1)
        self.db: list = [None] * (self.L + 1)
        self._one_sample = False

    # ---- activations f and their derivatives f'(z) ---------------------------------------
    def f(self, name: str, z: np.ndarray) -> np.ndarray:
        """Apply the activation ``name`` elementwise (softmax along each row)."""
        if name == "identity":
            return z
        if name == "sigmoid":
            return _sigmoid(z)
        if name == "tanh":
            return np.tanh(z)
        if name == "relu":
            return np.maximum(z, 0)
        if name == "leaky_relu":
            return np.where(z > 0, z, self.negative_slope * z)
        if name == "elu":
            return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))
        if name == "softplus":
            bz = self.beta * z
            soft = (np.maximum(bz, 0) + np.log1p(np.exp(-np.abs(bz)))) / self.beta
            return np.where(bz > self.threshold, z, soft)  # linear above threshold, as PyTorch
        if name == "softmax":
            return _softmax(z)
        raise ValueError(f"TextbookMLP.f: unsupported activation {name!r}")

    def f_prime(self, name: str, z: np.ndarray) -> np.ndarray:
        """f'(z) elementwise. At kinks it takes PyTorch's value (relu'(0) = 0, leaky'(0) =
        negative_slope, elu'(0) = alpha), so gradients match autograd exactly."""
        if name == "identity":
            return np.ones_like(z)
        if name == "sigmoid":
            s = _sigmoid(z)
            return s * (1 - s)
        if name == "tanh":
            t = np.tanh(z)
            return 1 - t * t
        if name == "relu":
            return (z > 0).astype(z.dtype)
        if name == "leaky_relu":
            return np.where(z > 0, 1.0, self.negative_slope).astype(z.dtype)
        if name == "elu":
            return np.where(z > 0, 1.0, self.alpha * np.exp(np.minimum(z, 0)))
        if name == "softplus":
            bz = self.beta * z
            return np.where(bz > self.threshold, 1.0, _sigmoid(bz))
        # softmax's derivative is a Jacobian, not elementwise; it only appears folded into
        # cross-entropy's delta_L = (softmax - onehot) / N
        raise ValueError(f"TextbookMLP.f_prime: no elementwise derivative for {name!r}")

    # ---- forward, loss, backward, step ---------------------------------------------------
    def _as_input(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.sizes[0]:
            raise ValueError(f"TextbookMLP.forward: x must have shape ({self.sizes[0]},) or "
                             f"(N, {self.sizes[0]}) for sizes {self.sizes}, got shape "
                             f"{x.shape}")
        return x

    def forward(self, x) -> np.ndarray:
        """y_hat for x (n_0,) or (N, n_0); stores z[l] and h[l] (as (N, n_l)) for backward."""
        x = self._as_input(x)
        self._clear()
        self._one_sample = x.ndim == 1
        self.h[0] = x[None, :] if x.ndim == 1 else x                  # (N, n_0)
        for l in range(1, self.L + 1):
            self.z[l] = self.h[l - 1] @ self.W[l].T + self.b[l]         # (N, n_l)
            self.h[l] = self.f(self.activations[l], self.z[l])          # (N, n_l)
        return self.h[self.L][0] if self._one_sample else self.h[self.L]

    __call__ = forward

    def _target(self, y) -> np.ndarray:
        """y as an array (N, n_L): class indices become one-hot rows for cross_entropy."""
        if self.h[self.L] is None:
            raise RuntimeError("TextbookMLP: call forward(x) before compute_loss / backward")
        y_hat = self.h[self.L]
        n_classes = self.sizes[-1]
        y_arr = np.asarray(y)
        if self.loss == "cross_entropy" and y_arr.dtype.kind in "iub":
            idx = y_arr.reshape(-1)
            if idx.shape[0] != y_hat.shape[0] or y_arr.ndim != (0 if self._one_sample else 1):
                expected = "a class index" if self._one_sample else f"({y_hat.shape[0]},)"
                raise ValueError(f"TextbookMLP: cross_entropy target must be {expected} class "
                                 f"indices for output shape {self._shown(y_hat)}, got shape "
                                 f"{y_arr.shape}")
            if idx.min() < 0 or idx.max() >= n_classes:
                raise ValueError(f"TextbookMLP: cross_entropy target holds class index "
                                 f"{idx.max() if idx.max() >= n_classes else idx.min()} but "
                                 f"the output has {n_classes} classes")
            onehot = np.zeros_like(y_hat)
            onehot[np.arange(len(idx)), idx] = 1
            return onehot
        y_arr = y_arr.astype(self.dtype)
        if y_arr.shape != self._shown(y_hat):
            raise ValueError(f"TextbookMLP: target y has shape {y_arr.shape} but the output "
                             f"y_hat has shape {self._shown(y_hat)} (loss {self.loss!r})")
        return y_arr.reshape(y_hat.shape)

    def _shown(self, a: np.ndarray) -> tuple:
        return a.shape[1:] if self._one_sample else a.shape

    def compute_loss(self, y) -> float:
        """The loss of the last forward's y_hat against y (mean reduction, as PyTorch)."""
        y = self._target(y)
        y_hat = self.h[self.L]
        if self.loss == "mse":
            return float(np.mean((y_hat - y) ** 2))
        with np.errstate(divide="ignore"):
            if self.loss == "binary_cross_entropy":
                # logs clamped at -100 as PyTorch does, so y_hat = 0 or 1 gives 100, not inf
                log_p, log_1mp = np.log(y_hat), np.log1p(-y_hat)
                return float(-np.mean(y * np.maximum(log_p, -100)
                                      + (1 - y) * np.maximum(log_1mp, -100)))
            # cross_entropy: log softmax from z_L (stable), not log of the rounded y_hat
            z = self.z[self.L]
            log_softmax = z - z.max(axis=1, keepdims=True)
            log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
            return float(-np.sum(y * log_softmax) / y.shape[0])

    def backward(self, y) -> None:
        """Fill delta[l], dW[l], db[l] for l = L..1 by the delta recursion (no autograd)."""
        y = self._target(y)
        L, h, z, W = self.L, self.h, self.z, self.W
        N = h[0].shape[0]
        if self.loss == "mse":
            grad_yhat = 2 * (h[L] - y) / h[L].size                     # dL/dy_hat
            self.delta[L] = grad_yhat * self.f_prime(self.activations[L], z[L])
        elif self.loss == "binary_cross_entropy":
            # grad_yhat * sigmoid'(z_L) = (y_hat - y)/(y_hat (1 - y_hat)) * y_hat (1 - y_hat)
            # = (y_hat - y) / n, except where the sigmoid saturates so far (|z| > ~27.6) that
            # y_hat (1 - y_hat) < 1e-12: PyTorch (and autograd) clamp that denominator at
            # 1e-12, the factors stop cancelling, and so the product is kept as they take it
            spread = h[L] * (1 - h[L])
            self.delta[L] = (h[L] - y) / np.maximum(spread, 1e-12) * spread / h[L].size
        else:
            # softmax Jacobian times dL/dy_hat = -onehot / (N y_hat) collapses to this
            self.delta[L] = (h[L] - y) / N
        for l in range(L, 0, -1):
            if l < L:
                self.delta[l] = (self.delta[l + 1] @ W[l + 1]) * \
                    self.f_prime(self.activations[l], z[l])             # (N, n_l)
            self.dW[l] = (h[l - 1].T @ self.delta[l]).T                 # (n_l, n_{l-1})
            self.db[l] = self.delta[l].sum(axis=0)                      # (n_l,)

    def step(self, lr: float) -> None:
        """Plain gradient descent: W_l <- W_l - lr dL/dW_l and b_l <- b_l - lr dL/db_l."""
        if self.dW[1] is None:
            raise RuntimeError("TextbookMLP.step: no gradients; call forward(x) and "
                               "backward(y) first")
        for l in range(1, self.L + 1):
            self.W[l] -= lr * self.dW[l]
            self.b[l] -= lr * self.db[l]

    def train_step(self, x, y, lr: float) -> float:
        """forward, loss, backward and step on one batch; returns the loss before the step."""
        self.forward(x)
        loss = self.compute_loss(y)
        self.backward(y)
        self.step(lr)
        return loss

    # ---- glassnet.nn interop --------------------------------------------------------------
    def to_module(self):
        """The same network as a ``glassnet.nn.Sequential`` of Linear and activation layers
        (weights copied, PyTorch layout). For cross_entropy the softmax is left out: glassnet's
        (and PyTorch's) cross_entropy takes the logits z_L and applies it itself."""
        from glassnet import nn

        layers = []
        for l in range(1, self.L + 1):
            linear = nn.Linear(self.sizes[l - 1], self.sizes[l], dtype=self.dtype)
            linear.weight.data[...] = self.W[l]
            linear.bias.data[...] = self.b[l]
            layers.append(linear)
            name = self.activations[l]
            if name == "softmax":
                continue
            module = self._module_for(name, nn)
            if module is not None:
                layers.append(module)
        return nn.Sequential(*layers)

    def _module_for(self, name: str, nn):
        """The nn layer for activation ``name`` (None for identity: no layer at all)."""
        if name == "identity":
            return None
        return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                "leaky_relu": lambda: nn.LeakyReLU(self.negative_slope),
                "elu": lambda: nn.ELU(self.alpha),
                "softplus": lambda: nn.Softplus(self.beta, self.threshold)}[name]()

    @classmethod
    def from_module(cls, module, loss: str = "mse", dtype=np.float64) -> TextbookMLP:
        """A TextbookMLP with the weights of ``module``, a ``glassnet.nn.Sequential`` of
        Linear layers, each followed by at most one activation layer (Identity, Sigmoid, Tanh,
        ReLU, LeakyReLU, ELU, Softplus). A final Linear means an identity output, or the
        softmax-in-the-loss for ``loss='cross_entropy'``; a final Softmax is accepted too."""
        from glassnet import nn

        kinds = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu",
                 nn.LeakyReLU: "leaky_relu", nn.ELU: "elu", nn.Softplus: "softplus",
                 nn.Identity: "identity", nn.Softmax: "softmax"}
        if not isinstance(module, nn.Sequential):
            raise TypeError(f"TextbookMLP.from_module: expected a glassnet.nn.Sequential, got "
                            f"{type(module).__name__}")
        linears, acts, params = [], [], {}
        for i, layer in enumerate(module):
            if isinstance(layer, nn.Linear):
                if layer.bias is None:
                    raise ValueError(f"TextbookMLP.from_module: layer {i} ({layer!r}) has no "
                                     "bias; the textbook network has one per layer")
                if linears and layer.in_features != linears[-1].out_features:
                    raise ValueError(f"TextbookMLP.from_module: layer {i} expects "
                                     f"{layer.in_features} inputs but the previous Linear "
                                     f"gives {linears[-1].out_features}")
                linears.append(layer)
                acts.append("identity")
                continue
            kind = kinds.get(type(layer))
            if kind is None or not linears or acts[-1] != "identity" or \
                    (kind == "softmax" and i != len(module) - 1):
                raise ValueError(f"TextbookMLP.from_module: cannot lay out layer {i} "
                                 f"({type(layer).__name__}); expected Linear layers each "
                                 f"followed by at most one of {sorted(set(kinds.values()))} "
                                 "(softmax last only)")
            for attr in ("negative_slope", "alpha", "beta", "threshold"):
                if hasattr(layer, attr):
                    value = getattr(layer, attr)
                    if params.setdefault(attr, value) != value:
                        raise ValueError(f"TextbookMLP.from_module: layers use different "
                                         f"{attr} values ({params[attr]} and {value}); the "
                                         "textbook network shares one")
            acts[-1] = kind
        if not linears:
            raise ValueError("TextbookMLP.from_module: the module has no Linear layer")
        out = acts[-1]
        if loss == "cross_entropy" and out == "identity":
            out = "softmax"  # the module's output is the logits; softmax sits in the loss
        sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
        net = cls(sizes, acts[:-1], out, loss, dtype=dtype, seed=0, **params)
        for l, lin in enumerate(linears, start=1):
            net.W[l] = np.array(lin.weight.data, dtype=net.dtype)
            net.b[l] = np.array(lin.bias.data, dtype=net.dtype)
        return net

    def __repr__(self) -> str:
        return (f"TextbookMLP(sizes={self.sizes}, activations={self.activations[1:]}, "
                f"loss={self.loss!r})")
