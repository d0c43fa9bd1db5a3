"""Datasets and DataLoader: batch sizes, drop_last, reproducible shuffling, resuming mid-epoch
bit for bit, the fast path agreeing with per-sample collation, and random_split."""

import json

import numpy as np
import pytest
import torch

import glassnet
from glassnet.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def dataset(n=10, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return TensorDataset(glassnet.from_numpy(x), glassnet.from_numpy(np.arange(n)))


def firsts(loader):
    """The sample ids (second tensor) of each batch, as lists."""
    return [yb.data.tolist() for _, yb in loader]


class Pairs(Dataset):
    """A plain dataset: per-sample access only."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __getitem__(self, i):
        self.calls += 1
        return np.full(2, i, dtype=np.float32), i

    def __len__(self):
        return self.n


def test_tensor_dataset_basics():
    ds = dataset(5)
    assert len(ds) == 5
    x, y = ds[2]
    assert x.shape == (3,) and y.shape == () and int(y.data) == 2
    assert TensorDataset(np.zeros((4, 2))).tensors[0].shape == (4, 2)


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"got sizes 4, 3 \(shapes \(4, 2\), \(3,\)\)"):
        TensorDataset(glassnet.zeros(4, 2), glassnet.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(glassnet.tensor(1.0))
    with pytest.raises(TypeError, match="tensor 1 must be a Tensor or a NumPy array"):
        TensorDataset(glassnet.zeros(2), [1, 2])


@pytest.mark.parametrize("drop_last,sizes", [(False, [3, 3, 3, 1]), (True, [3, 3, 3])])
def test_batch_sizes_and_len(drop_last, sizes):
    loader = DataLoader(dataset(10), batch_size=3, drop_last=drop_last)
    assert len(loader) == len(sizes)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == sizes
    assert sum(firsts(loader), []) == list(range(sum(sizes)))
    xb, yb = batches[0]
    assert isinstance(xb, glassnet.Tensor) and xb.shape == (3, 3) and xb.dtype == np.float32
    assert yb.dtype == np.int64


def test_len_matches_torch():
    for n in (0, 1, 7, 8, 9):
        for bs in (1, 3, 8):
            for drop in (False, True):
                ours = len(DataLoader(dataset(n) if n else Pairs(0), batch_size=bs,
                                      drop_last=drop))
                theirs = len(torch.utils.data.DataLoader(range(n), batch_size=bs,
                                                         drop_last=drop))
                assert ours == theirs, (n, bs, drop)


def test_shuffle_reproducible_and_different_across_epochs():
    glassnet.manual_seed(1)
    loader = DataLoader(dataset(20), batch_size=4, shuffle=True)
    e1, e2 = firsts(loader), firsts(loader)
    assert sorted(sum(e1, [])) == list(range(20)) and sorted(sum(e2, [])) == list(range(20))
    assert e1 != e2 and sum(e1, []) != list(range(20))
    glassnet.manual_seed(1)
    again = DataLoader(dataset(20), batch_size=4, shuffle=True)
    assert firsts(again) == e1 and firsts(again) == e2


def test_own_generator():
    a = DataLoader(dataset(20), 4, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(dataset(20), 4, shuffle=True, generator=np.random.default_rng(5))
    state = glassnet.get_rng_state()
    assert firsts(a) == firsts(b)
    assert glassnet.get_rng_state() == state  # the library generator was not touched


def test_fast_path_matches_generic_path_and_skips_getitem():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, i):
            Counting.calls += 1
            return super().__getitem__(i)

    x = np.random.default_rng(0).standard_normal((11, 2, 3)).astype(np.float32)
    ds = Counting(x, np.arange(11))
    glassnet.manual_seed(3)
    fast = list(DataLoader(ds, 4, shuffle=True))
    assert Counting.calls == 0
    glassnet.manual_seed(3)
    slow = list(DataLoader(ds, 4, shuffle=True, collate_fn=default_collate))
    assert Counting.calls == 11
    for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
        np.testing.assert_array_equal(fx.data, sx.data)
        np.testing.assert_array_equal(fy.data, sy.data)


def test_generic_path_collates_samples():
    ds = Pairs(5)
    xb, yb = next(iter(DataLoader(ds, batch_size=2)))
    assert xb.shape == (2, 2) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.data.tolist() == [0, 1]


def test_default_collate_types():
    out = default_collate([{"a": 1.5, "b": True, "s": "x"}, {"a": 2.0, "b": False, "s": "y"}])
    assert out["a"].dtype == np.float64 and out["b"].dtype == np.bool_
    assert out["s"] == ["x", "y"]
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    with pytest.raises(ValueError, match=r"sample 0 has shape \(2,\), sample 1 has shape \(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="got object"):
        default_collate([object()])


@pytest.mark.parametrize("batch", [[1, 2.5], [True, 2], [True, 2.5], [True, False], [2.5, 1],
                                   [1.5, True], [1, np.float32(2.5)], [3, 4]])
def test_default_collate_of_mixed_python_numbers_matches_torch(batch):
    # Before: the first sample chose the dtype, so [1, 2.5] became int64 [1, 2].
    ours = default_collate(batch)
    theirs = torch.utils.data.default_collate(batch)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_resume_mid_epoch_bit_for_bit():
    glassnet.manual_seed(7)
    loader = DataLoader(dataset(23), batch_size=4, shuffle=True)
    list(loader)  # epoch 1
    it = iter(loader)
    seen = [next(it) for _ in range(3)]
    state = json.loads(json.dumps(loader.state_dict()))  # survives JSON
    rng = glassnet.get_rng_state()
    rest = [yb.data.tolist() for _, yb in it]
    next_epoch = firsts(loader)
    assert state["position"] == 3 and state["epoch"] == 2

    glassnet.manual_seed(12345)  # a fresh process would differ ...
    resumed = DataLoader(dataset(23), batch_size=4, shuffle=True)
    resumed.load_state_dict(state)
    glassnet.set_rng_state(rng)  # ... until the checkpoint restores the library generator
    assert firsts(resumed) == rest
    assert firsts(resumed) == next_epoch
    assert len(seen) + len(rest) == len(loader)


def test_resume_with_own_generator_and_fast_or_generic_path():
    for collate in (None, default_collate):
        loader = DataLoader(dataset(17), 5, shuffle=True, collate_fn=collate,
                            generator=np.random.default_rng(1))
        it = iter(loader)
        next(it)
        state = json.loads(json.dumps(loader.state_dict()))
        rest, following = [yb.data.tolist() for _, yb in it], firsts(loader)
        other = DataLoader(dataset(17), 5, shuffle=True, collate_fn=collate,
                           generator=np.random.default_rng(999))
        other.load_state_dict(state)
        assert other.state_dict() == state
        assert firsts(other) == rest and firsts(other) == following


def test_state_at_epoch_end_starts_next_epoch():
    loader = DataLoader(dataset(8), 4, shuffle=True)
    first = firsts(loader)
    state = loader.state_dict()
    assert state["position"] == 2
    rng = glassnet.get_rng_state()
    expected = firsts(loader)
    other = DataLoader(dataset(8), 4, shuffle=True)
    other.load_state_dict(state)
    glassnet.set_rng_state(rng)
    assert firsts(other) == expected != first


def test_breaking_out_then_iterating_starts_a_new_epoch():
    loader = DataLoader(dataset(8), 2)
    for _ in loader:
        break
    assert len(firsts(loader)) == 4


def test_load_state_dict_rejects_mismatch():
    state = DataLoader(dataset(8), 4).state_dict()
    with pytest.raises(ValueError, match=r"\(8, 4, False, False\).*\(9, 4, False, False\)"):
        DataLoader(dataset(9), 4).load_state_dict(state)
    with pytest.raises(ValueError, match="missing"):
        DataLoader(dataset(8), 4).load_state_dict({"epoch": 1})


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive int or None, got 0"):
        DataLoader(dataset(), batch_size=0)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(dataset(), generator=42)


@pytest.mark.filterwarnings("ignore:.*plit at index")
def test_random_split_sizes_disjoint_and_torch_lengths():
    ds = dataset(10)
    parts = random_split(ds, [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    ids = sorted(sum((p.indices for p in parts), []))
    assert ids == list(range(10))
    for fracs in ([0.3, 0.7], [0.5, 0.25, 0.25], [1 / 3] * 3, [0.1] * 10):
        for n in (10, 11, 7):
            ours = [len(p) for p in random_split(range(n), fracs)]
            theirs = [len(p) for p in torch.utils.data.random_split(range(n), fracs)]
            assert ours == theirs, (fracs, n)
    with pytest.raises(ValueError, match=r"sum to 9, but the dataset has 10"):
        random_split(ds, [4, 5])
    # 0.33 + 0.56 + 0.11 is 1.0000000000000002 in floating point: refused, as by torch, but
    # the message says why rather than blaming the first fraction
    with pytest.raises(ValueError, match=r"fractions must sum to 1 .* summing to "
                                         r"1.0000000000000002"):
        random_split(ds, [0.33, 0.56, 0.11])
    with pytest.raises(ValueError):
        torch.utils.data.random_split(range(10), [0.33, 0.56, 0.11])


def test_random_split_reproducible_and_fast_path_through_subset():
    a = random_split(dataset(10), [4, 6], generator=np.random.default_rng(0))
    b = random_split(dataset(10), [4, 6], generator=np.random.default_rng(0))
    assert a[0].indices == b[0].indices
    loader = DataLoader(a[1], batch_size=4)
    assert sum(firsts(loader), []) == a[1].indices
    sub = Subset(a[1], [5, 0])
    assert [int(sub[i][1].data) for i in range(2)] == [a[1].indices[5], a[1].indices[0]]
    assert sum(firsts(DataLoader(sub, 2)), []) == [a[1].indices[5], a[1].indices[0]]


def test_unshuffled_fast_batches_cover_dataset():
    ds = dataset(7, 2)
    xs = np.concatenate([xb.data for xb, _ in DataLoader(ds, 3)])
    np.testing.assert_array_equal(xs, ds.tensors[0].data)


def test_batch_size_none_yields_unbatched_samples_like_torch():
    import torch

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.arange(4)
    ours = DataLoader(TensorDataset(x, y), batch_size=None, shuffle=True,
                      generator=np.random.default_rng(0))
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=None)
    assert len(ours) == len(theirs) == 4
    samples = list(ours)
    assert all(s[0].shape == (3,) and s[1].shape == () for s in samples)
    assert sorted(int(s[1].item()) for s in samples) == [0, 1, 2, 3]  # each once, shuffled
    for (a, b), (ta, tb) in zip(DataLoader(TensorDataset(x, y), batch_size=None), theirs):
        np.testing.assert_array_equal(a.data, ta.numpy())
        assert b.item() == tb.item()
    arrays = [np.ones(2), np.zeros(2)]
    converted = list(DataLoader(arrays, batch_size=None))
    assert [type(c).__name__ for c in converted] == ["Tensor", "Tensor"]
    assert converted[0].shape == (2,)
    with pytest.raises(ValueError, match="drop_last must be False"):
        DataLoader(arrays, batch_size=None, drop_last=True)
    scalars = [np.float32(2.5), np.int64(3)]  # NumPy scalars become 0-d Tensors, as in torch
    ours_scalars = list(DataLoader(scalars, batch_size=None))
    theirs_scalars = list(torch.utils.data.DataLoader(scalars, batch_size=None))
    assert [type(s).__name__ for s in ours_scalars] == ["Tensor", "Tensor"]
    assert [(s.shape, s.item()) for s in ours_scalars] == \
        [(tuple(t.shape), t.item()) for t in theirs_scalars]


@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_edited_in_place_leave_the_dataset_alone(shuffle):
    # An unshuffled batch was a view of the dataset: Dropout(inplace=True) as a first layer
    # zeroed the training data itself, epoch after epoch. PyTorch's batches are new memory.
    x, y = np.ones((8, 3), np.float32), np.arange(8)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=shuffle)
    for _ in range(2):
        for xb, yb in loader:
            xb += 1
            glassnet.nn.Dropout(0.5, inplace=True)(xb)
            yb.data[...] = -1
    np.testing.assert_array_equal(x, 1)
    np.testing.assert_array_equal(y, np.arange(8))


def test_a_shuffling_loaders_state_from_before_its_first_batch_resumes():
    # Trainer checkpoints at on_epoch_begin(0) hold this state; loading it raised
    # "a shuffling loader's mid-epoch state needs its 'seed'".
    x = np.arange(10.0)
    original = DataLoader(TensorDataset(x), batch_size=3, shuffle=True,
                          generator=np.random.default_rng(5))
    saved = json.loads(json.dumps(original.state_dict()))
    expected = [b[0].data.tolist() for b in original]
    resumed = DataLoader(TensorDataset(x), batch_size=3, shuffle=True,
                         generator=np.random.default_rng(99))
    resumed.load_state_dict(saved)  # also restores the loader's own generator
    assert [b[0].data.tolist() for b in resumed] == expected


@pytest.mark.parametrize("key, value", [("position", "x"), ("position", 1.5), ("epoch", -1),
                                        ("seed", "s")])
def test_a_damaged_loader_state_is_refused_and_changes_nothing(key, value):
    loader = DataLoader(TensorDataset(np.arange(10.0)), batch_size=3, shuffle=True)
    state = loader.state_dict()
    state[key] = value
    before = loader.state_dict()
    with pytest.raises(ValueError, match=f"'{key}' must be"):
        loader.load_state_dict(state)
    assert loader.state_dict() == before
