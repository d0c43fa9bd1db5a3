"""Bad arguments raise early with messages that name the optimizer, the argument and the value,
and a failed load_state_dict leaves the optimizer unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim


def _param(shape=(2, 3)):
    return gn.Tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD([p], lr=-1.0), "SGD: invalid learning rate -1.0 (must be >= 0)"),
    (lambda p: optim.SGD([p], lr=math.nan), "SGD: invalid learning rate nan"),
    (lambda p: optim.SGD([p], momentum=-0.5), "SGD: invalid momentum -0.5 (must be >= 0)"),
    (lambda p: optim.SGD([p], weight_decay=-1e-4), "SGD: invalid weight_decay -0.0001"),
    (lambda p: optim.SGD([p], nesterov=True), "SGD: Nesterov momentum requires a momentum"),
    (lambda p: optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True),
     "dampening=0.1"),
    (lambda p: optim.Adam([p], lr=-0.1), "Adam: invalid learning rate -0.1"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.999)),
     "Adam: invalid beta parameter at index 0 1.0 (must be in [0, 1))"),
    (lambda p: optim.Adam([p], betas=(0.9, -0.1)), "Adam: invalid beta parameter at index 1"),
    (lambda p: optim.Adam([p], betas=(0.9,)), "Adam: betas must be a pair"),
    (lambda p: optim.Adam([p], eps=-1e-8), "Adam: invalid eps -1e-08 (must be >= 0)"),
    (lambda p: optim.AdamW([p], weight_decay=-0.01), "AdamW: invalid weight_decay -0.01"),
    (lambda p: optim.RMSprop([p], alpha=-0.9), "RMSprop: invalid alpha -0.9"),
    (lambda p: optim.RMSprop([p], momentum=-1), "RMSprop: invalid momentum -1"),
    (lambda p: optim.RMSprop([p], eps=-1), "RMSprop: invalid eps -1"),
    (lambda p: optim.Adagrad([p], lr_decay=-1), "Adagrad: invalid lr_decay -1"),
    (lambda p: optim.Adagrad([p], initial_accumulator_value=-1),
     "Adagrad: invalid initial_accumulator_value -1"),
    (lambda p: optim.Adagrad([p], eps=-1), "Adagrad: invalid eps -1"),
    (lambda p: optim.SGD([{"params": [p], "lr": -2.0}], lr=0.1),
     "SGD: invalid learning rate -2.0"),
])
def test_invalid_options(make, message):
    with pytest.raises(ValueError) as info:
        make(_param())
    assert message in str(info.value)


def test_invalid_group_added_later_leaves_optimizer_unchanged():
    p, q = _param(), _param()
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="Adam: invalid beta parameter at index 0 2"):
        opt.add_param_group({"params": [q], "betas": (2, 0.9)})
    assert len(opt.param_groups) == 1


def test_bad_params():
    p = _param()
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match=r"single Tensor of shape \(2, 3\)"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="a set"):
        optim.SGD({p})
    with pytest.raises(TypeError, match=r"params\[1\] is ndarray"):
        optim.SGD([p, np.ones(3)])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match="needs a 'params' entry"):
        optim.SGD([{"lr": 0.1}])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([gn.functional.mul(p, 2.0)])


def test_grad_of_wrong_shape():
    p = _param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = gn.Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"SGD.step: parameter 0 of group 0 has shape \(2, 3\) "
                                         r"but its grad has shape \(3,\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones((2, 3)))


def _trained_adam():
    p, q = _param(), _param((4,))
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.01}], amsgrad=True)
    p.grad, q.grad = gn.Tensor(np.full((2, 3), 0.5)), gn.Tensor(np.arange(4.0))
    opt.step()
    return opt


def _snapshot(opt):
    sd = opt.state_dict()
    return repr(sd["param_groups"]), {k: {n: np.copy(v) for n, v in s.items()}
                                      for k, s in sd["state"].items()}


def _assert_same(opt, snapshot):
    groups, state = _snapshot(opt)
    assert groups == snapshot[0]
    assert sorted(state) == sorted(snapshot[1])
    for k in state:
        for n in state[k]:
            np.testing.assert_array_equal(state[k][n], snapshot[1][k][n])


def _corrupt(kind):
    sd = _trained_adam().state_dict()
    if kind == "groups":
        sd["param_groups"] = sd["param_groups"][:1]
    elif kind == "count":
        sd["param_groups"][1]["params"] = [1, 2]
    elif kind == "shape":
        sd["state"][1]["exp_avg"] = np.zeros(5)
    elif kind == "index":
        sd["state"][7] = sd["state"].pop(1)
    elif kind == "keys":
        del sd["state"]
    elif kind == "option":
        sd["param_groups"][1]["lr"] = -1.0
    elif kind == "junk":
        sd["state"][1]["exp_avg"] = "junk"
    elif kind == "torch-shape":
        import torch

        sd["state"][1]["exp_avg"] = torch.zeros(7)
    elif kind == "step-text":
        sd["state"][1]["step"] = "x"
    elif kind == "step-negative":
        sd["state"][1]["step"] = -2
    elif kind == "none-buffer":
        sd["state"][1]["exp_avg"] = None
    elif kind == "bfloat16":
        import torch

        sd["state"][1]["exp_avg"] = torch.zeros(4, dtype=torch.bfloat16)
    elif kind == "sgd-state":  # another optimizer's state: loaded before, failed at step()
        sd["state"][1] = {"momentum_buffer": np.zeros(4)}
    elif kind == "missing-buffer":
        del sd["state"][1]["exp_avg_sq"]
    return sd


@pytest.mark.parametrize("kind, error, message", [
    ("groups", ValueError, "has 1 parameter groups but the optimizer has 2"),
    ("count", ValueError, "parameter group 1 has 2 parameters in the state dict but 1"),
    ("shape", ValueError, r"state 'exp_avg' of parameter 1 has shape \(5,\) but the "
                          r"parameter has shape \(4,\)"),
    ("index", ValueError, "state for parameter index 7"),
    ("keys", ValueError, r"lacks \['state'\]"),
    ("option", ValueError, "Adam: invalid learning rate -1.0"),
    ("junk", ValueError, r"state 'exp_avg' of parameter 1 is a str; expected an array"),
    ("torch-shape", ValueError, r"state 'exp_avg' of parameter 1 has shape \(7,\) but"),
    ("step-text", ValueError, r"state 'step' of parameter 1 must be a count >= 0, got 'x'"),
    ("step-negative", ValueError, r"state 'step' of parameter 1 must be a count >= 0, got -2"),
    ("none-buffer", ValueError, r"state 'exp_avg' of parameter 1 is a NoneType"),
    ("bfloat16", ValueError, r"state 'exp_avg' of parameter 1 cannot be read as an array"),
    ("sgd-state", ValueError, r"the state of parameter 1 has \['momentum_buffer'\] but lacks "
                              r"\['exp_avg', 'exp_avg_sq', 'step'\], which Adam keeps; is it "
                              r"another optimizer's state\?"),
    ("missing-buffer", ValueError, r"the state of parameter 1 has \['exp_avg', 'max_exp_avg_sq', "
                                   r"'step'\] but lacks \['exp_avg_sq'\]"),
])
def test_load_state_dict_mismatch_leaves_optimizer_unchanged(kind, error, message):
    opt = _trained_adam()
    opt.param_groups[0]["lr"] = 0.5  # differs from the saved one: must survive the failure
    before = _snapshot(opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(_corrupt(kind))
    _assert_same(opt, before)


@pytest.mark.parametrize("source, target", [("SGD", "Adam"), ("RMSprop", "Adagrad"),
                                            ("Adagrad", "RMSprop"), ("Adagrad", "Adam")])
def test_another_optimizers_state_is_refused_at_load(source, target):
    params = [gn.Tensor(np.ones(3), requires_grad=True)]
    src = getattr(optim, source)(params, lr=0.1, **({"momentum": 0.9} if source == "SGD" else {}))
    params[0].grad = gn.Tensor(np.ones(3))
    src.step()
    dst = getattr(optim, target)(params, lr=0.1)
    before = _snapshot(dst)
    with pytest.raises(ValueError, match="is it another optimizer's state"):
        dst.load_state_dict(src.state_dict())
    _assert_same(dst, before)
    dst.step()  # still steps as the fresh optimizer it was


def test_a_state_with_extra_entries_of_a_wrapper_still_loads():
    # e.g. a Lookahead-style wrapper keeping slow weights in optimizer.state[p]: PyTorch and
    # glassnet before the key check load it; only missing buffers make a state foreign
    params = [gn.Tensor(np.ones(3), requires_grad=True)]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    params[0].grad = gn.Tensor(np.ones(3))
    opt.step()
    opt.state[params[0]]["slow_param"] = np.zeros(3)
    saved = opt.state_dict()
    again = optim.SGD(params, lr=0.1, momentum=0.9)
    again.load_state_dict(saved)
    np.testing.assert_array_equal(again.state[params[0]]["slow_param"], np.zeros(3))
    adam = optim.Adam(params, lr=0.1)
    adam.step()
    adam.state[params[0]]["slow_param"] = np.zeros(3)
    optim.Adam(params, lr=0.1).load_state_dict(adam.state_dict())


def test_load_state_dict_copies_arrays():
    src = _trained_adam()
    sd = src.state_dict()
    dst = _trained_adam()
    dst.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = 123.0
    assert not np.any(dst.state_dict()["state"][0]["exp_avg"] == 123.0)


def test_an_unconverted_torch_state_dict_loads_and_steps_like_torch():
    import torch

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    t_w = torch.tensor(w0, requires_grad=True)
    t_opt = torch.optim.Adam([t_w], lr=0.1)
    w = gn.tensor(w0, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    for _ in range(3):  # torch trains alone; its state (torch tensors, a tensor step) moves
        t_opt.zero_grad()
        (t_w ** 2).sum().backward()
        t_opt.step()
    w.data[...] = t_w.detach().numpy()
    opt.load_state_dict(t_opt.state_dict())  # torch.Tensors as they are
    for _ in range(2):
        t_opt.zero_grad()
        (t_w ** 2).sum().backward()
        t_opt.step()
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, t_w.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("lr", [gn.tensor([0.1, 0.2]), np.array([0.1, 0.2])],
                         ids=["tensor", "array"])
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop,
                                 optim.Adagrad])
def test_a_learning_rate_of_several_elements_is_refused_by_name(cls, lr):
    # Before: "bool: the truth value of a tensor with 2 elements is ambiguous".
    p = gn.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: learning rate must be one number "
                                         r"\(a tensor learning rate must have one element\), "
                                         r"got shape \(2,\)"):
        cls([p], lr=lr)


def test_adagrad_starts_every_sum_at_the_constructors_value_as_torch_does():
    import torch

    a, b = gn.tensor(np.ones(2), requires_grad=True), gn.tensor(np.ones(2), requires_grad=True)
    ta, tb = (torch.ones(2, dtype=torch.float64, requires_grad=True) for _ in range(2))
    ours = optim.Adagrad([{"params": [a], "initial_accumulator_value": 0.5}], lr=0.1,
                         initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad([{"params": [ta], "initial_accumulator_value": 0.5}], lr=0.1,
                                 initial_accumulator_value=0.25)
    ours.add_param_group({"params": [b], "initial_accumulator_value": 0.7})
    theirs.add_param_group({"params": [tb], "initial_accumulator_value": 0.7})
    for p in (a, b, ta, tb):
        p.grad = gn.tensor(np.ones(2)) if isinstance(p, gn.Tensor) else torch.ones(2,
                                                                                 dtype=p.dtype)
    ours.step()
    theirs.step()
    for p, tp in ((a, ta), (b, tb)):
        np.testing.assert_array_equal(p.data, tp.detach().numpy())
        np.testing.assert_array_equal(ours.state[p]["sum"], theirs.state[tp]["sum"].numpy())
