"""Pooling and batch-norm layers against their PyTorch twins: ``check_layer`` for the
stateless pools and for BatchNorm in eval mode; training mode step by step with the running
statistics; state_dict keys, dtypes and round trips; reprs; errors that change nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn.module import StateDictError
from tests.nn.layer_check import check_layer


def _bn_pair(cls_name: str, *args, **kwargs):
    """A glassnet BatchNorm and its torch twin with random (non-default) parameters and
    running statistics, so that eval mode really uses them."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls_name)(*args, **kwargs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
        if theirs.running_mean is not None:
            theirs.running_mean.normal_()
            theirs.running_var.uniform_(0.5, 2.0)
            theirs.num_batches_tracked.fill_(7)
    return getattr(nn, cls_name)(*args, **kwargs), theirs


POOLS = [
    ("maxpool", lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 6, 6)),
    ("maxpool-odd", lambda: nn.MaxPool2d((3, 2), (2, 1), 1, ceil_mode=True),
     lambda: torch.nn.MaxPool2d((3, 2), (2, 1), 1, ceil_mode=True), (1, 2, 7, 5)),
    ("maxpool-dilated", lambda: nn.MaxPool2d(3, 1, 1, dilation=2),
     lambda: torch.nn.MaxPool2d(3, 1, 1, dilation=2), (2, 2, 7, 7)),
    ("maxpool-unbatched", lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (3, 5, 5)),
    ("avgpool", lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 6, 6)),
    ("avgpool-odd", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     (2, 2, 8, 7)),
    ("avgpool-divisor", lambda: nn.AvgPool2d(2, 1, divisor_override=3),
     lambda: torch.nn.AvgPool2d(2, 1, divisor_override=3), (1, 2, 5, 5)),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d((3, 2)),
     lambda: torch.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    ("adaptive-global", lambda: nn.AdaptiveAvgPool2d(1),
     lambda: torch.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,make,make_torch,shape", POOLS, ids=[c[0] for c in POOLS])
def test_pool_layer_matches_torch(name, make, make_torch, shape, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    check_layer(make(), make_torch(), shape, dtype=dtype, **tol)


BATCHNORMS = [
    ("bn2d", "BatchNorm2d", (3,), {}, (4, 3, 5, 5)),
    ("bn2d-batch1", "BatchNorm2d", (3,), {}, (1, 3, 4, 4)),
    ("bn2d-eps-momentum", "BatchNorm2d", (2,), dict(eps=1e-3, momentum=0.3), (2, 2, 3, 5)),
    ("bn2d-no-affine", "BatchNorm2d", (3,), dict(affine=False), (2, 3, 4, 4)),
    ("bn2d-no-bias", "BatchNorm2d", (3,), dict(bias=False), (2, 3, 4, 4)),
    ("bn1d", "BatchNorm1d", (4,), {}, (5, 4)),
    ("bn1d-3d", "BatchNorm1d", (4,), {}, (3, 4, 6)),
    ("bn1d-cma", "BatchNorm1d", (4,), dict(momentum=None), (3, 4, 6)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,cls,args,kwargs,shape", BATCHNORMS,
                         ids=[c[0] for c in BATCHNORMS])
def test_batchnorm_eval_matches_torch(name, cls, args, kwargs, shape, dtype):
    ours, theirs = _bn_pair(cls, *args, **kwargs)
    ours.eval()
    theirs.eval()
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    check_layer(ours, theirs, shape, dtype=dtype, **tol)


@pytest.mark.parametrize("name,cls,args,kwargs,shape", BATCHNORMS + [
    ("bn2d-untracked", "BatchNorm2d", (3,), dict(track_running_stats=False), (2, 3, 4, 4)),
], ids=[c[0] for c in BATCHNORMS] + ["bn2d-untracked"])
def test_batchnorm_training_steps_match_torch(name, cls, args, kwargs, shape):
    """Several training steps, then eval: outputs, gradients, running stats, counter."""
    if shape[0] * int(np.prod(shape[2:])) == 1:
        pytest.skip("one value per channel cannot train")
    ours, theirs = _bn_pair(cls, *args, **kwargs)
    ours.double()
    theirs.double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        gx = gn.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        out, t_out = ours(gx), theirs(tx)
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        v = rng.standard_normal(shape)
        out.backward(v)
        t_out.backward(torch.tensor(v))
        np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-11)
        t_params = dict(theirs.named_parameters())
        for pname, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad.data, t_params[pname].grad.numpy(), rtol=1e-9,
                                       atol=1e-11, err_msg=pname)
            p.grad = None
        theirs.zero_grad()
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].data, value.numpy(),
                                       rtol=1e-12, atol=1e-14, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(gn.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_batchnorm_state_dict_matches_torch_and_round_trips():
    ours, theirs = _bn_pair("BatchNorm2d", 4)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == np.int64
    assert state["num_batches_tracked"].shape == ()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked.item()) == 7
    ours(gn.randn(2, 4, 3, 3))  # training step: the counter moves on
    assert int(ours.num_batches_tracked.item()) == 8
    # ... and back into PyTorch
    fresh = torch.nn.BatchNorm2d(4)
    fresh.load_state_dict({k: torch.from_numpy(v.data.copy())
                           for k, v in ours.state_dict().items()})
    assert int(fresh.num_batches_tracked) == 8
    np.testing.assert_array_equal(fresh.running_mean.numpy(), ours.running_mean.data)
    # float casts leave the int64 counter alone
    ours.double()
    assert ours.running_var.dtype == np.float64 and ours.num_batches_tracked.dtype == np.int64
    assert list(nn.BatchNorm2d(3, affine=False, track_running_stats=False).state_dict()) == []


