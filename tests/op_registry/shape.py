"""Registry entries: shape and indexing ops (reshape ... pad).

Negative slice steps are left out here (PyTorch has none); tests/test_shape.py checks them
against NumPy and finite differences.
"""

import numpy as np
import torch
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _long(values) -> Const:
    return Const(np.asarray(values, dtype=np.int64))


def _reshape(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), (4, 3)), desc="tuple"),
        Sample((Diff(n((2, 3, 4))), 6, -1), desc="varargs-infer"),
        Sample((Diff(n(())), (1, 1)), desc="0d"),
        Sample((Diff(n((1,))), ()), desc="to-0d"),
        Sample((Diff(n((4, 3)).T), (12,)), desc="noncontig"),
    ]


def _view(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), (2, 6)), desc="tuple"),
        Sample((Diff(n((2, 3, 4))), 6, -1), desc="varargs-infer"),
        Sample((Diff(n(())), (1,)), desc="0d"),
        # a transposed input can be viewed in a shape that keeps its strides
        Sample((Diff(n((4, 3)).T), (3, 1, 4)), desc="noncontig"),
    ]


def _as(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), Const(n((2, 6)))), desc="same-size"),
        Sample((Diff(n((1,))), Const(n(()))), desc="0d"),
        # strided, but splitting its first dimension is still a view (as torch requires)
        Sample((Diff(n((4, 6))[:, ::2]), Const(n((2, 2, 3)))), desc="noncontig-splittable"),
    ]


def _reshape_as(rng):
    n = rng.standard_normal
    return _as(rng) + [Sample((Diff(n((4, 3)).T), Const(n((12,)))), desc="noncontig")]


def _transpose(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), 0, 1)),
        Sample((Diff(n((2, 3, 4))), -1, 0), desc="neg-dim"),
        Sample((Diff(n((2, 3))), 1, 1), desc="same-dim"),
        Sample((Diff(n(())), 0, -1), desc="0d"),
        Sample((Diff(n((4, 3)).T), 0, 1), desc="noncontig"),
    ]


def _permute(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((2, 3, 4))), (2, 0, 1)), desc="tuple"),
        Sample((Diff(n((2, 3, 4))), 1, -1, 0), desc="varargs-neg"),
        Sample((Diff(n(())), ()), desc="0d"),
        Sample((Diff(n((4, 1, 3)).transpose(2, 1, 0)), (1, 2, 0)), desc="noncontig"),
    ]


def _flatten(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((2, 3, 4))),), desc="all"),
        Sample((Diff(n((2, 3, 4, 5))), 1, 2), desc="middle"),
        Sample((Diff(n((2, 3, 4))),), {"start_dim": 1}, desc="start"),
        Sample((Diff(n((2, 3))), 1, 1), desc="same-dim"),
        Sample((Diff(n(())),), desc="0d"),
        Sample((Diff(n((4, 3)).T),), desc="noncontig"),
    ]


def _squeeze(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((1, 3, 1, 2))),), desc="all"),
        Sample((Diff(n((1, 3, 1, 2))), 2), desc="dim"),
        Sample((Diff(n((1, 3, 1, 2))), 1), desc="non-1-dim-noop"),
        Sample((Diff(n((1, 3, 1, 2))), (0, -2, 1)), desc="tuple"),
        Sample((Diff(n(())),), desc="0d"),
        Sample((Diff(n((4, 1, 6))[:, :, ::2]),), desc="noncontig"),  # a strided view
    ]


def _unsqueeze(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), 0)),
        Sample((Diff(n((3, 4))), 2), desc="last"),
        Sample((Diff(n((3, 4))), -1), desc="neg"),
        Sample((Diff(n(())), 0), desc="0d"),
        Sample((Diff(n((4, 3)).T), 1), desc="noncontig"),
    ]


def _expand(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 1))), 3, 4), desc="varargs"),
        Sample((Diff(n((3, 1))), (2, -1, 5)), desc="leading-keep"),
        Sample((Diff(n(())), (2, 3)), desc="0d"),
        Sample((Diff(n((1, 8))[:, ::2].T), -1, 3), desc="noncontig"),  # (4, 1), strided
        Sample((Diff(n((2, 3))), 2, 3), desc="same"),
    ]


def _expand_as(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 1))), Const(n((2, 3, 4)))), desc="leading"),
        Sample((Diff(n(())), Const(n((2,)))), desc="0d"),
        Sample((Diff(n((1, 8))[:, ::2].T), Const(n((2, 4, 3)))), desc="noncontig"),
    ]


