"""The Module API: registration, traversal, state_dict keys as PyTorch names them, strict
loading that lists every problem and changes nothing, modes, repr, init."""

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn


def mnist_mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def test_state_dict_keys_and_shapes_match_torch():
    ours = mnist_mlp().state_dict()
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                 torch.nn.Linear(128, 10)).state_dict()
    assert list(ours) == list(theirs) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1)})
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.register_buffer("steps", gn.zeros(1))

    def forward(self, x):
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.heads["cls"](h) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
        self.heads = torch.nn.ModuleDict({"cls": torch.nn.Linear(8, 3),
                                          "reg": torch.nn.Linear(8, 1)})
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(8, 8) for _ in range(2)])
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.register_buffer("steps", torch.zeros(1))


def test_nested_containers_name_everything_like_torch():
    assert list(Net().state_dict()) == list(TorchNet().state_dict())
    names = [n for n, _ in Net().named_parameters()]
    assert names == [n for n, _ in TorchNet().named_parameters()]
    assert len(list(Net().modules())) == len(list(TorchNet().modules()))
    assert [n for n, _ in Net().named_children()] == ["encoder", "heads", "blocks"]


def test_weights_move_from_torch_and_give_the_same_outputs():
    torch_net, net = TorchNet(), Net()
    net.load_state_dict({k: v.numpy() for k, v in torch_net.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        expected = torch_net.heads["cls"](torch_net.blocks[1](torch_net.blocks[0](
            torch_net.encoder(torch.from_numpy(x))))) * torch_net.scale
    np.testing.assert_allclose(net(gn.tensor(x)).data, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_strict_load_lists_every_problem_and_changes_nothing():
    model = mnist_mlp()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    bad = {k: v.data.copy() for k, v in model.state_dict().items()}
    del bad["2.bias"]
    bad["0.weight"] = np.zeros((128, 100), np.float32)
    bad["3.weight"] = np.zeros(3, np.float32)
    bad["2.weight"] = bad["2.weight"] + 1  # a valid entry that must NOT be applied
    with pytest.raises(ValueError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: 2.bias" in message
    assert "unexpected keys: 3.weight" in message
    assert "0.weight: checkpoint shape (128, 100), model shape (128, 784)" in message
    assert "nothing was changed" in message
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k])


def test_non_strict_load_reports_missing_and_unexpected():
    model = mnist_mlp()
    state = {"0.weight": np.ones((128, 784), np.float32), "extra": np.ones(2)}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"]
    assert result.unexpected_keys == ["extra"]
    assert model[0].weight.data.sum() == 128 * 784


def test_linear_default_init_is_pytorchs_uniform_bound():
    gn.manual_seed(0)
    layer = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.data.min() >= -bound and p.data.max() <= bound
    w = layer.weight.data  # 20,000 draws reach close to both ends of the interval
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert layer.weight.shape == (50, 400) and layer.weight.dtype == gn.float32


def test_init_functions_have_the_right_statistics():
    w = nn.Parameter(np.zeros((400, 600), np.float32))
    nn.init.xavier_uniform_(w)
    assert abs(w.data.std() - math.sqrt(2 / 1000)) < 0.002
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 600)) < 0.002
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.data.std() - 2 * math.sqrt(2 / 1000)) < 0.004
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert abs(w.data.max() - 1 / math.sqrt(600)) < 1e-3
    nn.init.constant_(w, 0.5)
    assert (w.data == 0.5).all()
    nn.init.zeros_(w)
    assert (w.data == 0).all()
    nn.init.ones_(w)
    assert (w.data == 1).all()
    assert nn.init.calculate_gain("tanh") == torch.nn.init.calculate_gain("tanh")
    assert nn.init.calculate_gain("leaky_relu", 0.2) == \
        torch.nn.init.calculate_gain("leaky_relu", 0.2)


def test_same_seed_gives_the_same_model():
    gn.manual_seed(7)
    a = mnist_mlp().state_dict()
    gn.manual_seed(7)
    b = mnist_mlp().state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k].data, b[k].data)


def test_train_eval_zero_grad_apply_and_dtype():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(gn.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Linear", "Sequential"]
    model.double()
    assert all(p.dtype == gn.float64 for p in model.parameters())


def test_repr_reads_like_torch():
    text = repr(mnist_mlp())
    assert text == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=128, out_features=10, bias=True)\n"
        ")")


def test_assigning_a_tensor_to_a_parameter_name_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = gn.zeros(2, 2)