@pytest.mark.parametrize("make", [
    lambda m: m.BatchNorm2d(32),
    lambda m: m.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False),
    lambda m: m.BatchNorm2d(8, track_running_stats=False, bias=False),
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d((2, 3), stride=1, padding=(1, 0), dilation=2, ceil_mode=True,
                          return_indices=True),
    lambda m: m.AvgPool2d(3, divisor_override=2, count_include_pad=False),
    lambda m: m.AvgPool2d((2, 3), (1, 2), 1),
    lambda m: m.AdaptiveAvgPool2d((3, None)),
    lambda m: m.AdaptiveAvgPool2d(1),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_maxpool_layer_return_indices():
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6))
    out, idx = nn.MaxPool2d(2, return_indices=True)(gn.tensor(x))
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.data, t_out.numpy())
    np.testing.assert_array_equal(idx.data, t_idx.numpy())


def test_batchnorm_bad_input_changes_nothing():
    bn = nn.BatchNorm2d(32)
    bn.running_mean.data[...] = 0.5
    before = {k: v.data.copy() for k, v in bn.state_dict().items()}
    with pytest.raises(ValueError, match=r"BatchNorm2d\(32\): input has 16 channels "
                                         r"\(input shape \(2, 16, 3, 3\)\)"):
        bn(gn.randn(2, 16, 3, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4-D input \(N, C, H, W\), "
                                         r"got 3-D input of shape \(2, 32, 3\)"):
        bn(gn.randn(2, 32, 3))
    bn1 = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected more than 1 value per "
                                         r"channel when training, got input shape \(1, 3\)"):
        bn1(gn.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 2-D or 3-D input"):
        bn1(gn.randn(2, 3, 4, 4))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value.data, before[key], err_msg=key)
    assert int(bn1.num_batches_tracked.item()) == 0
    assert bn1.running_mean.data.tolist() == [0, 0, 0]
    bn1.eval()
    assert bn1(gn.randn(1, 3)).shape == (1, 3)  # fine in eval mode


@pytest.mark.parametrize("cls_name, shape, training", [
    ("BatchNorm1d", (4, 2, 0), True), ("BatchNorm1d", (0, 2), True),
    ("BatchNorm1d", (0, 2), False), ("BatchNorm2d", (0, 2, 3, 3), True),
    ("BatchNorm2d", (3, 2, 0, 4), False)])
def test_batchnorm_on_an_input_without_values_matches_torch(cls_name, shape, training):
    # Before: training on (4, 2, 0) turned the running estimates into NaN (0 / 0), and an
    # empty batch failed inside a reshape with NumPy's words.
    ours, theirs = _bn_pair(cls_name, 2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.train(training)
    theirs.train(training)
    x = np.zeros(shape, np.float32)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(gx), theirs(tx)
    assert out.shape == tuple(t_out.shape) == shape
    out.sum().backward()
    t_out.sum().backward()
    assert gx.grad.shape == shape
    for (name, value), t_value in zip(ours.state_dict().items(), theirs.state_dict().values(),
                                      strict=True):
        np.testing.assert_array_equal(value.data, t_value.detach().numpy(), err_msg=name)
    for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())  # sums of nothing: 0


