"""Every scheduler's learning-rate (and momentum) sequence equals torch.optim.lr_scheduler's,
and scheduler state dicts round-trip through JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import optim
from glassnet.optim import lr_scheduler


def _pair(opt_name="SGD", **kwargs):
    g = [gn.Tensor(np.ones(2), requires_grad=True), gn.Tensor(np.ones(3), requires_grad=True)]
    t = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    kwargs = kwargs or {"momentum": 0.9}
    gopt = getattr(optim, opt_name)([{"params": [g[0]]}, {"params": [g[1]], "lr": 0.01}],
                                    lr=0.1, **kwargs)
    topt = getattr(torch.optim, opt_name)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.01}],
                                          lr=0.1, **kwargs)
    return gopt, topt


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _compare(gsched, tsched, gopt, topt, steps):
    for t in range(steps):
        np.testing.assert_allclose(gsched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13,
                                   atol=1e-16, err_msg=f"lr after {t} steps")
        np.testing.assert_allclose([g["lr"] for g in gopt.param_groups],
                                   [g["lr"] for g in topt.param_groups], rtol=1e-13, atol=1e-16)
        for gm, tm in zip(_momenta(gopt), _momenta(topt), strict=True):
            assert gm == tm or abs(gm - tm) <= 1e-13 * abs(tm), f"momentum after {t} steps"
        assert gsched.last_epoch == tsched.last_epoch
        gopt.step()
        topt.step()
        gsched.step()
        tsched.step()


SCHEDULES = [
    ("StepLR", {"step_size": 7}, {}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}, {}),
    ("ExponentialLR", {"gamma": 0.9}, {}),
    ("CosineAnnealingLR", {"T_max": 10}, {}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}, {}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 40}, {}),
    ("OneCycleLR", {"max_lr": [1.0, 0.3], "epochs": 4, "steps_per_epoch": 10,
                    "anneal_strategy": "linear", "pct_start": 0.25}, {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 40, "three_phase": True,
                    "div_factor": 10.0, "final_div_factor": 100.0}, {}),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 40, "base_momentum": 0.8,
                    "max_momentum": [0.9, 0.95]}, {"opt": "Adam"}),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 40, "cycle_momentum": False},
     {"opt": "Adagrad"}),
]


@pytest.mark.parametrize("name, kwargs, extra", SCHEDULES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULES)])
def test_schedule_matches_torch(name, kwargs, extra):
    opt_name = extra.get("opt", "SGD")
    gopt, topt = _pair(opt_name, **({} if opt_name == "SGD" else {"weight_decay": 0.0}))
    gsched = getattr(lr_scheduler, name)(gopt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    steps = 40 if name == "OneCycleLR" else 35
    _compare(gsched, tsched, gopt, topt, steps)


def test_cosine_over_two_periods_and_composed_with_manual_changes():
    gopt, topt = _pair()
    gsched = lr_scheduler.CosineAnnealingLR(gopt, T_max=8, eta_min=0.002)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=8, eta_min=0.002)
    _compare(gsched, tsched, gopt, topt, 20)
    for opt in (gopt, topt):  # the recursive form follows a manual change, as in torch
        opt.param_groups[0]["lr"] = 0.05
    _compare(gsched, tsched, gopt, topt, 20)


def test_one_cycle_past_total_steps_raises():
    gopt, _ = _pair()
    sched = lr_scheduler.OneCycleLR(gopt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        sched.step()
    with pytest.raises(ValueError, match="tried to step 6 times, but total_steps is 5"):
        sched.step()


PLATEAUS = [
    {"patience": 2},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"mode": "max", "patience": 2, "threshold": 0.05},
    {"patience": 0, "threshold_mode": "abs", "threshold": 0.05, "min_lr": [0.02, 0.005]},
    {"patience": 1, "factor": 0.2, "min_lr": 0.004, "eps": 1e-3},
    {"mode": "max", "threshold_mode": "abs", "patience": 1, "cooldown": 1},
]
METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.85, 0.86, 0.86, 0.87, 0.7, 0.72, 0.71, 0.71,
           0.70, 0.69, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.51, 0.52, 0.49, 0.49,
           0.49, 0.3, 0.31, 0.32, 0.33]


@pytest.mark.parametrize("kwargs", PLATEAUS)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    gopt, topt = _pair()
    gsched = lr_scheduler.ReduceLROnPlateau(gopt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for t, metric in enumerate(METRICS):
        gsched.step(metric)
        tsched.step(metric)
        np.testing.assert_allclose(gsched.get_last_lr(), tsched.get_last_lr(), rtol=1e-14,
                                   err_msg=f"after metric {t}")
        assert (gsched.num_bad_epochs, gsched.cooldown_counter, gsched.best) == (
            tsched.num_bad_epochs, tsched.cooldown_counter, tsched.best)


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("CosineAnnealingLR", {"T_max": 6}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 30, "three_phase": True}),
])
def test_scheduler_state_dict_round_trip_through_json(name, kwargs):
    gopt, _ = _pair()
    straight = getattr(lr_scheduler, name)(gopt, **kwargs)
    lrs_straight = []
    for _ in range(20):
        straight.step()
        lrs_straight.append(straight.get_last_lr())

    first_opt, _ = _pair()
    first = getattr(lr_scheduler, name)(first_opt, **kwargs)
    for _ in range(10):
        first.step()
    opt_sd = json.loads(json.dumps(first_opt.state_dict()["param_groups"]))
    sched_sd = json.loads(json.dumps(first.state_dict()))

    opt2, _ = _pair()
    resumed = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict({"state": {}, "param_groups": opt_sd})
    resumed.load_state_dict(sched_sd)
    lrs = []
    for _ in range(10):
        resumed.step()
        lrs.append(resumed.get_last_lr())
    assert lrs == lrs_straight[10:]


def test_plateau_state_dict_round_trip():
    gopt, _ = _pair()
    sched = lr_scheduler.ReduceLROnPlateau(gopt, patience=1)
    for m in METRICS[:6]:
        sched.step(m)
    sd = json.loads(json.dumps(sched.state_dict()))
    opt2, _ = _pair()
    opt2.load_state_dict(gopt.state_dict())
    other = lr_scheduler.ReduceLROnPlateau(opt2, patience=5, mode="max")
    other.load_state_dict(sd)
    for m in METRICS[6:]:
        sched.step(m)
        other.step(m)
        assert sched.get_last_lr() == other.get_last_lr()


def test_scheduler_errors():
    gopt, _ = _pair()
    with pytest.raises(TypeError, match="expected an Optimizer"):
        lr_scheduler.StepLR("sgd", step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        lr_scheduler.StepLR(gopt, step_size=0)
    with pytest.raises(ValueError, match="either total_steps or both epochs"):
        lr_scheduler.OneCycleLR(gopt, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr has 3 values but the optimizer has 2"):
        lr_scheduler.OneCycleLR(gopt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear'"):
        lr_scheduler.OneCycleLR(gopt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    ada = optim.Adagrad([gn.Tensor(np.ones(1), requires_grad=True)])
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer"):
        lr_scheduler.OneCycleLR(ada, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="factor must be < 1.0, got 1.5"):
        lr_scheduler.ReduceLROnPlateau(gopt, factor=1.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        lr_scheduler.ReduceLROnPlateau(gopt, mode="up")
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_pair()[0], step_size=2, last_epoch=3)
