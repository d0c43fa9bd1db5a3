"""``Tensor``: an n-dimensional array that remembers how it was made.

A Tensor wraps a NumPy array (``data``). When ``requires_grad`` is True, every op applied to
it records a node (``grad_fn``) so that ``backward()`` can apply the chain rule from an output
back to the leaves, accumulating d output / d leaf into ``leaf.grad``.

Operators and methods are one-liners that call the functional layer (``glassnet.functional``),
where each op's forward and backward formulas sit side by side.
"""

from __future__ import annotations

import numbers
import operator
import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd import grad_mode, versions

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _as_array(data, dtype=None) -> np.ndarray:
    """Convert Python data or an array to an ndarray with PyTorch's dtype inference:
    Python floats become the default dtype (float32), ints int64, bools bool; NumPy arrays
    keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind in "iu" and isinstance(data, (int, float, np.number)):
            # NaN, inf, 300 into int8 ...: refused as PyTorch does, not in NumPy's words
            # (PyTorch's tensor() stores a too-large float as inf, as NumPy does)
            data = checked_number("tensor", data, dtype)
        return np.array(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        try:
            array = np.array(data)
        except ValueError as e:
            raise ValueError(f"tensor: data must be rectangular (every row the same length); "
                             f"NumPy says: {e}") from None
        _refuse_ints_beyond_int64(data, array)
        if array.dtype.kind == "f":
            array = array.astype(backend.get_default_dtype())
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
        elif array.dtype.kind not in "b":
            raise TypeError(
                f"tensor: cannot make a tensor from data of type {type(data).__name__} "
                f"(NumPy dtype {array.dtype}); expected numbers, nested lists or an array"
            )
    return array


def _refuse_ints_beyond_int64(data, array: np.ndarray) -> None:
    """PyTorch stores Python ints as int64 and refuses one that does not fit; NumPy would
    make uint64 (then wrapped: 2**64 - 1 became -1), float64 (``[1, 2**63]``) or objects.
    A float anywhere in ``data`` makes a float tensor, where big ints are fine."""
    if array.dtype.kind == "u":
        suspect = array.size > 0 and array.max() > _INT64_MAX
    elif array.dtype.kind == "f":
        suspect = array.size > 0 and np.abs(array).max() >= 2.0**63  # (cheap; rarely true)
    else:
        suspect = array.dtype == object
    if not suspect:
        return
    leaves = list(_leaves(data))
    if any(isinstance(v, (float, np.floating)) for v in leaves):
        return
    for v in leaves:
        if isinstance(v, int) and not isinstance(v, bool) and not _INT64_MIN <= v <= _INT64_MAX:
            raise OverflowError(f"tensor: the int {v} does not fit in int64 (PyTorch: Overflow "
                                "when unpacking long); pass a float or dtype=float64")


def _leaves(data):
    """The numbers in nested lists and tuples."""
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _leaves(item)
    else:
        yield data


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Attributes:
        data: the values, a NumPy array (float32 by default).
        grad: a Tensor of the same shape holding d(output)/d(self) after ``backward()``, on
            leaves that require grad; None before.
        requires_grad: whether ops on this tensor record a graph.
        grad_fn: the node that produced this tensor (None for leaves).
    """

    # requires_grad is a property over the _requires_grad slot (end of this file)
    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool, grad_fn) -> Tensor:
        """Fast constructor for op outputs: no conversion, no checks."""
        t = object.__new__(Tensor)
        t.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        t.grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._retains_grad = False
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 (PyTorch's name)
        return F.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:  # noqa: N802 (PyTorch's name)
        """The last two dimensions swapped (batches of matrices); PyTorch refuses a 1-d
        tensor and (deprecated) leaves a 0-d one as it is."""
        if self.data.ndim < 2:
            if self.data.ndim == 1:
                raise ValueError("mT: tensor.mT is only supported on matrices or batches of "
                                 f"matrices; got a 1-D tensor (shape {self.shape})")
            warnings.warn("mT: tensor.mT is deprecated on 0-D tensors, as in PyTorch; it "
                          "returns the tensor as it is", UserWarning, stacklevel=2)
            return self
        return F.transpose(self, -2, -1)

    def size(self, dim: int | None = None):
        if dim is None:
            return self.data.shape
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size: argument 'dim' must be an int, got "
                            f"{type(dim).__name__} {dim!r}")
        ndim = self.data.ndim
        if ndim == 0:  # PyTorch's messages, with the function named
            raise IndexError(f"size: Dimension specified as {dim} but tensor has no dimensions")
        if not -ndim <= dim < ndim:
            raise IndexError(f"size: Dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}], but got {dim})")
        return self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        """The tensor's rows ``self[0], self[1], ...`` (each in the graph), as PyTorch."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (F.index(self, i) for i in range(self.data.shape[0]))

    def __contains__(self, element) -> bool:
        """``element in t``: whether any element of ``t`` equals it, as PyTorch."""
        if not isinstance(element, _OPERANDS):
            raise RuntimeError(f"in: only a Tensor or a number can be looked for in a tensor, "
                               f"got {type(element).__name__}")
        return bool(_compare("eq", np.equal, self, element).data.any())

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory, as ``torch.Tensor.numpy``)."""
        if self.requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; "
                "use tensor.detach().numpy()"
            )
        return self.data

    def __array__(self, dtype=None, copy=None):
        """NumPy's protocol: ``np.asarray(t)`` is a view of the data, ``np.array(t)`` a copy
        (NumPy 2 passes copy=True); copy=False with a dtype that needs a copy is refused."""
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: converting dtype {self.data.dtype} to {np.dtype(dtype)} "
                    "needs a copy, but copy=False was passed")
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __dlpack__(self, **kwargs):
        """The DLPack protocol, NumPy's: ``torch.as_tensor(t)`` and ``torch.from_dlpack(t)``
        share this tensor's memory, ``torch.tensor(t)`` copies it. Like ``np.asarray(t)``
        it gives the values alone, also of a tensor that requires grad (the gradient stays
        here). A read-only view (from expand) or one with negative strides (``x[::-1]``) is
        given as a copy: DLPack consumers would write into it, or cannot take it."""
        array = self.data
        if not array.flags.writeable or any(stride < 0 for stride in array.strides):
            if kwargs.get("copy") is False:
                raise BufferError("__dlpack__: this tensor is a read-only or reversed view, "
                                  "which can only be exported as a copy (copy=False given)")
            array = array.copy()
        return array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        return self.data.__dlpack_device__()

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python number, "
                f"got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    def detach(self) -> Tensor:
        """A tensor sharing the data, cut from the graph."""
        return Tensor._make(self.data, False, None)

    def clone(self) -> Tensor:
        return F.clone(self)

    def contiguous(self) -> Tensor:
        return self if self.data.flags.c_contiguous else F.clone(self)

    def to(self, *args, dtype=None, device: str | None = None) -> Tensor:
        """Cast to a dtype (differentiable between float dtypes), PyTorch's forms:
        ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (other's dtype)
        and the keywords. Only 'cpu' exists."""
        dtype = backend.to_dtype_and_device("Tensor.to", *args, dtype=dtype, device=device)
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        return F.cast(self, np.dtype(dtype))

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def int(self) -> Tensor:
        return self.to(backend.int32)

    def bool(self) -> Tensor:
        return self.to(backend.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; only floating tensors can require grad."""
        self._set_requires_grad(requires_grad, "requires_grad_")
        return self

    def _set_requires_grad(self, requires_grad: bool, op: str = "requires_grad") -> None:
        """``t.requires_grad = value`` (the property's setter) and ``requires_grad_``."""
        if requires_grad and not backend.is_floating(self.data.dtype):
            raise TypeError(
                f"{op}: only floating point tensors can require gradients, "
                f"got dtype {self.data.dtype} (shape {self.shape}); convert with .float()"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                f"{op}: you can only change requires_grad of leaf tensors; "
                "use .detach() to cut a non-leaf from the graph"
            )
        self._requires_grad = bool(requires_grad)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d self / d leaf into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is d loss / d self; it may be omitted only for a one-element tensor.
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn; make the "
                "inputs with requires_grad=True (and not inside no_grad()) first"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for one-element outputs, "
                    f"got shape {self.shape}; pass gradient= of that shape"
                )
            seed = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # (np.ones: 2x)
        else:
            seed = _as_array(gradient.data if isinstance(gradient, Tensor) else gradient)
            if seed.shape != self.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {seed.shape} but the tensor has shape "
                    f"{self.shape}"
                )
            seed = seed.astype(self.dtype, copy=False)
        engine.backward(self, seed, retain_graph=retain_graph)

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        if self.grad is None:
            self.grad = Tensor._make(grad, False, None)
        else:
            self.grad.data += grad

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __hash__(self) -> int:
        return id(self)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.sub(self, other)

    def __rsub__(self, other):
        return F.sub(other, self)

    def __mul__(self, other):
        return F.mul(self, other)

    def __rmul__(self, other):
        return F.mul(other, self)

    def __truediv__(self, other):
        return F.div(self, other)

    def __rtruediv__(self, other):
        return F.div(other, self)

    def __pow__(self, exponent):
        return F.pow(self, exponent)

    def __rpow__(self, base):
        return F.pow(base, self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __floordiv__(self, other):
        return F.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return F.floor_divide(other, self)

    def __mod__(self, other):
        return F.remainder(self, other)

    def __rmod__(self, other):
        return F.remainder(other, self)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __neg__(self):
        return F.neg(self)

    def __abs__(self):
        return F.abs(self)

    def __getitem__(self, index):
        return F.index(self, index)

    def __setitem__(self, index, value) -> None:
        shape_ops.setitem(self, index, value)

    # Comparisons give bool tensors and carry no gradient, as in PyTorch.
    def __eq__(self, other):  # type: ignore[override]
        return _compare("eq", np.equal, self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _compare("ne", np.not_equal, self, other)

    def __lt__(self, other):
        return _compare("lt", np.less, self, other)

    def __le__(self, other):
        return _compare("le", np.less_equal, self, other)

    def __gt__(self, other):
        return _compare("gt", np.greater, self, other)

    def __ge__(self, other):
        return _compare("ge", np.greater_equal, self, other)

    def eq(self, other):
        return _compare("eq", np.equal, self, other, method=True)

    def ne(self, other):
        return _compare("ne", np.not_equal, self, other, method=True)

    def lt(self, other):
        return _compare("lt", np.less, self, other, method=True)

    def le(self, other):
        return _compare("le", np.less_equal, self, other, method=True)

    def gt(self, other):
        return _compare("gt", np.greater, self, other, method=True)

    def ge(self, other):
        return _compare("ge", np.greater_equal, self, other, method=True)

    def where(self, condition, other) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's Tensor.where)."""
        return F.where(condition, self, other)

    # Bitwise ops, as PyTorch: logical on bool tensors, bitwise on integer ones.
    def __invert__(self):
        return _bitwise("~", np.invert, self)

    def __and__(self, other):
        return _bitwise("&", np.bitwise_and, self, other)

    def __or__(self, other):
        return _bitwise("|", np.bitwise_or, self, other)

    def __xor__(self, other):
        return _bitwise("^", np.bitwise_xor, self, other)

    def __rand__(self, other):
        return _bitwise("&", np.bitwise_and, other, self)

    def __ror__(self, other):
        return _bitwise("|", np.bitwise_or, other, self)

    def __rxor__(self, other):
        return _bitwise("^", np.bitwise_xor, other, self)

    # ----------------------------------------------------------------- in-place
    # In-place changes write into this tensor's memory, so every view of it sees them. With
    # grad mode off, or when neither side requires grad, that is all (the fast path that
    # optimizers and training loops take). Otherwise the write is recorded in the graph, as
    # in PyTorch: ``x += y`` as ``x[...] = x + y`` (``_record``), so ``acc += w[i] ** 2``
    # and ``h.copy_(w)`` backpropagate into ``w``. Refused on a leaf that requires grad while
    # grad mode is on (wrap optimizer updates in no_grad()), on read-only views, and where
    # the result's type can't be cast to this tensor's (int += 1.5). Each change is noted
    # (autograd/versions.py) so that a backward pass that saved this tensor's old values,
    # or a view of them, refuses to run instead of returning wrong gradients.
    def zero_(self) -> Tensor:
        return self._fill("zero_", 0)

    def fill_(self, value) -> Tensor:
        return self._fill("fill_", value)

    def copy_(self, src) -> Tensor:
        if grad_mode._state.enabled and (self._requires_grad or _requires_grad(src)):
            return self._record("copy_", None, src)
        return self._write("copy_", src.data if isinstance(src, Tensor) else np.asarray(src))

    def __iadd__(self, other):
        return self._update("+=", F.add, other)

    def __isub__(self, other):
        return self._update("-=", F.sub, other)

    def __imul__(self, other):
        return self._update("*=", F.mul, other)

    def __itruediv__(self, other):
        return self._update("/=", F.div, other)

    def __ifloordiv__(self, other):
        return self._update("//=", F.floor_divide, other)

    def __imod__(self, other):
        return self._update("%=", F.remainder, other)

    def __ipow__(self, other):
        return self._update("**=", F.pow, other)

    # (no __imatmul__: PyTorch has none either, so x @= m rebinds x to x @ m, of any shape)

    def __iand__(self, other):
        return self._update("&=", _bitwise_and, other)

    def __ior__(self, other):
        return self._update("|=", _bitwise_or, other)

    def __ixor__(self, other):
        return self._update("^=", _bitwise_xor, other)

    def _fill(self, op: str, value) -> Tensor:
        if not isinstance(value, Tensor):  # NaN, inf, 300 into int8 ...: refused as PyTorch
            value = checked_number(op, value, self.data.dtype)
        if grad_mode._state.enabled and (self._requires_grad or _requires_grad(value)):
            return self._record(op, None, value)
        return self._write(op, value.data if isinstance(value, Tensor) else value)

    def _update(self, op: str, fn, other) -> Tensor:
        """self = fn(self, other), written into self's memory (``x += y`` and the like)."""
        if grad_mode._state.enabled and (self._requires_grad or _requires_grad(other)):
            return self._record(op, fn, other)
        return self._write(op, fn(self.detach(), _detached(other)).data)

    def _write(self, op: str, values) -> Tensor:
        """Write ``values`` (an array or a number) into self's memory, outside the graph."""
        self._check_write(op, values)
        self.data[...] = values
        versions.note_write(self.data)
        return self

    def _record(self, op: str, fn, other) -> Tensor:
        """The write as a node of the graph: ``self[...] = fn(self, other)`` (``other``
        itself for copy_ and fill_), through ``in_place`` as ``x[i] = v`` is."""
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad is being changed in place; wrap the "
                "update in no_grad(), or write x = x + y to record it in the graph")
        operand = self
        if op == "**=" or (op in ("*=", "/=", "%=") and _requires_grad(other)):
            # fn's node keeps self's values for a gradient, and the write changes them: it
            # gets a copy (as PyTorch keeps the original self for mul_ and the like)
            operand = (F.clone(self) if self._requires_grad
                       else Tensor._make(self.data.copy(), False, None))
        value = other if fn is None else fn(operand, other)
        self._check_write(op, value.data if isinstance(value, Tensor) else value)
        shape_ops.assign(op, self, value)
        return self

    def _check_write(self, op: str, values) -> None:
        """Refuse, before anything is written, a read-only view, a result of a higher type
        category than self's (int += 1.5) and one that does not fit self's shape."""
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor is a read-only view (e.g. from expand); "
                               "clone() it before changing it in place")
        result = np.result_type(values)
        if op in _ARITHMETIC and backend.category(result) > backend.category(self.dtype):
            raise RuntimeError(
                f"{op}: result type {result} can't be cast to this tensor's dtype "
                f"{self.data.dtype} in place (as in PyTorch: int += 1.5 would truncate); write "
                f"x = x {op[:-1]} y for a new tensor of the promoted type")
        shape = np.shape(values)
        if shape != self.shape:
            try:
                fits = np.broadcast_shapes(shape, self.shape) == self.shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(f"{op}: a value of shape {shape} cannot be written into a "
                                   f"tensor of shape {self.shape}")