def test_batchnorm_refuses_an_input_of_another_dtype_as_torch_does():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(TypeError, match=r"^BatchNorm1d\(3, eps=1e-05, .*\): running_mean dtype "
                                        r"float32 and input dtype float64 must match "
                                        r"\(input shape \(4, 3\)\)"):
        bn(gn.tensor(np.ones((4, 3))))
    with pytest.raises(RuntimeError, match="mixed dtype"):
        torch.nn.BatchNorm1d(3)(torch.ones(4, 3, dtype=torch.float64))
    assert bn.running_mean.data.tolist() == [0, 0, 0]
    # ... but a float16 input through float32 parameters runs in float32 and returns float16
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float16)
    ours, theirs = bn(gn.tensor(x)), torch.nn.BatchNorm1d(3)(torch.tensor(x))
    assert ours.dtype == gn.float16 and theirs.dtype == torch.float16
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    assert bn.to(gn.float64)(gn.tensor(np.ones((4, 3)))).dtype == gn.float64


@pytest.mark.parametrize("build,match", [
    (lambda: nn.BatchNorm2d(0), "num_features must be a positive int"),
    (lambda: nn.BatchNorm2d(3, momentum="fast"), "momentum must be a float or None"),
    (lambda: nn.MaxPool2d(3, padding=2), r"padding \(2, 2\) must be at most half"),
    (lambda: nn.MaxPool2d(2, stride=0), "'stride' must be positive"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), "divisor_override must be a non-zero"),
    (lambda: nn.AdaptiveAvgPool2d((2, -3)), "output_size"),
])
def test_layer_construction_errors(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()



@pytest.mark.parametrize("layer, shape, match", [
    (lambda: nn.MaxPool2d(5), (2, 3, 4, 4),
     r"^MaxPool2d\(kernel_size=5, stride=5, .*\): kernel_size \(5, 5\) is larger than the "
     r"padded input \(4, 4\) \(input shape \(2, 3, 4, 4\)"),
    (lambda: nn.AvgPool2d(5, stride=1), (3, 4, 4),
     r"^AvgPool2d\(kernel_size=5, stride=1, padding=0\): kernel_size \(5, 5\) is larger"),
    (lambda: nn.AdaptiveAvgPool2d(2), (4,),
     r"^AdaptiveAvgPool2d\(output_size=2\): input must be 3-D"),
], ids=["max", "avg", "adaptive"])
def test_pool_layer_errors_name_the_layer(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer()(gn.randn(*shape))

def test_small_cnn_trains_like_torch():
    """Conv -> BatchNorm2d -> ReLU -> MaxPool2d -> AdaptiveAvgPool2d -> Flatten -> Linear,
    trained three SGD steps in both: outputs, every gradient and the running statistics."""
    def build(m):
        return m.Sequential(m.Conv2d(2, 3, 3, padding=1), m.BatchNorm2d(3), m.ReLU(),
                            m.MaxPool2d(2), m.AdaptiveAvgPool2d(1), m.Flatten(), m.Linear(3, 2))

    theirs = build(torch.nn).double()
    ours = build(nn).double()
    ours.load_state_dict({k: v.numpy().copy() for k, v in theirs.state_dict().items()})
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal((4, 2, 6, 6))
        out, t_out = ours(gn.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        opt.zero_grad()
        t_opt.zero_grad()
        (out * out).sum().backward()
        (t_out * t_out).sum().backward()
        for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            np.testing.assert_allclose(p.grad.data, t_p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)
        opt.step()
        t_opt.step()
    for key, value in theirs.state_dict().items():  # weights and running statistics
        np.testing.assert_allclose(ours.state_dict()[key].data, value.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=key)


# --------------------------------------------------------------------- review fixes
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_float16_layer_computes_in_float32_as_torch_does(training):
    # Before: the per-channel sums ran in float16 and overflowed past 65504: NaN outputs
    # and inf running statistics for activations around 20.
    x = (np.random.default_rng(0).standard_normal((64, 1, 8, 8)) * 4 + 20).astype(np.float16)
    ours = nn.BatchNorm2d(1, dtype=gn.float16)
    theirs = torch.nn.BatchNorm2d(1, dtype=torch.float16)
    if not training:
        ours(gn.tensor(x))
        theirs(torch.tensor(x))
        ours.eval()
        theirs.eval()
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(gx), theirs(tx)
    v = np.random.default_rng(1).standard_normal(out.shape).astype(np.float16)
    out.backward(gn.tensor(v))
    t_out.backward(torch.tensor(v))
    assert out.dtype == gn.float16 and ours.weight.grad.dtype == gn.float16
    ulp = 2.0 ** -9  # float16 keeps 11 significant bits: values near 1-4 are this close
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=2 * ulp, atol=2 * ulp)
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=4 * ulp, atol=4 * ulp)
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(ours, name).data,
                                      getattr(theirs, name).numpy(), err_msg=name)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=4 * ulp)


