"""Saving and loading: safetensors files, weights and training checkpoints."""

from glassnet.io.checkpoint import load, load_checkpoint, save, save_checkpoint
from glassnet.io.safetensors import SafetensorsError, load_file, save_file

__all__ = ["save", "load", "save_checkpoint", "load_checkpoint", "load_file", "save_file",
           "SafetensorsError"]
