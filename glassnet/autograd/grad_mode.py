"""Whether operations record a graph: ``no_grad`` and ``enable_grad``.

Both work as context managers and as decorators, as in PyTorch.
"""

from __future__ import annotations

import functools
import inspect
import threading


class _State(threading.local):
    """Grad mode, one per thread as in PyTorch: a thread inside ``no_grad()`` does not stop
    another from recording, and every new thread starts with grad enabled."""

    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradMode:
    """Base for the context managers: sets the mode on entry, restores it on exit."""

    mode = True

    def __new__(cls, fn=None):
        # @no_grad without parentheses: decorate fn directly, as PyTorch allows.
        instance = super().__new__(cls)
        if callable(fn):
            return instance(fn)
        return instance

    def __init__(self, fn=None):
        pass

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._previous
        return False

    def __call__(self, fn):
        mode = self.mode
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Mode(mode):
                return fn(*args, **kwargs)

        return wrapper


def _wrap_generator(fn, mode: bool):
    """A generator function decorated with a grad mode runs each of its steps in that mode
    (the caller's mode holds between them), as PyTorch's decorators do."""

    @functools.wraps(fn)
    def generator(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with _Mode(mode):
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with _Mode(mode):
                        gen.close()
                    raise
                except BaseException as error:
                    with _Mode(mode):
                        response = gen.throw(error)
                else:
                    with _Mode(mode):
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator


class _Mode(_GradMode):
    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.mode = bool(mode)


class no_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Operations inside record no graph: outputs have ``requires_grad=False``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Turn graph recording back on inside a ``no_grad`` region."""

    mode = True


class set_grad_enabled(_Mode):  # noqa: N801 (PyTorch's name)
    """Set grad mode: as a plain call it takes effect at once (and lasts); as a context
    manager it is restored on exit, as in PyTorch."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        # as a decorator it must change nothing until fn runs: undo the call's effect
        _state.enabled = self._previous
        return super().__call__(fn)
