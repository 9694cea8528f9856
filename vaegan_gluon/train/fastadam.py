"""Adam through a vectorised CPU kernel: ``TrainConfig.optimizer = "adam"`` (the default).

MXNet 1.9.1's pip wheel is built for baseline x86-64, and its ``adam_update`` kernel updates one element
at a time (scalar ``sqrtss`` / ``divss``): measured 4-6 ns an element on a 2-core AMD EPYC, where the 28
bytes an element must move (read ``w, g, m, v``, write ``w, m, v``) take ~1 ns. On the conv benchmarks
(ConvVAE(512, 32): 223 M parameters) that made the optimiser a third of the training step.

:func:`adam_update` runs the same update through ``vaegan_adam_update``, an MXNet extension-library
operator (``kernels/adam_ext.cc``, MXNet's ``lib_api``) compiled on first use for the machine it runs on
(``-mavx2`` where the CPU has AVX2) and cached under ``$VAEGAN_CACHE/ext`` (``~/.cache/vaegan_gluon/ext``)
keyed by the source, the flags and the MXNet version. The kernel is MXNet's ``AdamUpdateKernel``
operation for operation, in the same order, with ``-ffp-contract=off``: the results are **bit-identical**
to ``mx.nd.adam_update`` (``tests/test_fastadam.py`` compares every bit, over several steps, with
clipping, weight decay, in place). It is pushed to MXNet's engine like any operator (asynchronous,
dependency-tracked); ``mean`` and ``var`` are mutated inputs, the weight is written through ``out``.

Written by hand because no maintained library provides a vectorised Adam for MXNet 1.9.1 on the CPU
(MXNet 2.0's ``adamW.fused_step`` is not in 1.9.1, and its 1.9.1 ``multi_adamw_update`` is scalar too:
see :mod:`.optim`). **Fallback**: where the kernel cannot be built (no C++ compiler, a non-x86 build
problem, ``VAEGAN_FAST_ADAM=0``) or the arrays are not dense float32 on the CPU, MXNet's own
``adam_update`` runs instead -- the same numbers, slower; :func:`status` says which and why. ``TrainConfig.optimizer = "stockadam"`` always uses MXNet's kernel (the benchmark's
``ours_stockadam`` lever).

**One call per step.** :class:`FastAdam` takes every parameter the kernel can update in one call of
``vaegan_multi_adam_update`` (:func:`multi_adam_update`; the same loop per tensor, each result bit-identical
to its own ``adam_update``): on the dense configurations (about 20 small tensors a model) the per-tensor cost
around the arithmetic -- a Python update call, an engine push and an OpenMP region each -- was the
update's cost. ``VAEGAN_ADAM_MULTI=0`` goes back to one call per tensor (the benchmark's ``ours_pertensor``
lever).

The same library holds ``vaegan_bce_logits`` and ``vaegan_sigmoid`` (``kernels/bce_ext.cc``), the fused
sigmoid-BCE and the vectorised sigmoid that :mod:`vaegan_gluon.losses` uses where
:func:`vaegan_gluon.losses.fused_bce_available` says so.

``python -m vaegan_gluon.train.fastadam`` builds (or finds) the kernel and prints :func:`status`;
``make install`` runs it so that the first training run does not pay the ~10 s compile.
"""
import hashlib
import math
import os
import shutil
import subprocess
import sys
import threading
import warnings

import numpy
import mxnet as mx
from mxnet.ndarray import NDArray

from ..data.cache import _replace_atomic, default_cache_dir

__all__ = ["FastAdam", "adam_update", "multi_adam_update", "available", "status", "build", "OP_NAME",
           "MULTI_OP_NAME", "BCE_OP_NAME", "SIGMOID_OP_NAME"]

OP_NAME = "vaegan_adam_update"
MULTI_OP_NAME = "vaegan_multi_adam_update"
BCE_OP_NAME = "vaegan_bce_logits"   # kernels/bce_ext.cc: the fused sigmoid-BCE (vaegan_gluon.losses)
SIGMOID_OP_NAME = "vaegan_sigmoid"   # kernels/bce_ext.cc: the vectorised sigmoid (losses.sigmoid)
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
        if os.environ.get("VAEGAN_FAST_ADAM", "1").strip().lower() in ("0", "false", "no", "off"):
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


def _fast_ok(*arrays):
    """Dense float32 CPU arrays of at most 2 dimensions (Dense weights, biases, BatchNorm's gamma/beta).

    Convolution weights (4-D) stay on MXNet's kernel: oneDNN may hold them in its own blocked layout
    (MXNet 1.9.1's deconvolution even swaps a weight's axes in place around its kernels, see
    :mod:`.optim`), which MXNet's FCompute path converts and the extension-library API cannot read
    ("We can't generate TBlob for MKLDNN data"). They are a few per cent of the parameters of every
    model here: the large tensors are the Dense layers."""
    return all(isinstance(a, NDArray) and a.stype == "default" and a.dtype == numpy.float32
               and a.ndim <= 2 and a.context.device_type == "cpu" for a in arrays)


def _fast_op():
    """The registered extension operator (after :func:`_load` succeeded)."""
    return getattr(mx.nd, OP_NAME)


def _update_kwargs(beta1, beta2, epsilon, rescale_grad, clip_gradient, **per_tensor):
    """The update operator's settings: the shared ones, then ``per_tensor`` (``lr``/``wd`` of the single-tensor
    operator, ``lrs``/``wds`` of the multi-tensor one); as mxnet.optimizer.Adam, clip only when set and non-zero."""
    kwargs = dict(beta1=beta1, beta2=beta2, epsilon=epsilon, rescale_grad=rescale_grad, **per_tensor)
    if clip_gradient:
        kwargs["clip_gradient"] = clip_gradient
    return kwargs