def test_batchnorm_eps_zero_is_refused_in_training_only():
    bn = nn.BatchNorm2d(3, eps=0.0)
    with pytest.raises(ValueError, match=r"^BatchNorm2d\(3, eps=0.0, .*\): argument 'eps' must "
                                         r"be positive in training, got 0.0"):
        bn(gn.ones(2, 3, 2, 2))
    with pytest.raises(ValueError, match="eps must be positive"):
        torch.nn.BatchNorm2d(3, eps=0.0)(torch.ones(2, 3, 2, 2))
    assert bn.running_mean.data.tolist() == [0, 0, 0]  # refused before any update
    bn.eval()
    assert bn(gn.ones(2, 3, 2, 2)).shape == (2, 3, 2, 2)  # 1 / sqrt(1 + 0) is fine


def test_batchnorm_loads_a_checkpoint_without_num_batches_tracked_as_torch_does():
    ours, theirs = _bn_pair("BatchNorm2d", 3)
    theirs.train()
    theirs(torch.randn(4, 3, 2, 2))
    state = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    ours.num_batches_tracked.data[...] = 7
    result = ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    theirs.num_batches_tracked.fill_(7)
    assert theirs.load_state_dict(state).missing_keys == []
    for (name, value), t_value in zip(ours.state_dict().items(), theirs.state_dict().values(),
                                      strict=True):
        np.testing.assert_array_equal(value.data, t_value.numpy(), err_msg=name)
    assert int(ours.num_batches_tracked.item()) == 7  # kept, as torch keeps its own
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3))
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("running_var")}
    with pytest.raises(StateDictError, match=r"missing keys: 1.running_var"):
        model.load_state_dict(state)  # other buffers are still required


def test_pool_window_arguments_take_one_element_sequences_as_torch_does():
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 7))
    cases = [(gn.nn.functional.max_pool2d, torch.nn.functional.max_pool2d, ((2,),), {}),
             (gn.nn.functional.avg_pool2d, torch.nn.functional.avg_pool2d, (3, [1]),
              dict(padding=(1,)))]
    for ours, theirs, args, kwargs in cases:
        np.testing.assert_array_equal(ours(gn.tensor(x), *args, **kwargs).data,
                                      theirs(torch.tensor(x), *args, **kwargs).numpy())
    assert nn.MaxPool2d((2,))(gn.tensor(x)).shape == (1, 2, 3, 3)


def test_avg_pool_layer_takes_a_numpy_integer_divisor():
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    out = nn.AvgPool2d(2, divisor_override=np.int64(3))(gn.tensor(x))
    expected = torch.nn.AvgPool2d(2, divisor_override=3)(torch.tensor(x))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)


def test_avg_pool_float16_sums_in_float32_as_torch_does():
    x = np.full((1, 1, 6, 6), 2000, dtype=np.float16)  # a float16 sum overflows at 65504
    out = gn.nn.functional.avg_pool2d(gn.tensor(x, requires_grad=True), 6)
    assert out.dtype == gn.float16 and out.data.item() == 2000
    y = (np.random.default_rng(4).random((2, 3, 8, 8)) * 1000).astype(np.float16)
    gy, ty = gn.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    out, t_out = (gn.nn.functional.avg_pool2d(gy, 4, 2, 1),
                  torch.nn.functional.avg_pool2d(ty, 4, 2, 1))
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(gy.grad.data, ty.grad.numpy())
    assert gy.grad.dtype == gn.float16


def test_conv_padding_mode_errors_name_the_layer():
    layer = nn.Conv2d(2, 2, 3, padding=(4, 1), padding_mode="reflect")
    with pytest.raises(ValueError, match=r"^Conv2d\(2, 2, kernel_size=\(3, 3\), .*\): reflect "
                                         r"padding"):
        layer(gn.zeros(1, 2, 3, 10))
