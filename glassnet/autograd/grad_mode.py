"""Whether operations record a graph: ``no_grad`` and ``enable_grad``.

Both work as context managers and as decorators, as in PyTorch.
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


def set_grad_enabled(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradMode:
    """Base for the context managers: sets the mode on entry, restores it on exit."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._previous)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Operations inside record no graph: outputs have ``requires_grad=False``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Turn graph recording back on inside a ``no_grad`` region."""

    mode = True
