"""Feature extractors the project trains and ships: ``get_extractor(name)``.

=================  ==================  ===========================================================
name               input               trained on (training splits only; see ``weights/manifest.json``)
=================  ==================  ===========================================================
``mnist``          (1, 28, 28)         mnist-5k train (4,500 digits); 10 digit classes
``fashion-mnist``  (1, 28, 28)         Fashion-MNIST train (60,000, the Debian package); 10 classes
``faces``          (3, any, any)       synthetic-faces seed 1,000,000 (20,000 faces at 64x64), a
                                       disjoint seed from every evaluation set (experiments draw
                                       their faces from seed 0); one head per recorded attribute
=================  ==================  ===========================================================

``features(images) -> (N, 128)`` float64 is the penultimate layer (a ReLU Dense layer of 128 units).
``faces`` works at **32x32**: inputs of any other size are resized to 32x32 inside ``features`` /
``predict`` with OpenCV ``INTER_AREA`` (``INTER_LINEAR`` when enlarging); its training faces went
through the same resize, so 64x64 experiment images and 32x32 quick-scale images land in one space.
``predict(images)`` gives class indices ``(N,)`` (mnist, fashion-mnist) or ``{attribute: (N,) int}``
(faces: category index into ``synthetic_faces.CATEGORICAL[attr]``; 0/1 for booleans).

The numbers computed in these feature spaces are **for monitoring purposes**: they compare only runs
scored with the same extractor (same name and sha256), never with published FIDs.
"""
import json
import os

import numpy as np

from ..utils import file_sha256
from .networks import FEATURE_DIM, NETWORKS

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
MANIFEST = os.path.join(WEIGHTS_DIR, "manifest.json")

#: images per forward pass (fixed: see Extractor._run)
BATCH = 200

#: disjoint seeds of the faces extractor's data (experiments use synthetic-faces seed 0)
FACES_TRAIN_SEED = 1_000_000
FACES_HELDOUT_SEED = 1_000_001


def _faces_heads():
    from ..data.synthetic_faces import BOOLEAN, CATEGORICAL
    heads = [(k, tuple(v)) for k, v in CATEGORICAL.items()]
    return heads + [(k, (False, True)) for k in BOOLEAN]


def _fashion_classes():
    from ..data import FASHION_MNIST_CLASSES
    return tuple(FASHION_MNIST_CLASSES)


DIGITS = tuple(str(d) for d in range(10))

#: everything about each extractor except its trained weights
SPECS = {
    "mnist": dict(network="digits", input_shape=(1, 28, 28), heads=lambda: [("class", DIGITS)],
                  train_data=dict(source="mnist-5k", split="train", options={}),
                  held_out=dict(source="mnist-5k", split="test", options={}),
                  epochs=20, batch_size=64, lr=1e-3, shift=2, seed=0, min_accuracy=0.97),
    "fashion-mnist": dict(network="digits", input_shape=(1, 28, 28),
                          heads=lambda: [("class", _fashion_classes())],
                          train_data=dict(source="fashion-mnist", split="train", options={}),
                          held_out=dict(source="fashion-mnist", split="test", options={}),
                          epochs=4, batch_size=128, lr=1e-3, shift=0, seed=0, min_accuracy=0.88),
    "faces": dict(network="faces", input_shape=(3, 32, 32), heads=_faces_heads,
                  train_data=dict(source="synthetic-faces", split="all",
                                  options=dict(n=20000, size=64, seed=FACES_TRAIN_SEED)),
                  held_out=dict(source="synthetic-faces", split="all",
                                options=dict(n=2000, size=64, seed=FACES_HELDOUT_SEED)),
                  epochs=6, batch_size=64, lr=1e-3, shift=0, seed=0, min_accuracy=0.9),
}
NAMES = tuple(SPECS)


def check_name(name):
    key = str(name).strip().lower()
    if key not in SPECS:
        raise ValueError(f"unknown extractor {name!r}; valid names: {', '.join(NAMES)}")
    return key


def read_manifest():
    if not os.path.exists(MANIFEST):
        return {}
    with open(MANIFEST) as f:
        return json.load(f)


def build_network(name):
    spec = SPECS[check_name(name)]
    heads = spec["heads"]()
    n_logits = sum(len(v) for _, v in heads)
    net = NETWORKS[spec["network"]](n_logits) if spec["network"] == "faces" else NETWORKS["digits"](n_logits)
    return net, heads


def resize_images(images, size):
    """``(N, C, H, W)`` float32 -> ``(N, C, size, size)`` (OpenCV INTER_AREA down, INTER_LINEAR up)."""
    n, c, h, w = images.shape
    if (h, w) == (size, size):
        return images
    import cv2
    interp = cv2.INTER_AREA if h >= size and w >= size else cv2.INTER_LINEAR
    out = np.empty((n, c, size, size), np.float32)
    for i in range(n):
        r = cv2.resize(np.ascontiguousarray(images[i].transpose(1, 2, 0)), (size, size), interpolation=interp)
        out[i] = r.reshape(size, size, c).transpose(2, 0, 1)
    return out


