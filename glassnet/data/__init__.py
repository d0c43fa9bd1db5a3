"""Data: datasets, the DataLoader, the IDX reader, fetching, MNIST, and toy sets.

    from glassnet.data import MNIST, DataLoader, TensorDataset

    X, y = MNIST(train=True).tensors()          # (60000, 784) float32 in [0, 1], (60000,)
    loader = DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True)
    for xb, yb in loader:                       # (128, 784), (128,)
        ...
"""

from glassnet.data import fetch, functions, toy  # fetch: the module (fetch.fetch, ...)
from glassnet.data.dataset import Dataset, Subset, TensorDataset, random_split
from glassnet.data.fetch import DataFetchError, data_home, fetch_mnist
from glassnet.data.idx import read_idx
from glassnet.data.loader import DataLoader, default_collate
from glassnet.data.mnist import MNIST
from glassnet.data.toy import (
    make_blobs,
    make_circles,
    make_gaussian_clusters,
    make_moons,
    make_spirals,
    make_xor,
    train_test_split,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
    "read_idx", "fetch", "fetch_mnist", "data_home", "DataFetchError", "MNIST",
    "make_blobs", "make_xor", "make_circles", "make_moons", "make_spirals",
    "make_gaussian_clusters", "train_test_split", "toy", "functions",
]
