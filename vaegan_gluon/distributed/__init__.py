"""Training on several processes or machines with MXNet's parameter-server kvstore (``dist_sync``).

:mod:`.launcher` starts and watches the scheduler, servers and workers (``vaegan launch``: :mod:`.cli`);
:mod:`.procs` is its process bookkeeping; :mod:`.worker` is what a worker asks (its rank, its shard, the
fail-fast exit hook; imports no mxnet). The gradient sync itself is :mod:`vaegan_gluon.train.kvsync`.
"""
from .cli import build_parser, launch_main
from .launcher import find_launch_py, launch
from .procs import LAUNCHERS, LaunchError
from .worker import LAUNCH_DIR_ENV, install_fail_fast, kvstore_info, shard_indices

__all__ = ["LaunchError", "launch", "launch_main", "build_parser", "kvstore_info", "shard_indices",
           "install_fail_fast", "find_launch_py", "LAUNCHERS", "LAUNCH_DIR_ENV"]
