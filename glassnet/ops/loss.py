"""Loss functions: regression (mse, l1, huber, smooth_l1), binary and multi-class
classification (binary_cross_entropy[_with_logits], cross_entropy, nll_loss), margin losses
(hinge_embedding, multi_margin) and kl_div.

Each loss is ONE fused ``Function``: the per-element loss, the reduction and a hand-written
backward, so a training step adds a single node for its loss. ``reduction`` is ``"none"``
(per-element losses), ``"sum"`` or ``"mean"`` (kl_div also takes ``"batchmean"``).

Differences from PyTorch, on purpose:
  - Arguments that PyTorch places after its deprecated ``size_average`` / ``reduce`` are
    keyword-only here (``mse_loss(x, y, reduction="sum")``), so a positional call written for
    PyTorch cannot bind a value to the wrong parameter silently.
  - Input and target must have the same shape for the elementwise losses (PyTorch only warns
    and broadcasts, which is almost always a bug, e.g. (N, 1) against (N,)).
  - ``weight`` and ``pos_weight`` are constants: no gradient flows to them.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.function import Function
from glassnet.ops._util import (
    NonFiniteError,
    as_tensor,
    check_float,
    check_reduction,
    row_starts,
    row_sums,
    signs,
)
from glassnet.tensor import Tensor

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "hinge_embedding_loss",
    "multi_margin_loss", "kl_div",
]


# ----------------------------------------------------------------------------- reductions
def _reduce(loss: np.ndarray, reduction: str, denom: float) -> np.ndarray:
    """The per-element ``loss`` reduced; 'mean' divides by ``denom`` (a Python float, so a
    float32 loss stays float32)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":
        total = _divide(total, denom)
    return np.asarray(total)


def _upstream(grad: np.ndarray, reduction: str, denom: float) -> np.ndarray:
    """d loss / d (per-element loss): the incoming gradient, divided by ``denom`` for 'mean'.
    It is the full per-element array for 'none' and a 0-d array otherwise. A mean over
    nothing (every target ignored) is NaN forward but has a zero gradient, as in PyTorch."""
    if reduction != "mean":
        return grad
    return grad / denom if denom else np.zeros_like(grad)


def _divide(value, denom: float):
    if denom:
        return value / denom
    with np.errstate(invalid="ignore", divide="ignore"):  # nothing to average: nan, as torch
        return np.divide(value, denom)


def _no_silent_nan(op: str, out: Tensor, reduction: str, **arguments) -> Tensor:
    """Refuse a NaN that an argument would silently spread into a 'mean' or 'sum'.

    Costs one scalar comparison; only when the reduced loss is NaN are the arguments
    searched, and the error names the first argument holding a NaN and where. A NaN that
    no argument holds (e.g. every target ignored) is PyTorch's answer and is returned.
    """
    if reduction == "none" or out.data == out.data:
        return out
    for name, value in arguments.items():
        array = value.data if isinstance(value, Tensor) else value
        if array is None or not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            continue
        nan = np.isnan(array)
        if nan.any():
            where = tuple(int(i) for i in np.argwhere(nan)[0])
            raise NonFiniteError(
                f"{op}: argument '{name}' contains NaN ({int(nan.sum())} of {array.size} "
                f"values, first at position {where}, shape {array.shape}); the "
                f"'{reduction}' reduction would silently turn the whole loss into NaN")
    return out


# ----------------------------------------------------------------------------- regression
class MseLoss(Function):
    """Mean squared error.  Shape: input (*), target (*), output () or (*) for 'none'.

    l_i = w_i (x_i - y_i)^2;   dl_i/dx_i = 2 w_i (x_i - y_i),  dl_i/dy_i = -dl_i/dx_i.
    'mean' divides by the number of elements, or by sum(w) when a weight is given.
    """

    @staticmethod
    def forward(ctx, x, y, weight=None, reduction="mean"):
        diff = x - y
        loss = diff * diff
        if weight is not None:
            loss *= weight
        ctx.diff, ctx.weight, ctx.reduction = diff, weight, reduction
        ctx.denom = float(loss.size if weight is None else weight.sum())
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        local = ctx.diff * 2 * _upstream(grad, ctx.reduction, ctx.denom)
        if ctx.weight is not None:
            local *= ctx.weight
        need_x, need_y = ctx.needs_input_grad
        return (local if need_x else None), (-local if need_y else None)


