"""``Embedding``: a learned table of vectors, one row per token id."""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import backend
from glassnet import functional as F
from glassnet.autograd.grad_mode import no_grad
from glassnet.nn import init
from glassnet.nn._layer_errors import check_device
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor


class Embedding(Module):
    """out = weight[input]: each integer id picks one row of the table.

    Args:
        num_embeddings: size of the vocabulary (ids are 0 .. num_embeddings - 1).
        embedding_dim: length of each vector D.
        padding_idx: this row starts at zero and receives no gradient, so it stays zero
            (a "no token" id for padded batches); negative counts from the end.
        max_norm: rows looked up with a larger ``norm_type``-norm are rescaled to max_norm
            **in place in ``weight``** during forward (PyTorch's behaviour).
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how often its id occurs in the
            batch.
        sparse: not supported (the gradient of weight is dense).
        device: None or "cpu" (PyTorch's keyword; glassnet runs on the CPU only).

    Shape: input (*) integer ids, output (*, embedding_dim).
    Parameters: ``weight`` (num_embeddings, embedding_dim), initialised N(0, 1) as in
    PyTorch, with the ``padding_idx`` row zeroed.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        check_device("Embedding", device)
        for name, value in (("num_embeddings", num_embeddings),
                            ("embedding_dim", embedding_dim)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                    or value < 0):
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        if padding_idx is not None:
            if (not isinstance(padding_idx, numbers.Integral)
                    or not -num_embeddings <= padding_idx < num_embeddings):
                raise ValueError(f"Embedding: padding_idx must be an int within "
                                 f"num_embeddings ({-num_embeddings} to "
                                 f"{num_embeddings - 1}), got {padding_idx!r}")
            padding_idx = int(padding_idx) % num_embeddings
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not supported; use "
                                      "sparse=False")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = dtype or backend.get_default_dtype()
            self.weight = Parameter(np.zeros((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            data = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if data.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {data.shape} but expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(data, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding holding ``embeddings`` (num, D) as is, sharing its memory as
        PyTorch's does (a write to either shows in the other); frozen by default."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D "
                             f"(num_embeddings, embedding_dim), got shape {data.shape}")
        return cls(data.shape[0], data.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=data, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s
