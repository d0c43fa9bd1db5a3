"""``Module``: the base of every layer and model, with PyTorch's API.

A module holds parameters, buffers (state that is saved but not trained, like BatchNorm's
running mean) and child modules, all registered by plain attribute assignment. Names join with
dots into ``state_dict`` keys exactly as PyTorch names them (``0.weight``, ``encoder.fc.bias``),
so weights move between glassnet and PyTorch without translation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from glassnet import backend
from glassnet.autograd import versions
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor


class Module:
    """Base class for layers and models: subclass it and write ``forward``."""

    # Buffers a checkpoint may lack (kept as they are when it does, not "missing" keys):
    # e.g. BatchNorm's num_batches_tracked, which PyTorch checkpoints before 0.4.1 lack.
    _optional_state: tuple = ()

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        """Register Parameters and Modules by assignment, as PyTorch does, checking in its
        order: parameters, then child modules, then buffers. (A name holding a Parameter
        takes only a Parameter or None, so a Module assigned over a weight is refused rather
        than silently dropping it.) Plain attributes may be set before ``__init__``."""
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._require_init("parameters", params)
            self._remove_name(name, "_buffers", "_modules")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(glassnet.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._require_init("module", params)
            self._remove_name(name, "_parameters", "_buffers")
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                f"'{name}' (glassnet.nn.Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(glassnet.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _require_init(self, kind: str, table) -> None:
        """The registries exist only after Module.__init__ (PyTorch's messages)."""
        if table is None:
            raise AttributeError(f"{type(self).__name__}: cannot assign {kind} before "
                                 "Module.__init__() call (call super().__init__() first)")

    def _remove_name(self, name: str, *tables: str) -> None:
        """Forget ``name`` as a plain attribute and in ``tables``, before it is registered
        as something else (one name, one meaning)."""
        self.__dict__.pop(name, None)
        for table in tables:
            self.__dict__[table].pop(name, None)
        self._forget_non_persistent(name)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the registries. (Every forward reads
        # its weights here: one dict lookup per table, no loop.) Before Module.__init__ the
        # registries are missing from __dict__ and this raises AttributeError, never recurses.
        d = self.__dict__
        if "_parameters" in d:
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table_name in ("_parameters", "_buffers", "_modules"):
            table = self.__dict__.get(table_name, {})
            if name in table:
                del table[name]
                self._forget_non_persistent(name)
                return
        object.__delattr__(self, name)

    def _forget_non_persistent(self, name: str) -> None:
        self.__dict__.get("_non_persistent", set()).discard(name)

    def _check_new_name(self, op: str, kind: str, name, table_name: str) -> dict:
        """PyTorch's rules for a registered name: only after Module.__init__, a non-empty str
        without '.', not already another attribute (a parameter named like a buffer would
        make state_dict save one and the module use the other). Returns the table."""
        table = self.__dict__.get(table_name)
        self._require_init(kind, table)
        if not isinstance(name, str):
            raise TypeError(f"{op}: {kind} name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{op}: {kind} name can't be empty or contain '.', got {name!r}")
        if name not in table and hasattr(self, name):
            raise KeyError(f"{op}: attribute '{name}' already exists")
        return table

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        params = self._check_new_name("register_parameter", "parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got "
                            f"{type(param).__name__}")
        params[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State saved in ``state_dict`` (unless ``persistent=False``) but not trained (e.g.
        running statistics)."""
        buffers = self._check_new_name("register_buffer", "buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        buffers[name] = tensor
        if persistent:
            self._forget_non_persistent(name)
        else:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        modules = self._check_new_name("add_module", "module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got {type(module).__name__}")
        modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted path ``target`` ("encoder.0"; "" is this module), found
        as PyTorch finds it; AttributeError names the part that is missing or not a Module."""
        _check_target("get_submodule", target)
        return self._walk(f"get_submodule({target!r})", target)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` ("encoder.0.weight")."""
        _check_target("get_parameter", target)
        where = f"get_parameter({target!r})"
        module_path, _, name = target.rpartition(".")
        module = self._walk(where, module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{where}: {type(module).__name__} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"{where}: `{name}` is not an nn.Parameter")
        return param

    def _walk(self, where: str, path: str) -> Module:
        """Follow the dotted ``path`` down from this module; errors start with ``where``."""
        module = self
        for item in path.split(".") if path else ():
            if not hasattr(module, item):
                raise AttributeError(f"{where}: {type(module).__name__} has no attribute "
                                     f"`{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"{where}: `{item}` is not an nn.Module")
        return module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator:
        """(name, module) for this module and every submodule, depth first; a module
        reached twice is listed once unless ``remove_duplicate=False`` (as in PyTorch)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator:
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and updates
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics), set on this
        module and then through each child's own ``train``, as PyTorch does (so a child
        that overrides ``train`` is called)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got "
                             f"{type(mode).__name__} {mode!r}")
        object.__setattr__(self, "training", bool(mode))
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self, as PyTorch does."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype=None, device: str | None = None) -> Module:
        """Cast floating parameters and buffers to ``dtype`` in place (only 'cpu' exists)."""
        dtype = backend.to_dtype_and_device("Module.to", dtype, device)
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are allowed, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.data.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t.grad.data = t.grad.data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ------------------------------------------------------------------ state
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Every parameter and persistent buffer by its dotted name, in registration order.

        Values are Tensors sharing memory with the module (detached unless ``keep_vars``).
        """
        out = OrderedDict()
        # Every path to a module gets its keys, even when one module sits in the model
        # twice (Sequential(l, ReLU(), l) has 0.weight and 2.weight), as in PyTorch.
        stack = [(prefix.rstrip("."), self, frozenset())]
        while stack:
            module_prefix, module, ancestors = stack.pop()
            if id(module) in ancestors:  # torch recurses until RecursionError here
                raise RecursionError(f"state_dict: the module at '{module_prefix}' contains "
                                     "itself (a cycle of submodules)")
            ancestors = ancestors | {id(module)}
            skip = module.__dict__.get("_non_persistent", set())
            for table in (module._parameters, module._buffers):
                for name, value in table.items():
                    if value is None or name in skip:
                        continue
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    out[key] = value if keep_vars else value.detach()
            stack.extend(reversed([(f"{module_prefix}.{name}" if module_prefix else name,
                                    child, ancestors) for name, child in module._modules.items()
                                   if child is not None]))
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Every key is checked first: with ``strict``, missing keys, unexpected keys and shape
        mismatches are all listed in one error, and nothing is changed. Shape mismatches are
        an error even without ``strict``. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict(keep_vars=True)
        optional = {f"{name}.{key}" if name else key for name, module in self.named_modules()
                    for key in module._optional_state}
        missing = [k for k in own if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in own]
        mismatched, bad_values = [], []
        incoming = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target.data.shape:
                mismatched.append(
                    f"{key}: checkpoint shape {array.shape}, model shape {target.data.shape}")
            elif array.dtype.kind not in "fiub" or (
                    target.data.dtype.kind == "f" and array.dtype.kind not in "fiu"):
                bad_values.append(f"{key}: cannot load dtype {array.dtype} into "
                                  f"{target.data.dtype}")
            else:
                incoming[key] = array
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if bad_values:
            problems.append("bad values: " + "; ".join(bad_values))
        if problems:
            raise StateDictError(
                f"load_state_dict: cannot load into {type(self).__name__} (nothing was "
                "changed):\n  " + "\n  ".join(problems))
        for key, array in incoming.items():
            target = own[key]
            target.data[...] = array.astype(target.data.dtype, copy=False)
            versions.note_write(target.data)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """One line of the module's settings, shown in its repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: a one-line extra_repr stays on one line; otherwise every line
        of extra_repr and every child goes on its own line, indented by two."""
        extra = self.extra_repr()
        extra = extra.split("\n") if extra else []
        children = [f"({name}): {_indent(repr(child))}"
                    for name, child in self._modules.items()]
        return _layout(type(self).__name__, extra, children)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))


def _typename(value) -> str:
    """A value's type as ``torch.typename`` writes it: 'int', 'glassnet.nn.linear.Linear'."""
    cls = type(value)
    if cls.__module__ in (None, "builtins"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_target(op: str, target) -> None:
    if not isinstance(target, str):
        raise TypeError(f"{op}: target must be a dotted str such as 'encoder.0', got "
                        f"{type(target).__name__} {target!r}")


def _indent(text: str) -> str:
    """Indent every line but the first by two spaces (a child's repr inside its parent)."""
    return text.replace("\n", "\n  ")


def _layout(name: str, extra: list[str], children: list[str]) -> str:
    if len(extra) == 1 and not children:
        return f"{name}({extra[0]})"
    lines = extra + children
    return f"{name}(\n  " + "\n  ".join(lines) + "\n)" if lines else f"{name}()"


class StateDictError(ValueError, RuntimeError):
    """A state_dict that does not fit the module. A ValueError, as glassnet's other checks,
    and a RuntimeError, as PyTorch raises it, so code written for either catches it."""


class _IncompatibleKeys(NamedTuple):
    """``(missing_keys, unexpected_keys)`` as PyTorch's load_state_dict returns them."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")