class L1Loss(Function):
    """Mean absolute error.  Shape: input (*), target (*), output () or (*) for 'none'.

    l_i = w_i |x_i - y_i|;   dl_i/dx_i = w_i sign(x_i - y_i) (0 at x_i == y_i, as in
    PyTorch),  dl_i/dy_i = -dl_i/dx_i.  'mean' divides by the number of elements, or by
    sum(w) when a weight is given.
    """

    @staticmethod
    def forward(ctx, x, y, weight=None, reduction="mean"):
        diff = x - y
        loss = np.abs(diff)
        if weight is not None:
            loss *= weight
        ctx.diff, ctx.weight, ctx.reduction = diff, weight, reduction
        ctx.denom = float(loss.size if weight is None else weight.sum())
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        local = signs(ctx.diff) * _upstream(grad, ctx.reduction, ctx.denom)
        if ctx.weight is not None:
            local *= ctx.weight
        need_x, need_y = ctx.needs_input_grad
        return (local if need_x else None), (-local if need_y else None)


class HuberLoss(Function):
    """Huber loss with threshold delta > 0.  Shape: input (*), target (*), output () or (*).

    With d = x - y:  l = 0.5 d^2 if |d| < delta, else delta (|d| - 0.5 delta);
    dl/dx = clip(d, -delta, delta),  dl/dy = -dl/dx.  Weighted: l_i * w_i, and 'mean' is
    the plain mean of the weighted losses (PyTorch's rule for huber_loss).
    """

    @staticmethod
    def forward(ctx, x, y, weight=None, reduction="mean", delta=1.0):
        diff = x - y
        absd = np.abs(diff)
        loss = np.where(absd < delta, 0.5 * diff * diff, delta * (absd - 0.5 * delta))
        loss = loss.astype(x.dtype, copy=False)
        if weight is not None:
            loss *= weight
        ctx.diff, ctx.weight, ctx.reduction, ctx.delta = diff, weight, reduction, delta
        ctx.denom = float(loss.size)
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        local = np.clip(ctx.diff, -ctx.delta, ctx.delta) * _upstream(grad, ctx.reduction,
                                                                     ctx.denom)
        if ctx.weight is not None:
            local *= ctx.weight
        need_x, need_y = ctx.needs_input_grad
        return (local if need_x else None), (-local if need_y else None)


class SmoothL1Loss(Function):
    """Smooth L1 with threshold beta >= 0.  Shape: input (*), target (*), output () or (*).

    With d = x - y:  l = 0.5 d^2 / beta if |d| < beta, else |d| - 0.5 beta;
    dl/dx = d / beta if |d| < beta, else sign(d);  dl/dy = -dl/dx.  beta = 0 is l1_loss.
    """

    @staticmethod
    def forward(ctx, x, y, reduction="mean", beta=1.0):
        diff = x - y
        absd = np.abs(diff)
        if beta == 0:
            loss = absd
        else:
            loss = np.where(absd < beta, (0.5 / beta) * diff * diff, absd - 0.5 * beta)
            loss = loss.astype(x.dtype, copy=False)
        ctx.diff, ctx.absd, ctx.reduction, ctx.beta = diff, absd, reduction, beta
        ctx.denom = float(loss.size)
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        diff, beta = ctx.diff, ctx.beta
        # (PyTorch's slope at a NaN difference: 0 for beta = 0, its L1 loss; NaN otherwise)
        local = signs(diff) if beta == 0 else np.where(ctx.absd < beta, diff / beta,
                                                       np.sign(diff))
        local = local.astype(diff.dtype, copy=False) * _upstream(grad, ctx.reduction, ctx.denom)
        need_x, need_y = ctx.needs_input_grad
        return (local if need_x else None), (-local if need_y else None)


