"""Module attributes as PyTorch handles them: the order of __setattr__'s checks (parameters,
then child modules, then buffers), what may be set before Module.__init__, and the dotted
look-ups get_submodule / get_parameter."""

import pytest
import torch

import glassnet as gn
from glassnet import nn


def both(build):
    """``build(m, zeros)`` for glassnet and for torch: the same code on either library."""
    return build(nn, gn.zeros), build(torch.nn, torch.zeros)


def test_a_module_assigned_over_a_parameter_is_refused_and_the_weight_kept():
    # the Module branch ran first: the parameter vanished from the state_dict unnoticed
    for m, zeros in ((nn, gn.zeros), (torch.nn, torch.zeros)):
        owner = m.Module()
        owner.w = m.Parameter(zeros(2))
        kind = "glassnet" if m is nn else "torch"
        with pytest.raises(TypeError, match=rf"cannot assign '{kind}\.nn\..*Linear' as "
                                            rf"parameter 'w' \({kind}\.nn\.Parameter or None "
                                            "expected\\)"):
            owner.w = m.Linear(1, 1)
        assert list(owner.state_dict()) == ["w"] and list(owner._modules) == []


def test_assignments_over_registered_names_follow_torchs_order():
    def build(m, zeros):
        owner = m.Module()
        owner.child = m.Linear(1, 1)
        owner.child = m.Parameter(zeros(2))  # a Parameter replaces a child module
        owner.register_buffer("buf", zeros(1))
        owner.buf = m.Linear(1, 1)  # a Module replaces a buffer
        owner.register_buffer("buf2", zeros(1))
        owner.buf2 = m.Parameter(zeros(1))  # a Parameter replaces a buffer
        owner.plain = 3
        owner.plain = m.Parameter(zeros(1))  # and a plain attribute
        owner.gone = m.Parameter(zeros(1))
        owner.gone = None  # None keeps the name as an empty parameter
        return (list(owner.state_dict()), list(owner._parameters), list(owner._modules),
                list(owner._buffers), "plain" in owner.__dict__, owner.gone)

    ours, theirs = both(build)
    assert ours == theirs
    assert ours[1] == ["child", "buf2", "plain", "gone"] and ours[2] == ["buf"]


def test_wrong_values_for_registered_names_are_refused_like_torch():
    for m, zeros in ((nn, gn.zeros), (torch.nn, torch.zeros)):
        owner = m.Module()
        owner.child = m.Linear(1, 1)
        owner.register_buffer("buf", zeros(1))
        with pytest.raises(TypeError, match="as child module 'child'"):
            owner.child = zeros(1)
        with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'buf'"):
            owner.buf = 3
        with pytest.raises(KeyError, match="attribute 'forward' already exists"):
            owner.forward = m.Parameter(zeros(1))
        assert isinstance(owner.child, m.Linear) and list(owner._buffers) == ["buf"]


class Early(nn.Module):
    """Sets a plain attribute before super().__init__(), which PyTorch allows."""

    def __init__(self):
        self.width = 4
        super().__init__()
        self.fc = nn.Linear(self.width, 2)


def test_plain_attributes_may_be_set_before_init_as_in_torch():
    model = Early()
    assert model.width == 4 and list(model.state_dict()) == ["fc.weight", "fc.bias"]


@pytest.mark.parametrize("what,action", [
    ("parameters", lambda self: setattr(self, "w", nn.Parameter(gn.zeros(1)))),
    ("module", lambda self: setattr(self, "fc", nn.Linear(1, 1))),
    ("buffer", lambda self: self.register_buffer("b", gn.zeros(1))),
    ("parameter", lambda self: self.register_parameter("w", nn.Parameter(gn.zeros(1)))),
    ("module", lambda self: self.add_module("fc", nn.Linear(1, 1))),
])
def test_registering_before_init_is_refused_with_torchs_message(what, action):
    class Late(nn.Module):
        def __init__(self):
            action(self)
            super().__init__()

    with pytest.raises(AttributeError, match=f"Late: cannot assign {what} before "
                                             r"Module.__init__\(\) call"):
        Late()


def test_reading_a_missing_attribute_before_init_is_an_attribute_error_not_recursion():
    class Reads(nn.Module):
        def __init__(self):
            self.missing  # noqa: B018 (the read is the test)

    with pytest.raises(AttributeError, match="'Reads' object has no attribute 'missing'"):
        Reads()
    half = Reads.__new__(Reads)
    assert not hasattr(half, "weight") and not hasattr(half, "_parameters")
    half.note = "kept"
    del half.note
    assert not hasattr(half, "note")


def tree(m):
    return m.Sequential(m.Linear(2, 2), m.Sequential(m.ReLU(), m.Linear(2, 1, bias=False)))


def test_get_submodule_and_get_parameter_find_what_torch_finds():
    ours, theirs = tree(nn), tree(torch.nn)
    assert ours.get_submodule("") is ours
    for target in ("0", "1", "1.1"):
        assert type(ours.get_submodule(target)).__name__ == \
            type(theirs.get_submodule(target)).__name__
    assert ours.get_parameter("1.1.weight") is ours[1][1].weight
    assert ours.get_parameter("0.bias").shape == tuple(theirs.get_parameter("0.bias").shape)


@pytest.mark.parametrize("method,target,message", [
    ("get_submodule", "5", "Sequential has no attribute `5`"),
    ("get_submodule", "1.0.x", "ReLU has no attribute `x`"),
    ("get_submodule", "0.weight", "`weight` is not an nn.Module"),
    ("get_parameter", "0.x", "Linear has no attribute `x`"),
    ("get_parameter", "0.training", "`training` is not an nn.Parameter"),
    ("get_parameter", "1.1.bias", "`bias` is not an nn.Parameter"),  # bias=False: None
    ("get_parameter", "2.weight", "Sequential has no attribute `2`"),
])
def test_get_submodule_and_get_parameter_name_the_missing_part_like_torch(method, target,
                                                                          message):
    for model in (tree(nn), tree(torch.nn)):
        with pytest.raises(AttributeError, match=message):
            getattr(model, method)(target)
    with pytest.raises(AttributeError, match=f"{method}\\('{target}'\\)"):
        getattr(tree(nn), method)(target)


def test_get_submodule_wants_a_str():
    with pytest.raises(TypeError, match="get_submodule: target must be a dotted str.*got int 0"):
        tree(nn).get_submodule(0)