def test_sequential_indexing_and_length():
    model = mnist_mlp()
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    with pytest.raises(IndexError, match="index 5 is out of range for 3 modules"):
        model[5]


def test_a_module_used_twice_keeps_every_key_like_torch():
    shared, t_shared = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Sequential(nn.Linear(2, 3), shared))
    twin = torch.nn.Sequential(t_shared, torch.nn.ReLU(), t_shared,
                               torch.nn.Sequential(torch.nn.Linear(2, 3), t_shared))
    assert list(model.state_dict()) == list(twin.state_dict())
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    with torch.no_grad():
        expected = twin[:3](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model[:3](gn.tensor(x)).data, expected, rtol=1e-6, atol=1e-7)
    assert len(list(model.parameters())) == len(list(twin.parameters())) == 4  # no repeats


def test_train_goes_through_each_childs_own_train_and_wants_a_bool():
    calls = []

    class Recorder(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Recorder(), nn.Dropout()))
    model.eval()
    model.train()
    assert calls == [False, True]
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match=r"Sequential.train: mode must be a bool, got str"):
        model.train("no")
    assert all(m.training for m in model.modules())


def test_container_editing_renumbers_like_torch():
    def build(m):
        return m.Sequential(m.Linear(1, 2), m.ReLU(), m.Linear(2, 3), m.Tanh())

    ours, theirs = build(nn), build(torch.nn)
    for edit in (lambda s, m: s.__delitem__(1), lambda s, m: s.insert(1, m.Sigmoid()),
                 lambda s, m: s.pop(0), lambda s, m: s.extend([m.ReLU()]),
                 lambda s, m: s.__delitem__(slice(0, 2))):
        edit(ours, nn)
        edit(theirs, torch.nn)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    for index in (10, -10):  # out of range: IndexError, as torch's Sequential.insert
        with pytest.raises(IndexError, match=f"index {index} is out of range for"):
            ours.insert(index, nn.ReLU())
        with pytest.raises(IndexError):
            theirs.insert(index, torch.nn.ReLU())
    lst, t_lst = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()]), \
        torch.nn.ModuleList([torch.nn.Linear(1, 1), torch.nn.ReLU()])
    lst.insert(0, nn.Linear(2, 2))
    t_lst.insert(0, torch.nn.Linear(2, 2))
    assert type(lst.pop(1)).__name__ == type(t_lst.pop(1)).__name__ == "Linear"
    del lst[0]
    del t_lst[0]
    assert list(lst.state_dict()) == list(t_lst.state_dict()) == []
    assert [type(m).__name__ for m in lst] == ["ReLU"]
    heads = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert isinstance(heads.pop("a"), nn.Linear) and list(heads) == ["b"]
    heads.clear()
    assert len(heads) == 0
    with pytest.raises(ValueError, match="Module.to: glassnet runs on the CPU only, got "
                                         "device 'cuda:0'"):
        nn.Linear(1, 1).to("cuda:0")
    with pytest.raises(ValueError, match="Tensor.to: glassnet runs on the CPU only, got "
                                         "device 'cuda'"):
        gn.zeros(2).to("cuda")
    layer = nn.Linear(1, 1).to("cpu:0").to(device="cpu")  # the CPU under any of its names
    assert gn.zeros(2).to("cpu:0").shape == (2,) and layer.weight.dtype == np.float32
    assert nn.Linear(np.int64(784), np.int32(10)).in_features == 784  # NumPy ints, as torch


def test_zero_element_weights_are_left_alone_with_a_warning_like_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = nn.Linear(0, 5)
    assert layer.weight.shape == (5, 0)
    np.testing.assert_array_equal(layer(gn.zeros(3, 0)).data, np.zeros((3, 5)))
    with pytest.warns(UserWarning, match="no-op"):
        nn.init.kaiming_normal_(gn.zeros(4, 0))


def test_repr_layout_matches_torch_for_lists_and_multi_line_extras():
    def custom(base):  # the same class name on both sides
        return type("Custom", (base,), {"extra_repr": lambda self: "a=1\nb=2"})

    def build(m, base):
        return m.Sequential(
            m.ModuleList([m.Linear(4, 4) for _ in range(3)] + [m.ReLU(), m.ReLU(), m.Tanh()]),
            custom(base)(), m.ModuleList(), m.Sequential(m.ModuleList([m.Tanh(), m.Tanh()])))

    assert repr(build(nn, nn.Module)) == repr(build(torch.nn, torch.nn.Module))
    assert "(0-2): 3 x Linear(in_features=4, out_features=4, bias=True)" in repr(
        build(nn, nn.Module))


