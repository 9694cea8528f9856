"""Optional: gluoncv's ImageNet Inception-v3 as an extractor (``--extractor inception``), offline only.

**gluoncv Inception-v3: not comparable with the TF-Inception FIDs in papers** (different weights,
resizing and pooling). Features: the 2048-d global-average-pooled layer before the classifier, on
images resized to 299x299 (bilinear), grey repeated to RGB, normalised with ImageNet's mean / std.
The weights are never downloaded here: put ``inceptionv3-<hash>.params`` in ``~/.mxnet/models`` (or
``$MXNET_HOME/models``), e.g. by running ``gluoncv.model_zoo.get_model('inceptionv3', pretrained=True)``
once on a machine with internet. gluoncv is imported lazily (it refuses to import beside torch >= 2).
"""
import glob
import os

import numpy as np

LABEL = "gluoncv Inception-v3: not comparable with the TF-Inception FIDs in papers"
FEATURE_DIM = 2048


def models_root():
    home = os.environ.get("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))
    return os.path.join(home, "models")


def weights_path(root=None):
    """The local ``inceptionv3-*.params`` file, or None."""
    found = sorted(glob.glob(os.path.join(root or models_root(), "inceptionv3-*.params")))
    return found[0] if found else None


class InceptionExtractor:
    name = "inception"
    feature_dim = FEATURE_DIM
    label = LABEL
    n_classes = None

    def __init__(self, root=None):
        import mxnet as mx
        root = root or models_root()
        path = weights_path(root)
        if path is None:
            raise FileNotFoundError(f"gluoncv Inception-v3 weights not found: put inceptionv3-<hash>.params in "
                                    f"{root} (gluoncv.model_zoo.get_model('inceptionv3', pretrained=True) "
                                    "fetches them once with internet)")
        try:
            from gluoncv.model_zoo import get_model
        except Exception as err:  # gluoncv raises at import beside torch >= 2
            raise ImportError(f"the inception extractor needs gluoncv, which failed to import: {err}") from None
        from ..utils import file_sha256
        self.net = get_model("inceptionv3", pretrained=True, root=root)
        self.net.hybridize()
        self.sha256 = file_sha256(path)
        self.ctx = mx.cpu()

    def features(self, images, batch_size=50):
        from mxnet import nd
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"inception takes (N, 1 or 3, H, W) images; got shape {images.shape}")
        mean = nd.array([0.485, 0.456, 0.406]).reshape((1, 3, 1, 1))
        std = nd.array([0.229, 0.224, 0.225]).reshape((1, 3, 1, 1))
        out = []
        for b in range(0, len(images), batch_size):
            x = nd.array(images[b:b + batch_size])
            if x.shape[1] == 1:
                x = nd.repeat(x, 3, axis=1)
            x = nd.contrib.BilinearResize2D(x, height=299, width=299)
            f = self.net.features((x - mean) / std)
            out.append(f.reshape((f.shape[0], -1)).asnumpy())
        return np.concatenate(out).astype(np.float64)
