"""vaegan_gluon: VAEs trained against discriminators ("learnable loss" VAE-GANs) in MXNet Gluon.

Importing this package sets ``OMP_NUM_THREADS`` to the number of usable cores unless the user set it:
MXNet 1.9.1 otherwise runs one OpenMP thread on these machines (two threads measured 1.6x faster at
batch 64). It only takes effect if mxnet has not been imported yet, so import ``vaegan_gluon`` first.

It also sets ``OMP_WAIT_POLICY=PASSIVE`` unless the user set it (``VAEGAN_OMP_WAIT_POLICY`` chooses
another value; empty leaves OpenMP's default). With libgomp's default a finished parallel region's
threads spin for ~3 ms before sleeping; MXNet's engine worker runs every operator on all OpenMP threads
while the Python thread dispatches the next ones, so on a machine with as many cores as threads the
spinning helper takes the core Python needs. Measured on a 2-vCPU AMD EPYC in interleaved A/B trials
(``python -m benchmarks``, side ``ours_spinwait`` = the default): the dense combo step (a) faster three
times of three (+21 to +58 %), the dense solo step (b) three of three (+1 to +17 %), the conv steps
(c), (e) -18 to +12 % (docs/performance.md has the invocation where (a) read the other way).

And it sets ``MXNET_CPU_TEMP_COPY=1`` unless the user set it (``VAEGAN_CPU_TEMP_COPY`` chooses another value;
empty leaves MXNet's default of 4). MXNet keeps that many temporary workspaces per CPU, handed to operators
round-robin, each growing to the largest request it served; with MXNet's one CPU worker thread only one
operator runs at a time, so the other three only hold memory. Measured on the largest configuration (f),
DeepConvVAE(1024, 32) + DeepConvDisc(64), one thread, five steps: peak RSS 8,260 MB with 4 copies, 8,001 MB
with 1 (the ~250 MB that arrived in steps 2-3); the benchmark's ``ours_tempcopy4`` lever is the default.
"""
import os as _os
import sys as _sys
import warnings as _warnings


def _usable_cores():
    try:
        return len(_os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return _os.cpu_count() or 1


if "OMP_NUM_THREADS" not in _os.environ:
    if "mxnet" in _sys.modules:
        _warnings.warn("mxnet was imported before vaegan_gluon, so OMP_NUM_THREADS could not be set; "
                       "import vaegan_gluon first or export OMP_NUM_THREADS=<cores>")
    else:
        _os.environ["OMP_NUM_THREADS"] = str(_usable_cores())

_wait_policy = _os.environ.get("VAEGAN_OMP_WAIT_POLICY", "PASSIVE")
if _wait_policy and "OMP_WAIT_POLICY" not in _os.environ and "mxnet" not in _sys.modules:
    _os.environ["OMP_WAIT_POLICY"] = _wait_policy

_temp_copy = _os.environ.get("VAEGAN_CPU_TEMP_COPY", "1")
if _temp_copy and "MXNET_CPU_TEMP_COPY" not in _os.environ and "mxnet" not in _sys.modules:
    _os.environ["MXNET_CPU_TEMP_COPY"] = _temp_copy

__version__ = "0.1.0"
