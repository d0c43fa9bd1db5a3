"""Sequential, ModuleList and ModuleDict given the wrong thing: the error type PyTorch raises,
a message naming the container and the value, and the container left as it was."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

from glassnet import nn


def seq(m):
    return m.Sequential(m.ReLU(), m.Tanh())


def names(container):
    return [type(module).__name__ for module in container]


@pytest.mark.parametrize("index", ["0", 1.0, None])
@pytest.mark.parametrize("build", [seq, lambda m: m.ModuleList([m.ReLU(), m.Tanh()])],
                         ids=["Sequential", "ModuleList"])
def test_an_index_that_is_not_an_int_is_a_type_error_like_torch(build, index):
    # s["0"] raised Python's own "list indices must be integers", s[1.0] likewise
    ours, theirs = build(nn), build(torch.nn)
    kind = type(ours).__name__
    for action in (lambda c: c[index], lambda c: c.__setitem__(index, c[0]),
                   lambda c: c.__delitem__(index), lambda c: c.pop(index)):
        with pytest.raises(TypeError):
            action(theirs)
        with pytest.raises(TypeError, match=f"{kind}: index must be an int, got "
                                            f"{type(index).__name__} {index!r}"):
            action(ours)
    with pytest.raises(TypeError, match=f"{kind}.insert: index must be an int"):
        ours.insert(index, nn.ReLU())
    assert names(ours) == ["ReLU", "Tanh"]
    assert type(ours[np.int64(1)]).__name__ == "Tanh"  # an int in NumPy's clothes is fine


@pytest.mark.parametrize("action,message", [
    (lambda: nn.ModuleList(3), "ModuleList.extend should be called with an iterable"),
    (lambda: nn.ModuleList([nn.ReLU()]).extend(3),
     "ModuleList.extend should be called with an iterable"),
    (lambda: nn.ModuleList([nn.ReLU()]) + 3, r"ModuleList.__add__ should be called with an"),
    (lambda: seq(nn).extend(3), "Sequential.extend should be called with an iterable"),
    (lambda: nn.ModuleDict(3), "ModuleDict.update should be called with an iterable of "
                               "key/value pairs, but got int 3"),
    (lambda: nn.ModuleDict().update([3]), "ModuleDict update sequence element #0 should be "
                                          "Iterable; is int"),
])
def test_something_not_iterable_is_a_clear_type_error_naming_the_container(action, message):
    # it was Python's "'int' object is not iterable", naming no container
    with pytest.raises(TypeError, match=message + ".*") as info:
        action()
    assert "not iterable" not in str(info.value)


def test_module_dict_update_wants_pairs_and_adds_nothing_from_a_bad_sequence():
    for m in (nn, torch.nn):
        heads = m.ModuleDict({"a": m.ReLU()})
        with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has "
                                             "length 3; 2 is required"):
            heads.update([("c", m.ReLU(), 1)])
        with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
            heads.update("ab")
    heads = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(ValueError, match="element #1 has length 1"):
        heads.update([("b", nn.Tanh()), ("c",)])
    assert list(heads) == ["a"]  # the good first pair was not added either
    heads.update([("b", nn.Tanh())])
    assert list(heads) == ["a", "b"]


def test_sequential_adds_only_a_sequential_like_torch():
    for m in (nn, torch.nn):
        model = seq(m)
        with pytest.raises(ValueError, match="add operator supports only objects of "
                                             "Sequential class, but <class 'list'> is given"):
            model += [m.Sigmoid()]
        with pytest.raises(ValueError, match="but <class 'list'> is given"):
            model + [m.Sigmoid()]
        assert names(model) == ["ReLU", "Tanh"]
        model += m.Sequential(m.Sigmoid())
        assert names(model) == ["ReLU", "Tanh", "Sigmoid"]


def test_slicing_a_subclass_gives_the_subclass_like_torch():
    for m in (nn, torch.nn):
        class Stack(m.Sequential):
            pass

        class Blocks(m.ModuleList):
            pass

        assert type(Stack(m.ReLU(), m.Tanh())[1:]) is Stack
        assert type(Blocks([m.ReLU(), m.Tanh()])[:1]) is Blocks
    part = seq(nn)[1:]
    assert list(part._modules) == ["1"] and isinstance(part, nn.Sequential)
    assert list(nn.Sequential(OrderedDict(a=nn.ReLU(), b=nn.Tanh()))[::-1]._modules) == \
        ["b", "a"]