_ARITHMETIC = ("+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=")


def _detached(value):
    return value.detach() if isinstance(value, Tensor) else value


def _requires_grad(value) -> bool:
    return isinstance(value, Tensor) and value._requires_grad


def _bitwise(op: str, ufunc, *operands) -> Tensor:
    """``ufunc`` on bool or integer operands (a Python bool or int joins in the tensor's
    dtype); float operands are refused, as in PyTorch."""
    arrays = [v.data if isinstance(v, Tensor) else v for v in operands]
    for value in arrays:
        kind = value.dtype.kind if isinstance(value, np.ndarray) else (
            "b" if isinstance(value, (bool, np.bool_)) else
            "i" if isinstance(value, (int, np.integer)) else "f")
        if kind not in "biu":
            got = getattr(value, "dtype", type(value).__name__)
            raise TypeError(f"{op}: only bool and integer tensors (and Python bools/ints) "
                            f"take bitwise ops, got {got}")
    return Tensor._make(np.asarray(ufunc(*arrays)), False, None)


def _bitwise_and(a, b) -> Tensor:
    return _bitwise("&", np.bitwise_and, a, b)


def _bitwise_or(a, b) -> Tensor:
    return _bitwise("|", np.bitwise_or, a, b)


def _bitwise_xor(a, b) -> Tensor:
    return _bitwise("^", np.bitwise_xor, a, b)


