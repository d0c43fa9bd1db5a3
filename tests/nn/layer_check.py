"""The one helper every layer test uses: build a glassnet layer and its PyTorch twin, give
them the same weights through ``state_dict`` (so the keys must match), and compare forward
outputs, input gradients and every parameter's gradient; then round-trip the state_dict."""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn


def check_layer(layer, torch_layer, input_shape: tuple, *, dtype=np.float64, rtol=1e-10,
                atol=1e-12, seed: int = 0, input_array: np.ndarray | None = None) -> None:
    rng = np.random.default_rng(seed)
    torch_layer = torch_layer.to(torch.float64 if dtype == np.float64 else torch.float32)
    layer.to(dtype)

    # Same weights, loaded through PyTorch's state_dict keys.
    theirs = torch_layer.state_dict()
    ours = layer.state_dict()
    assert list(ours) == list(theirs), f"state_dict keys differ: {list(ours)} vs {list(theirs)}"
    layer.load_state_dict({k: v.numpy() for k, v in theirs.items()})

    x = rng.standard_normal(input_shape).astype(dtype) if input_array is None else input_array
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    out, t_out = layer(gx), torch_layer(tx)
    assert out.shape == tuple(t_out.shape), f"output shape {out.shape} vs {tuple(t_out.shape)}"
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=rtol, atol=atol)

    v = rng.standard_normal(out.shape).astype(dtype)
    out.backward(v)
    t_out.backward(torch.from_numpy(v.copy()))
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=rtol, atol=atol)
    t_params = dict(torch_layer.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad.data, t_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of {name}")

    # state_dict round trip into a fresh copy of the layer gives the same outputs.
    state = {k: v.data.copy() for k, v in layer.state_dict().items()}
    for p in layer.parameters():
        with gn.no_grad():
            p.data[...] = 0
    layer.load_state_dict(state)
    with gn.no_grad():
        np.testing.assert_allclose(layer(gn.tensor(x)).data, t_out.detach().numpy(),
                                   rtol=rtol, atol=atol)
