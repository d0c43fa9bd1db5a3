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
        with open(path, encoding="utf-8") as f:  # train writes UTF-8 whatever the locale
            config = json.load(f)
    except FileNotFoundError:
        raise CommandError(f"{run_dir!r} is not a glassnet run folder: {path} is missing") \
            from None
    except json.JSONDecodeError as e:
        raise CommandError(f"{path} is not valid JSON: {e}") from None
    except UnicodeDecodeError as e:  # (a ValueError, not an OSError)
        raise CommandError(f"{path} is not UTF-8 text: byte 0x{e.object[e.start]:02x} at "
                           f"offset {e.start} ({e.reason})") from None
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
    if not isinstance(config, dict):
        raise CommandError(f"{path} must hold a JSON object of settings, got "
                           f"{type(config).__name__}")
    return config


# The settings the loading path of evaluate and predict uses (train writes them all; a run
# from before "model" and "samples" were recorded lacks them and gets their defaults).
LOADED_SETTINGS = ("model", "dataset", "hidden", "activation", "seed", "samples")


def checked_run_settings(config: dict, run_dir: str) -> dict:
    """``config`` with its LOADED_SETTINGS checked as ``train --resume`` checks them (the
    command line's own parsers), so a hand-edited value is a one-line error, not a crash."""
    from glassnet.cli.train import checked_settings

    keys = [k for k in LOADED_SETTINGS if k in config]
    checked = checked_settings(config, run_dir, keys, prefix="")
    for key in ("in_features", "out_features"):  # (not options: checked here)
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise CommandError(f"{run_dir}/config.json has a bad setting: {key} must be a "
                               f"positive integer, got {value!r}")
    return {**config, **checked}


def check_dataset_fits(run_dir: str, config: dict, info: dict) -> None:
    """Refuse a dataset whose input size or class count is not the model's (a config.json
    edited to name another dataset): the model would fail deep inside, or score nonsense."""
    model = (config["in_features"], config["out_features"])
    data = (info["in_features"], info["classes"])
    if model != data:
        raise CommandError(f"run {run_dir!r} does not fit its dataset {config['dataset']!r}: "
                           f"the model takes {model[0]} inputs and gives {model[1]} classes, "
                           f"the dataset has {data[0]} inputs and {data[1]} classes")


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
    config = checked_run_settings(config, run_dir)
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