def _compare(op: str, ufunc, a: Tensor, b, method: bool = False) -> Tensor:
    """``a (op) b`` as a bool tensor. An operand that is not a Tensor, an array or a number
    gives NotImplemented to the operators, so that Python decides (``t == None`` is False,
    ``t != "a"`` True, ``t < "a"`` a TypeError, as in PyTorch); the methods refuse it."""
    if not isinstance(b, _OPERANDS):
        if method:
            raise TypeError(f"{op}: argument 'other' must be a Tensor or a number, got "
                            f"{type(b).__name__}")
        return NotImplemented
    b_data = b.data if isinstance(b, Tensor) else b
    if a.data.dtype.kind == "f" or np.asarray(b_data).dtype.kind == "f":
        # compare in the dtype PyTorch would compute in: float32 [..] == float64 0-d (or a
        # NumPy float64 scalar) compares in float32, int [..] == 2.0**24 in the default float
        x, y = binary_operands(op, a, b if isinstance(b, Tensor) else b_data)
        a_data, b_data = (v.data if isinstance(v, Tensor) else v for v in (x, y))
    else:  # integers and bools: NumPy's exact comparison (uint8 [..] < 300 is True)
        a_data = a.data
    return Tensor._make(broadcasting(op, ufunc, a_data, b_data), False, None)