# ----------------------------------------------------------------------------- binary
class BinaryCrossEntropy(Function):
    """Binary cross-entropy on probabilities p in [0, 1].  Shape: input (*), target (*).

    l = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]   (the clamp at -100 is
    PyTorch's: bce(p=0, y=1) = 100, not inf);
    dl/dp = w (p - y) / max(p (1 - p), 1e-12)   (PyTorch's eps keeps it finite at 0 and 1);
    dl/dy = w (log(1 - p) - log p)   (unclamped, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, p, y, weight=None, reduction="mean"):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        loss = (y - 1) * log_1mp - y * log_p
        if weight is not None:
            loss *= weight
        ctx.p, ctx.y, ctx.weight, ctx.reduction = p, y, weight, reduction
        ctx.denom = float(loss.size)
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.p, ctx.y
        up = _upstream(grad, ctx.reduction, ctx.denom)
        if ctx.weight is not None:
            up = up * ctx.weight
        need_p, need_y = ctx.needs_input_grad
        grad_p = grad_y = None
        if need_p:
            grad_p = (p - y) / np.maximum((1 - p) * p, p.dtype.type(1e-12)) * up
        if need_y:
            with np.errstate(divide="ignore"):
                grad_y = (np.log1p(-p) - np.log(p)) * up
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy on logits x, with sigmoid folded in.  Shape: input (*), target (*).

    With lw = 1 + (pos_weight - 1) y and softplus(-x) = max(-x, 0) + log(1 + exp(-|x|))
    (never exponentiates a large positive number, so it is finite at x = +-1e4):
        l = w [(1 - y) x + lw softplus(-x)];
        dl/dx = w (lw sigmoid(x) - pos_weight y)   (= w (sigmoid(x) - y) without pos_weight);
        dl/dy = w ((pos_weight - 1) softplus(-x) - x).
    pos_weight broadcasts against the target (usually one value per class, the last dim).
    """

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None, reduction="mean"):
        e = np.exp(-np.abs(x))  # in (0, 1]
        softplus_neg = np.maximum(-x, 0) + np.log1p(e)
        if pos_weight is None:
            loss = (1 - y) * x + softplus_neg
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.y, ctx.e, ctx.softplus_neg = x, y, e, softplus_neg
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        ctx.denom = float(loss.size)
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        x, y, e, pw = ctx.x, ctx.y, ctx.e, ctx.pos_weight
        up = _upstream(grad, ctx.reduction, ctx.denom)
        if ctx.weight is not None:
            up = up * ctx.weight
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
            local = sig - y if pw is None else (1 + (pw - 1) * y) * sig - pw * y
            grad_x = local * up
        if need_y:
            local = -x if pw is None else (pw - 1) * ctx.softplus_neg - x
            grad_y = local * up
        return grad_x, grad_y


# ----------------------------------------------------------------------------- multi-class
def _check_class_indices(op, t, n_classes, ignore_index, input_shape):
    """Raise IndexError naming the first class index outside [0, C) that is not ignored.
    ``t`` is int64. Returns the mask of ignored targets, or None when none is ignored."""
    if t.size == 0:
        return None
    ignored = None
    if ignore_index is not None and 0 <= ignore_index < n_classes:
        ignored = t == ignore_index
        if not ignored.any():
            ignored = None
    # Seen as unsigned, negative indices wrap to huge values: one pass checks both ends.
    if t.view(np.uint64).max() >= n_classes:
        bad = (t < 0) | (t >= n_classes)
        if ignore_index is not None and ignored is None:
            ignored = t == ignore_index
            ignored = ignored if ignored.any() else None
        if ignored is not None:
            bad &= ~ignored
        if bad.any():
            value = int(t[bad].flat[0])
            allowed = "" if ignore_index is None else f" or equal to ignore_index={ignore_index}"
            raise IndexError(
                f"{op}: target contains class index {value} but input has {n_classes} "
                f"classes (input shape {tuple(input_shape)}); class indices must be in "
                f"[0, {n_classes - 1}]{allowed}"
            )
    return ignored


def _rows(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N * d1 * ..., C): classes last, one row per prediction."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Inverse of ``_rows``: (M, C) back to the input's layout."""
    if len(shape) <= 2:
        return g.reshape(shape)
    moved = (shape[0],) + shape[2:] + (shape[1],)
    return np.moveaxis(g.reshape(moved), -1, 1)


