"""What the machine can do, measured where the benchmark runs: fp32 GEMM GFLOP/s and memory bandwidth.

- **GEMM**: ``mx.nd.FullyConnected`` of an ``n x n`` float32 batch with ``n`` hidden units (oneDNN's
  inner product, the library the models' Dense and convolution layers reach), ``2 n^3`` FLOPs per call,
  best of ``repeats`` after a warm-up, with ``OMP_NUM_THREADS`` = the cores MXNet uses
  (``vaegan_gluon`` sets it before MXNet loads). Also ``numpy.dot`` (its OpenBLAS) and ``mx.nd.dot``
  (MXNet's own BLAS path, slow in the pip wheel) for comparison.
- **Bandwidth**: ``numpy.copyto`` of a ``mb``-MB float32 array into another: ``2 x mb`` MB moved
  (read + write) per copy, best of ``repeats`` (single-threaded, as the element-wise operators mostly
  are at these sizes).

Both are *best* of a few: on a shared machine the median is the neighbours' load, not the machine.
"""
import os
import time

__all__ = ["measure"]


def _best(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(n=2048, mb=256, repeats=5):
    import numpy as np
    import vaegan_gluon  # noqa: F401  (OMP_NUM_THREADS before mxnet)
    import mxnet as mx
    a = mx.nd.random.uniform(shape=(n, n))
    b = mx.nd.random.uniform(shape=(n, n))

    def fc():
        mx.nd.FullyConnected(a, b, num_hidden=n, no_bias=True).wait_to_read()

    def mx_dot():
        mx.nd.dot(a, b).wait_to_read()
    t_fc = _best(fc, repeats)
    t_mx = _best(mx_dot, max(1, repeats // 2))
    an, bn = a.asnumpy(), b.asnumpy()
    t_np = _best(lambda: np.dot(an, bn), repeats)
    src = np.ones(mb * (1 << 20) // 4, dtype=np.float32)
    dst = np.empty_like(src)
    t_copy = _best(lambda: np.copyto(dst, src), repeats)
    flops = 2.0 * n ** 3
    return {"gemm_gflop_s": flops / t_fc / 1e9, "gemm_numpy_gflop_s": flops / t_np / 1e9,
            "gemm_mx_dot_gflop_s": flops / t_mx / 1e9, "gemm_n": n,
            "bandwidth_gb_s": 2 * src.nbytes / t_copy / 1e9, "copy_mb": mb,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "loadavg": os.getloadavg()}


if __name__ == "__main__":
    print(measure())