# ``requires_grad``: read for every input of every op, so its getter reads the slot in C
# (operator.attrgetter: no Python frame); its setter checks, as requires_grad_() does.
Tensor.requires_grad = property(
    operator.attrgetter("_requires_grad"), Tensor._set_requires_grad,
    doc="Whether ops on this tensor record a graph (only floating tensors can).")


def _add_methods() -> None:
    """Tensor methods that are plain calls of the functional op of the same name."""
    names = [
        "add", "sub", "mul", "div", "floor_divide", "remainder", "neg", "pow", "matmul", "exp",
        "log", "sqrt", "abs", "clamp", "maximum", "minimum", "sum", "mean", "max", "min", "var",
        "std", "logsumexp", "argmax", "argmin", "amax", "amin", "reshape", "view", "transpose",
        "permute", "flatten", "squeeze", "unsqueeze", "expand", "expand_as", "gather", "split",
        "chunk", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "square", "sign",
        "heaviside", "view_as", "reshape_as", "clip", "narrow",
    ]
    for name in names:
        def method(self, *args, _name=name, **kwargs):
            return getattr(F, _name)(self, *args, **kwargs)

        method.__name__ = name
        method.__qualname__ = f"Tensor.{name}"
        method.__doc__ = f"Same as ``glassnet.functional.{name}(self, ...)``."
        setattr(Tensor, name, method)


from glassnet import functional as F  # noqa: E402  (ops import Tensor from this module)
from glassnet.autograd import engine  # noqa: E402
from glassnet.ops import shape as shape_ops  # noqa: E402
from glassnet.ops._util import binary_operands, broadcasting, checked_number  # noqa: E402

_OPERANDS = (Tensor, np.ndarray, numbers.Number, np.generic)  # what comparisons take

_add_methods()
