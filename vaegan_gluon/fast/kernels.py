"""The package's kernel library: ``kernels/adam_ext.cc`` (Adam) and ``kernels/bce_ext.cc`` (sigmoid-BCE).

An MXNet extension library (MXNet's ``lib_api``) compiled on first use for the machine it runs on (``-mavx2``
where the CPU has AVX2, ``-ffp-contract=off`` so the Adam equals MXNet's bit for bit) and cached under
``$VAEGAN_CACHE/ext`` (``~/.cache/vaegan_gluon/ext``) keyed by the sources, the flags and the MXNet version.
Written by hand because no maintained library provides a vectorised Adam or a fused BCE for MXNet 1.9.1 on the
CPU. Where it cannot be built (no C++ compiler, ``VAEGAN_FAST_ADAM=0``) training uses MXNet's operators: the
same Adam, the stock BCE; :func:`status` says which and why. ``python -m vaegan_gluon.fast.kernels`` builds
(or finds) it (``make install`` runs it, so the first training run does not pay the ~10 s compile).
"""
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import warnings

import mxnet as mx

from ..data.cache import _replace_atomic, default_cache_dir

__all__ = ["available", "status", "build", "compile_flags", "fused_bce_enabled", "OP_NAME", "MULTI_OP_NAME",
           "BCE_OP_NAME", "SIGMOID_OP_NAME"]

OP_NAME = "vaegan_adam_update"
MULTI_OP_NAME = "vaegan_multi_adam_update"
BCE_OP_NAME = "vaegan_bce_logits"   # kernels/bce_ext.cc: the fused sigmoid-BCE (vaegan_gluon.losses)
SIGMOID_OP_NAME = "vaegan_sigmoid"   # kernels/bce_ext.cc: the vectorised sigmoid (losses.sigmoid)
_OFF = ("0", "false", "no", "off")

_KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
#: the library's sources, compiled together: Adam (and initialize()), then the fused BCE
SOURCES = (os.path.join(_KERNELS, "adam_ext.cc"), os.path.join(_KERNELS, "bce_ext.cc"))
_STATE = {"loaded": None, "reason": None, "path": None}
_LOCK = threading.Lock()


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:   # no /proc (not Linux): no ISA flags, a baseline build
        return set()
    return set()


def compile_flags():
    """The compiler flags: optimised, OpenMP, IEEE float rounding per operation (no FMA contraction,
    so the results equal the wheel's scalar kernel), AVX2 where the CPU has it."""
    flags = ["-std=c++17", "-O3", "-shared", "-fPIC", "-fopenmp", "-fno-math-errno", "-ffp-contract=off"]
    if "avx2" in _cpu_flags():
        flags.append("-mavx2")
    return flags


def link_flags():
    """What the library links beyond libstdc++: glibc's vector maths (libmvec) for the AVX2 path of the fused
    BCE (kernels/bce_ext.cc calls its 8-wide expf / log1pf)."""
    return ["-lmvec"] if "avx2" in _cpu_flags() else []


def _mxnet_dir():
    return os.path.dirname(os.path.abspath(mx.__file__))


def _library_path(cache_dir=None):
    src = b""
    for source in SOURCES:
        with open(source, "rb") as f:
            src += f.read()
    key = hashlib.sha256(src + " ".join(compile_flags() + link_flags()).encode() + mx.__version__.encode()
                         + _mxnet_dir().encode()).hexdigest()[:16]
    return os.path.join(cache_dir or default_cache_dir(), "ext", f"libvaegan_adam-{key}.so")


def build(cache_dir=None, compiler=None):
    """Compile the kernel into the cache (atomically: a temporary file renamed into place) unless it is
    there already; returns its path. Raises ``RuntimeError`` with the compiler's message on failure."""
    path = _library_path(cache_dir)
    if os.path.exists(path):
        return path
    cxx = compiler or os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not cxx:
        raise RuntimeError("no C++ compiler found (g++ or $CXX)")
    inc, lib_api = os.path.join(_mxnet_dir(), "include"), os.path.join(_mxnet_dir(), "src", "lib_api.cc")
    if not os.path.exists(os.path.join(inc, "mxnet", "lib_api.h")) or not os.path.exists(lib_api):
        raise RuntimeError(f"this MXNet ({_mxnet_dir()}) ships no extension-library headers (lib_api)")

    def compile_to(tmp):
        p = subprocess.run([cxx, *compile_flags(), f"-I{inc}", *SOURCES, lib_api, *link_flags(), "-o", tmp],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{cxx} failed: " + " ".join((p.stderr or p.stdout).strip().splitlines()[-3:]))
    _replace_atomic(path, compile_to, suffix=".so")
    return path


def _load():
    """Build (if needed) and load the kernel once per process; False (with the reason kept) if not."""
    if _STATE["loaded"] is not None:
        return _STATE["loaded"]
    with _LOCK:
        if _STATE["loaded"] is not None:
            return _STATE["loaded"]
        if os.environ.get("VAEGAN_FAST_ADAM", "1").strip().lower() in _OFF:
            _STATE.update(loaded=False, reason="VAEGAN_FAST_ADAM=0")
            return False
        try:
            path = build()
            if not hasattr(mx.nd, OP_NAME):
                mx.library.load(path, verbose=False)
            ok = all(hasattr(mx.nd, op) for op in (OP_NAME, MULTI_OP_NAME, BCE_OP_NAME, SIGMOID_OP_NAME))
            _STATE.update(loaded=ok, path=path, reason=None if ok else "the library loaded without its operators")
        except Exception as e:   # any failure: stock Adam, same numbers, one warning
            _STATE.update(loaded=False, reason=str(e).splitlines()[0] if str(e) else repr(e))
        if not _STATE["loaded"]:
            warnings.warn(f"vaegan_gluon: the vectorised Adam kernel is not available ({_STATE['reason']}); "
                          "using MXNet's adam_update (same results, slower). Install g++ to enable it, or set "
                          "VAEGAN_FAST_ADAM=0 to silence this.", RuntimeWarning, stacklevel=3)
        return _STATE["loaded"]


def available():
    """True when the vectorised kernel is loaded (building it on first call)."""
    return _load()


def status():
    """``{"available", "path", "reason", "flags"}``: whether the kernel runs here, and if not, why."""
    ok = _load()
    return {"available": ok, "path": _STATE["path"], "reason": _STATE["reason"], "flags": compile_flags()}


def fused_bce_enabled(config, ctx):
    """Do the fast steps of a run of ``config`` on the contexts ``ctx`` compute their sigmoid-BCE terms with
    ``vaegan_bce_logits`` (:func:`vaegan_gluon.losses.bce_rows`)? Only with ``config.fast`` and
    ``config.fused_bce`` (``None``: a dict's own defaults), on CPUs, with the library loaded and
    ``VAEGAN_FUSED_BCE`` not ``0``."""
    get = config.get if isinstance(config, dict) else (lambda k, d=None: getattr(config, k, d))
    if not (get("fast", True) and get("fused_bce", True)):
        return False
    if os.environ.get("VAEGAN_FUSED_BCE", "1").strip().lower() in _OFF:
        return False
    ctxs = ctx if isinstance(ctx, (list, tuple)) else [ctx]
    if any(c is not None and getattr(c, "device_type", "cpu") != "cpu" for c in ctxs):
        return False
    return available()


def main(argv=None):
    s = status()
    if s["available"]:
        print(f"kernel library: {s['path']} ({' '.join(s['flags'])})")
        return 0
    print(f"kernel library not available: {s['reason']} (training uses MXNet's adam_update)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
