"""Small shared helpers: contexts, seeding, atomic writes, JSON."""
import contextlib
import json
import os
import random
import tempfile

import numpy as np
import mxnet as mx


def parse_ctx(spec="cpu"):
    """Turn ``"cpu"``, ``"cpu:0,1"``, ``"gpu"``, ``"gpu:0,1"`` (or a Context / list) into a list of contexts.

    >>> parse_ctx("cpu:0,1")
    [cpu(0), cpu(1)]
    """
    if isinstance(spec, mx.Context):
        return [spec]
    if isinstance(spec, (list, tuple)):
        out = []
        for s in spec:
            out.extend(parse_ctx(s))
        if len(set(out)) != len(out):
            raise ValueError(f"contexts {spec!r} name a device more than once: list each device once")
        return out
    text = str(spec).strip().lower()
    kind, _, ids = text.partition(":")
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"unknown context {spec!r}: use 'cpu', 'cpu:0,1', 'gpu' or 'gpu:0,1'")
    try:
        idx = [int(i) for i in ids.split(",")] if ids else [0]
    except ValueError:
        raise ValueError(f"bad device ids in context {spec!r}: use e.g. 'gpu:0,1'") from None
    twice = sorted({i for i in idx if idx.count(i) > 1})
    if twice:   # MXNet would split each batch onto one device twice and fail in the kvstore
        raise ValueError(f"context {spec!r} names device {', '.join(map(str, twice))} more than once: "
                         f"list each device once, e.g. '{kind}:{','.join(map(str, sorted(set(idx))))}'")
    if kind == "gpu":
        n = mx.context.num_gpus()
        if n == 0:
            raise RuntimeError(f"context {spec!r} asks for a GPU but MXNet sees none: install the GPU build "
                               "(`make install DEVICE=gpu`, mxnet-cu112 with CUDA 11.2) or use --ctx cpu")
        bad = [i for i in idx if i >= n]
        if bad:
            raise ValueError(f"context {spec!r}: GPU ids {bad} do not exist (MXNet sees {n} GPUs)")
        return [mx.gpu(i) for i in idx]
    return [mx.cpu(i) for i in idx]


_GLUONCV_ERROR = None   # remembered: a failed import is not retried (seeding calls this every epoch)


def import_gluoncv():
    """``import gluoncv`` with a one-line error naming the cause and the fix (``RuntimeError``)."""
    global _GLUONCV_ERROR
    if _GLUONCV_ERROR is not None:
        raise RuntimeError(_GLUONCV_ERROR)
    try:
        import gluoncv
    except Exception as err:   # noqa: BLE001  RuntimeError (torch >= 2), ImportError, mxnet's own failures
        _GLUONCV_ERROR = (f"gluoncv cannot be imported ({type(err).__name__}: {err}); gluoncv 0.10.5 needs "
                          "a working mxnet<2 (`vaegan doctor`) and no torch>=2 beside it (`pip uninstall torch`); "
                          "reinstall "
                          "with `pip install -c constraints.txt -e .[cpu]`")
        raise RuntimeError(_GLUONCV_ERROR) from None
    if not hasattr(gluoncv, "utils"):
        _GLUONCV_ERROR = ("gluoncv imported without its MXNet modules (its `import mxnet` failed silently): "
                          "check `python -c 'import mxnet'` (numpy must be 1.23.5; see README, Pins)")
        raise RuntimeError(_GLUONCV_ERROR)
    return gluoncv


def seed_everything(seed):
    """Seed python, numpy and mxnet (all contexts) from one integer: ``gluoncv.utils.random.seed``.

    Without a usable gluoncv (e.g. torch >= 2 beside it) the same three calls are made here.
    """
    seed = int(seed) % (2 ** 32)
    try:
        import_gluoncv().utils.random.seed(seed)
    except RuntimeError:
        random.seed(seed)
        np.random.seed(seed)
        mx.random.seed(seed)


def _umask():
    """The process's umask: from /proc on Linux, else by setting it and putting it back."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def writing(path):
    """Name ``path`` in an OSError raised inside the block: the kernel's ENOSPC from ``write()`` names no file,
    and a one-line message must say which file and what to do."""
    try:
        yield
    except OSError as err:
        if err.filename is not None:
            raise
        raise OSError(err.errno, f"{err.strerror} writing {path}; free space there (or choose another results "
                                 "folder) and resume the run", path) from err


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically (:func:`_atomic_write_bytes`); an OSError names the file."""
    with writing(path):
        _atomic_write_bytes(path, data)


def _atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    The file gets the mode a plain ``open(path, "w")`` would give (0666 minus the umask): ``mkstemp``
    creates 0600, which left config.json, metrics.json and the CSV unreadable to the group of a shared
    results folder while the ``.params`` beside them were 0644."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path, obj):
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n").encode())


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_json_object(path, fix="restore it, or start the run again with --overwrite"):
    """The JSON object (a dict) in ``path``: a truncated, non-JSON or non-object file (``[1, 2]``) is a
    one-line ``ValueError`` naming the file and ``fix``, never a JSON or AttributeError traceback."""
    try:
        obj = read_json(path)
    except ValueError as err:   # json.JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path} is not valid JSON ({' '.join(str(err).split())}): {fix}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a JSON {type(obj).__name__} ({json.dumps(obj)[:40]}), not an object "
                         f"of settings: {fix}")
    return obj


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    # never str(o): a repr in config.json cannot be read back as the setting it was
    raise TypeError(f"{type(o).__name__} {o!r:.80} is not JSON-able (numbers, strings, lists and dicts are)")


def splice_between(path, markdown, begin, end):
    """Replace the block between the ``begin`` and ``end`` marker lines in ``path`` by ``markdown`` (the
    README shows a generated table, never a typed copy). A README without the markers is an error."""
    text = open(path).read()
    if begin not in text or end not in text:
        raise ValueError(f"{path}: no table markers; add the lines {begin!r} and {end!r} where the table goes")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{markdown}{end}{tail}")
    return path


def block_between(path, begin, end):
    """The table the README at ``path`` shows between ``begin`` and ``end`` (what :func:`splice_between` wrote)."""
    text = open(path).read()
    return text.split(begin, 1)[1].split(end, 1)[0][1:]


def current_commit(path=None):
    """The git commit of the checkout holding this package (or ``path``), or None outside git."""
    import subprocess
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path or os.path.dirname(__file__),
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def file_sha256(path, chunk=1 << 22):
    """sha256 (hex) of a file's bytes, read in chunks (checkpoints, dataset caches, extractor weights)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
