"""Parsing and checking command-line values, with messages that quote what was received."""

from __future__ import annotations

import argparse
import math


def hidden_sizes(text: str) -> list[int]:
    """"128,64" -> [128, 64]; "" -> [] (no hidden layer)."""
    if text.strip() == "":
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) == 0:
            raise argparse.ArgumentTypeError(
                f"hidden layer size {part!r} is not a positive integer (got {text!r}; "
                "expected e.g. 128 or 256,128)")
        sizes.append(int(part))
    return sizes


def positive_float(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(
                f"{name} must be a finite number > 0, got {text!r}")
        return value

    return parse


def non_negative_float(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(
                f"{name} must be a finite number >= 0, got {text!r}")
        return value

    return parse


def _integer(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None


def positive_int(name: str):
    def parse(text: str) -> int:
        value = _integer(name, text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be > 0, got {text!r}")
        return value

    return parse


def seed(name: str):
    """A random seed: an integer in [0, 2**64 - 1] (what NumPy's generators take)."""
    def parse(text: str) -> int:
        value = _integer(name, text)
        if not 0 <= value < 2**64:
            raise argparse.ArgumentTypeError(
                f"{name} must be an integer in [0, 2**64 - 1], got {text!r}")
        return value

    return parse
