"""Turn a photo or drawing of one digit into a 28x28 image prepared the way MNIST's were.

MNIST's digits (LeCun et al.) are white on black, scaled to fit a 20x20 box with their
aspect ratio kept, and placed in a 28x28 field so that their centre of mass is at the centre.
``load_digit_image`` repeats those steps for an image of any size and polarity, so a model
trained on MNIST sees the kind of input it learned from. Needs Pillow (``glassnet[cli]``).
"""

from __future__ import annotations

import os

import numpy as np


def prepare_digit(gray: np.ndarray) -> np.ndarray:
    """(H, W) grayscale in [0, 1], any polarity -> (28, 28) float32, white digit on black."""
    from PIL import Image

    gray = np.asarray(gray, dtype=np.float64)
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a 2-D grayscale image, got shape {gray.shape}")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: invert to MNIST's polarity
        gray = 1.0 - gray
    gray = gray - np.median(border if border.mean() <= 0.5 else 1.0 - border)
    gray = np.clip(gray, 0.0, None)
    peak = gray.max()
    if peak <= 0.05:
        raise ValueError("the image is blank: no digit stands out from the background")
    gray /= peak
    rows, cols = np.nonzero(gray > 0.1)
    crop = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.LANCZOS)
    digit = np.asarray(image, dtype=np.float32) / 255.0
    field = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - digit.shape[0]) // 2, (28 - digit.shape[1]) // 2
    field[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    # Shift so the centre of mass sits at the centre, as MNIST's preprocessing did.
    total = field.sum()
    ys, xs = np.indices(field.shape)
    dy = int(round(13.5 - (ys * field).sum() / total))
    dx = int(round(13.5 - (xs * field).sum() / total))
    shifted = np.zeros_like(field)
    src = field[max(0, -dy):28 - max(0, dy), max(0, -dx):28 - max(0, dx)]
    shifted[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return np.clip(shifted, 0.0, 1.0)


def load_digit_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file (PNG, JPEG, ...) of one digit; returns MNIST-style (28, 28) float32.

    The image is turned upright by its EXIF orientation (as a photo viewer shows it), and
    transparent pixels count as white paper (an alpha channel, a palette's or a grayscale
    image's transparent value). Images of more than 8 bits per pixel (16-bit, 32-bit or
    float grayscale) are scaled from their darkest to their brightest value rather than
    clipped at 255. Raises OSError/ValueError for a file that is not an image or holds no
    visible digit.
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ImportError("reading images needs Pillow: pip install 'glassnet[cli]'") from None
    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # a phone photo, the way it is shown
            if image.mode in ("I", "F") or image.mode.startswith("I;16"):
                deep = np.asarray(image, dtype=np.float64)
                clear = image.info.get("transparency")
                if isinstance(clear, (int, float)):  # that value is paper: full white
                    white = 65535.0 if image.mode != "F" and deep.max() <= 65535 \
                        else float(deep.max())
                    deep = np.where(deep == clear, white, deep)
                low, high = float(deep.min()), float(deep.max())
                gray = (deep - low) / (high - low) if high > low else np.zeros_like(deep)
                return prepare_digit(gray)
            if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(paper, rgba)
            gray = np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    except UnidentifiedImageError:
        raise ValueError(f"{os.fspath(path)} is not an image file Pillow can read") from None
    except Image.DecompressionBombError as e:  # a header claiming billions of pixels
        raise ValueError(f"{os.fspath(path)} is too large to read safely ({e})") from None
    return prepare_digit(gray)
