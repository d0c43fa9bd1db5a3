"""Layer constructor and forward arguments as PyTorch takes them: Flatten / Unflatten dims and
sizes, Dropout's p, the losses' options and reprs, and the ``device=`` keyword."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn

# ----------------------------------------------------------------------------- Unflatten


@pytest.mark.parametrize("dim", [5, -3, 2])
def test_unflatten_refuses_a_dim_out_of_range_like_torch(dim):
    # dim % ndim split another dimension: Unflatten(5, (2, 2)) on (3, 4) gave (3, 2, 2)
    message = rf"Dimension out of range \(expected to be in range of \[-2, 1\], but got {dim}\)"
    with pytest.raises(IndexError, match=message):
        torch.nn.Unflatten(dim, (2, 2))(torch.zeros(3, 4))
    with pytest.raises(IndexError, match="Unflatten: .*" + message):
        nn.Unflatten(dim, (2, 2))(gn.zeros(3, 4))


def test_unflatten_of_a_0d_input_is_an_index_error_not_a_division_by_zero():
    with pytest.raises(IndexError, match="Unflatten: dimension specified as 0 but the input "
                                         "tensor has no dimensions"):
        nn.Unflatten(0, (1,))(gn.tensor(1.0))


@pytest.mark.parametrize("dim", ["a", 1.0, True, None])
def test_unflatten_wants_an_int_dim(dim):
    with pytest.raises(TypeError, match=f"Unflatten: argument 'dim' must be an int, got "
                                        f"{type(dim).__name__} {dim!r}"):
        nn.Unflatten(dim, (2, 2))


@pytest.mark.parametrize("sizes,message", [
    (4, "unflattened_size must be a tuple of ints, but found type int"),
    (None, "unflattened_size must be a tuple of ints, but found type NoneType"),
    ((2.0, 2), "but found element of type float at pos 0"),
    ((2, "a"), "but found element of type str at pos 1"),
])
def test_unflatten_sizes_must_be_a_tuple_of_ints_like_torch(sizes, message):
    # Unflatten(1, 4) raised "'int' object is not iterable"
    with pytest.raises(TypeError, match=message):
        torch.nn.Unflatten(1, sizes)
    with pytest.raises(TypeError, match="Unflatten: .*" + message):
        nn.Unflatten(1, sizes)


@pytest.mark.parametrize("sizes,message", [
    ((), "unflattened_size must be non-empty"),
    ((-1, -1), r"at most one -1 \(inferred\), got \(-1, -1\)"),
    ((-2, -2), r"sizes >= 0 and at most one -1 \(inferred\), got \(-2, -2\)"),
])
def test_unflatten_sizes_that_can_never_fit_are_refused_when_built(sizes, message):
    with pytest.raises(ValueError, match="Unflatten: .*" + message):
        nn.Unflatten(1, sizes)


def test_a_size_mismatch_names_unflatten_not_reshape():
    with pytest.raises(ValueError, match=r"Unflatten: sizes \(2, 3\) don't multiply up to the "
                                         r"size of dim 1 \(4\) of the input \(shape \(3, 4\)\)"):
        nn.Unflatten(1, (2, 3))(gn.zeros(3, 4))


@pytest.mark.parametrize("dim,sizes,shape", [
    (1, [2, 2], (3, 4)), (-1, (2, -1), (3, 4)), (-2, (3, 1), (3, 4)), (0, (1, 3), (3, 4)),
    (1, (2, -1), (3, 0)), (np.int64(1), (np.int64(2), 2), (3, 4)),
])
def test_unflatten_shapes_and_repr_match_torch(dim, sizes, shape):
    ours = nn.Unflatten(dim, sizes)
    theirs = torch.nn.Unflatten(int(dim), [int(s) for s in sizes] if isinstance(sizes, list)
                                else tuple(int(s) for s in sizes))
    assert ours(gn.zeros(*shape)).shape == tuple(theirs(torch.zeros(shape)).shape)
    if not isinstance(dim, np.integer):
        assert repr(ours) == repr(theirs)  # a list stays a list: unflattened_size=[2, 2]


# ----------------------------------------------------------------------------- Flatten


def test_flatten_layer_of_a_0d_input_is_out_of_range_like_torch():
    # the 0-d early return made nn.Flatten() give (1,) whatever start_dim was
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        torch.nn.Flatten()(torch.tensor(1.0))
    with pytest.raises(IndexError, match="flatten: argument 'start_dim' is 1, out of range"):
        nn.Flatten()(gn.tensor(1.0))
    assert nn.Flatten(0)(gn.tensor(1.0)).shape == tuple(torch.nn.Flatten(0)(
        torch.tensor(1.0)).shape) == (1,)


# ----------------------------------------------------------------------------- Dropout


@pytest.mark.parametrize("p", ["a", None, "0.5", [0.5]])
def test_dropout_p_that_is_not_a_number_is_a_clear_type_error(p):
    # it was Python's "'<' not supported between instances of 'str' and 'int'"
    with pytest.raises(TypeError):
        torch.nn.Dropout(p)
    with pytest.raises(TypeError, match=f"Dropout: dropout probability p must be a number "
                                        f"between 0 and 1, got {type(p).__name__}"):
        nn.Dropout(p)


@pytest.mark.parametrize("p", [1.5, -0.1, float("nan")])
def test_dropout_p_out_of_range_is_a_value_error_in_torchs_words(p):
    with pytest.raises(ValueError, match=f"Dropout: dropout probability has to be between 0 "
                                         f"and 1, but got {p}"):
        nn.Dropout(p)
    assert repr(nn.Dropout(0)) == repr(torch.nn.Dropout(0))


# ----------------------------------------------------------------------------- losses

LOSSES = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
          "CrossEntropyLoss", "NLLLoss", "HingeEmbeddingLoss", "MultiMarginLoss", "KLDivLoss"]


@pytest.mark.parametrize("name", LOSSES)
def test_loss_reprs_are_torchs_whatever_the_reduction(name):
    # MSELoss(reduction='sum') printed its reduction; torch prints MSELoss() for every loss
    for reduction in ("sum", "none", "mean"):
        assert repr(getattr(nn, name)(reduction=reduction)) == \
            repr(getattr(torch.nn, name)(reduction=reduction)) == f"{name}()"


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("ignore_index", [1.5, 1.0, "a", None, True])
def test_ignore_index_must_be_an_int(loss, ignore_index):
    # 1.5 was accepted and matched no target; torch refuses it at forward
    with pytest.raises(TypeError, match="argument 'ignore_index'"):
        getattr(torch.nn, loss)(ignore_index=ignore_index)(torch.zeros(2, 3),
                                                           torch.tensor([0, 1]))
    with pytest.raises(TypeError, match=f"{loss}: ignore_index must be an int .*got "
                                        f"{type(ignore_index).__name__}"):
        getattr(nn, loss)(ignore_index=ignore_index)
    assert getattr(nn, loss)(ignore_index=np.int64(1)).ignore_index == 1


@pytest.mark.parametrize("p", [3, 0, "a"])
def test_multi_margin_loss_p_is_checked_when_built_like_torch(p):
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        torch.nn.MultiMarginLoss(p=p)
    with pytest.raises(ValueError, match=f"MultiMarginLoss: only p == 1 and p == 2 "
                                         f"supported, got {p!r}"):
        nn.MultiMarginLoss(p=p)


@pytest.mark.parametrize("shape,ndim", [((3, 1), 2), ((), 0)])
def test_multi_margin_loss_weight_must_be_1d_when_built_like_torch(shape, ndim):
    message = f"MultiMarginLoss: expected weight to be None or 1D tensor, got {ndim}D instead"
    with pytest.raises(ValueError, match=message):
        torch.nn.MultiMarginLoss(weight=torch.ones(shape))
    with pytest.raises(ValueError, match=message):
        nn.MultiMarginLoss(weight=gn.ones(*shape))
    assert nn.MultiMarginLoss(p=2.0, weight=gn.ones(3)).weight.shape == (3,)


# ----------------------------------------------------------------------------- device=

LAYERS_WITH_DEVICE = [("Linear", (2, 3)), ("Embedding", (2, 3)), ("Conv1d", (1, 1, 1)),
                      ("Conv2d", (1, 1, 1)), ("BatchNorm1d", (2,)), ("BatchNorm2d", (2,)),
                      ("RNN", (2, 3)), ("LSTM", (2, 3)), ("GRU", (2, 3)), ("RNNCell", (2, 3)),
                      ("LSTMCell", (2, 3)), ("GRUCell", (2, 3))]


@pytest.mark.parametrize("name,args", LAYERS_WITH_DEVICE, ids=[n for n, _ in LAYERS_WITH_DEVICE])
def test_layers_take_torchs_device_keyword_for_the_cpu(name, args):
    # device= raised "unexpected keyword argument", breaking code written for torch
    layer = getattr(nn, name)
    for device in (None, "cpu", "cpu:0", torch.device("cpu")):
        gn.manual_seed(0)
        got = layer(*args, device=device).state_dict()
        gn.manual_seed(0)
        expected = layer(*args).state_dict()
        assert list(got) == list(expected)
        assert all(np.array_equal(got[k].data, expected[k].data) for k in got)
    for device in ("cuda", "cuda:1", torch.device("meta"), 0):
        with pytest.raises(ValueError, match=f"{name}: glassnet runs on the CPU only, got "
                                             f"device {device!r}".replace("(", r"\(")
                                                                 .replace(")", r"\)")):
            layer(*args, device=device)


def test_device_comes_before_dtype_positionally_as_in_torch():
    layer = nn.Linear(2, 3, True, "cpu", np.float64)
    assert layer.weight.dtype == np.float64
    assert nn.BatchNorm1d(2, 1e-5, 0.1, True, True, None, np.float64).weight.dtype == np.float64
