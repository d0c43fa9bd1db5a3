"""Registry entries: loss functions.

Values stay away from each loss's kinks: |input - target| away from 0 (l1) and from
delta / beta (huber, smooth_l1), hinge margins away from 0, probabilities away from 0 and 1.
Class-index targets are int64 ``Const`` arrays; float targets are ``Const`` (or ``Diff`` where
PyTorch differentiates the target too).
"""

import numpy as np
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample

REDUCTIONS = ("mean", "sum", "none")


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def _offsets(rng, shape, kink, low=0.1, high=2.5, gap=0.15):
    """Differences with |d| in [low, high] but never within ``gap`` of ``kink``."""
    d = rng.uniform(low, high, shape)
    d = np.where(np.abs(d - kink) < gap, kink + 2 * gap, d)
    return d * _signs(rng, shape)


def _regression(kink, weighted=False):
    def samples(rng):
        n = rng.standard_normal
        out = []
        for red in REDUCTIONS:
            x = n((3, 4))
            out.append(Sample((Diff(x), Const(x - _offsets(rng, (3, 4), kink))),
                              {"reduction": red}, desc=red))
        x = n((4, 3))
        out.append(Sample((Diff(x.T), Const(x.T - _offsets(rng, (3, 4), kink))),
                          desc="noncontig"))
        x = n(())
        out.append(Sample((Diff(x), Const(x - _offsets(rng, (), kink))), desc="0d"))
        x = n((1, 3, 1))
        out.append(Sample((Diff(x), Diff(x - _offsets(rng, (1, 3, 1), kink))),
                          {"reduction": "sum"}, desc="size1-diff-target"))
        if weighted:
            x = n((2, 5))
            for red in REDUCTIONS:
                out.append(Sample((Diff(x), Const(x - _offsets(rng, (2, 5), kink))),
                                  {"reduction": red, "weight": Const(rng.uniform(0.5, 2, (2, 5)))},
                                  desc=f"weight-{red}"))
        return out

    return samples


def _huber(rng):
    n = rng.standard_normal
    x = n((3, 4))
    return _regression(1.0, weighted=True)(rng) + [
        Sample((Diff(x), Const(x - _offsets(rng, (3, 4), 0.5))), {"delta": 0.5}, desc="delta"),
    ]


def _smooth_l1(rng):
    n = rng.standard_normal
    x, x2 = n((3, 4)), n((2, 3))
    return _regression(1.0)(rng) + [
        Sample((Diff(x), Const(x - _offsets(rng, (3, 4), 0.4))), {"beta": 0.4}, desc="beta"),
        Sample((Diff(x2), Const(x2 - _offsets(rng, (2, 3), 0.0))), {"beta": 0.0},
               desc="beta0"),
    ]


def _bce(rng):
    def p(shape):
        return rng.uniform(0.05, 0.95, shape)

    out = [Sample((Diff(p((3, 4))), Const(rng.uniform(0, 1, (3, 4)))), {"reduction": red},
                  desc=red) for red in REDUCTIONS]
    return out + [
        Sample((Diff(p((4, 3)).T), Const(rng.integers(0, 2, (3, 4)).astype(float))),
               desc="noncontig-hard"),
        Sample((Diff(p((3, 4))), Const(rng.uniform(0, 1, (3, 4))), Const(rng.uniform(0.5, 2, 4))),
               desc="weight-broadcast"),
        Sample((Diff(p(())), Const(np.array(0.3))), desc="0d"),
        Sample((Diff(p((2, 3))), Diff(rng.uniform(0, 1, (2, 3)))), {"reduction": "sum"},
               desc="diff-target"),
    ]


def _bce_logits(rng):
    def x(shape):
        return 3 * rng.standard_normal(shape)

    def y(shape):
        return rng.uniform(0, 1, shape)

    out = [Sample((Diff(x((3, 4))), Const(y((3, 4)))), {"reduction": red}, desc=red)
           for red in REDUCTIONS]
    return out + [
        Sample((Diff(x((4, 3)).T), Const(y((3, 4)))), desc="noncontig"),
        Sample((Diff(x((3, 4))), Const(y((3, 4))), Const(rng.uniform(0.5, 2, (3, 1)))),
               desc="weight"),
        Sample((Diff(x((3, 4))), Const(y((3, 4)))),
               {"pos_weight": Const(rng.uniform(0.5, 3, 4))}, desc="pos_weight"),
        Sample((Diff(x((2, 3, 4))), Const(y((2, 3, 4))), Const(rng.uniform(0.5, 2, 4))),
               {"pos_weight": Const(rng.uniform(0.5, 3, 4)), "reduction": "none"},
               desc="weight-pos_weight-none"),
        Sample((Diff(x(())), Const(np.array(1.0))), desc="0d"),
        Sample((Diff(x((2, 3))), Diff(y((2, 3)))), {"pos_weight": Const(np.array([2.0, 1, 0.5]))},
               desc="diff-target"),
    ]


