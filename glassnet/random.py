"""The library's random source: one NumPy generator that every random op draws from.

``manual_seed(s)`` reseeds it, so the same seed gives bitwise-identical results on the same
machine. Like PyTorch, a fresh process starts from a fixed seed, not from OS entropy.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's torch.initial_seed() in a fresh process

_seed = DEFAULT_SEED
_generator = np.random.Generator(np.random.PCG64(DEFAULT_SEED))


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random source glassnet uses; returns the generator.

    As in PyTorch, the seed may be any int in [-2**63, 2**64 - 1]; a negative one is
    remapped to 2**64 + seed (so ``initial_seed()`` is never negative)."""
    global _seed, _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64 - 1], got {seed}")
    _seed = seed % 2**64
    _generator = np.random.Generator(np.random.PCG64(_seed))
    return _generator


def initial_seed() -> int:
    """The seed last given to ``manual_seed`` (or the default)."""
    return _seed


def default_generator() -> np.random.Generator:
    """The generator random ops draw from; call it each time (manual_seed replaces it)."""
    return _generator


def get_rng_state() -> dict:
    """A JSON-friendly snapshot of the generator state (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a snapshot taken by ``get_rng_state``."""
    before = _generator.bit_generator.state
    if not isinstance(state, dict):
        raise TypeError("set_rng_state: expected the state dict returned by get_rng_state(), "
                        f"got {type(state).__name__} {state!r}"[:200])
    if state.get("bit_generator") != before["bit_generator"]:
        raise ValueError(f"set_rng_state: expected a {before['bit_generator']} state from "
                         f"get_rng_state(), got bit_generator={state.get('bit_generator')!r}")
    try:
        _generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:  # NumPy's message would not name this call
        _generator.bit_generator.state = before  # (NumPy may have set part of it)
        raise ValueError(f"set_rng_state: the state dict is malformed ({type(e).__name__}: "
                         f"{e}); pass one returned by get_rng_state()") from None