class CrossEntropy(Function):
    """Cross-entropy of logits: log-softmax and negative log-likelihood in one node.

    Shape: input (N, C), (N, C, d1, ...) or (C,); target class indices (N,), (N, d1, ...) or
    (), or class probabilities with the input's shape. Output () or, for 'none', the
    target's shape without the class dim.

    With p = softmax(x) over the class dim, log p = x - logsumexp(x), smoothing s, C classes
    and class weights w (all 1 when not given):
      class index y:  l = (1 - s) w_y (-log p_y) + (s / C) sum_c w_c (-log p_c),
                      0 where y == ignore_index;
                      dl/dx = (1 - s) w_y (p - onehot(y)) + (s / C) (sum(w) p - w);
                      without weights this is p - ((1 - s) onehot(y) + s / C).
                      'mean' divides by sum of w_y over non-ignored targets.
      probabilities t: q = (1 - s) t + s / C;  l = -sum_c w_c q_c log p_c;
                      dl/dx = p sum_c(w_c q_c) - w q;  dl/dt = -(1 - s) w log p;
                      'mean' divides by the number of predictions (N * d1 * ...).
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean",
                label_smoothing=0.0, probs=False):
        rows = _rows(x)  # (M, C)
        n, c = rows.shape
        starts = row_starts(n, c)  # element (m, j) of rows is element starts[m] + j, flat
        # Shift each row by its max so exp never overflows (argmax + a flat gather is several
        # times faster than max(axis=1) on short rows; the sum goes through BLAS for the
        # same reason). ``take`` reads rows in C order whatever its layout, and ``shifted``
        # is made C-ordered: the flat gathers below index both row-major.
        shifted = np.subtract(rows, rows.take(starts + rows.argmax(axis=1))[:, None],
                              order="C")
        e = np.exp(shifted)
        sum_e = row_sums(e)[:, None]  # (M, 1)
        ctx.e, ctx.sum_e, ctx.x_shape, ctx.reduction = e, sum_e, x.shape, reduction
        ctx.weight, ctx.smoothing, ctx.probs = weight, label_smoothing, probs
        if probs:
            ctx.log_p = log_p = shifted - np.log(sum_e)
            q = _rows(target)
            if label_smoothing:
                q = q * (1 - label_smoothing) + label_smoothing / c
            wq = q if weight is None else q * weight
            ctx.wq = wq
            loss = -(wq * log_p).sum(axis=1)
            ctx.denom = float(n)
            out = _reduce(loss, reduction, ctx.denom)
            return out.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()) \
                if reduction == "none" else out
        t = target.reshape(-1)
        ignored = _check_class_indices("cross_entropy", t, c, ignore_index, x.shape)
        if ignored is not None:
            t = np.where(ignored, 0, t)  # any valid index; the row is zeroed below
        # -log p_y = log(sum_e) - shifted_y, with shifted_y one flat gather
        flat = starts + t
        nll = np.log(sum_e[:, 0]) - shifted.take(flat)
        w_y = None if weight is None else weight[t]
        if ignored is not None:
            w_y = np.where(ignored, 0, 1).astype(x.dtype) if w_y is None \
                else np.where(ignored, 0, w_y)
        loss = nll if w_y is None else nll * w_y
        if label_smoothing:
            log_p = shifted - np.log(sum_e)
            smooth = -(log_p.sum(axis=1) if weight is None else log_p @ weight)
            if ignored is not None:
                smooth[ignored] = 0
            loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
        ctx.t, ctx.flat, ctx.w_y, ctx.ignored = t, flat, w_y, ignored
        ctx.denom = float(n if w_y is None else w_y.sum())
        out = _reduce(loss, reduction, ctx.denom)
        return out.reshape(target.shape) if reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        e, weight, s = ctx.e, ctx.weight, ctx.smoothing
        n, c = e.shape
        up = _upstream(grad, ctx.reduction, ctx.denom)
        up = up.reshape(-1, 1) if ctx.reduction == "none" else up  # (M, 1) or ()
        p = np.divide(e, ctx.sum_e, order="C")  # fresh and C-ordered: edited in place below
        need_x, need_t = ctx.needs_input_grad
        grad_t = None
        if ctx.probs:
            wq = ctx.wq
            if need_t:
                local_t = -(1 - s) * ctx.log_p
                if weight is not None:
                    local_t = local_t * weight
                grad_t = _unrows(local_t * up, ctx.x_shape)
            if not need_x:
                return None, grad_t
            p *= wq.sum(axis=1, keepdims=True)
            p -= wq
            p *= up
            return _unrows(p, ctx.x_shape), grad_t
        w_y, p_y = ctx.w_y, p.reshape(-1)  # a view of p: p_y[flat] is p[m, y_m]
        if weight is None:
            # p - ((1 - s) onehot(y) + s / C), rows of ignored targets zeroed
            p_y[ctx.flat] -= 1 - s
            if s:
                p -= s / c
        else:
            # (1 - s) w_y (p - onehot) + (s / C) (sum(w) p - w)
            p *= ((1 - s) * w_y + (s / c) * weight.sum())[:, None] if s else w_y[:, None]
            p_y[ctx.flat] -= (1 - s) * w_y
            if s:
                p -= (s / c) * weight
        if ctx.ignored is not None:
            p[ctx.ignored] = 0
        p *= up
        return _unrows(p, ctx.x_shape), None


class NllLoss(Function):
    """Negative log-likelihood of log-probabilities x.

    Shape: input (N, C), (N, C, d1, ...) or (C,); target class indices (N,), (N, d1, ...)
    or (); output () or, for 'none', the target's shape.

    l = -w_y x_y (0 where y == ignore_index);  dl/dx = -w_y onehot(y);
    'mean' divides by the sum of w_y over non-ignored targets.
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        rows = _rows(x)
        n, c = rows.shape
        t = target.reshape(-1)
        ignored = _check_class_indices("nll_loss", t, c, ignore_index, x.shape)
        if ignored is not None:
            t = np.where(ignored, 0, t)
        w_y = np.ones(n, dtype=x.dtype) if weight is None else weight[t]
        if ignored is not None:
            w_y = np.where(ignored, 0, w_y).astype(x.dtype, copy=False)
        loss = -rows[np.arange(n), t] * w_y
        ctx.t, ctx.w_y, ctx.x_shape, ctx.reduction = t, w_y, x.shape, reduction
        ctx.denom = float(w_y.sum())
        out = _reduce(loss, reduction, ctx.denom)
        return out.reshape(target.shape) if reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        n = ctx.t.shape[0]
        up = _upstream(grad, ctx.reduction, ctx.denom)
        up = up.reshape(-1) if ctx.reduction == "none" else up
        g = np.zeros((n, ctx.x_shape[1] if len(ctx.x_shape) > 1 else ctx.x_shape[0]),
                     dtype=ctx.w_y.dtype)
        g[np.arange(n), ctx.t] = -ctx.w_y * up
        return _unrows(g, ctx.x_shape), None