def _labels(rng, n, c, shape=None):
    return rng.integers(0, c, n if shape is None else shape).astype(np.int64)


def _probs(rng, shape, axis):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def _cross_entropy(rng):
    n = rng.standard_normal
    w = Const(rng.uniform(0.5, 2.0, 4))
    y_ignored = _labels(rng, 6, 4)
    y_ignored[[1, 4]] = -100
    y_in_range = np.array([0, 1, 2, 3, 1, 2], dtype=np.int64)
    out = [Sample((Diff(n((6, 4))), Const(_labels(rng, 6, 4))), {"reduction": red}, desc=red)
           for red in REDUCTIONS]
    return out + [
        Sample((Diff(n((6, 4))), Const(y_ignored), w), desc="weight-ignore"),
        Sample((Diff(n((6, 4))), Const(y_ignored), w), {"reduction": "none"},
               desc="weight-ignore-none"),
        Sample((Diff(n((6, 4))), Const(y_in_range), w), {"ignore_index": 1, "reduction": "sum"},
               desc="ignore-in-range"),
        Sample((Diff(n((6, 4))), Const(_labels(rng, 6, 4))), {"label_smoothing": 0.1},
               desc="smoothing"),
        Sample((Diff(n((6, 4))), Const(y_ignored), w), {"label_smoothing": 0.2},
               desc="smoothing-weight-ignore"),
        Sample((Diff(n((6, 4))), Const(y_ignored), w),
               {"label_smoothing": 0.3, "reduction": "none"}, desc="smoothing-weight-none"),
        Sample((Diff(n((6, 4))), Const(_probs(rng, (6, 4), 1))), desc="probs"),
        Sample((Diff(n((6, 4))), Const(_probs(rng, (6, 4), 1)), w),
               {"label_smoothing": 0.15, "reduction": "none"}, desc="probs-weight-smoothing"),
        Sample((Diff(n((6, 4))), Diff(_probs(rng, (6, 4), 1)), w), {"label_smoothing": 0.1},
               desc="probs-diff-target"),
        Sample((Diff(n((2, 4, 3))), Const(_labels(rng, None, 4, (2, 3))), w), desc="NCd"),
        Sample((Diff(n((2, 4, 3, 2))), Const(_labels(rng, None, 4, (2, 3, 2)))),
               {"reduction": "none", "label_smoothing": 0.1}, desc="NCdd-none"),
        Sample((Diff(n((2, 4, 3))), Const(_probs(rng, (2, 4, 3), 1))), {"reduction": "none"},
               desc="NCd-probs"),
        Sample((Diff(n(4)), Const(np.array(2, dtype=np.int64))), desc="unbatched"),
        Sample((Diff(n(4)), Const(np.array(2, dtype=np.int64))), {"reduction": "none"},
               desc="unbatched-none"),
        Sample((Diff(n(4)), Const(_probs(rng, 4, 0))), desc="unbatched-probs"),
        Sample((Diff(n((4, 6)).T), Const(_labels(rng, 6, 4))), desc="noncontig"),
        Sample((Diff(n((1, 3))), Const(np.array([1], dtype=np.int64))), desc="size1"),
    ]


def _log_probs(rng, shape, axis=1):
    return np.log(_probs(rng, shape, axis))


def _nll(rng):
    w = Const(rng.uniform(0.5, 2.0, 5))
    y_ignored = _labels(rng, 4, 5)
    y_ignored[2] = -100
    out = [Sample((Diff(_log_probs(rng, (4, 5))), Const(_labels(rng, 4, 5))), {"reduction": red},
                  desc=red) for red in REDUCTIONS]
    return out + [
        Sample((Diff(_log_probs(rng, (4, 5))), Const(y_ignored), w), desc="weight-ignore"),
        Sample((Diff(_log_probs(rng, (4, 5))), Const(y_ignored), w), {"reduction": "none"},
               desc="weight-ignore-none"),
        Sample((Diff(_log_probs(rng, (4, 5))), Const(np.array([0, 3, 3, 1]))), {"ignore_index": 3},
               desc="ignore-in-range"),
        Sample((Diff(_log_probs(rng, (2, 5, 3))), Const(_labels(rng, None, 5, (2, 3))), w),
               desc="NCd"),
        Sample((Diff(_log_probs(rng, 5, 0)), Const(np.array(4, dtype=np.int64))),
               desc="unbatched"),
        Sample((Diff(_log_probs(rng, (5, 4), 0).T), Const(_labels(rng, 4, 5))),
               desc="noncontig"),
    ]


