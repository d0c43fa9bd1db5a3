"""Recurrent ops: the Elman RNN, LSTM and GRU recurrences, each one fused ``Function``.

One node runs one layer in one direction over a whole sequence of L steps (a single cell
step is the case L = 1, which is how ``lstm_cell`` and friends call it). Why not one node per
time step? Because a step node would take a slice of the sequence as input: each slice's
backward would allocate a gradient the size of the whole sequence (O(L^2) work), and each
step would hand back its own copy of dW_hh to be summed. Inside one node:

- the input projection ``x W_ih^T + b`` of every time step is ONE matmul before the loop, so
  a step only adds ``h W_hh^T`` and applies the gate nonlinearities in place;
- the backward loop (backpropagation through time) only carries dh and dc from step to step;
  it stores each step's pre-activation gradient dA_t, and the weight gradients are ONE matmul
  each over the whole sequence afterwards: dW_ih = dA^T x, dW_hh = dA^T h_prev, dx = dA W_ih.

Gate layouts are PyTorch's: rows of W_ih / W_hh are (i, f, g, o) for the LSTM and (r, z, n)
for the GRU, so weights move to and from ``torch.nn.LSTM`` / ``GRU`` unchanged.

Public: ``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell``, ``gru_cell`` (one step, as
``torch.rnn_tanh_cell`` etc.). The sequence functions ``rnn_layer``, ``lstm_layer`` and
``gru_layer`` are what ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` call.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.function import Function
from glassnet.ops._util import as_tensor, column_sums
from glassnet.tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


# --------------------------------------------------------------------- helpers
def _sigmoid_(a: np.ndarray) -> None:
    """a <- 1 / (1 + exp(-a)) in place (a is a fresh array the op owns).

    For a << 0, exp(-a) overflows to inf and 1 / inf = 0: the right limit, so the overflow
    warning is silenced rather than avoided.
    """
    np.negative(a, out=a)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


def _project(x: np.ndarray, w_ih: np.ndarray, bias) -> tuple[np.ndarray, np.ndarray]:
    """x W_ih^T + bias for every time step in one matmul.

    x (L, N, in) -> (x folded to (L*N, in), fresh (L, N, G)); the fold is a view when x is
    contiguous (a batch_first input arrives as a transposed view and is copied once here).
    """
    steps, batch, n_in = x.shape
    x2 = x.reshape(steps * batch, n_in)
    out = x2 @ w_ih.T  # (L*N, G); BLAS reads the transpose without a copy
    if bias is not None:
        out += bias
    return x2, out.reshape(steps, batch, w_ih.shape[0])


def _bias_sum(b_ih, b_hh):
    """b_ih + b_hh: where both only add to the gates (LSTM, RNN) they act as one bias."""
    if b_ih is None:
        return b_hh
    return b_ih if b_hh is None else b_ih + b_hh


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _w_hh_grad(d_a2: np.ndarray, out: np.ndarray, h0: np.ndarray, reverse: bool) -> np.ndarray:
    """dW_hh = sum_t dA_t^T h_prev(t), as two matmuls without stacking h_prev.

    h_prev(t) is h0 at the first step processed and the output of the step before otherwise:
    out[t - 1] going forward, out[t + 1] in reverse. d_a2 (L*N, G) with rows in (t, n)
    order (any strides), out (>= L, N, H).
    """
    batch, hidden = h0.shape
    if batch == 0:  # an empty batch: no step adds anything
        return np.zeros((d_a2.shape[1], hidden), dtype=d_a2.dtype)
    rows = d_a2.shape[0] - batch  # every step but the one that reads h0
    steps = rows // batch + 1
    if reverse:
        inner = d_a2[:rows].T @ out[1:steps].reshape(-1, hidden)
        first = d_a2[rows:]
    else:
        inner = d_a2[batch:].T @ out[:steps - 1].reshape(-1, hidden)
        first = d_a2[:batch]
    # The default initial state is zeros, and then its term is exactly zero too, unless dA
    # holds an inf or NaN (inf * 0 = NaN must reach dW_hh, as in PyTorch).
    if h0.any() or not _all_finite(first):
        inner += first.T @ h0
    return inner


def _all_finite(m: np.ndarray) -> bool:
    """Whether every element of the 2-D ``m`` is finite, from one matrix-vector product: an
    inf or NaN anywhere makes ``sum(ones @ m)`` inf or NaN (2-3x faster than ``m.sum()`` on
    a strided view). Finite values whose sum overflows also answer False, which only costs
    the caller a shortcut."""
    return bool(np.isfinite(column_sums(m).sum()))


def _input_grads(ctx, d_a2: np.ndarray, need: tuple):
    """The gradients every recurrence shares once dA is known: x, W_ih, b_ih.

    d_a2 (L*N, G): dA of every step with rows in (t, n) order (any strides). Returns
    (dx, dW_ih, db_ih) with None where ``need`` says no gradient is wanted.
    """
    d_x = (d_a2 @ ctx.w_ih).reshape(ctx.x_shape) if need[0] else None
    d_w_ih = d_a2.T @ ctx.x2 if need[1] else None
    d_b_ih = column_sums(d_a2) if need[2] else None  # gemv: 3-7x faster than .sum(axis=0)
    return d_x, d_w_ih, d_b_ih


def _halve_sigmoid_rows(w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out <- w with the LSTM's i, f and o rows (chunks 0, 1 and 3 of 4) halved.

    Scalar products on blocks of rows: NumPy's multiply by a broadcast (4H, 1) column does
    not vectorise and takes ~2x as long.
    """
    hid = w.shape[0] // 4
    np.multiply(w[:2 * hid], 0.5, out=out[:2 * hid])
    np.copyto(out[2 * hid:3 * hid], w[2 * hid:3 * hid])
    np.multiply(w[3 * hid:], 0.5, out=out[3 * hid:])
    return out