class HingeEmbeddingLoss(Function):
    """Hinge embedding loss for targets y in {1, -1}.  Shape: input (*), target (*).

    l = x where y == 1;  max(0, margin - x) where y == -1   (PyTorch adds both terms for
    any other target value);
    dl/dx = 1 where y == 1;  -1 where y == -1 and margin - x >= 0 (the clamp passes the
    gradient at the boundary, as in PyTorch), else 0.
    """

    @staticmethod
    def forward(ctx, x, y, margin=1.0, reduction="mean"):
        gap = margin - x
        zero = x.dtype.type(0)
        loss = np.where(y != 1, np.maximum(gap, zero), zero) + np.where(y != -1, x, zero)
        ctx.y, ctx.gap, ctx.reduction = y, gap, reduction
        ctx.denom = float(loss.size)
        return _reduce(loss, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.y
        local = (y != -1).astype(grad.dtype) - ((y != 1) & (ctx.gap >= 0))
        return local * _upstream(grad, ctx.reduction, ctx.denom), None


class MultiMarginLoss(Function):
    """Multi-class hinge loss.  Shape: input (N, C) or (C,), target (N,) or (); output () or,
    for 'none', the target's shape.

    With z_i = margin - x_y + x_i for each class i != y:
      l = sum_{i != y} w_y max(0, z_i)^p / C           (p in {1, 2});
      dl/dx_i = w_y p z_i^(p-1) / C where z_i > 0,  dl/dx_y = -sum_{i != y} dl/dx_i.
    'mean' divides by N.
    """

    @staticmethod
    def forward(ctx, x, target, p=1, margin=1.0, weight=None, reduction="mean"):
        rows = x.reshape(-1, x.shape[-1])
        n, c = rows.shape
        t = target.reshape(-1)
        _check_class_indices("multi_margin_loss", t, c, None, x.shape)
        ar = np.arange(n)
        z = margin - rows[ar, t][:, None] + rows  # (N, C)
        active = z > 0
        active[ar, t] = False
        zc = np.where(active, z, 0)
        per = (zc if p == 1 else zc * zc)
        if weight is not None:
            per = per * weight[t][:, None]
        loss = (per.sum(axis=1) / c).astype(x.dtype, copy=False)
        ctx.zc, ctx.active, ctx.t, ctx.p = zc, active, t, p
        ctx.weight, ctx.x_shape, ctx.reduction = weight, x.shape, reduction
        ctx.denom = float(n)
        out = _reduce(loss, reduction, ctx.denom)
        return out.reshape(target.shape) if reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        zc, t = ctx.zc, ctx.t
        n, c = zc.shape
        up = _upstream(grad, ctx.reduction, ctx.denom)
        up = up.reshape(-1, 1) if ctx.reduction == "none" else up
        g = (ctx.active.astype(zc.dtype) if ctx.p == 1 else 2 * zc) / c
        if ctx.weight is not None:
            g *= ctx.weight[t][:, None]
        g[np.arange(n), t] = -g.sum(axis=1)
        g *= up
        return g.reshape(ctx.x_shape), None


class KlDiv(Function):
    """Kullback-Leibler divergence with the input in log-space.  Shape: input (*), target (*).

    log_target=False:  l = t (log t - x), 0 where t == 0 (xlogy);
                       dl/dx = -t,  dl/dt = log t + 1 - x (nan at t == 0, as in PyTorch).
    log_target=True:   l = exp(t) (t - x);  dl/dx = -exp(t),  dl/dt = exp(t) (t - x + 1).
    'batchmean' divides the sum by the batch size (input.shape[0]), the true KL divergence
    per sample; 'mean' divides by the number of elements.
    """

    @staticmethod
    def forward(ctx, x, t, reduction="mean", log_target=False):
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                ctx.et = np.exp(t)
                loss = ctx.et * (t - x)
            else:
                loss = np.where(t == 0, 0, t * np.log(t)).astype(x.dtype, copy=False) - t * x
        ctx.x, ctx.t, ctx.log_target = x, t, log_target
        if reduction == "batchmean":
            reduction, denom = "mean", float(x.shape[0] if x.ndim else 1)
        else:
            denom = float(loss.size)
        ctx.reduction, ctx.denom = reduction, denom
        return _reduce(loss, reduction, denom)

    @staticmethod
    def backward(ctx, grad):
        up = _upstream(grad, ctx.reduction, ctx.denom)
        x, t = ctx.x, ctx.t
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            grad_x = -(ctx.et if ctx.log_target else t) * up
        if need_t:
            with np.errstate(divide="ignore", invalid="ignore"):
                if ctx.log_target:
                    local = ctx.et * (t - x + 1)
                else:
                    local = np.where(t == 0, np.nan, np.log(t) + 1 - x).astype(x.dtype)
            grad_t = local * up
        return grad_x, grad_t


# ----------------------------------------------------------------------------- validation
def _float_input(op: str, input) -> Tensor:
    x = as_tensor(input, op)
    check_float(op, "input", x)
    return x


def _float_target(op: str, target, x: Tensor, same_shape: bool = True) -> Tensor:
    """The target as a Tensor of the input's dtype and (by default) shape."""
    t = as_tensor(target, op, "target")
    if same_shape and t.shape != x.shape:
        raise ValueError(
            f"{op}: input shape {x.shape} and target shape {t.shape} must match (glassnet "
            "does not broadcast a loss's target; reshape one of them)"
        )
    if t.data.dtype != x.data.dtype:
        if t.requires_grad:
            from glassnet.ops.elementwise import cast  # noqa: PLC0415 (differentiable cast)

            return cast(t, x.data.dtype)
        return Tensor._make(t.data.astype(x.data.dtype), False, None)
    return t


def _weight_array(op: str, arg: str, weight, x: Tensor, shape: tuple | None):
    """A constant weight array in the input's dtype; ``shape`` is the exact shape required,
    or None for 'must broadcast to the input's shape'."""
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if shape is not None:
        if w.shape != shape:
            raise ValueError(f"{op}: argument '{arg}' must have shape {shape}, got shape "
                             f"{w.shape} (input shape {x.shape})")
    else:
        try:
            ok = np.broadcast_shapes(w.shape, x.shape) == x.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{op}: argument '{arg}' of shape {w.shape} does not broadcast "
                             f"to the input shape {x.shape}")
    return w.astype(x.data.dtype, copy=False)


