"""Where converted arrays are cached, and how they are written safely (and checked when read)."""
import os
import sys

import numpy as np

from ..utils import file_sha256


def default_cache_dir():
    """``$VAEGAN_CACHE`` if set, else ``~/.cache/vaegan_gluon``. (Not created here.)"""
    env = os.environ.get("VAEGAN_CACHE")
    return os.path.abspath(os.path.expanduser(env)) if env else os.path.join(
        os.path.expanduser("~"), ".cache", "vaegan_gluon")


def resolve_cache_dir(cache_dir=None):
    """``cache_dir`` (absolute) or the default. Raises ``ValueError`` for a value that is not a path."""
    if cache_dir is None or cache_dir == "":
        return default_cache_dir()
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise ValueError(f"cache_dir must be a folder path (a string), got {cache_dir!r}; e.g. "
                         "--set data.options.cache_dir=~/.cache/vaegan_gluon")
    return os.path.abspath(os.path.expanduser(cache_dir))


def _replace_atomic(path, write, suffix=""):
    """``write(tmp)`` to a temporary name beside ``path`` then rename, so readers never see half a file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}{suffix}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def digest_path(path):
    """The file beside a cached ``.npy`` holding its sha256 (``<path>.sha256``), checked by :func:`load_npy`."""
    return path + ".sha256"


def save_npy_atomic(path, array):
    """``np.save`` to a temporary name beside ``path`` then rename, so readers never see half a file; then
    its sha256 beside it (:func:`digest_path`)."""
    _replace_atomic(path, lambda tmp: np.save(tmp, array), suffix=".npy")
    write_text_atomic(digest_path(path), file_sha256(path) + "\n")


def cache_not_written(path, err):
    """Say (one warning line) that the dataset cache ``path`` could not be written (a full disk, a read-only
    folder): the data is in memory and the run goes on, only the next one converts it again."""
    why = err.strerror or str(err) if isinstance(err, OSError) else str(err)
    print(f"vaegan: warning: could not write the dataset cache {path} ({why}): going on without it "
          "(free space, or set VAEGAN_CACHE to a writable folder, to cache it)", file=sys.stderr, flush=True)


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_text_atomic(path, text):
    _replace_atomic(path, lambda tmp: _write_text(tmp, text))


def load_npy(path):
    """The array at ``path``, or None if it is missing, unreadable or does not match the sha256 written
    beside it (the caller rebuilds it). A cache whose bytes changed (bit rot, an edit, another program)
    is said in one warning line, never used silently; one without a digest (written before digests) is
    a quiet miss."""
    if not os.path.exists(path):
        return None
    try:
        with open(digest_path(path)) as f:
            want = f.read().strip()
        got = file_sha256(path)
    except OSError:
        return None
    if got != want:
        print(f"vaegan: warning: the dataset cache {path} does not match its sha256 in {digest_path(path)} "
              "(changed or corrupted): rebuilt from the source", file=sys.stderr, flush=True)
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