def test_a_cycle_of_submodules_is_refused_not_walked_forever():
    outer = nn.Sequential(nn.Linear(1, 1))
    outer.add_module("back", nn.Sequential(outer))
    with pytest.raises(RecursionError, match="the module at 'back.0' contains itself"):
        outer.state_dict()


def test_a_name_already_used_is_refused_as_in_torch():
    # register_buffer('weight') on a Linear made state_dict save the buffer while the layer
    # used its Parameter, and a load wrote the buffer: checkpoints silently held the wrong
    # tensor
    for build in (nn.Linear, lambda i, o: torch.nn.Linear(i, o)):
        layer = build(2, 2)
        zeros = gn.zeros(2, 2) if isinstance(layer, nn.Module) else torch.zeros(2, 2)
        with pytest.raises(KeyError, match="attribute 'weight' already exists"):
            layer.register_buffer("weight", zeros)
    layer = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="attribute 'bias' already exists"):
        layer.add_module("bias", nn.Identity())
    for bad in ("", "a.b"):
        with pytest.raises(KeyError, match="can't be empty or contain '.'"):
            layer.register_buffer(bad, gn.zeros(1))
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        nn.ModuleDict()["train"] = nn.Identity()
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_a_non_persistent_name_given_a_parameter_or_reregistered_is_saved_again():
    # the name stayed non-persistent: a Parameter assigned to it was left out of state_dict
    # (and so out of every checkpoint)
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.register_buffer("scale", gn.ones(3), persistent=False)
    theirs.register_buffer("scale", torch.ones(3), persistent=False)
    ours.scale = nn.Parameter(gn.ones(3))
    theirs.scale = torch.nn.Parameter(torch.ones(3))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["scale"]
    del ours.scale
    ours.register_buffer("scale", gn.ones(3))  # persistent again
    assert list(ours.state_dict()) == ["scale"]


def test_weighted_losses_keep_their_weights_as_buffers_like_torch():
    ours = nn.ModuleDict({"fc": nn.Linear(3, 2),
                          "crit": nn.CrossEntropyLoss(weight=gn.tensor([1.0, 2.0])),
                          "bce": nn.BCEWithLogitsLoss(pos_weight=gn.tensor([3.0]))})
    theirs = torch.nn.ModuleDict({"fc": torch.nn.Linear(3, 2),
                                  "crit": torch.nn.CrossEntropyLoss(weight=torch.ones(2)),
                                  "bce": torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(1))})
    assert list(ours.state_dict()) == list(theirs.state_dict())  # crit.weight, bce.pos_weight
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})  # strict
    assert ours["crit"].weight.tolist() == [1.0, 1.0]
    assert list(nn.MSELoss().state_dict()) == [] and nn.CrossEntropyLoss().weight is None


def test_load_state_dict_results_and_errors_read_like_torchs():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    full = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert repr(ours.load_state_dict(full)) == repr(theirs.load_state_dict(theirs.state_dict()))
    result = ours.load_state_dict({"weight": full["weight"], "extra": full["bias"]},
                                  strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert result._asdict() == {"missing_keys": ["bias"], "unexpected_keys": ["extra"]}
    for error in (ValueError, RuntimeError):  # glassnet's checks, and torch users' except
        with pytest.raises(error, match="missing keys: bias"):
            ours.load_state_dict({"weight": full["weight"]})


def test_remove_duplicate_false_lists_shared_modules_and_parameters_like_torch():
    shared, t_shared = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours = nn.Sequential(shared, shared)
    theirs = torch.nn.Sequential(t_shared, t_shared)
    for method in ("named_modules", "named_parameters", "named_buffers"):
        for flag in (True, False):
            assert [n for n, _ in getattr(ours, method)(remove_duplicate=flag)] == \
                [n for n, _ in getattr(theirs, method)(remove_duplicate=flag)]


def test_containers_add_like_torch():
    combined = nn.Sequential(nn.Linear(2, 2)) + nn.Sequential(nn.ReLU())
    assert isinstance(combined, nn.Sequential) and list(combined._modules) == ["0", "1"]
    layers = nn.ModuleList([nn.ReLU()])
    layers += [nn.Tanh()]
    assert list(layers._modules) == ["0", "1"] and len(layers + layers) == 4