def _index_target(op: str, target, x: Tensor) -> np.ndarray:
    """Class-index targets: an integer array of the input's shape without the class dim."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    shape = x.data.shape
    expected = shape[:1] + shape[2:] if len(shape) >= 2 else ()
    if t.dtype.kind not in "iu":
        hint = (" (a float target holds class probabilities and must have the input's shape"
                f" {x.shape}; for class indices convert it with .long())"
                if t.dtype.kind == "f" else "")
        raise TypeError(f"{op}: target must hold integer class indices of shape {expected}, "
                        f"got dtype {t.dtype} and shape {t.shape} for input shape "
                        f"{x.shape}{hint}")
    if t.shape != expected:
        raise ValueError(f"{op}: target of class indices must have shape {expected} for input "
                         f"shape {x.shape} (N, C, d1, ...), got target shape {t.shape}")
    return t if t.dtype == np.int64 else t.astype(np.int64)


def _check_class_input(op: str, x: Tensor) -> None:
    check_float(op, "input", x)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, shape (N, C), "
                         f"(N, C, d1, ...) or (C,); got a 0-d tensor")


# ----------------------------------------------------------------------------- public
def mse_loss(input, target, *, reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error, mean((input - target) ** 2); optional per-element ``weight``."""
    check_reduction("mse_loss", reduction)
    x = _float_input("mse_loss", input)
    t = _float_target("mse_loss", target, x)
    w = _weight_array("mse_loss", "weight", weight, x, x.shape)
    out = MseLoss.apply(x, t, weight=w, reduction=reduction)
    return _no_silent_nan("mse_loss", out, reduction, input=x, target=t)


