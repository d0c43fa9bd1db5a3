"""Gradient clipping (PyTorch's ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``):
rescale or clamp the ``.grad`` of parameters in place, between ``backward()`` and
``optimizer.step()``. Re-exported as ``glassnet.nn.utils.clip_grad_norm_`` and
``clip_grad_value_``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float):
    """The p-norm of ``x`` seen as one vector, as ``torch.linalg.vector_norm``: in x's dtype,
    except that float16 is summed in float32 (as torch does) and only the result rounded
    (a float16 sum of squares overflows once the norm passes 256)."""
    if x.dtype == np.float16:
        return np.float16(_vector_norm(x.astype(np.float32), norm_type))
    x = x.reshape(-1)
    if norm_type == 2.0:
        return np.sqrt(np.dot(x, x))
    if norm_type == math.inf:
        return np.max(np.abs(x)) if x.size else x.dtype.type(0)
    if norm_type == -math.inf:
        return np.min(np.abs(x)) if x.size else x.dtype.type(math.inf)
    if norm_type == 0.0:
        return x.dtype.type(np.count_nonzero(x))
    if norm_type == 1.0:
        return np.sum(np.abs(x))
    return np.sum(np.abs(x) ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    r"""Scale the gradients so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector::

        total = || (||g_1||_p, ||g_2||_p, ...) ||_p        (p = norm_type; 'inf' = max |g|)
        coef  = max_norm / (total + 1e-6)
        g_i  <- g_i * coef                                  only when coef < 1

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is clipped (Tensors
            without a grad are ignored).
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm (default 2.0; ``float('inf')`` for the max norm).
        error_if_nonfinite: raise RuntimeError when the total norm is NaN or infinite.
        foreach: accepted for PyTorch compatibility; ignored.

    Returns:
        the total norm before clipping, a 0-d Tensor of the gradients' dtype.
    """
    del foreach  # one NumPy loop serves every case
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32), False, None)
    dtype = np.result_type(*grads)
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=dtype)
    total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({float(total)}), so they cannot be clipped; to scale the gradients "
            "by the non-finite norm anyway, set error_if_nonfinite=False"
        )
    # Computed in the gradients' dtype, as PyTorch does, so float32 results match.
    coef = dtype.type(max_norm) / (total + dtype.type(1e-6))
    if coef < 1 or np.isnan(coef):
        with np.errstate(invalid="ignore"):  # inf * 0 -> nan, silently, as PyTorch
            for g in grads:
                g *= coef.astype(g.dtype)  # (torch multiplies in the gradient's own dtype)
    return Tensor._make(total, False, None)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor],
    clip_value: float,
    foreach: bool | None = None,
) -> None:
    r"""Clamp every gradient element into ``[-clip_value, clip_value]`` in place::

        g <- min(max(g, -clip_value), clip_value)

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is clipped.
        clip_value: the largest allowed magnitude.
        foreach: accepted for PyTorch compatibility; ignored.
    """
    del foreach
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
