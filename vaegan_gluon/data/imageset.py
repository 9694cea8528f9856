"""The one container every data source returns: :class:`ImageSet`."""
import dataclasses
import hashlib
from typing import Optional

import numpy as np
import pandas as pd


def to_unit_float(images_u8):
    """uint8 array -> float32 in [0, 1] (exactly ``v / 255``, computed in place of one copy)."""
    out = images_u8.astype(np.float32)
    np.divide(out, np.float32(255.0), out=out)
    return out


def array_checksum(images):
    """sha256 hex digest of ``images``' bytes (C-contiguous float32), the checksum in every provenance."""
    flat = np.ascontiguousarray(images).reshape(-1).view(np.uint8)  # no copy of a contiguous array
    return hashlib.sha256(flat).hexdigest()


@dataclasses.dataclass
class ImageSet:
    """Images plus what is known about them.

    Attributes
    ----------
    images : np.ndarray
        ``(N, C, H, W)`` float32 in ``[0, 1]``.
    labels : np.ndarray or None
        ``(N,)`` int64 class labels (MNIST digits, Fashion-MNIST classes), or None.
    attributes : pandas.DataFrame or None
        ``N`` rows, one column per attribute; row ``k`` describes ``images[k]`` (use ``.iloc``). The index
        carries an id: the generator index for ``synthetic-faces``, the relative file name for
        ``image-folder``.
    provenance : dict
        ``source`` (the ``load`` name), ``path`` (file/folder read, or None when generated), ``count``
        (= N), ``checksum`` (sha256 hex of ``images``' bytes, i.e. of this float32 array, not of the source
        file, so it changes with the split, ``subset`` and ``take``), ``split``, the options in force, and
        source-specific facts (e.g. ``cached``, ``skipped``).
    name : str
        Human-readable name, e.g. ``"mnist-5k/train"``.
    """

    images: np.ndarray
    labels: Optional[np.ndarray]
    attributes: Optional[pd.DataFrame]
    provenance: dict
    name: str

    def __post_init__(self):
        if self.images.ndim != 4:
            raise ValueError(f"ImageSet.images must be (N, C, H, W), got shape {self.images.shape}")
        n = len(self.images)
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"{len(self.labels)} labels for {n} images")
        if self.attributes is not None and len(self.attributes) != n:
            raise ValueError(f"{len(self.attributes)} attribute rows for {n} images")

    def __len__(self):
        return len(self.images)

    def __repr__(self):
        extra = []
        if self.labels is not None:
            extra.append("labels")
        if self.attributes is not None:
            extra.append(f"attributes={list(self.attributes.columns)}")
        return (f"ImageSet({self.name!r}, {len(self)} x {self.image_shape}"
                + (", " + ", ".join(extra) if extra else "") + ")")

    @property
    def image_shape(self):
        """``(C, H, W)``."""
        return tuple(self.images.shape[1:])

    def take(self, indices):
        """A new ImageSet of the images at ``indices`` (ints or a boolean mask), labels/attributes alike.

        ``provenance`` is copied with ``count`` and ``checksum`` recomputed and the parent's ``count`` and
        the number of indices recorded as ``taken_from`` / ``taken``.
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise ValueError(f"boolean mask of shape {idx.shape} for {len(self)} images")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64).reshape(-1)
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"indices out of range for an ImageSet of {len(self)} images")
        images = np.ascontiguousarray(self.images[idx])
        prov = dict(self.provenance)
        prov.update(count=len(images), checksum=array_checksum(images), taken_from=len(self))
        return ImageSet(images=images,
                        labels=None if self.labels is None else self.labels[idx].copy(),
                        attributes=None if self.attributes is None else self.attributes.iloc[idx].copy(),
                        provenance=prov, name=self.name)

    def subset(self, n):
        """The first ``n`` images (all of them if ``n >= len(self)``) as a new ImageSet."""
        n = int(n)
        if n < 0:
            raise ValueError(f"subset(n) needs n >= 0, got {n}")
        return self.take(np.arange(min(n, len(self))))