def l1_loss(input, target, *, reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error, mean(|input - target|); optional per-element ``weight``."""
    check_reduction("l1_loss", reduction)
    x = _float_input("l1_loss", input)
    t = _float_target("l1_loss", target, x)
    w = _weight_array("l1_loss", "weight", weight, x, x.shape)
    out = L1Loss.apply(x, t, weight=w, reduction=reduction)
    return _no_silent_nan("l1_loss", out, reduction, input=x, target=t)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Huber loss: squared below ``delta``, ``delta``-scaled absolute error above."""
    check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: argument 'delta' must be positive, got {delta!r}")
    x = _float_input("huber_loss", input)
    t = _float_target("huber_loss", target, x)
    w = _weight_array("huber_loss", "weight", weight, x, x.shape)
    out = HuberLoss.apply(x, t, weight=w, reduction=reduction, delta=float(delta))
    return _no_silent_nan("huber_loss", out, reduction, input=x, target=t)


def smooth_l1_loss(input, target, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: squared (divided by ``beta``) below ``beta``, absolute error above."""
    check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: argument 'beta' must be >= 0, got {beta!r}")
    x = _float_input("smooth_l1_loss", input)
    t = _float_target("smooth_l1_loss", target, x)
    out = SmoothL1Loss.apply(x, t, reduction=reduction, beta=float(beta))
    return _no_silent_nan("smooth_l1_loss", out, reduction, input=x, target=t)


def binary_cross_entropy(input, target, weight=None, *, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against ``target``."""
    check_reduction("binary_cross_entropy", reduction)
    x = _float_input("binary_cross_entropy", input)
    t = _float_target("binary_cross_entropy", target, x)
    data = x.data
    if data.size and not (data.min() >= 0 and data.max() <= 1):
        bad = data[~((data >= 0) & (data <= 1))].flat[0]
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"value {bad.item()!r} (input shape {x.shape}); pass logits to "
                         "binary_cross_entropy_with_logits instead")
    # as torch: a target outside [0, 1] is no probability and gives a negative loss (NaN is
    # left to _no_silent_nan, which names it)
    outside = (t.data < 0) | (t.data > 1)
    if outside.any():
        raise ValueError(f"binary_cross_entropy: target must hold values in [0, 1], got "
                         f"value {t.data[outside].flat[0].item()!r} (target shape {t.shape})")
    w = _weight_array("binary_cross_entropy", "weight", weight, x, None)
    out = BinaryCrossEntropy.apply(x, t, weight=w, reduction=reduction)
    return _no_silent_nan("binary_cross_entropy", out, reduction, input=x, target=t)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable op; ``pos_weight`` scales positives."""
    op = "binary_cross_entropy_with_logits"
    check_reduction(op, reduction)
    x = _float_input(op, input)
    t = _float_target(op, target, x)
    w = _weight_array(op, "weight", weight, x, None)
    pw = _weight_array(op, "pos_weight", pos_weight, x, None)
    out = BinaryCrossEntropyWithLogits.apply(x, t, weight=w, pos_weight=pw, reduction=reduction)
    return _no_silent_nan("binary_cross_entropy_with_logits", out, reduction, input=x, target=t)


def cross_entropy(input, target, weight=None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C[, d1, ...]) or (C,) against class indices or
    class probabilities, with optional class ``weight`` and ``label_smoothing``."""
    check_reduction("cross_entropy", reduction)
    x = as_tensor(input, "cross_entropy")
    _check_class_input("cross_entropy", x)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: argument 'label_smoothing' must be in [0, 1], got "
                         f"{label_smoothing!r}")
    shape = x.data.shape
    c = shape[1] if len(shape) >= 2 else shape[0]
    w = None if weight is None else _weight_array("cross_entropy", "weight", weight, x, (c,))
    t_dtype = target.data.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if t_dtype.kind == "f":
        if np.shape(target) != x.shape:
            expected = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
            raise ValueError(
                f"cross_entropy: a float target (dtype {t_dtype}) holds class probabilities "
                f"and must have the input's shape {x.shape}, got target shape "
                f"{np.shape(target)}; for class indices pass an int64 tensor of shape "
                f"{expected} (convert with .long())")
        t = _float_target("cross_entropy", target, x)
        out = CrossEntropy.apply(x, t, weight=w, reduction=reduction,
                                 label_smoothing=label_smoothing, probs=True)
        return _no_silent_nan("cross_entropy", out, reduction, input=x, target=t)
    t = _index_target("cross_entropy", target, x)
    out = CrossEntropy.apply(x, t, weight=w, ignore_index=ignore_index, reduction=reduction,
                             label_smoothing=label_smoothing)
    return _no_silent_nan("cross_entropy", out, reduction, input=x, target=t)