def _hinge(rng):
    def x(shape):  # margin - x never within 0.1 of 0 (margin 1 and 0.5 both used)
        v = rng.uniform(-2, 3, shape)
        for m in (1.0, 0.5):
            v = np.where(np.abs(v - m) < 0.1, m + 0.25, v)
        return v

    def y(shape):
        return _signs(rng, shape)

    out = [Sample((Diff(x((3, 4))), Const(y((3, 4)))), {"reduction": red}, desc=red)
           for red in REDUCTIONS]
    return out + [
        Sample((Diff(x((4, 3)).T), Const(y((3, 4)))), {"margin": 0.5}, desc="noncontig-margin"),
        Sample((Diff(x(())), Const(np.array(-1.0))), desc="0d"),
        Sample((Diff(x((3,))), Const(np.array([1.0, -1.0, 0.0]))), desc="other-target"),
    ]


def _scores(rng, n, c, t, margin):
    """Scores where every margin - x_y + x_i is at least 0.1 away from 0."""
    while True:
        x = rng.standard_normal((n, c))
        z = margin - x[np.arange(n), t][:, None] + x
        z[np.arange(n), t] = 1.0
        if np.abs(z).min() > 0.1:
            return x


def _multi_margin(rng):
    t = _labels(rng, 5, 4)
    w = Const(rng.uniform(0.5, 2.0, 4))
    out = [Sample((Diff(_scores(rng, 5, 4, t, 1.0)), Const(t)), {"reduction": red}, desc=red)
           for red in REDUCTIONS]
    return out + [
        Sample((Diff(_scores(rng, 5, 4, t, 1.0)), Const(t)), {"p": 2}, desc="p2"),
        Sample((Diff(_scores(rng, 5, 4, t, 0.5)), Const(t), 2, 0.5, w), {"reduction": "none"},
               desc="p2-margin-weight"),
        Sample((Diff(_scores(rng, 5, 4, t, 1.0)), Const(t)), {"weight": w}, desc="weight"),
        Sample((Diff(_scores(rng, 4, 5, t[:4], 1.0).T.copy().T), Const(t[:4])),
               desc="noncontig"),
        Sample((Diff(_scores(rng, 1, 4, t[:1], 1.0)[0]), Const(np.array(t[0]))),
               {"reduction": "none"}, desc="unbatched"),
    ]


def _kl(rng):
    def logp(shape):
        return _log_probs(rng, shape, -1)

    t0 = _probs(rng, (3, 4), 1)
    t0[0, 1] = 0.0  # xlogy: contributes 0
    out = [Sample((Diff(logp((3, 4))), Const(_probs(rng, (3, 4), 1))), {"reduction": red},
                  desc=red) for red in REDUCTIONS + ("batchmean",)]
    return out + [
        Sample((Diff(logp((3, 4))), Const(t0)), {"reduction": "batchmean"}, desc="zero-target"),
        Sample((Diff(logp((3, 4))), Diff(_probs(rng, (3, 4), 1))), {"reduction": "sum"},
               desc="diff-target"),
        Sample((Diff(logp((3, 4))), Diff(logp((3, 4)))),
               {"reduction": "batchmean", "log_target": True}, desc="log-target"),
        Sample((Diff(logp((4, 3)).T), Const(_probs(rng, (3, 4), 1))), {"reduction": "none"},
               desc="noncontig"),
        Sample((Diff(np.array(-0.7)), Const(np.array(0.4))), {"reduction": "batchmean"},
               desc="0d"),
    ]


OPS = [
    OpInfo("mse_loss", _regression(0.0, weighted=True), TF.mse_loss),
    OpInfo("l1_loss", _regression(0.0, weighted=True), TF.l1_loss),
    OpInfo("huber_loss", _huber, TF.huber_loss),
    OpInfo("smooth_l1_loss", _smooth_l1, TF.smooth_l1_loss),
    OpInfo("binary_cross_entropy", _bce, TF.binary_cross_entropy),
    OpInfo("binary_cross_entropy_with_logits", _bce_logits, TF.binary_cross_entropy_with_logits),
    OpInfo("cross_entropy", _cross_entropy, TF.cross_entropy),
    OpInfo("nll_loss", _nll, TF.nll_loss),
    OpInfo("hinge_embedding_loss", _hinge, TF.hinge_embedding_loss),
    OpInfo("multi_margin_loss", _multi_margin, TF.multi_margin_loss),
    OpInfo("kl_div", _kl, TF.kl_div),
]