def prepare(name, images, what="images"):
    """Validate ``images`` for extractor ``name`` and resize them to its input; float32 numpy out."""
    from mxnet import nd
    spec = SPECS[check_name(name)]
    want = tuple(spec["input_shape"])
    if isinstance(images, nd.NDArray):
        images = images.asnumpy()
    images = np.asarray(images, dtype=np.float32)
    resizable = spec["network"] == "faces"
    ok = images.ndim == 4 and images.shape[1] == want[0] and (resizable or tuple(images.shape[2:]) == want[1:])
    if not ok or len(images) == 0:
        size = "any size (resized to %dx%d)" % want[1:] if resizable else "x".join(map(str, want[1:]))
        raise ValueError(f"extractor {name!r} takes (N, {want[0]}, H, W) images of {size}; {what} have "
                         f"shape {images.shape} (expected (N, {', '.join(map(str, want))}))")
    return resize_images(images, want[1]) if resizable else images


class Extractor:
    """A trained extractor: :meth:`features` (penultimate layer, ``(N, 128)``) and :meth:`predict`."""

    feature_dim = FEATURE_DIM

    def __init__(self, name, net, heads, sha256, info, ctx=None):
        import mxnet as mx
        self.name, self.net, self.heads, self.sha256, self.info = name, net, heads, sha256, info
        self.ctx = ctx or mx.cpu()
        self.input_shape = tuple(SPECS[name]["input_shape"])

    def __repr__(self):
        return f"Extractor({self.name!r}, D={self.feature_dim}, sha256={self.sha256[:12]}...)"

    def _run(self, images, batch_size=BATCH):
        """Every batch has exactly ``batch_size`` rows (the last one zero-padded): CPU kernels pick their
        blocking by batch shape, so this makes an image's features independent of how many others are
        scored with it (bit for bit)."""
        from mxnet import nd
        x = prepare(self.name, images)
        feats, logits = [], []
        for b in range(0, len(x), batch_size):
            chunk = x[b:b + batch_size]
            k = len(chunk)
            if k < batch_size:
                chunk = np.concatenate([chunk, np.zeros((batch_size - k,) + chunk.shape[1:], np.float32)])
            f, lg = self.net(nd.array(chunk, ctx=self.ctx))
            feats.append(f[:k])
            logits.append(lg[:k])
        return (np.concatenate([f.asnumpy() for f in feats]).astype(np.float64),
                np.concatenate([lg.asnumpy() for lg in logits]))

    def features(self, images, batch_size=BATCH):
        """``(N, C, H, W)`` images in [0, 1] -> ``(N, 128)`` float64 penultimate-layer features."""
        return self._run(images, batch_size)[0]

    def split_logits(self, logits):
        out, start = {}, 0
        for k, values in self.heads:
            out[k] = logits[:, start:start + len(values)]
            start += len(values)
        return out

    def predict_all(self, images, batch_size=BATCH):
        """``(features, {head: (N,) int})`` from one pass."""
        feats, logits = self._run(images, batch_size)
        return feats, {k: v.argmax(axis=1).astype(np.int64) for k, v in self.split_logits(logits).items()}

    def predict(self, images, batch_size=BATCH):
        """Class indices ``(N,)`` for a classifier, ``{attribute: (N,) int}`` for ``faces``."""
        preds = self.predict_all(images, batch_size)[1]
        return preds["class"] if list(preds) == ["class"] else preds

    @property
    def n_classes(self):
        return len(self.heads[0][1]) if [k for k, _ in self.heads] == ["class"] else None


_CACHE = {}


def get_extractor(name, verify=True):
    """The shipped extractor ``name`` (``mnist``, ``fashion-mnist``, ``faces``), loaded offline.

    The weights file's sha256 is checked against ``weights/manifest.json`` (``verify=False`` skips it);
    a missing or mismatching file is an error naming the retrain command.
    """
    import mxnet as mx
    key = check_name(name)
    if key in _CACHE:
        return _CACHE[key]
    entry = read_manifest().get(key)
    retrain = f"vaegan extractors train {key}"
    if not entry:
        raise FileNotFoundError(f"extractor {key!r} has no entry in {MANIFEST}: train it with `{retrain}`")
    path = os.path.join(WEIGHTS_DIR, entry["file"])
    if not os.path.exists(path):
        raise FileNotFoundError(f"extractor {key!r}: weights file {path} is missing; retrain with `{retrain}`")
    sha = file_sha256(path)
    if verify and sha != entry["sha256"]:
        raise ValueError(f"extractor {key!r}: {path} has sha256 {sha[:16]}..., the manifest says "
                         f"{entry['sha256'][:16]}...; restore the file or retrain with `{retrain}`")
    net, heads = build_network(key)
    net.load_parameters(path, ctx=mx.cpu())
    net.hybridize(static_alloc=True)
    ext = Extractor(key, net, heads, sha, entry)
    _CACHE[key] = ext
    return ext


def manifest_markdown():
    """The extractor table of docs/evaluation.md, generated from ``weights/manifest.json``."""
    rows = []
    for name, e in read_manifest().items():
        td = e["training_data"]
        opts = ", ".join(f"{k}={v}" for k, v in td.get("options", {}).items())
        data = f"{td['source']} {td['split']}" + (f" ({opts})" if opts else "") + f": {td['count']:,} images"
        hd = e["held_out_data"]
        acc = f"{e['held_out_accuracy']:.4f} on {hd['count']:,} ({hd['source']} {hd['split']})"
        per = e.get("held_out_accuracy_per_head") or {}
        if len(per) > 1:
            acc += "; per attribute: " + ", ".join(f"{k} {v:.3f}" for k, v in per.items())
        rows.append(f"| `{name}` ({e['bytes'] / 1e6:.2f} MB) | {data} | {acc} | `{e['command']}` |")
    return "\n".join(rows)