# --------------------------------------------------------------------- Elman RNN
class RNN(Function):
    """One Elman RNN layer (one direction) over a sequence:  h_t = act(a_t),

        a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,     act = tanh or relu.

    Backward through time, with dh_t = (output gradient at t) + (what step t+1 sent back):

        dA_t = dh_t * act'(a_t)      (1 - h_t^2 for tanh; 1 where h_t > 0 for relu)
        dh_{t-1} <- dA_t W_hh
        dx = dA W_ih,  dW_ih = dA^T x,  dW_hh = dA^T h_prev,  db_ih = db_hh = sum of dA

    Shape: x (L, N, in) or (N, in) for one step, h0 (N, H), w_ih (H, in), w_hh (H, H),
    b_ih and b_hh (H,) or None; output (L, N, H) (every h_t, at its time position), or
    (N, H) for one step.  ``reverse`` runs t = L-1 .. 0 (the backward half of a
    bidirectional layer); the output stays aligned with the input's time axis.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh",
                reverse=False):
        ctx.single, ctx.x_shape = x.ndim == 2, x.shape
        x3 = x[None] if ctx.single else x
        ctx.x2, out = _project(x3, w_ih, _bias_sum(b_ih, b_hh))  # (L, N, H): a_t, then h_t
        w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, H): faster BLAS than the strided view
        tmp = np.empty_like(out[0])
        h = h0
        for t in _order(out.shape[0], reverse):
            a = out[t]
            np.matmul(h, w_hh_t, out=tmp)
            a += tmp
            if nonlinearity == "tanh":
                np.tanh(a, out=a)
            else:
                np.maximum(a, 0, out=a)
            h = a
        ctx.out, ctx.h0, ctx.w_ih, ctx.w_hh = out, h0, w_ih, w_hh
        ctx.relu, ctx.reverse = nonlinearity == "relu", reverse
        return out[0] if ctx.single else out

    @staticmethod
    def backward(ctx, grad):
        out, w_hh = ctx.out, ctx.w_hh
        grad = grad[None] if ctx.single else grad
        # act'(a_t) for every step at once, from the saved outputs h_t
        # (relu: out != 0, true at a NaN output, which PyTorch's relu passes the gradient to)
        deriv = (out != 0).astype(out.dtype) if ctx.relu else 1 - out * out
        d_a = deriv  # overwritten step by step with dA_t (deriv[t] is read first)
        d_h = None
        for t in _order(out.shape[0], not ctx.reverse):
            g = grad[t] if d_h is None else grad[t] + d_h
            np.multiply(g, deriv[t], out=d_a[t])
            d_h = d_a[t] @ w_hh  # (N, H) -> flows to the previous step
        need_x, need_h0, need_wi, need_wh, need_bi, need_bh = ctx.needs_input_grad
        d_a2 = d_a.reshape(-1, d_a.shape[-1])  # (L*N, H)
        d_x, d_w_ih, d_b = _input_grads(ctx, d_a2, (need_x, need_wi, need_bi or need_bh))
        d_w_hh = _w_hh_grad(d_a2, out, ctx.h0, ctx.reverse) if need_wh else None
        return (d_x, d_h if need_h0 else None, d_w_ih, d_w_hh,
                d_b if need_bi else None, (d_b.copy() if need_bi else d_b) if need_bh else None)


# --------------------------------------------------------------------- LSTM
class LSTM(Function):
    """One LSTM layer (one direction) over a sequence. At each step, from (h, c):

        gates = x_t W_ih^T + b_ih + h W_hh^T + b_hh          (N, 4H), chunks i, f, g, o
        i, f, o = sigmoid(chunk);  g = tanh(chunk)
        c' = f * c + i * g
        h' = o * tanh(c')

    Backward through time, from dh' (output gradient + what step t+1 sent back) and dc':

        do = dh' * tanh(c');        dc = dc' + dh' * o * (1 - tanh(c')^2)
        di = dc * g;  df = dc * c;  dg = dc * i;         dc_prev = dc * f
        dA = [di * i(1-i), df * f(1-f), dg * (1 - g^2), do * o(1-o)]   (pre-activations)
        dh_prev = dA W_hh
        dx = dA W_ih,  dW_ih = dA^T x,  dW_hh = dA^T h_prev,  db_ih = db_hh = sum of dA

    Layout: inside the op every per-step array is feature-major, transposed from the
    formulas above: gates (4H, N), h and c (H, N). The recurrent products become
    W_hh (4H, H) @ h (H, N) and W_hh^T (H, 4H) @ dA (4H, N), which OpenBLAS runs ~1.5x
    faster than (N, H) @ (H, 4H) at N = 32 (97 vs 145 us at H = 256), and each gate is a
    contiguous block of rows. x W_ih^T + b is one (4H, in+1) @ (in+1, L*N) product over all
    steps (the bias, if any, as a column of ones beside x) whose step-t block of columns is
    added to W_hh h in place; dx, dW_ih and dW_hh stay one GEMM each over all steps, after
    one transposing copy of dA. A zero initial state (the default) skips the products with
    h0 when the other factor is finite (so inf * 0 still gives NaN, as in PyTorch).

    Shape: x (L, N, in) or (N, in) for one step, h0 and c0 (N, H), w_ih (4H, in),
    w_hh (4H, H), b_ih and b_hh (4H,) or None. Output (L + 1, N, H): rows 0..L-1 are h_t at
    their time positions and row L is the final cell state c_n (a Function returns one
    array; the callers split it into views). ``reverse`` runs t = L-1 .. 0.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        ctx.x_shape = x.shape
        x3 = x[None] if x.ndim == 2 else x
        steps, batch, hid = x3.shape[0], x3.shape[1], w_hh.shape[1]
        # sigmoid(z) = (1 + tanh(z / 2)) / 2, so ONE tanh over all four gates gives i, f, o
        # and g: the i, f, o rows of the weights and bias are halved first (exact in
        # floating point: a power of two), then tanh's output is halved and shifted.
        #
        # x W_ih^T + b for every step is ONE (4H, in+1) @ (in+1, L*N) product, feature-major
        # with columns in (t, n) order; the bias rides along as a column of ones beside x.
        # That runs ~20% faster than a small product per step; step t adds its (4H, N)
        # block of columns in place (strided, which costs back about half of the gain).
        bias = _bias_sum(b_ih, b_hh)
        n_in = x3.shape[2]
        x_ext = np.empty((steps * batch, n_in + (bias is not None)), dtype=x3.dtype)
        x_ext.reshape(steps, batch, x_ext.shape[1])[:, :, :n_in] = x3
        w_in = np.empty((4 * hid, x_ext.shape[1]), dtype=w_ih.dtype)
        _halve_sigmoid_rows(w_ih, w_in[:, :n_in])
        if bias is not None:
            x_ext[:, n_in] = 1
            _halve_sigmoid_rows(bias, w_in[:, n_in])
        proj = (w_in @ x_ext.T).reshape(4 * hid, steps, batch)
        del x_ext
        ctx.x2 = x3.reshape(steps * batch, n_in)  # for dW_ih (a copy only if strided)
        w_hh_half = _halve_sigmoid_rows(w_hh, np.empty_like(w_hh))  # (4H, H)
        acts = np.empty((steps, 4 * hid, batch), dtype=proj.dtype)
        out_t = np.empty((steps, hid, batch), dtype=acts.dtype)  # h_t, feature-major
        cells = np.empty_like(out_t)  # c_t
        tanh_c = np.empty_like(out_t)  # tanh(c_t)
        ig = np.empty_like(cells[0])
        h, c = np.ascontiguousarray(h0.T), np.ascontiguousarray(c0.T)  # (H, N)
        # The default initial state: W_hh h0 = 0 needs no product, unless W_hh holds an inf
        # or NaN (inf * 0 = NaN, as PyTorch gives).
        h_is_zero = not h0.any() and _all_finite(w_hh_half)
        for k, t in enumerate(_order(steps, reverse)):
            a = acts[t]  # (4H, N) halved pre-activations -> activations, in place
            if k == 0 and h_is_zero:
                np.copyto(a, proj[:, t])
            else:
                np.matmul(w_hh_half, h, out=a)
                a += proj[:, t]
            np.tanh(a, out=a)
            for sig in (a[:2 * hid], a[3 * hid:]):  # i, f and o: sigmoid from tanh
                sig *= 0.5
                sig += 0.5
            c_new = cells[t]
            np.multiply(a[hid:2 * hid], c, out=c_new)  # f * c
            np.multiply(a[:hid], a[2 * hid:3 * hid], out=ig)  # i * g
            c_new += ig
            np.tanh(c_new, out=tanh_c[t])
            np.multiply(a[3 * hid:], tanh_c[t], out=out_t[t])  # h = o * tanh(c)
            h, c = out_t[t], c_new
        out = np.empty((steps + 1, batch, hid), dtype=acts.dtype)
        out[:steps] = out_t.transpose(0, 2, 1)
        out[steps] = c.T
        ctx.acts, ctx.cells, ctx.tanh_c, ctx.out = acts, cells, tanh_c, out
        ctx.h0, ctx.c0, ctx.w_ih, ctx.w_hh, ctx.reverse = h0, c0, w_ih, w_hh, reverse
        return out

    @staticmethod
    def backward(ctx, grad):
        acts, cells, tanh_c, w_hh = ctx.acts, ctx.cells, ctx.tanh_c, ctx.w_hh
        steps, batch, hid = acts.shape[0], acts.shape[2], w_hh.shape[1]
        reverse = ctx.reverse
        i, f = acts[:, :hid], acts[:, hid:2 * hid]  # (L, H, N) each
        g, o = acts[:, 2 * hid:3 * hid], acts[:, 3 * hid:]
        # Every factor that does not depend on dh or dc, for all steps at once (vectorised
        # over L): dA = [dc * g * i(1-i), dc * c_prev * f(1-f), dc * i * (1-g^2),
        # dh * tanh(c) * o(1-o)], so the loop only multiplies by dc and dh.
        d_a = np.empty_like(acts)
        for sig in (slice(0, 2 * hid), slice(3 * hid, 4 * hid)):  # i, f and o
            np.subtract(1, acts[:, sig], out=d_a[:, sig])
            d_a[:, sig] *= acts[:, sig]  # sigmoid' = s(1 - s)
        d_g = d_a[:, 2 * hid:3 * hid]
        np.multiply(g, g, out=d_g)
        np.subtract(1, d_g, out=d_g)
        d_a[:, :hid] *= g
        d_g *= i
        c_prev = d_a[:, hid:2 * hid]
        c0 = ctx.c0.T  # (H, N)
        if reverse:
            c_prev[:-1] *= cells[1:]
            c_prev[-1] *= c0
        else:
            c_prev[1:] *= cells[:-1]
            c_prev[0] *= c0
        d_a[:, 3 * hid:] *= tanh_c
        o_dtanh = tanh_c * tanh_c
        np.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= o  # dc gets dh * o * (1 - tanh(c)^2)
        grad_h = np.ascontiguousarray(grad[:steps].transpose(0, 2, 1))  # (L, H, N)
        d_c = np.ascontiguousarray(grad[steps].T)  # dL/dc_n, (H, N)
        d_h, dh_sum, tmp = None, np.empty_like(d_c), np.empty_like(d_c)
        need_x, need_h0, need_c0, need_wi, need_wh, need_bi, need_bh = ctx.needs_input_grad
        for k, t in enumerate(_order(steps, not reverse)):
            dh = grad_h[t] if d_h is None else np.add(grad_h[t], d_h, out=dh_sum)
            np.multiply(dh, o_dtanh[t], out=tmp)
            d_c += tmp  # dc = dc' + dh * o * (1 - tanh(c)^2)
            da = d_a[t]  # becomes dA_t, (4H, N)
            da[3 * hid:] *= dh
            da[:3 * hid].reshape(3, hid, batch)[...] *= d_c  # i, f, g
            d_c *= f[t]  # -> dc_prev
            if k < steps - 1 or need_h0:  # at the step that read h0 it is dL/dh0
                d_h = w_hh.T @ da  # (H, 4H) @ (4H, N) -> dh_prev; the view costs BLAS ~4%
        # dA of all steps as (4H, L*N) once, so each remaining product is one GEMM.
        d_a2 = np.ascontiguousarray(d_a.transpose(1, 0, 2)).reshape(4 * hid, steps * batch).T
        d_x, d_w_ih, d_b = _input_grads(ctx, d_a2, (need_x, need_wi, need_bi or need_bh))
        d_w_hh = _w_hh_grad(d_a2, ctx.out, ctx.h0, reverse) if need_wh else None
        return (d_x, d_h.T.copy() if need_h0 else None, d_c.T.copy() if need_c0 else None,
                d_w_ih, d_w_hh,
                d_b if need_bi else None, (d_b.copy() if need_bi else d_b) if need_bh else None)


# --------------------------------------------------------------------- GRU
class GRU(Function):
    """One GRU layer (one direction) over a sequence, PyTorch's formula. At each step:

        gx = x_t W_ih^T + b_ih,  gh = h W_hh^T + b_hh     (N, 3H), chunks r, z, n
        r = sigmoid(gx_r + gh_r);  z = sigmoid(gx_z + gh_z)
        n = tanh(gx_n + r * gh_n)          (r gates the hidden part *with* its bias b_hn)
        h' = (1 - z) * n + z * h

    Backward through time, from dh' (output gradient + what step t+1 sent back):

        dA_n = dh' * (1 - z) * (1 - n^2)
        dA_z = dh' * (h - n) * z(1 - z)
        dA_r = dA_n * gh_n * r(1 - r)
        dx-side pre-activations dAx = [dA_r, dA_z, dA_n]; h-side dAh = [dA_r, dA_z, dA_n * r]
        dh_prev = dh' * z + dAh W_hh
        dx = dAx W_ih,  dW_ih = dAx^T x,  db_ih = sum dAx,  dW_hh = dAh^T h_prev,  db_hh = sum dAh

    Shape: x (L, N, in) or (N, in) for one step, h0 (N, H), w_ih (3H, in), w_hh (3H, H),
    b_ih and b_hh (3H,) or None; output (L, N, H), or (N, H) for one step.
    ``reverse`` runs t = L-1 .. 0.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        ctx.single, ctx.x_shape = x.ndim == 2, x.shape
        x3 = x[None] if ctx.single else x
        ctx.x2, acts = _project(x3, w_ih, b_ih)  # (L, N, 3H): gx, then r, z, n in place
        steps, batch, hid = acts.shape[0], acts.shape[1], w_hh.shape[1]
        out = np.empty((steps, batch, hid), dtype=acts.dtype)
        gh_n = np.empty_like(out)  # h W_hn^T + b_hn of every step (r multiplies it)
        w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 3H): faster BLAS than the view
        gh, tmp = np.empty_like(acts[0]), np.empty_like(out[0])
        h = h0
        for t in _order(steps, reverse):
            a = acts[t]
            np.matmul(h, w_hh_t, out=gh)
            if b_hh is not None:
                gh += b_hh
            a[:, :2 * hid] += gh[:, :2 * hid]
            _sigmoid_(a[:, :2 * hid])  # r, z
            r, z, n = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
            gh_n[t] = gh[:, 2 * hid:]
            np.multiply(r, gh_n[t], out=tmp)
            n += tmp
            np.tanh(n, out=n)
            h_new = out[t]
            np.subtract(h, n, out=h_new)  # h' = n + z * (h - n)
            h_new *= z
            h_new += n
            h = h_new
        ctx.acts, ctx.gh_n, ctx.out = acts, gh_n, out
        ctx.h0, ctx.w_ih, ctx.w_hh, ctx.reverse = h0, w_ih, w_hh, reverse
        return out[0] if ctx.single else out

    @staticmethod
    def backward(ctx, grad):
        acts, out, w_hh, reverse = ctx.acts, ctx.out, ctx.w_hh, ctx.reverse
        grad = grad[None] if ctx.single else grad
        steps, hid = acts.shape[0], w_hh.shape[1]
        r, z, n = acts[..., :hid], acts[..., hid:2 * hid], acts[..., 2 * hid:]
        # The factors that do not depend on the incoming gradient, for every step at once.
        h_prev = np.empty_like(out)  # h_prev(t) - n_t, then times z(1 - z)
        if reverse:
            h_prev[:-1] = out[1:]
            h_prev[-1] = ctx.h0
        else:
            h_prev[1:] = out[:-1]
            h_prev[0] = ctx.h0
        k_z = h_prev
        k_z -= n
        k_z *= z * (1 - z)  # dA_z = dh * k_z
        k_n = (1 - z) * (1 - n * n)  # dA_n = dh * k_n
        k_r = ctx.gh_n * (r * (1 - r))  # dA_r = dA_n * k_r
        d_ax = np.empty_like(acts)  # [dA_r, dA_z, dA_n]
        d_ah = np.empty_like(acts)  # [dA_r, dA_z, dA_n * r]
        d_h = None
        for t in _order(steps, not reverse):
            dh = grad[t] if d_h is None else grad[t] + d_h
            dx_t, dh_t = d_ax[t], d_ah[t]
            np.multiply(dh, k_n[t], out=dx_t[:, 2 * hid:])
            np.multiply(dx_t[:, 2 * hid:], k_r[t], out=dx_t[:, :hid])
            np.multiply(dh, k_z[t], out=dx_t[:, hid:2 * hid])
            dh_t[:, :2 * hid] = dx_t[:, :2 * hid]
            np.multiply(dx_t[:, 2 * hid:], r[t], out=dh_t[:, 2 * hid:])
            d_h = dh_t @ w_hh
            d_h += dh * z[t]  # dh_prev = dh * z + dAh W_hh
        need_x, need_h0, need_wi, need_wh, need_bi, need_bh = ctx.needs_input_grad
        d_x, d_w_ih, d_b_ih = _input_grads(ctx, d_ax.reshape(-1, 3 * hid),
                                           (need_x, need_wi, need_bi))
        d_w_hh = _w_hh_grad(d_ah.reshape(-1, 3 * hid), out, ctx.h0, reverse) if need_wh else None
        d_b_hh = d_ah.reshape(-1, 3 * hid).sum(axis=0) if need_bh else None
        return d_x, d_h if need_h0 else None, d_w_ih, d_w_hh, d_b_ih, d_b_hh


# --------------------------------------------------------------------- checks
def _tensor(value, op: str, arg: str, optional: bool = False):
    """``value`` as a floating point Tensor; None only where ``optional`` (the biases)."""
    if value is None:
        if optional:
            return None
        raise TypeError(f"{op}: argument '{arg}' must be a Tensor, not None")
    t = value if isinstance(value, Tensor) else as_tensor(value, op, arg)
    if t.data.dtype.kind != "f":
        raise TypeError(f"{op}: argument '{arg}' must be a floating point tensor, got dtype "
                        f"{t.data.dtype} (shape {t.shape})")
    return t


def _check_args(op: str, gates: int, x: Tensor, states: dict, w_ih: Tensor, w_hh: Tensor,
                b_ih, b_hh, seq: bool) -> None:
    """Validate shapes and dtypes before any work: x (L, N, in) if ``seq`` else (N, in)."""
    want = 3 if seq else 2
    layout = "(L, N, input_size)" if seq else "(N, input_size)"
    if x.ndim != want:
        raise ValueError(f"{op}: input must be {want}-D {layout}, got {x.ndim}-D input of "
                         f"shape {x.shape}")
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(f"{op}: w_hh must have shape ({gates} * hidden_size, hidden_size), "
                         f"got {w_hh.shape}")
    hid = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * hid:
        raise ValueError(f"{op}: w_ih must have shape ({gates * hid}, input_size) for "
                         f"hidden_size {hid}, got {w_ih.shape}")
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(f"{op}: input has {x.shape[-1]} features but w_ih expects "
                         f"{w_ih.shape[1]} (input shape {x.shape}, w_ih shape {w_ih.shape})")
    expected = (x.shape[-2], hid)
    for name, s in states.items():
        if s.shape != expected:
            raise ValueError(f"{op}: {name} has shape {s.shape} but expected {expected} "
                             f"(batch, hidden_size) for input shape {x.shape}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and b.shape != (gates * hid,):
            raise ValueError(f"{op}: {name} must have shape ({gates * hid},), got {b.shape}")
    named = {"input": x, **states, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    dtypes = {k: v.data.dtype for k, v in named.items() if v is not None}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{k} {d}" for k, d in dtypes.items())
        raise TypeError(f"{op}: all arguments must have the same dtype, got {listed}")


def _prepare(op, gates, input, states, w_ih, w_hh, b_ih, b_hh, seq):
    x = _tensor(input, op, "input")
    st = {k: _tensor(v, op, k) for k, v in states.items()}
    wi, wh = _tensor(w_ih, op, "w_ih"), _tensor(w_hh, op, "w_hh")
    bi, bh = _tensor(b_ih, op, "b_ih", optional=True), _tensor(b_hh, op, "b_hh", optional=True)
    _check_args(op, gates, x, st, wi, wh, bi, bh, seq)
    return x, st, wi, wh, bi, bh


# --------------------------------------------------------------------- public: one step
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

    Shape: input (N, input_size), hx (N, H), w_ih (H, input_size), w_hh (H, H),
    b_ih and b_hh (H,); output (N, H).
    """
    x, st, wi, wh, bi, bh = _prepare("rnn_tanh_cell", 1, input, {"hx": hx}, w_ih, w_hh,
                                     b_ih, b_hh, seq=False)
    return RNN.apply(x, st["hx"], wi, wh, bi, bh, nonlinearity="tanh")


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman RNN step with ReLU: h' = max(0, x W_ih^T + b_ih + h W_hh^T + b_hh).

    Shape: as ``rnn_tanh_cell``.
    """
    x, st, wi, wh, bi, bh = _prepare("rnn_relu_cell", 1, input, {"hx": hx}, w_ih, w_hh,
                                     b_ih, b_hh, seq=False)
    return RNN.apply(x, st["hx"], wi, wh, bi, bh, nonlinearity="relu")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple[Tensor, Tensor]:
    """One LSTM step: hx = (h, c) -> (h', c'), gates in PyTorch's order i, f, g, o.

        gates = x W_ih^T + b_ih + h W_hh^T + b_hh;  i, f, g, o = chunks of 4
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g);  h' = sigmoid(o) * tanh(c')

    One graph node (``LSTM`` with L = 1) computes both; h' and c' are views of its output.
    Shape: input (N, input_size), h and c (N, H), w_ih (4H, input_size), w_hh (4H, H),
    b_ih and b_hh (4H,); h' and c' (N, H).
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: argument 'hx' must be a pair (h, c), got "
                        f"{type(hx).__name__}")
    x, st, wi, wh, bi, bh = _prepare("lstm_cell", 4, input, {"h": hx[0], "c": hx[1]}, w_ih,
                                     w_hh, b_ih, b_hh, seq=False)
    out = LSTM.apply(x, st["h"], st["c"], wi, wh, bi, bh)  # (2, N, H): h', c'
    return out[0], out[1]


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step, PyTorch's formula, gates in the order r, z, n:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr);  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h

    Shape: input (N, input_size), hx (N, H), w_ih (3H, input_size), w_hh (3H, H),
    b_ih and b_hh (3H,); output (N, H).
    """
    x, st, wi, wh, bi, bh = _prepare("gru_cell", 3, input, {"hx": hx}, w_ih, w_hh, b_ih,
                                     b_hh, seq=False)
    return GRU.apply(x, st["hx"], wi, wh, bi, bh)


# --------------------------------------------------------------------- sequence (nn layers)
def rnn_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh",
              reverse: bool = False) -> Tensor:
    """One Elman RNN layer in one direction over input (L, N, in); output (L, N, H)."""
    x, st, wi, wh, bi, bh = _prepare("rnn", 1, input, {"h0": h0}, w_ih, w_hh, b_ih, b_hh,
                                     seq=True)
    return RNN.apply(x, st["h0"], wi, wh, bi, bh, nonlinearity=nonlinearity, reverse=reverse)


def lstm_layer(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None,
               reverse: bool = False) -> Tensor:
    """One LSTM layer in one direction over input (L, N, in); output (L + 1, N, H): the
    hidden state of every step, then the final cell state c_n in row L."""
    x, st, wi, wh, bi, bh = _prepare("lstm", 4, input, {"h0": h0, "c0": c0}, w_ih, w_hh,
                                     b_ih, b_hh, seq=True)
    return LSTM.apply(x, st["h0"], st["c0"], wi, wh, bi, bh, reverse=reverse)


def gru_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False) -> Tensor:
    """One GRU layer in one direction over input (L, N, in); output (L, N, H)."""
    x, st, wi, wh, bi, bh = _prepare("gru", 3, input, {"h0": h0}, w_ih, w_hh, b_ih, b_hh,
                                     seq=True)
    return GRU.apply(x, st["h0"], wi, wh, bi, bh, reverse=reverse)
