"""vaegan_gluon: VAEs trained against discriminators ("learnable loss" VAE-GANs) in MXNet Gluon.

Importing this package sets ``OMP_NUM_THREADS`` to the number of usable cores unless the user set it:
MXNet 1.9.1 otherwise runs one OpenMP thread on these machines (two threads measured 1.6x faster at
batch 64). It only takes effect if mxnet has not been imported yet, so import ``vaegan_gluon`` first.
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

__version__ = "0.1.0"