def nll_loss(input, target, weight=None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from log_softmax)."""
    check_reduction("nll_loss", reduction)
    x = as_tensor(input, "nll_loss")
    _check_class_input("nll_loss", x)
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    w = _weight_array("nll_loss", "weight", weight, x, (c,))
    t = _index_target("nll_loss", target, x)
    out = NllLoss.apply(x, t, weight=w, ignore_index=ignore_index, reduction=reduction)
    return _no_silent_nan("nll_loss", out, reduction, input=x, target=t)


def hinge_embedding_loss(input, target, margin: float = 1.0, *,
                         reduction: str = "mean") -> Tensor:
    """Hinge embedding loss: ``input`` where target is 1, max(0, margin - input) where -1."""
    check_reduction("hinge_embedding_loss", reduction)
    x = _float_input("hinge_embedding_loss", input)
    t = _float_target("hinge_embedding_loss", target, x)
    out = HingeEmbeddingLoss.apply(x, t.data, margin=float(margin), reduction=reduction)
    return _no_silent_nan("hinge_embedding_loss", out, reduction, input=x, target=t)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None, *,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores ``input`` (N, C) or (C,) against class indices."""
    op = "multi_margin_loss"
    check_reduction(op, reduction)
    if p not in (1, 2):
        raise ValueError(f"{op}: argument 'p' must be 1 or 2, got {p!r}")
    x = as_tensor(input, op)
    check_float(op, "input", x)
    if x.ndim not in (1, 2):
        raise ValueError(f"{op}: input must have shape (N, C) or (C,), got shape {x.shape}")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype} "
                        f"(shape {t.shape})")
    t = t.astype(np.int64, copy=False)
    expected = ((), (1,)) if x.ndim == 1 else ((x.shape[0],),)
    if t.shape not in expected:
        raise ValueError(f"{op}: target must have shape {expected[-1]} for input shape "
                         f"{x.shape}, got target shape {t.shape}")
    w = _weight_array(op, "weight", weight, x, (x.shape[-1],))
    out = MultiMarginLoss.apply(x, t, p=p, margin=float(margin), weight=w, reduction=reduction)
    return _no_silent_nan("multi_margin_loss", out, reduction, input=x, target=t)


def kl_div(input, target, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence of ``target`` from ``input`` (log-probabilities); use
    reduction='batchmean' for the mathematical KL per sample."""
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError("kl_div: argument 'reduction' must be one of 'none', 'mean', "
                         f"'batchmean', 'sum'; got {reduction!r}")
    x = _float_input("kl_div", input)
    t = _float_target("kl_div", target, x)
    out = KlDiv.apply(x, t, reduction=reduction, log_target=bool(log_target))
    return _no_silent_nan("kl_div", out, reduction, input=x, target=t)
