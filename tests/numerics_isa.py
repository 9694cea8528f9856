"""Which oneDNN instruction set a bit-identity baseline was recorded under.

oneDNN picks its convolution and GEMM kernels by the CPU's instruction set (AVX2, AVX-512, ...), and kernels of
two sets sum in different orders: the same code gives other float bits on another CPU kind. A baseline of
``tests/test_numerics_unchanged.py`` or ``tests/test_adaptive_weight_identity.py`` is therefore kept per ISA
class; a machine of a class with no baseline records one from the baseline's commit (those files say how).
"""
import subprocess
import sys

PROBE = ("import mxnet as mx; x = mx.nd.ones((1, 1, 8, 8)); w = mx.nd.ones((2, 1, 3, 3)); "
         "mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=2, no_bias=True).wait_to_read()")


def onednn_isa():
    """oneDNN's own report of the ISA it dispatches to (``DNNL_VERBOSE``), e.g. ``Intel AVX2``; '' if none."""
    out = subprocess.run([sys.executable, "-c", PROBE], env={"DNNL_VERBOSE": "1", "MKLDNN_VERBOSE": "1",
                                                            "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=300)
    for line in (out.stdout + out.stderr).splitlines():
        if ",isa:" in line:
            return line.split(",isa:", 1)[1].strip()
    return ""


def isa_class(report=None):
    """``avx512``, ``avx2`` or oneDNN's report itself: the key of a baseline."""
    s = onednn_isa() if report is None else report
    return "avx512" if "AVX-512" in s else "avx2" if "AVX2" in s else (s or "unknown")


def baseline_for(path, source):
    """The set of this machine's ISA class in the baseline file ``path`` (its ``by_isa``); skips the test,
    saying to record one from ``source`` (the code the set must come from), when the class has none."""
    import json

    import pytest
    with open(path) as f:
        by_isa = json.load(f)["by_isa"]
    isa = isa_class()
    if isa not in by_isa:
        pytest.skip(f"no baseline for oneDNN ISA class {isa!r} (recorded: {sorted(by_isa)}); record it from "
                    f"{source} (the test file's docstring says how)")
    return by_isa[isa]
