"""Weights and training checkpoints, stored as safetensors with JSON metadata.

``glassnet.save(model_or_state_dict, path)`` / ``glassnet.load(path)`` handle weights: the
file is an ordinary safetensors file whose tensor names are the PyTorch ``state_dict`` keys,
so ``safetensors.torch.load_file`` reads it straight into a PyTorch model.

``save_checkpoint`` adds what resuming needs: the optimizer's state (its arrays as tensors
named ``optimizer.state.<index>.<key>``, the rest as JSON), the random generator's state, the
epoch, the step and the data loader's position, so that training resumed after a kill
continues bit for bit like a run that was never stopped. Arrays inside ``extra`` (e.g. a
callback's best weights) are stored as tensors named ``extra.<path>`` and the JSON holds a
reference ``{"__tensor__": name}`` in their place; loading puts the arrays back. Non-finite
floats (a best value that starts at inf) are written as ``{"__float__": "inf"}`` (or "-inf",
"nan"), so the metadata is standard JSON; files holding a bare ``Infinity`` still load.
``load_checkpoint`` checks the whole file against the model and optimizer before changing
either, and restores nothing on failure.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict

import numpy as np

from glassnet import random
from glassnet.io.safetensors import SafetensorsError, load_file, save_file
from glassnet.tensor import Tensor

FORMAT = "glassnet-checkpoint-v1"
MODEL_PREFIX = "model."
OPTIMIZER_PREFIX = "optimizer.state."
EXTRA_PREFIX = "extra."
TENSOR_REF = "__tensor__"  # {"__tensor__": name} in the JSON: the tensor of that name
FLOAT_TAG = "__float__"  # {"__float__": "inf"} in the JSON: a float JSON cannot spell
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _state_of(obj) -> OrderedDict:
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return obj.state_dict()
    if isinstance(obj, dict):
        return OrderedDict(obj)
    raise TypeError(f"save: expected a Module or a dict of tensors, got {type(obj).__name__}")


def save(obj, path, metadata: dict | None = None) -> None:
    """Save a model's weights (a Module or a state_dict) to ``path`` in safetensors format.

    ``metadata`` (any JSON-serialisable dict) is stored in the file's ``__metadata__`` under
    the key "glassnet". The write is atomic: the previous file survives any failure.
    """
    tensors = OrderedDict()
    for key, value in _state_of(obj).items():
        tensors[key] = value.data if isinstance(value, Tensor) else np.asarray(value)
    meta = {"format": "glassnet-weights-v1"}
    if metadata is not None:
        meta["glassnet"] = _dumps(metadata)
    save_file(tensors, path, meta)


def load(path, with_metadata: bool = False):
    """Read weights saved by ``save`` (or any safetensors file) as an OrderedDict of Tensors.

    Loading never executes code. With ``with_metadata=True`` returns (state_dict, metadata).
    """
    arrays, meta = load_file(path)
    state = OrderedDict((k, Tensor(v)) for k, v in arrays.items())
    if not with_metadata:
        return state
    return state, _parse_json(meta.get("glassnet", "{}"), path)


def _parse_json(text: str, path) -> dict:
    try:
        return _decode_floats(json.loads(text))
    except json.JSONDecodeError as e:
        raise SafetensorsError(f"load: {os.fspath(path)} has corrupt glassnet metadata ({e})") \
            from None


def _dumps(value) -> str:
    """``value`` as standard JSON: non-finite floats tagged, and refused if any slip by."""
    return json.dumps(_encode_floats(value), allow_nan=False)


def _encode_floats(value):
    """``value`` with each inf, -inf or NaN float tagged: ``{"__float__": "-inf"}``."""
    if isinstance(value, float) and not math.isfinite(value):
        return {FLOAT_TAG: "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if isinstance(value, dict):
        return {k: _encode_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_floats(v) for v in value]
    return value


def _decode_floats(value):
    """The inverse of ``_encode_floats``."""
    if isinstance(value, dict):
        if set(value) == {FLOAT_TAG} and value[FLOAT_TAG] in _NON_FINITE:
            return _NON_FINITE[value[FLOAT_TAG]]
        return {k: _decode_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_floats(v) for v in value]
    return value


def save_checkpoint(path, model, optimizer=None, *, epoch: int = 0, step: int = 0,
                    loader_state: dict | None = None, extra: dict | None = None) -> None:
    """Save everything needed to resume training exactly: weights, optimizer state, the
    random generator, the epoch, the step and the data position (atomic write)."""
    tensors = OrderedDict((MODEL_PREFIX + k, v.data) for k, v in model.state_dict().items())
    info = {"format": FORMAT, "epoch": int(epoch), "step": int(step),
            "rng_state": _jsonable(random.get_rng_state()), "loader_state": loader_state,
            "extra": _split_arrays(extra or {}, EXTRA_PREFIX.rstrip("."), tensors)}
    if optimizer is not None:
        state = optimizer.state_dict()
        scalars = {}
        for index, entry in state["state"].items():
            for key, value in entry.items():
                if isinstance(value, (np.ndarray, Tensor)):
                    tensors[f"{OPTIMIZER_PREFIX}{index}.{key}"] = getattr(value, "data", value)
                else:
                    scalars.setdefault(str(index), {})[key] = _jsonable(value)
        info["optimizer"] = {"type": type(optimizer).__name__,
                             "param_groups": _jsonable(state["param_groups"]),
                             "scalars": scalars}
    save_file(tensors, path, {"format": FORMAT, "glassnet": _dumps(info)})


def load_checkpoint(path, model, optimizer=None) -> dict:
    """Restore ``model`` (and ``optimizer``, and the random generator) from ``path``.

    Returns the checkpoint's info: epoch, step, loader_state, extra. Everything is read and
    checked first; if the file is corrupt or does not fit the model or optimizer, a clear
    error is raised and neither is changed.
    """
    arrays, meta = load_file(path)
    if meta.get("format") != FORMAT:
        raise SafetensorsError(
            f"load_checkpoint: {os.fspath(path)} is not a glassnet training checkpoint "
            f"(format {meta.get('format')!r}); use glassnet.load for weights files")
    info = _checked_info(_parse_json(meta.get("glassnet", ""), path), path,
                         optimizer is not None)
    model_state = OrderedDict((k[len(MODEL_PREFIX):], v) for k, v in arrays.items()
                              if k.startswith(MODEL_PREFIX))
    extra = _join_arrays(info.get("extra") or {}, arrays, path)
    optimizer_state = None
    if optimizer is not None:
        saved = info["optimizer"]
        if saved["type"] != type(optimizer).__name__:
            raise ValueError(f"load_checkpoint: the checkpoint's optimizer is {saved['type']}, "
                             f"not {type(optimizer).__name__}")
        state: dict = {}
        for key, array in arrays.items():
            if key.startswith(OPTIMIZER_PREFIX):
                index, _, name = key[len(OPTIMIZER_PREFIX):].partition(".")
                if not (index.isascii() and index.isdigit()) or not name:
                    raise SafetensorsError(f"load_checkpoint: {os.fspath(path)} has a "
                                           f"malformed optimizer tensor name {key!r}")
                state.setdefault(int(index), {})[name] = array
        for index, entries in saved["scalars"].items():
            state.setdefault(int(index), {}).update(entries)
        optimizer_state = {"state": state, "param_groups": saved["param_groups"]}

    # Apply with rollback: if the optimizer rejects its state after the model took its
    # weights, put the weights back so that a failed load changes nothing. (The generator
    # state was checked above and cannot fail.)
    backup = OrderedDict((k, v.data.copy()) for k, v in model.state_dict().items())
    model.load_state_dict(model_state)
    if optimizer_state is not None:
        try:
            optimizer.load_state_dict(optimizer_state)
        except Exception:
            model.load_state_dict(backup)
            raise
    random.set_rng_state(info["rng_state"])
    return {"epoch": info["epoch"], "step": info["step"],
            "loader_state": info.get("loader_state"), "extra": extra}


def _checked_info(info, path, with_optimizer: bool) -> dict:
    """The checkpoint's JSON metadata, every field ``load_checkpoint`` uses checked before
    anything is changed; a SafetensorsError names the file and the field otherwise."""
    def bad(what: str):
        return SafetensorsError(f"load_checkpoint: {os.fspath(path)} has {what}")

    if not isinstance(info, dict):
        raise bad(f"metadata of type {type(info).__name__}, not an object")
    for key in ("epoch", "step"):
        value = info.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(f"no valid '{key}' (got {value!r}; expected an int >= 0)")
    try:  # a throwaway generator takes the state first: the real one is set only at the end
        np.random.PCG64().state = info.get("rng_state")
    except (TypeError, ValueError, KeyError) as e:
        raise bad(f"no valid 'rng_state' ({e})") from None
    for key in ("loader_state", "extra"):
        if info.get(key) is not None and not isinstance(info[key], dict):
            raise bad(f"a '{key}' of type {type(info[key]).__name__}, not an object")
    if with_optimizer:
        saved = info.get("optimizer")
        if saved is None:
            raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no optimizer state")
        if not (isinstance(saved, dict) and isinstance(saved.get("type"), str)
                and isinstance(saved.get("param_groups"), list)
                and isinstance(saved.get("scalars"), dict)
                and all(isinstance(k, str) and k.isascii() and k.isdigit()
                        and isinstance(v, dict)
                        for k, v in saved["scalars"].items())):
            raise bad("a malformed 'optimizer' entry (expected type, param_groups and "
                      "scalars by parameter index)")
    return info


def _split_arrays(value, name: str, tensors: OrderedDict):
    """``value`` as JSON-ready data: every array (or Tensor) in it, at any depth, is put in
    ``tensors`` under its path (``extra.callbacks.1:EarlyStopping.best_weights.0.weight``)
    and replaced by a reference to that name."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if name in tensors:  # e.g. keys "a.b" and "a" -> "b" meet at one name
            raise ValueError(f"save_checkpoint: two arrays in extra would both be stored as "
                             f"{name!r}; rename one of the keys (a '.' inside a key names a "
                             "nesting level)")
        tensors[name] = value
        return {TENSOR_REF: name}
    if isinstance(value, dict):
        return {str(k): _split_arrays(v, f"{name}.{k}", tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_arrays(v, f"{name}.{i}", tensors) for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join_arrays(value, arrays: dict, path):
    """The inverse of ``_split_arrays``: references replaced by the file's tensors."""
    if isinstance(value, dict):
        if set(value) == {TENSOR_REF}:
            name = value[TENSOR_REF]
            if not (isinstance(name, str) and name.startswith(EXTRA_PREFIX)
                    and name in arrays):
                raise SafetensorsError(f"load_checkpoint: {os.fspath(path)} refers to a "
                                       f"tensor {name!r} that it does not hold")
            return arrays[name]
        return {k: _join_arrays(v, arrays, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays, path) for v in value]
    return value


def _jsonable(value):
    """Convert NumPy scalars and arrays nested in dicts/lists to plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
