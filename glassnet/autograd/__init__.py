"""Automatic differentiation: ``Function``, the backward engine, grad modes, ``gradcheck``."""

from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "gradcheck", "GradcheckError", "no_grad", "enable_grad",
           "is_grad_enabled", "set_grad_enabled", "check_model", "ModelCheckError",
           "ModelCheckReport"]


def __getattr__(name):
    # Function and gradcheck import Tensor, whose module imports the ops, which import
    # Function: load them on first use to keep the import order simple.
    if name == "Function":
        from glassnet.autograd.function import Function
        return Function
    if name in ("gradcheck", "GradcheckError"):
        from glassnet.autograd import check
        return getattr(check, name)
    if name in ("check_model", "ModelCheckError", "ModelCheckReport"):
        from glassnet.autograd import locate
        return getattr(locate, name)
    raise AttributeError(f"module 'glassnet.autograd' has no attribute {name!r}")
