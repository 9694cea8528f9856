"""What the Trainer feeds a scheme: the training images as one array, and the seed of each epoch."""
import numpy as np


def epoch_seed(seed, epoch, rank=0):
    """The seed of one epoch: resuming at epoch k replays exactly the random stream of an uninterrupted run.

    MXNet has no API to read its RNG state, so instead of saving it we re-seed every epoch from
    (run seed, epoch, worker rank).
    """
    return (int(seed) * 1_000_003 + int(epoch) * 7_919 + int(rank) * 104_729 + 17) % (2 ** 31 - 1)


def as_array(data):
    images = getattr(data, "images", data)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"training images must be (N, C, H, W), got shape {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 1):
        raise ValueError("training images must be in [0, 1] (got range "
                         f"[{images.min():.3g}, {images.max():.3g}]); divide uint8 images by 255")
    return images
