"""SGD, Adam, AdamW, RMSprop and Adagrad follow torch.optim's trajectories (float64, 25 steps,
several parameter groups, every option that changes the rule), and their state_dict round trip
resumes training exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import optim
from tests.optim._problem import (
    assert_close,
    groups,
    make_params,
    set_glassnet_grads,
    set_grads,
)

STEPS = 25
TWO_GROUPS = [([0, 1], {}), ([2, 3], {"lr": 0.02})]

# (glassnet class, torch class, constructor kwargs, param-group spec)
CASES = [
    ("SGD", {"lr": 0.05}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1}, None),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}, None),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "maximize": True}, None),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "nesterov": True, "weight_decay": 0.2,
             "maximize": True}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9},
     [([0, 1], {}), ([2], {"lr": 0.1, "momentum": 0.0}),
      ([3], {"nesterov": True, "momentum": 0.5})]),
    ("Adam", {"lr": 0.05}, None),
    ("Adam", {"lr": 0.05, "amsgrad": True}, None),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}, None),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, None),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3}, None),  # lerp weight > 0.5
    ("Adam", {"lr": 0.02, "maximize": True}, None),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("Adam", {"lr": 0.05}, [([0, 1], {"amsgrad": True}), ([2, 3], {"betas": (0.8, 0.99)})]),
    ("AdamW", {"lr": 0.05}, None),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}, None),
    ("AdamW", {"lr": 0.02, "maximize": True}, TWO_GROUPS),
    ("RMSprop", {"lr": 0.01}, None),
    ("RMSprop", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}, None),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "eps": 1e-4, "centered": True}, None),
    ("RMSprop", {"lr": 0.01, "maximize": True, "momentum": 0.5}, TWO_GROUPS),
    ("Adagrad", {"lr": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}, None),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}, None),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}, TWO_GROUPS),
]


def _ids(case):
    name, kwargs, spec = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({opts}){'-groups' if spec else ''}"


def _build(name, kwargs, spec):
    gparams, tparams = make_params()
    gopt = getattr(optim, name)(groups(gparams, spec), **kwargs)
    topt = getattr(torch.optim, name)(groups(tparams, spec), **kwargs)
    return gparams, tparams, gopt, topt


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_trajectory_matches_torch(case):
    gparams, tparams, gopt, topt = _build(*case)
    for t in range(STEPS):
        set_grads(gparams, tparams, t)
        gopt.step()
        topt.step()
        assert_close(gparams, tparams, t)
    # Same state entries under torch's key names, with the same values.
    gstate, tstate = gopt.state_dict()["state"], topt.state_dict()["state"]
    assert sorted(gstate) == sorted(tstate)
    for index, tvalues in tstate.items():
        assert sorted(gstate[index]) == sorted(tvalues), f"state keys of parameter {index}"
        for key, tvalue in tvalues.items():
            np.testing.assert_allclose(np.asarray(gstate[index][key]), tvalue.numpy(),
                                       rtol=1e-10, atol=1e-12, err_msg=f"{index}/{key}")


def _train(opt, params, steps, start=0):
    for t in range(start, start + steps):
        set_glassnet_grads(params, t)
        opt.step()


def _fresh(name, kwargs, spec, values):
    params = [gn.Tensor(v.copy(), requires_grad=True) for v in values]
    return params, getattr(optim, name)(groups(params, spec), **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_state_dict_round_trip_resumes_identically(case):
    name, kwargs, spec = case
    straight, _ = make_params()
    opt = getattr(optim, name)(groups(straight, spec), **kwargs)
    _train(opt, straight, 20)

    first, _ = make_params()
    opt = getattr(optim, name)(groups(first, spec), **kwargs)
    _train(opt, first, 10)
    saved = opt.state_dict()
    values = [p.data.copy() for p in first]
    _train(opt, first, 3, start=10)  # the snapshot must not follow later steps
    # As it would come back from a checkpoint: JSON groups (string keys, lists), arrays.
    saved = {"state": {str(k): v for k, v in saved["state"].items()},
             "param_groups": json.loads(json.dumps(saved["param_groups"]))}

    resumed, opt2 = _fresh(name, kwargs, spec, values)
    opt2.load_state_dict(saved)
    _train(opt2, resumed, 10, start=10)
    for k, (p, q) in enumerate(zip(resumed, straight, strict=True)):
        np.testing.assert_array_equal(p.data, q.data, err_msg=f"parameter {k}")


def test_float32_parameters_stay_float32_and_match_torch():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    for name, kwargs in [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                         ("Adam", {"lr": 0.01, "amsgrad": True}),
                         ("AdamW", {"lr": 0.01}),
                         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
                         ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})]:
        gp = gn.Tensor(w0.copy(), requires_grad=True)
        tp = torch.tensor(w0.copy(), requires_grad=True)
        gopt = getattr(optim, name)([gp], **kwargs)
        topt = getattr(torch.optim, name)([tp], **kwargs)
        for _ in range(10):
            g = (np.sin(gp.data) + 0.5 * gp.data).astype(np.float32)
            gp.grad = gn.Tensor(g)
            tp.grad = torch.from_numpy(g.copy())
            gopt.step()
            topt.step()
            # each step from the same point (compared before the copy; not the drift)
            np.testing.assert_allclose(gp.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=name)
            tp.data.copy_(torch.from_numpy(gp.data))
        assert gp.dtype == np.float32
        for value in gopt.state[gp].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, name


@pytest.mark.parametrize("as_value", [gn.tensor, torch.tensor, np.array, np.float64],
                         ids=["glassnet Tensor", "torch tensor", "0-d array", "NumPy scalar"])
def test_one_element_hyperparameters_update_exactly_as_python_numbers(as_value):
    # PyTorch takes a Tensor learning rate. Before, a Tensor lr made SGD's update on a short
    # parameter rebind a name and change nothing; the other optimizers raised mid-step; and
    # a float64 0-d array promoted a float32 parameter's arithmetic.
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    for name, kwargs in [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                         ("Adam", {"lr": 0.01, "eps": 1e-6, "betas": (0.8, 0.9)}),
                         ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
                         ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}),
                         ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})]:
        wrapped = {k: (tuple(as_value(b) for b in v) if k == "betas" else as_value(v))
                   for k, v in kwargs.items()}
        # the Python numbers they hold (a float32 tensor holds float32's nearest to 0.1)
        kwargs = {k: (tuple(float(np.asarray(b)) for b in v) if k == "betas"
                      else float(np.asarray(v))) for k, v in wrapped.items()}
        plain_w = gn.Tensor(w0.copy(), requires_grad=True)
        wrapped_w = gn.Tensor(w0.copy(), requires_grad=True)
        plain = getattr(optim, name)([plain_w], **kwargs)
        other = getattr(optim, name)([wrapped_w], **wrapped)
        for _ in range(5):
            for w in (plain_w, wrapped_w):
                w.grad = gn.Tensor((np.sin(w.data) + 0.5 * w.data).astype(np.float32))
            plain.step()
            other.step()
        assert wrapped_w.dtype == np.float32, name
        np.testing.assert_array_equal(wrapped_w.data, plain_w.data, err_msg=name)
        assert not np.array_equal(plain_w.data, w0), name


def test_step_with_closure_returns_loss_and_runs_with_grad():
    p = gn.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        calls.append(gn.is_grad_enabled())
        opt.zero_grad()
        p.grad = gn.Tensor(2 * p.data)
        return float(np.sum(p.data ** 2))

    with gn.no_grad():
        loss = opt.step(closure)
    assert loss == 5.0 and calls == [True]
    np.testing.assert_allclose(p.data, [0.8, -1.6])


def test_zero_grad():
    p = gn.Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = gn.Tensor(np.ones(3))
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and np.all(grad.data == 0)
    opt.zero_grad()
    assert p.grad is None


def test_grads_are_not_modified_and_none_grads_are_skipped():
    p = gn.Tensor(np.ones(3), requires_grad=True)
    q = gn.Tensor(np.ones(2), requires_grad=True)
    for opt in (optim.SGD([p, q], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
                optim.Adam([p, q], weight_decay=0.1, maximize=True),
                optim.RMSprop([p, q], momentum=0.9, centered=True, weight_decay=0.1),
                optim.Adagrad([p, q], weight_decay=0.1)):
        g = np.array([1.0, 2.0, 3.0])
        p.grad, q.grad = gn.Tensor(g), None
        for _ in range(3):
            opt.step()
        np.testing.assert_array_equal(g, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(q.data, [1.0, 1.0])


def test_add_param_group_and_defaults():
    p = gn.Tensor(np.ones(2), requires_grad=True)
    q = gn.Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01})
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is q
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    assert optim.SGD([p]).defaults["lr"] == 1e-3
    ada = optim.Adagrad([p], initial_accumulator_value=0.25)
    ada.add_param_group({"params": [q]})
    np.testing.assert_array_equal(ada.state[q]["sum"], [0.25, 0.25])
    assert "SGD (" in repr(opt) and "lr: 0.01" in repr(opt)


def test_one_cycle_style_group_changes_take_effect():
    """Schedulers write group["lr"] / group["momentum"]; step() must read them each time."""
    p = gn.Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = gn.Tensor(np.ones(1))
    opt.step()
    opt.param_groups[0]["lr"] = 1.0
    opt.step()
    np.testing.assert_allclose(p.data, [-1.1])


def test_load_state_dict_from_plain_json():
    """Arrays that come back from JSON as lists (0-d ones as plain numbers) load as arrays."""
    name, kwargs, spec = "SGD", {"lr": 0.05, "momentum": 0.9}, TWO_GROUPS
    params, opt = _fresh(name, kwargs, spec, [p.data for p in make_params()[0]])
    _train(opt, params, 5)
    sd = opt.state_dict()
    as_json = json.loads(json.dumps(
        {"state": {k: {n: (v.tolist() if isinstance(v, np.ndarray) else v)
                       for n, v in s.items()} for k, s in sd["state"].items()},
         "param_groups": sd["param_groups"]}))
    other, opt2 = _fresh(name, kwargs, spec, [p.data for p in params])
    opt2.load_state_dict(as_json)
    for p in other:
        buf = opt2.state[p]["momentum_buffer"]
        assert isinstance(buf, np.ndarray) and buf.shape == p.shape
    _train(opt, params, 5, start=5)
    _train(opt2, other, 5, start=5)
    for p, q in zip(params, other, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_constructor_signature_is_torchs(name):
    # names, positional/keyword kinds and defaults, so that any call torch accepts runs here
    import inspect

    def shape(cls):
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(cls.__init__).parameters.values()]
    assert shape(getattr(optim, name)) == shape(getattr(torch.optim, name))


def test_named_parameters_are_kept_as_param_names_like_torch():
    model, t_model = gn.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours = optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD(t_model.named_parameters(), lr=0.1, momentum=0.9)
    assert ours.param_groups[0]["param_names"] == theirs.param_groups[0]["param_names"]
    assert ours.param_groups[0]["params"] == [model.weight, model.bias]
    ours_groups = ours.state_dict()["param_groups"]
    theirs_groups = theirs.state_dict()["param_groups"]
    assert list(ours_groups[0])[0] == list(theirs_groups[0])[0] == "param_names"
    grouped = optim.Adam([{"params": list(model.named_parameters()), "lr": 0.2}])
    assert grouped.param_groups[0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match=r"all parameters of a group must be named .* "
                                         r"params\[1\] is a Parameter"):
        optim.SGD([("weight", model.weight), model.bias], lr=0.1)
    with pytest.raises(ValueError, match="all parameter groups must be given with names"):
        ours.add_param_group({"params": [gn.zeros(2, requires_grad=True)]})
    assert len(ours.param_groups) == 1


def test_implementation_switches_are_accepted_or_refused_clearly():
    w = gn.Tensor(np.ones(3), requires_grad=True)
    plain, switched = optim.Adam([w], lr=0.1), optim.Adam([w], lr=0.1, foreach=True, fused=True)
    assert plain.param_groups[0] == switched.param_groups[0]  # the same update, one of it
    with pytest.raises(ValueError, match="capturable=True is for CUDA graph capture"):
        optim.AdamW([w], capturable=True)
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        optim.SGD([w], lr=0.1, differentiable=True)
    with pytest.raises(TypeError, match="argument 'foreach' must be a bool or None"):
        optim.RMSprop([w], foreach="yes")
