"""``embedding``: look up rows of a weight matrix by integer token id.

An embedding is a linear layer applied to one-hot vectors, computed without building them:
out = onehot(ids) @ W is just W[ids]. Its gradient is onehot(ids)^T @ grad: every row of W
receives the sum of the gradients of the positions that looked it up.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd import versions
from glassnet.autograd.function import Function
from glassnet.tensor import Tensor

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """out[..., :] = weight[input[...], :]: a row lookup.

    d/dweight: zeros, then row k += grad at every position where input == k (summed, since a
    token may occur many times); row ``padding_idx`` gets no gradient. With
    ``scale_grad_by_freq`` each row's sum is divided by how often k occurs in ``input``.
    No gradient for ``input`` (integer ids). Only the ids are saved, never weight's values,
    so a later in-place change of weight (max_norm's renormalisation by another lookup) does
    not make this node stale; PyTorch's embedding does not save weight either.

    Shape: input (*) integers in [0, num_embeddings), weight (num_embeddings, D),
    output (*, D).
    """

    @staticmethod
    def forward(ctx, weight, input, padding_idx=None, scale_grad_by_freq=False):
        ctx.ids, ctx.num, ctx.dtype = input, weight.shape[0], weight.dtype
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return weight[input]  # (*, D): one gather (a copy, as in PyTorch)

    @staticmethod
    def backward(ctx, grad):
        ids = ctx.ids.reshape(-1)
        dim = grad.shape[-1]
        g = grad.reshape(-1, dim)  # (n, D): one row per looked-up position
        if ctx.scale:
            counts = np.bincount(ids, minlength=ctx.num)
            g = g / counts[ids, None].astype(g.dtype)
        # Sum the rows of equal ids: sort the ids (stable, so each group keeps the original
        # order np.add.at would use), then one add.reduceat over the groups. About twice as
        # fast as np.add.at on (n, D) rows.
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        rows, starts = np.unique(sorted_ids, return_index=True)
        d_weight = np.zeros((ctx.num, dim), dtype=ctx.dtype)
        if rows.size:
            d_weight[rows] = np.add.reduceat(g[order], starts, axis=0)
        if ctx.padding_idx is not None:
            d_weight[ctx.padding_idx] = 0
        return d_weight, None


def _renorm_(weight: Tensor, ids: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale every looked-up row whose ``norm_type``-norm exceeds ``max_norm`` down to
    max_norm / (norm + 1e-7) times itself, in place (PyTorch's ``embedding_renorm_``)."""
    w = weight.data
    rows = np.unique(ids)
    if not rows.size:
        return
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1).astype(np.float64)
    big = norms > max_norm
    if not big.any():
        return
    rows = rows[big]
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    w[rows] *= scale[:, None]
    versions.note_write(w)  # an op that saved weight's old values refuses to backward


def embedding(input, weight, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ids in ``input``: out = weight[input].

    Args:
        input: integer token ids, any shape (*); each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: this row receives no gradient (it stays as it is while training);
            negative values count from the end, as in PyTorch.
        max_norm: if given, every row looked up whose ``norm_type``-norm exceeds it is
            rescaled to norm max_norm **in place, in ``weight`` itself**, before the lookup
            (PyTorch does the same, under no_grad). This is a side effect on the parameter:
            weight's version is bumped, so an op that saved weight earlier in the graph
            refuses to backward, as in PyTorch.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how often its id occurs in input.
        sparse: sparse gradients are not supported (dense only).

    Shape: input (*), weight (num_embeddings, D), output (*, D).
    """
    op = "embedding"
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use "
                                  "sparse=False (the gradient of weight is dense)")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: argument 'weight' must be a Tensor, got {type(weight).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    ids = input.data if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: argument 'input' must be an integer tensor of token ids, got "
                        f"dtype {ids.dtype} (shape {ids.shape})")
    num = weight.shape[0]
    bad = (ids < 0) | (ids >= num)
    if bad.any():
        pos = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), ids.shape))
        raise IndexError(f"{op}: token id {int(ids[pos])} at position {pos} is out of range "
                         f"for num_embeddings {num} (ids must be in [0, {num - 1}]; input "
                         f"shape {ids.shape})")
    if padding_idx is not None:
        if not isinstance(padding_idx, numbers.Integral) or not -num <= padding_idx < num:
            raise ValueError(f"{op}: padding_idx must be an int within num_embeddings "
                             f"({-num} to {num - 1}), got {padding_idx!r}")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        _renorm_(weight, ids, float(max_norm), float(norm_type))
    return Embedding.apply(weight, ids, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """out[..., c] = 1 where tensor[...] == c, else 0: int64 class ids (*) -> (*, C), int64.

    ``num_classes=-1`` takes C = the largest id + 1, as PyTorch. No gradient (ids are not
    differentiable); ``embedding`` is the same product without building these vectors.
    """
    op = "one_hot"
    ids = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if ids.dtype != np.int64:
        raise TypeError(f"{op}: expected an int64 tensor of class ids, got dtype {ids.dtype} "
                        f"(shape {ids.shape}); convert with .long()")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < -1:
        raise ValueError(f"{op}: num_classes must be a non-negative int or -1, got "
                         f"{num_classes!r}")
    if num_classes == -1:
        if ids.size == 0:
            raise ValueError(f"{op}: cannot infer the number of classes from an empty tensor "
                             f"(shape {ids.shape}); pass num_classes")
        num_classes = int(ids.max()) + 1
    if ids.size and ids.min() < 0:
        raise ValueError(f"{op}: class ids must be non-negative, got {int(ids.min())}")
    if ids.size and ids.max() >= num_classes:
        raise ValueError(f"{op}: class id {int(ids.max())} is not smaller than "
                         f"num_classes={num_classes}")
    out = np.zeros((*ids.shape, int(num_classes)), dtype=np.int64)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return Tensor(out)