def _index(rng):
    n = rng.standard_normal
    x = n((4, 5, 3))
    return [
        Sample((Diff(x), 1), desc="int"),
        Sample((Diff(x), -1), desc="neg-int"),
        Sample((Diff(x), (slice(1, 3), 2)), desc="slice-int"),
        Sample((Diff(x), (slice(None, None, 2), slice(1, None, 3))), desc="steps"),
        Sample((Diff(x), (None, Ellipsis, 1)), desc="none-ellipsis"),
        Sample((Diff(x), [0, 2, 0, 0]), desc="list-repeated"),
        Sample((Diff(x), (_long([[1, 1], [3, 1]]), slice(None), _long([0, 2]))),
               desc="arrays-separated"),
        Sample((Diff(x), (slice(None), _long([4, 4, 0]), _long([1, 1, 2]))),
               desc="arrays-adjacent-repeated"),
        Sample((Diff(x), Const(x[..., 0] > 0)), desc="bool-mask"),
        Sample((Diff(x), (Const(np.array([True, False, True, True])), 1)), desc="bool-int"),
        Sample((Diff(x), (Ellipsis, _long([2, 0, 2]))), desc="ellipsis-array"),
        Sample((Diff(n(())), ()), desc="0d"),
        Sample((Diff(n(())), None), desc="0d-none"),
        Sample((Diff(n((5, 4)).T), (slice(1, 3), _long([0, 0, 4]))), desc="noncontig"),
    ]


def _gather(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((4, 3))), 1, _long([[0], [2], [1], [2]])), desc="dim1"),
        Sample((Diff(n((4, 3))), 0, _long([[3, 0, 3], [3, 1, 0]])), desc="dim0-repeated"),
        Sample((Diff(n((4, 5))), 1, _long([[4, 4], [0, 1]])), desc="smaller-index"),
        Sample((Diff(n((2, 3, 4))), -1, _long(rng.integers(0, 4, (2, 3, 6)))), desc="3d"),
        Sample((Diff(n(())), 0, _long(0)), desc="0d"),
        Sample((Diff(n((3, 4)).T), 0, _long([[2, 1, 0], [0, 0, 0]])), desc="noncontig"),
    ]


def _cat(rng):
    n = rng.standard_normal
    return [
        Sample(([Diff(n((2, 3))), Diff(n((4, 3)))],), desc="dim0"),
        Sample(([Diff(n((2, 3))), Diff(n((2, 1))), Diff(n((2, 2)))],), {"dim": 1},
               desc="three-dim1"),
        Sample(([Diff(n((2, 3))), Diff(n((2, 3)))], -1), desc="neg-dim"),
        Sample(([Diff(n((3, 4)).T), Diff(n((4, 1)))], 1), desc="noncontig"),
        Sample(([Diff(n((2, 0))), Diff(n((2, 2)))], 1), desc="empty"),
        Sample(([Diff(n((1,)))],), desc="single"),
        Sample(([Diff(n((2, 3))), Const(n((1, 3)))],), desc="const"),
    ]


def _stack(rng):
    n = rng.standard_normal
    return [
        Sample(([Diff(n((2, 3))), Diff(n((2, 3)))],), desc="dim0"),
        Sample(([Diff(n((2, 3))), Diff(n((2, 3))), Diff(n((2, 3)))],), {"dim": 2},
               desc="last"),
        Sample(([Diff(n((2, 3))), Diff(n((2, 3)))], -2), desc="neg-dim"),
        Sample(([Diff(n(())), Diff(n(()))],), desc="0d"),
        Sample(([Diff(n((3, 2)).T), Diff(n((2, 3)))], 1), desc="noncontig"),
    ]


def _split(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((5, 3))), 2), desc="size-uneven"),
        Sample((Diff(n((4, 6))), 3, 1), desc="size-dim1"),
        Sample((Diff(n((4, 6))), [1, 0, 5], -1), desc="sections"),
        Sample((Diff(n((3, 2))), 7), desc="size-larger"),
        Sample((Diff(n((6, 4)).T), (1, 3)), desc="noncontig"),
    ]


def _chunk(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((6, 2))), 3), desc="even"),
        Sample((Diff(n((5, 2))), 4), desc="fewer-chunks"),
        Sample((Diff(n((2, 7))), 3, 1), desc="uneven-dim1"),
        Sample((Diff(n((1, 2))), 3), desc="size1"),
        Sample((Diff(n((6, 4)).T), 2), desc="noncontig"),
    ]


def _narrow(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((5, 3))), 0, 1, 3)),
        Sample((Diff(n((5, 3))), -1, -2, 2), desc="neg"),
        Sample((Diff(n((5, 3))), 1, 3, 0), desc="empty"),
        Sample((Diff(n((5, 3)).T), 1, 2, 2), desc="noncontig"),
    ]


def _pad(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((2, 3))), (1, 2)), desc="last"),
        Sample((Diff(n((2, 3, 4))), (1, 0, 2, 1)), {"value": 1.5}, desc="two-dims-value"),
        Sample((Diff(n((2, 3, 4))), (0, 1, 0, 0, 2, 1)), desc="three-dims"),
        Sample((Diff(n((3, 5))), (-1, 2, 1, -2)), desc="crop"),
        Sample((Diff(n((3, 5))), (-2, -1)), desc="crop-only"),
        Sample((Diff(n((4, 3)).T), (1, 1)), desc="noncontig"),
        Sample((Diff(n((2, 3))), ()), desc="empty-pad"),
        Sample((Diff(n(())), ()), desc="0d"),
    ]


