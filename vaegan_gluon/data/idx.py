"""Reader for the IDX format of MNIST / Fashion-MNIST (gzip-compressed or raw)."""
import gzip
import os

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

#: standard file names, (images, labels) per split
IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path):
    """Read one IDX file (``.gz`` or raw, detected by content) into a numpy array.

    The header is two zero bytes, a type byte, the number of dimensions, then one big-endian uint32 per
    dimension. Raises ``ValueError`` naming ``path`` if the magic number or the size is wrong.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES or raw[3] == 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'}; "
                         "expected 0000 <type> <ndim>, e.g. 00000803 for images)")
    dtype, ndim = np.dtype(_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} ({expected} bytes) but the file holds "
                         f"{len(raw) - header} bytes of data")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def find_idx_file(folder, stem):
    """Path of ``stem`` or ``stem.gz`` in ``folder`` (also the ``stem.idx3-ubyte`` spellings), or None."""
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            return p
    return None


def idx_folder_complete(folder):
    """True if ``folder`` holds all four standard IDX files."""
    return bool(folder) and os.path.isdir(folder) and all(
        find_idx_file(folder, stem) for pair in IDX_NAMES.values() for stem in pair)


def read_idx_split(folder, split):
    """``(images uint8 (N, 28, 28), labels int64 (N,), [paths])`` of ``split`` in an IDX folder."""
    paths = []
    for stem in IDX_NAMES[split]:
        p = find_idx_file(folder, stem)
        if p is None:
            raise FileNotFoundError(f"{folder}: no {stem}[.gz] (an IDX folder needs "
                                    f"{', '.join(s for pair in IDX_NAMES.values() for s in pair)}, gz or not)")
        paths.append(p)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3:
        raise ValueError(f"{paths[0]}: expected 3-D image data (N, H, W), got shape {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{paths[1]}: {labels.shape} labels for {len(images)} images in {paths[0]}")
    return images, labels.astype(np.int64), paths