def adam_update(weight, grad, mean, var, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                clip_gradient=None):
    """``mx.nd.adam_update(weight, grad, mean, var, out=weight, ...)`` through the vectorised kernel when it
    is available and the arrays are dense float32 on the CPU; MXNet's own kernel otherwise (same result)."""
    kwargs = _update_kwargs(beta1, beta2, epsilon, rescale_grad, clip_gradient, lr=lr, wd=wd)
    if _fast_ok(weight, grad, mean, var) and _load():
        return _fast_op()(weight, grad, mean, var, out=weight, **kwargs)
    return mx.nd.adam_update(weight, grad, mean, var, out=weight, lazy_update=False, **kwargs)


def multi_adam_update(weights, grads, means, variances, lrs, wds, beta1=0.9, beta2=0.999, epsilon=1e-8,
                      rescale_grad=1.0, clip_gradient=None):
    """:func:`adam_update` for many tensors in one operator call (``vaegan_multi_adam_update``): tensor ``k``
    gets ``lrs[k]`` and ``wds[k]``, the other settings are shared, and each result is bit-identical to its
    own ``mx.nd.adam_update``. Every array must pass :func:`_fast_ok` and the kernel must be loaded (the
    caller checks: :class:`FastAdam` does, per index)."""
    args = [a for quad in zip(weights, grads, means, variances) for a in quad]
    return getattr(mx.nd, MULTI_OP_NAME)(*args, out=list(weights), num_weights=len(weights), **_update_kwargs(
        beta1, beta2, epsilon, rescale_grad, clip_gradient, lrs=tuple(map(float, lrs)), wds=tuple(map(float, wds))))


@mx.optimizer.register
class FastAdam(mx.optimizer.Adam):
    """:class:`mxnet.optimizer.Adam` whose dense float32 CPU updates go through :func:`adam_update`.

    Same states (``(mean, var)``), same bias correction (folded into the learning rate in double
    precision, as stock Adam does), same results to the bit; sparse, float16 (``multi_precision``) and
    non-CPU parameters take stock Adam's path. Registered as ``"fastadam"``; ``TrainConfig.optimizer =
    "adam"`` selects it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Gluon's Updater hands every parameter of one dtype to update() in one list when aggregate_num > 0:
        # the kernel's tensors then go through one multi-tensor call per step (multi_adam_update).
        # VAEGAN_ADAM_MULTI=0: one call per tensor (the benchmark's ours_pertensor lever; same results)
        multi = os.environ.get("VAEGAN_ADAM_MULTI", "1").strip().lower() not in ("0", "false", "no", "off")
        self.aggregate_num = (1 << 20) if multi else 0

    def _fast(self, index, weight, grad, mean, var):
        """Does ``index`` take the kernel? :func:`_fast_ok` reads four properties of four arrays through
        ctypes (~16 C calls, the largest Python cost of a dense step's update); its answer cannot change
        while the same four arrays are updated, so it is kept per index, keyed by their C handles."""
        key = (weight.handle.value, grad.handle.value, mean.handle.value, var.handle.value)
        checked = self.__dict__.setdefault("_fast_checked", {})
        if checked.get(index, (None,))[0] != key:
            checked[index] = (key, _fast_ok(weight, grad, mean, var) and _load())
        return checked[index][1]

    def _corrected_lrs(self, indices):
        """Stock Adam's learning rates: the bias correction folded in, in double precision."""
        lrs = self._get_lrs(indices)
        for k, index in enumerate(indices):
            t = self._index_update_count[index]
            lrs[k] *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        return lrs

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            return self._update_many(index, weight, grad, state)
        mean, var = state
        if not self._fast(index, weight, grad, mean, var):
            return super().update(index, weight, grad, state)
        self._update_count(index)
        _fast_op()(weight, grad, mean, var, out=weight, **_update_kwargs(
            self.beta1, self.beta2, self.epsilon, self.rescale_grad, self.clip_gradient,
            lr=self._corrected_lrs([index])[0], wd=self._get_wd(index)))

    def _update_many(self, indices, weights, grads, states):
        """One multi-tensor kernel call for every parameter the kernel takes; the others (convolution
        weights, float16, sparse, non-CPU) one by one through stock Adam."""
        fast = []
        for k, (index, w, g, (m, v)) in enumerate(zip(indices, weights, grads, states)):
            if self._fast(index, w, g, m, v):
                fast.append(k)
            else:
                super().update(index, w, g, states[k])
        if not fast:
            return
        idx = [indices[k] for k in fast]
        self._update_count(idx)
        multi_adam_update([weights[k] for k in fast], [grads[k] for k in fast], [states[k][0] for k in fast],
                          [states[k][1] for k in fast], self._corrected_lrs(idx), self._get_wds(idx),
                          self.beta1, self.beta2, self.epsilon, self.rescale_grad, self.clip_gradient)

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            if self.multi_precision and weight[0].dtype == numpy.float16:   # stock Adam's master copies
                for i, w, g, s in zip(index, weight, grad, state):
                    super().update_multi_precision(i, w, g, s)
                return
            return self._update_many(index, weight, grad, state)
        return super().update_multi_precision(index, weight, grad, state)


def main(argv=None):
    s = status()
    if s["available"]:
        print(f"vectorised Adam kernel: {s['path']} ({' '.join(s['flags'])})")
        return 0
    print(f"vectorised Adam kernel not available: {s['reason']} (training uses MXNet's adam_update)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
