"""Reading a run folder back: its config and its trained model."""

from __future__ import annotations

import json
import os

import numpy as np

from glassnet.cli.errors import CommandError


def read_config(run_dir: str) -> dict:
    """A run folder's config.json, with a clear error when it is missing or corrupt."""
    path = os.path.join(run_dir, "config.json")
    try:
        with open(path) as f:
            config = json.load(f)
    except FileNotFoundError:
        raise CommandError(f"{run_dir!r} is not a glassnet run folder: {path} is missing") \
            from None
    except json.JSONDecodeError as e:
        raise CommandError(f"{path} is not valid JSON: {e}") from None
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
    if not isinstance(config, dict):
        raise CommandError(f"{path} must hold a JSON object of settings, got "
                           f"{type(config).__name__}")
    return config


def load_model(run_dir: str):
    """(model, config) rebuilt from ``run_dir``'s config.json and model.safetensors."""
    from glassnet import io, models

    config_path = os.path.join(run_dir, "config.json")
    weights_path = os.path.join(run_dir, "model.safetensors")
    for path in (config_path, weights_path):
        if not os.path.isfile(path):
            raise CommandError(f"{run_dir!r} is not a finished glassnet run: {path} is missing")
    config = read_config(run_dir)
    missing = [k for k in ("dataset", "seed") if k not in config]  # train writes both
    if missing:
        kind = "a character language model (use glassnet sample)" \
            if config.get("model") == "charlm" else "not a run of glassnet train"
        raise CommandError(f"{config_path} lacks the settings {missing} that evaluate and "
                           f"predict need: {kind}")
    try:
        model = models.build(config)
        model.load_state_dict(io.load(weights_path))
    except (ValueError, KeyError, TypeError, OSError, MemoryError) as e:
        raise CommandError(f"could not load the model of run {run_dir!r}: {e}") from None
    broken = [name for name, p in model.named_parameters() if not np.isfinite(p.data).all()]
    if broken:  # a diverged run: its predictions would be NaN, not answers
        raise CommandError(f"the weights of run {run_dir!r} hold NaN or inf ({broken[0]}"
                           f"{' and more' if len(broken) > 1 else ''}): the training "
                           "diverged; train again with a smaller --lr")
    model.eval()
    return model, config
