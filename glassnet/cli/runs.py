"""Reading a run folder back: its config and its trained model."""

from __future__ import annotations

import json
import os

from glassnet.cli.errors import CommandError


def read_config(run_dir: str) -> dict:
    """A run folder's config.json, with a clear error when it is missing or corrupt."""
    path = os.path.join(run_dir, "config.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise CommandError(f"{run_dir!r} is not a glassnet run folder: {path} is missing") \
            from None
    except json.JSONDecodeError as e:
        raise CommandError(f"{path} is not valid JSON: {e}") from None


def load_model(run_dir: str):
    """(model, config) rebuilt from ``run_dir``'s config.json and model.safetensors."""
    from glassnet import io, models

    config_path = os.path.join(run_dir, "config.json")
    weights_path = os.path.join(run_dir, "model.safetensors")
    for path in (config_path, weights_path):
        if not os.path.isfile(path):
            raise CommandError(f"{run_dir!r} is not a finished glassnet run: {path} is missing")
    try:
        with open(config_path) as f:
            config = json.load(f)
        model = models.build(config)
        model.load_state_dict(io.load(weights_path))
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as e:
        raise CommandError(f"could not load the model of run {run_dir!r}: {e}") from None
    model.eval()
    return model, config
