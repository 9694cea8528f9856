"""The worker side of a distributed launch (:mod:`vaegan_gluon.distributed`): this process's kvstore rank
and number of workers, the fail-fast exit hook, and :func:`shard_indices`. Light: imports no mxnet.

Ranks: ps-lite's scheduler assigns kvstore ranks in its own order (by node port, i.e. at random
relative to the launch index ``DMLC_TASK_ID``); a worker that calls :func:`kvstore_info` with its
kvstore reports its rank to the launcher (a file in the directory named by ``VAEGAN_LAUNCH_DIR``).
"""
import os
import sys

LAUNCH_DIR_ENV = "VAEGAN_LAUNCH_DIR"
LAUNCH_ID_ENV = "VAEGAN_LAUNCH_ID"


def kvstore_info(kv=None, fail_fast=True):
    """(rank, num_workers) of this process.

    With a created kvstore ``kv`` (``mx.kv.create('dist_sync')``) the answer is ``(kv.rank,
    kv.num_workers)`` - the one to shard data with - and, when running under :func:`launch`, the rank
    is reported to the launcher so that error messages can name it. Without ``kv``: a distributed
    worker (``DMLC_ROLE=worker``) gets ``(DMLC_TASK_ID, DMLC_NUM_WORKER)`` - the *launch index*, a
    valid but different permutation of ranks than the kvstore's, so use it only if no process of
    the job uses ``kv.rank``; anything else (no DMLC environment, a local kvstore, ``None``) is
    ``(0, 1)``.

    With a ``dist*`` kvstore and ``fail_fast`` (default), :func:`install_fail_fast` is called: a
    worker whose Python code raises then exits at once instead of hanging in ps-lite's shutdown.
    """
    if kv is not None:
        rank, num = int(getattr(kv, "rank", 0)), int(getattr(kv, "num_workers", 1))
        _report_rank(rank)
        if fail_fast and str(getattr(kv, "type", "")).startswith("dist"):
            install_fail_fast()
        return rank, num
    if os.environ.get("DMLC_ROLE") == "worker":
        num = int(os.environ.get("DMLC_NUM_WORKER", "1"))
        rank = int(os.environ.get("DMLC_TASK_ID", os.environ.get("DMLC_RANK", "0")))
        return rank, num
    return 0, 1


def install_fail_fast():
    """Make an uncaught exception end this process at once with status 1.

    Measured with mxnet 1.9.1: a dist_sync worker that raises (e.g. a shape error inside
    ``trainer.step``) prints the traceback and then *hangs forever* in ps-lite's finalisation
    barrier, waiting for the other nodes, so the launcher only learns of it at its timeout. With this
    hook the traceback is printed, then ``os._exit(1)`` skips the barrier; :func:`launch` sees the
    exit code and stops the job promptly. Idempotent."""
    if getattr(sys.excepthook, "_vaegan_fail_fast", False):
        return
    previous = sys.excepthook

    def hook(etype, value, tb):
        try:
            previous(etype, value, tb)
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # pragma: no cover
                    pass
            os._exit(130 if issubclass(etype, KeyboardInterrupt) else 1)

    hook._vaegan_fail_fast = True
    sys.excepthook = hook


def _report_rank(rank):
    d, task = os.environ.get(LAUNCH_DIR_ENV), os.environ.get("DMLC_TASK_ID")
    if not d or task is None or os.environ.get("DMLC_ROLE") != "worker":
        return
    try:
        tmp = os.path.join(d, "worker-%s.rank.tmp%d" % (task, os.getpid()))
        with open(tmp, "w") as f:
            f.write(str(rank))
        os.replace(tmp, os.path.join(d, "worker-%s.rank" % task))
    except OSError:
        pass  # reporting is a courtesy for error messages; never fail training because of it


def shard_indices(n, rank, num_workers):
    """Indices ``range(n)`` owned by worker ``rank`` of ``num_workers``: contiguous, sizes differ by
    at most one, together a partition of ``range(n)``. Returns a ``range``."""
    n, rank, num_workers = int(n), int(rank), int(num_workers)
    if n < 0:
        raise ValueError("n must be >= 0, got %d" % n)
    if num_workers < 1:
        raise ValueError("num_workers must be >= 1, got %d" % num_workers)
    if not 0 <= rank < num_workers:
        raise ValueError("rank must be in [0, %d), got %d" % (num_workers, rank))
    base, extra = divmod(n, num_workers)
    start = rank * base + min(rank, extra)
    return range(start, start + base + (1 if rank < extra else 0))
