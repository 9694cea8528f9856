"""``image-folder``: any folder of images (anime faces, CelebA, 10k US Adult Faces), searched recursively."""
import hashlib
import json
import logging
import os
import warnings

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps

from .attributes import align_attributes, read_celeba_attributes
from .cache import load_npy, resolve_cache_dir, save_npy_atomic, write_text_atomic
from .imageset import ImageSet, array_checksum, to_unit_float

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
CACHE_VERSION = 2  # bump when the conversion changes, so old caches are not reused
FILE_SECONDS = 10.0  # per-file decode time limit (a file that takes longer is skipped)
_WHITE = (255, 255, 255)


class BadImageError(ValueError):
    """An image file that cannot be decoded (empty, truncated, not an image)."""


def list_images(folder):
    """Sorted relative paths (``/``-separated) of the image files under ``folder``, recursively."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if name.lower().endswith(IMAGE_EXTENSIONS):
                out.append(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/"))
    return sorted(out)


def _composite_on_white(im):
    """RGBA/LA -> RGB by alpha-compositing on white (transparent pixels become white, not black)."""
    im = im.convert("RGBA")
    background = Image.new("RGBA", im.size, _WHITE + (255,))
    return Image.alpha_composite(background, im).convert("RGB")


def decode_image(path, mode="rgb"):
    """Decode one file into uint8 ``(H, W, 3)`` (``mode="rgb"``) or ``(H, W, 1)`` (``"grey"``).

    Conversions: EXIF orientation applied; first frame of animated GIF/WebP; grey and 1-bit -> RGB by
    replication; palette -> RGB (RGBA when it has transparency); RGBA/LA -> composited on white;
    CMYK (incl. Adobe-inverted JPEG) -> RGB by Pillow; 16-bit grey -> 8 bit by ``round(v * 255 / 65535)``;
    RGB -> grey with ITU-R 601 weights (Pillow's ``L``); 32-bit float -> 8 bit (``[0, 1]`` scaled by 255).
    Raises :class:`BadImageError` naming the file for files Pillow cannot decode (empty, truncated, not
    an image), images with no pixels, headers declaring more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels
    (decompression bombs: refused before decoding, where Pillow itself only warns) and float images
    holding NaN or inf.
    """
    # A truncated file is a bad file, whatever another library set: importing gluoncv (gluoncv.data.mhp)
    # sets PIL's process-wide LOAD_TRUNCATED_IMAGES = True, which would load half-images as if whole.
    truncated_flag, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode(path, mode)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_flag


def _decode(path, mode):
    try:
        with Image.open(path) as im:
            w, h = im.size
            if w * h == 0:
                raise BadImageError(f"{path}: image has no pixels ({w}x{h})")
            limit = Image.MAX_IMAGE_PIXELS
            if limit and w * h > limit:
                raise BadImageError(f"{path}: header declares {w}x{h} = {w * h:,} pixels, over Pillow's "
                                    f"decompression-bomb limit of {limit:,} (PIL.Image.MAX_IMAGE_PIXELS)")
            im.seek(0)
            im.load()
            try:
                im = ImageOps.exif_transpose(im)
            except Exception:  # broken EXIF must not lose an otherwise good image
                pass
            if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
                a = np.asarray(im).astype(np.float64)
                peak = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
                grey = np.clip(np.rint(a * (255.0 / peak)), 0, 255).astype(np.uint8)
                im = Image.fromarray(grey, "L")
            elif im.mode == "F":
                a = np.asarray(im, dtype=np.float64)
                bad = int(np.size(a) - np.isfinite(a).sum())
                if bad:
                    raise BadImageError(f"{path}: {bad} non-finite pixel values (NaN or inf) in a float image")
                im = Image.fromarray(np.clip(np.rint(a * (255.0 if a.max() <= 1 else 1.0)), 0, 255)
                                     .astype(np.uint8), "L")
            if im.mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
                im = _composite_on_white(im)
            if mode == "grey":
                arr = np.asarray(im.convert("L"))[:, :, None]
            else:
                arr = np.asarray(im.convert("RGB"))
    except BadImageError:
        raise
    except _FileTimeout:
        raise BadImageError(f"{path}: decoding took longer than {FILE_SECONDS:g} s") from None
    except MemoryError:
        raise BadImageError(f"{path}: cannot decode (out of memory)") from None
    except Exception as exc:   # a fuzzed file can trip any decoder error (struct.error, IndexError, ...)
        raise BadImageError(f"{path}: cannot decode ({type(exc).__name__}: {exc})") from None
    if arr.size == 0:
        raise BadImageError(f"{path}: image has no pixels")
    return np.ascontiguousarray(arr)


class _FileTimeout(Exception):
    """One file took longer than ``FILE_SECONDS`` to decode (raised by :class:`_time_limit`)."""


class _time_limit:
    """Raise :class:`_FileTimeout` in the ``with`` block after ``seconds`` (main thread on POSIX only)."""

    def __init__(self, seconds):
        import signal
        import threading
        self.signal = signal
        self.on = (seconds and hasattr(signal, "setitimer")
                   and threading.current_thread() is threading.main_thread())
        self.seconds = seconds

    def _fire(self, *_):
        raise _FileTimeout()

    def __enter__(self):
        if self.on:
            self.old = self.signal.signal(self.signal.SIGALRM, self._fire)
            self.signal.setitimer(self.signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.on:
            self.signal.setitimer(self.signal.ITIMER_REAL, 0)
            self.signal.signal(self.signal.SIGALRM, self.old)


def square_resize(arr, size):
    """Centre-crop ``(H, W, C)`` to a square and resize to ``(size, size, C)`` (INTER_AREA; uint8)."""
    h, w = arr.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = arr[top:top + s, left:left + s]
    if s != size:
        interp = cv2.INTER_AREA if s > size else cv2.INTER_CUBIC
        crop = cv2.resize(crop, (size, size), interpolation=interp)
        if crop.ndim == 2:
            crop = crop[:, :, None]
    return crop


def hwc_to_chw(arr):
    """``(..., H, W, C)`` -> ``(..., C, H, W)`` by transposition.

    The original study used ``reshape`` here, which keeps the memory order and so scrambles pixels
    across channels; transposing moves axes and keeps every pixel where it was.
    """
    return np.ascontiguousarray(np.moveaxis(arr, -1, -3))


def _cache_key(folder, size, mode, rel_paths):
    stats = []
    for rel in rel_paths:
        try:
            st = os.stat(os.path.join(folder, rel))
            stats.append((rel, st.st_mtime_ns, st.st_size))
        except OSError as exc:   # a dangling symlink or a symlink loop: decoding will skip it
            stats.append((rel, exc.errno, None))
    blob = json.dumps([CACHE_VERSION, folder, size, mode, stats], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def convert_folder(folder, rel_paths, size, mode, strict, reasons=None):
    """Decode, crop, resize and transpose every file: ``(uint8 (N, C, size, size), kept, skipped)``.

    ``reasons`` (a dict), if given, receives ``{relative path: why it was skipped}``. Each file gets
    at most ``FILE_SECONDS`` to decode.
    """
    from tqdm.auto import tqdm
    channels = 1 if mode == "grey" else 3
    out = np.empty((len(rel_paths), channels, size, size), np.uint8)
    kept, skipped = [], []
    for rel in tqdm(rel_paths, desc=f"converting {os.path.basename(folder) or folder}", unit="img",
                    disable=len(rel_paths) < 200, leave=False):
        path = os.path.join(folder, rel)
        try:
            with _time_limit(FILE_SECONDS):
                arr = decode_image(path, mode)
                arr = hwc_to_chw(square_resize(arr, size))
        except (BadImageError, _FileTimeout, cv2.error) as exc:
            if not isinstance(exc, BadImageError):
                exc = BadImageError(f"{path}: " + (f"decoding took longer than {FILE_SECONDS:g} s"
                                                   if isinstance(exc, _FileTimeout) else f"cannot resize ({exc})"))
            if strict:
                raise BadImageError(f"image-folder (strict=True): bad image file {path}: {exc}") from None
            warnings.warn(f"image-folder: skipping {exc}", stacklevel=3)
            skipped.append(rel)
            if reasons is not None:
                reasons[rel] = str(exc)
            continue
        out[len(kept)] = arr
        kept.append(rel)
    if skipped:
        msg = f"image-folder: skipped {len(skipped)} of {len(rel_paths)} files in {folder} (unreadable)"
        warnings.warn(msg, stacklevel=3)
        log.warning(msg)
    return out[:len(kept)], kept, skipped


def split_indices(n, seed, train_fraction=0.8):
    """``{"train": idx, "test": idx}``: a ``RandomState(seed)`` permutation, the first 80% train; sorted."""
    perm = np.random.RandomState(seed).permutation(n)
    n_train = int(round(n * train_fraction))
    if n >= 2:
        n_train = min(max(n_train, 1), n - 1)  # both splits non-empty
    return {"train": np.sort(perm[:n_train]), "test": np.sort(perm[n_train:]), "all": np.arange(n)}


def load_image_folder(split, path=None, size=64, mode="rgb", strict=False, attributes=None,
                      cache_dir=None, seed=0):
    """Load a folder of images (see :func:`vaegan_gluon.data.load`)."""
    if path is None:
        raise TypeError("image-folder needs path=<a folder of images>, e.g. "
                        "load('image-folder', path='~/datasets/anime-faces')")
    folder = os.path.abspath(os.path.expanduser(str(path)))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"image-folder: path={folder!r} is not a folder")
    size = int(size)
    if size < 1:
        raise ValueError(f"image-folder: size must be a positive int, got {size}")
    mode = {"rgb": "rgb", "grey": "grey", "gray": "grey", "l": "grey"}.get(str(mode).lower())
    if mode is None:
        raise ValueError("image-folder: mode must be 'rgb' or 'grey'")
    rel_paths = list_images(folder)
    if not rel_paths:
        raise FileNotFoundError(f"image-folder: no image files ({', '.join(IMAGE_EXTENSIONS)}) "
                                f"under {folder}")

    key = _cache_key(folder, size, mode, rel_paths)
    cache_base = os.path.join(resolve_cache_dir(cache_dir), "image-folder", key)
    images_u8, meta = load_npy(cache_base + ".npy"), None
    if images_u8 is not None and os.path.exists(cache_base + ".json"):
        try:   # a corrupt cache is a miss
            with open(cache_base + ".json", encoding="utf-8") as f:
                meta = json.load(f)
            if len(meta["kept"]) != len(images_u8) or not isinstance(meta["skipped"], list):
                images_u8 = meta = None
        except (OSError, ValueError, KeyError, TypeError):
            images_u8 = meta = None
    cached = meta is not None
    if cached:
        kept, skipped, reasons = meta["kept"], meta["skipped"], dict(meta.get("reasons") or {})
        if skipped:
            if strict:
                raise BadImageError(f"image-folder (strict=True): bad image file "
                                    f"{os.path.join(folder, skipped[0])} (recorded in the cache)")
            warnings.warn(f"image-folder: {len(skipped)} of {len(rel_paths)} files in {folder} were "
                          f"skipped as unreadable (cached result; first: {skipped[0]})", stacklevel=2)
    else:
        reasons = {}
        images_u8, kept, skipped = convert_folder(folder, rel_paths, size, mode, strict, reasons)
        if not kept:
            raise FileNotFoundError(f"image-folder: none of the {len(rel_paths)} image files under "
                                    f"{folder} could be decoded")
        try:
            save_npy_atomic(cache_base + ".npy", images_u8)
            write_text_atomic(cache_base + ".json", json.dumps({"kept": kept, "skipped": skipped,
                                                                "reasons": reasons}))
        except OSError as exc:
            warnings.warn(f"image-folder: could not write the cache {cache_base}.npy ({exc})")
    if not kept:
        raise FileNotFoundError(f"image-folder: no usable image under {folder}")

    table = None
    if attributes is not None:
        attr_path = os.path.abspath(os.path.expanduser(str(attributes)))
        table = align_attributes(read_celeba_attributes(attr_path), kept, attr_path)

    idx = split_indices(len(kept), int(seed))[split]
    images = to_unit_float(images_u8[idx])
    prov = dict(source="image-folder", path=folder, count=len(images), checksum=array_checksum(images),
                split=split, size=size, mode=mode, strict=bool(strict), seed=int(seed),
                attributes=None if attributes is None else attr_path, cached=cached,
                files_found=len(rel_paths), skipped=len(skipped), cache_file=cache_base + ".npy",
                skipped_files={rel: reasons.get(rel, "unreadable") for rel in skipped})
    return ImageSet(images, None, None if table is None else table.iloc[idx].copy(), prov,
                    f"image-folder:{os.path.basename(folder)}/{split}")
