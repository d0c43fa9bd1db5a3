"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``, named as in PyTorch so that
their children's ``state_dict`` keys are ``0.weight``, ``layers.1.bias``, ``heads.cls.weight``."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from glassnet.nn.module import Module, _indent, _layout


def _as_int(op: str, idx) -> int:
    """``idx`` as an int. Anything that is not one (or does not stand for one, as NumPy ints
    do) is a TypeError, as PyTorch's operator.index makes it: s["0"] is not the child named
    "0", and s[1.0] is not s[1]."""
    try:
        return operator.index(idx)
    except TypeError:
        raise TypeError(f"{op}: index must be an int, got {type(idx).__name__} "
                        f"{idx!r}") from None


def _index(op: str, idx: int, length: int) -> int:
    """``idx`` as a position in ``range(length)``; IndexError when out of range."""
    idx = _as_int(op, idx)
    if not -length <= idx < length:
        raise IndexError(f"{op}: index {idx} is out of range for {length} modules")
    return idx % length


def _iterable(op: str, values, what: str = "an iterable of Modules"):
    """``values`` itself, or a TypeError naming ``op`` (not Python's "'int' object is not
    iterable")."""
    if not isinstance(values, Iterable):
        raise TypeError(f"{op} should be called with {what}, but got "
                        f"{type(values).__name__} {values!r}")
    return values


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(784, 128), ReLU(), ...)``.

    Also accepts one OrderedDict of named modules. Children are named "0", "1", ... so that
    state_dict keys match PyTorch's.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, "
                                    "not a Module")
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):  # the same class, as PyTorch (a subclass stays one)
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index("Sequential", idx, len(self))]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[_index("Sequential", idx, len(self))]
        self.add_module(name, module)

    def __delitem__(self, idx) -> None:
        _delete(self, "Sequential", idx)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in _iterable("Sequential.extend", modules):
            self.append(module)
        return self

    def __iadd__(self, other: Sequential) -> Sequential:
        _check_sequential("+=", other)
        return self.extend(other)

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of this one's modules, then ``other``'s, numbered "0", "1", ...
        (the modules are shared, not copied, as in PyTorch)."""
        _check_sequential("+", other)
        return Sequential(*self, *other)

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert before ``index``, which must be in [-len, len] (IndexError otherwise, as in
        PyTorch; a ModuleList clamps like a Python list)."""
        index = _as_int("Sequential.insert", index)
        if not -len(self) <= index <= len(self):
            raise IndexError(f"Sequential.insert: index {index} is out of range for "
                             f"{len(self)} modules")
        _insert(self, "Sequential", index, module)
        return self

    def pop(self, idx: int = -1) -> Module:
        module = self[idx]
        del self[idx]
        return module


def _check_sequential(op: str, other) -> None:
    # PyTorch's rule and error type: a list is not added, even though it could be extended
    if not isinstance(other, Sequential):
        raise ValueError(f"Sequential {op}: add operator supports only objects of Sequential "
                         f"class, but {type(other)} is given.")


def _renumber(container: Module, modules: list) -> None:
    """Children named "0", "1", ... again, in order (PyTorch keeps the numbering dense)."""
    container._modules.clear()
    for i, module in enumerate(modules):
        container._modules[str(i)] = module


def _delete(container: Module, op: str, idx) -> None:
    modules = list(container._modules.values())
    if isinstance(idx, slice):
        del modules[idx]
    else:
        del modules[_index(op, idx, len(modules))]
    _renumber(container, modules)


def _insert(container: Module, op: str, index: int, module: Module) -> None:
    if not isinstance(module, Module):
        raise TypeError(f"{op}.insert: expected a Module, got {type(module).__name__}")
    modules = list(container._modules.values())
    modules.insert(_as_int(f"{op}.insert", index), module)
    _renumber(container, modules)


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list's would not be)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):  # the same class, as PyTorch (a subclass stays one)
            return self.__class__(items[idx])
        return items[_index("ModuleList", idx, len(items))]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[_index("ModuleList", idx, len(self))]
        self.add_module(name, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in _iterable("ModuleList.extend", modules):
            self.append(module)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *_iterable("ModuleList.__add__", other)])

    def __delitem__(self, idx) -> None:
        _delete(self, "ModuleList", idx)

    def __repr__(self) -> str:
        """As PyTorch prints it: runs of identical modules collapse to
        ``(0-2): 3 x Linear(in_features=4, out_features=4, bias=True)``."""
        runs: list[list] = []  # [first index, last index, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        children = [_indent(f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}")
                    for a, b, text in runs]
        return _layout(type(self).__name__, [], children)

    def insert(self, index: int, module: Module) -> None:
        _insert(self, "ModuleList", index, module)

    def pop(self, idx: int = -1) -> Module:
        module = self[idx]
        del self[idx]
        return module


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add (or replace) modules from a mapping or from (key, module) pairs. Pairs of the
        wrong length are refused, with PyTorch's messages, before any module is added."""
        if hasattr(modules, "items"):
            pairs = list(modules.items())
        else:
            _iterable("ModuleDict.update", modules, "an iterable of key/value pairs")
            pairs = [_pair(i, item) for i, item in enumerate(modules)]
        for key, module in pairs:
            self.add_module(key, module)

    def pop(self, key: str) -> Module:
        module = self._modules[key]
        del self._modules[key]
        return module

    def clear(self) -> None:
        self._modules.clear()


def _pair(i: int, item) -> tuple:
    if not isinstance(item, Iterable):
        raise TypeError(f"ModuleDict update sequence element #{i} should be Iterable; is "
                        f"{type(item).__name__}")
    item = tuple(item)
    if len(item) != 2:
        raise ValueError(f"ModuleDict update sequence element #{i} has length {len(item)}; "
                         "2 is required")
    return item
