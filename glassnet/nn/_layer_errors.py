"""Errors that name the layer: a module re-raises its functional op's error under its repr."""

from __future__ import annotations

from glassnet import backend


def call_as_layer(fn, name: str, layer, *args):
    """Run ``fn(*args)``, whose errors start "<name>: "; re-raise a ValueError or TypeError
    starting "<layer>: " instead (e.g. "MaxPool2d(kernel_size=5, ...): ..." for
    "max_pool2d: ..."), so a message about a model says which of its layers failed.

    ``layer`` is the module (labelled ``Name(extra_repr)`` only when an error is raised: a
    label built on every call costs a few microseconds per layer per step) or a string.
    """
    try:
        return fn(*args)
    except (ValueError, TypeError) as err:
        message = str(err)
        prefix = name + ": "
        if message.startswith(prefix):
            label = layer if isinstance(layer, str) else layer_label(layer)
            raise type(err)(label + ": " + message[len(prefix):]) from None
        raise


def layer_label(module) -> str:
    """How errors name a layer: its class and ``extra_repr``, e.g. ``Conv2d(1, 32, ...)``."""
    return f"{type(module).__name__}({module.extra_repr()})"


def check_device(layer: str, device) -> None:
    """PyTorch's ``device=`` keyword of layer constructors: None or the CPU ("cpu", "cpu:0",
    or anything whose str() is one, such as torch.device("cpu")). Any other device is a
    ValueError saying that glassnet runs on the CPU only."""
    backend.to_dtype_and_device(layer, device=device)