def _pad_mode(mode, extra):
    def samples(rng):
        n = rng.standard_normal
        return [
            Sample((Diff(n((2, 4))), (1, 2)), {"mode": mode}, desc="2d"),
            Sample((Diff(n((2, 3, 4))), (2, 1)), {"mode": mode}, desc="3d"),
            Sample((Diff(n((2, 3, 4))), (1, 2, 2, 1)), {"mode": mode}, desc="3d-two-dims"),
            Sample((Diff(n((2, 2, 3, 4))), (1, 1, 2, 0)), {"mode": mode}, desc="4d"),
            Sample((Diff(n((1, 2, 3, 4, 3))), (1, 1, 0, 2, 1, 0)), {"mode": mode}, desc="5d"),
            Sample((Diff(n((2, 5, 4)).transpose(0, 2, 1)), (1, 1)), {"mode": mode},
                   desc="noncontig"),
        ] + [Sample((Diff(n(shape)), p), {"mode": mode}, desc=d) for shape, p, d in extra]
    return samples


def _torch_index(x, idx):
    return x[idx]


def _index_put(rng):
    n = rng.standard_normal
    x = n((4, 5, 3))
    return [
        Sample((Diff(x), 1, Diff(n((5, 3)))), desc="int"),
        Sample((Diff(x), (slice(1, 3), 2), Diff(n((3,)))), desc="slice-int-broadcast"),
        Sample((Diff(x), (slice(None, None, 2), slice(1, None, 3)), 0.5), desc="steps-number"),
        Sample((Diff(x), _long([0, 2]), Diff(n((1, 5, 3)))), desc="array-broadcast"),
        Sample((Diff(x), (slice(None), _long([4, 0, 1]), _long([1, 1, 2])), Diff(n((4, 3)))),
               desc="arrays-adjacent"),
        Sample((Diff(x), Const(x[..., 0] > 0), Diff(n(()))), desc="bool-mask-0d-value"),
        Sample((Diff(n((5, 4)).T), (slice(1, 3), _long([0, 4])), Diff(n((2, 2)))),
               desc="noncontig"),
        Sample((Diff(x), _long([0, 2, 0]), Diff(n((3, 5, 3)))), {"accumulate": True},
               desc="accumulate-repeats"),
        Sample((Diff(x), (_long([1, 1, 3]), _long([4, 4, 0])), Diff(n((3,)))),
               {"accumulate": True}, desc="accumulate-pairs-broadcast"),
        Sample((Diff(x), Const(x[..., 0] > 0), Diff(n(()))), {"accumulate": True},
               desc="accumulate-bool-mask"),
    ]


def _torch_index_put(x, idx, value, accumulate=False):
    if accumulate:  # torch.index_put takes a tuple of index tensors
        return torch.index_put(x, idx if isinstance(idx, tuple) else (idx,), value,
                               accumulate=True)
    out = x.clone()
    out[idx] = value
    return out


OPS = [
    OpInfo("reshape", _reshape, lambda x, *s: x.reshape(*s)),
    OpInfo("view", _view, lambda x, *s: x.view(*s)),
    OpInfo("view_as", _as, torch.Tensor.view_as),
    OpInfo("reshape_as", _reshape_as, torch.Tensor.reshape_as),
    OpInfo("transpose", _transpose, torch.transpose),
    OpInfo("permute", _permute, lambda x, *d: x.permute(*d)),
    OpInfo("flatten", _flatten, torch.flatten),
    OpInfo("squeeze", _squeeze, lambda x, *a: torch.squeeze(x, *a)),
    OpInfo("unsqueeze", _unsqueeze, torch.unsqueeze),
    OpInfo("expand", _expand, lambda x, *s: x.expand(*s)),
    OpInfo("expand_as", _expand_as, torch.Tensor.expand_as),
    OpInfo("index", _index, _torch_index),
    OpInfo("index_put", _index_put, _torch_index_put),
    OpInfo("gather", _gather, torch.gather),
    OpInfo("cat", _cat, torch.cat),
    OpInfo("stack", _stack, torch.stack),
    OpInfo("split", _split, torch.split),
    OpInfo("chunk", _chunk, torch.chunk),
    OpInfo("narrow", _narrow, torch.narrow),
    OpInfo("pad", lambda rng: (
        _pad(rng)
        + _pad_mode("reflect", [((2, 2), (-1, 1), "crop")])(rng)
        + _pad_mode("replicate", [((2, 3), (-1, 4), "crop-wide")])(rng)
        + _pad_mode("circular", [((2, 4), (-1, 3), "crop-wrap")])(rng)
    ), TF.pad),
]
