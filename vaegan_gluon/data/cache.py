"""Where converted arrays are cached, and how they are written safely."""
import os

import numpy as np


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


def save_npy_atomic(path, array):
    """``np.save`` to a temporary name beside ``path`` then rename, so readers never see half a file."""
    _replace_atomic(path, lambda tmp: np.save(tmp, array), suffix=".npy")


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_text_atomic(path, text):
    _replace_atomic(path, lambda tmp: _write_text(tmp, text))


def load_npy(path):
    """The array at ``path``, or None if it is missing or unreadable (a corrupt cache is just a miss)."""
    if not os.path.exists(path):
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
