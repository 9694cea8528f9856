"""``launch``: the multi-process / multi-machine launcher around MXNet's own parameter-server kvstore.

Training on several processes or machines uses nothing home-made: the workers create
``mx.kv.create('dist_sync')`` and sum gradients through it (:mod:`vaegan_gluon.train.kvsync`: one key per
parameter of every optimiser, not ``gluon.Trainer(kvstore=kv)``, whose keys collide across Trainers);
parameter servers and the ps-lite scheduler are the ones inside libmxnet (a process started with
``DMLC_ROLE=server`` or ``scheduler`` runs the server loop during ``import mxnet`` and exits). This module
only *starts and watches* those processes (and :func:`shard_indices` splits a data set by rank for
scripts of one's own; the Trainer slices each global batch instead).

How each launcher is driven
---------------------------
``local`` (one machine, loopback): this module spawns the scheduler, the servers and the workers
itself with :class:`subprocess.Popen`, each in its own session (``start_new_session=True``), giving
them exactly the environment that ``dmlc_tracker.local`` + ``dmlc_tracker.tracker.PSTracker`` give
(``DMLC_ROLE``, ``DMLC_PS_ROOT_URI``, ``DMLC_PS_ROOT_PORT``, ``DMLC_NUM_WORKER``, ``DMLC_NUM_SERVER``,
``DMLC_TASK_ID``, ``DMLC_JOB_CLUSTER=local``) and polling all of them. Why not call the tracker
objects: ``PSTracker`` runs the scheduler through ``subprocess.check_call`` inside a daemon thread
(no pid, no process group: this is the scheduler left hanging forever after a failure), and
``dmlc_tracker.local`` runs each worker in a thread that retries / raises inside that thread, so a
dead worker can neither be noticed promptly nor named. Reproducing the seven environment variables
is simpler than patching those threads. The fixes measured as necessary on this machine are applied:

* host address forced to ``127.0.0.1`` (the tracker's ``get_host_ip`` replaces a loopback address by
  the address of a default route, which fails with "Network is unreachable" on a loopback-only host);
* ``DMLC_NODE_HOST=127.0.0.1`` for every process, so ps-lite nodes also bind/announce loopback;
* no ``Thread.isAlive`` needed at all (the tracker's call fails on Python >= 3.9).

``ssh`` / ``mpi`` (real clusters): the wheel's own ``mxnet/tools/launch.py`` is run in a child Python
through a small bootstrap (:data:`_BOOTSTRAP`) that first restores ``threading.Thread.isAlive``
(alias of ``is_alive``) and, if ``host_ip`` is given, makes ``dmlc_tracker.tracker.get_host_ip``
return it. The hostfile is passed as ``-H``. The child runs in its own session, so on timeout,
failure or Ctrl-C the whole local tree (launch.py, the local scheduler, the ``ssh``/``mpirun``
clients) is killed; remote processes are outside our reach (see docs/distributed.md). Here
``launch.py``'s threads do the monitoring, so a failed remote worker is reported only as the launch
timing out: always give ``timeout`` on a cluster.

Never hanging
-------------
Every process is in its own session/process group; on exit (success, failure, timeout,
KeyboardInterrupt - re-raised after cleanup - or any exception) every group gets SIGTERM, then
SIGKILL after a short grace, and every child is reaped. With ``local``, as soon as any worker,
server or the scheduler exits non-zero or dies from a signal, the others are killed and
:class:`LaunchError` names it (role, index, kvstore rank when known, pid, exit code or signal).
After all workers have exited 0, servers and scheduler get ``shutdown_grace`` seconds to finish,
then are killed.

Ranks: ps-lite's scheduler assigns kvstore ranks in its own order (by node port, i.e. at random
relative to the launch index ``DMLC_TASK_ID``; ``DMLC_RANK`` does not pin it in mxnet 1.9.1). A worker
that calls :func:`kvstore_info` with its kvstore reports its rank to the launcher (a file in the
directory named by ``VAEGAN_LAUNCH_DIR``), so errors can say "worker rank 1"; otherwise they give the
launch index.

Process bookkeeping is in :mod:`.procs`, the worker side (ranks, sharding, fail-fast) in :mod:`.worker`,
``vaegan launch`` in :mod:`.cli`.
"""
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from .procs import POLL, LaunchError, Proc, free_port, kill_all, log_tail, status_text, usable_cores, validate
from .worker import LAUNCH_DIR_ENV, LAUNCH_ID_ENV

__all__ = ["launch", "find_launch_py"]


# ----------------------------------------------------------------------------------------------
# locating the launcher shipped in the wheel
# ----------------------------------------------------------------------------------------------
def _mxnet_dir():
    spec = importlib.util.find_spec("mxnet")  # does not import mxnet (the launcher itself stays light)
    if spec is None or not spec.submodule_search_locations:
        raise LaunchError("mxnet is not installed in this Python (%s)" % sys.executable)
    return list(spec.submodule_search_locations)[0]


def find_launch_py():
    """Path of ``mxnet/tools/launch.py`` shipped in the mxnet wheel."""
    path = os.path.join(_mxnet_dir(), "tools", "launch.py")
    if not os.path.isfile(path):
        raise LaunchError("mxnet/tools/launch.py not found at %s" % path)
    return path


def _dmlc_tracker_paths():
    """Directories to put on sys.path so that ``import dmlc_tracker`` works (wheel layout or source)."""
    tools = os.path.join(_mxnet_dir(), "tools")
    cands = [os.path.join(tools, "..", "3rdparty", "dmlc-core", "tracker"), tools]
    if importlib.util.find_spec("dmlc_tracker") is not None:  # mxnet 1.9.1 wheel: top-level package
        return []
    return [os.path.abspath(c) for c in cands if os.path.isdir(os.path.join(c, "dmlc_tracker"))]


# Run in the child Python for ssh/mpi: argv = [bootstrap, launch.py, launch.py's arguments...].
_BOOTSTRAP = r"""
import os, sys, runpy, threading
if not hasattr(threading.Thread, "isAlive"):           # removed in Python 3.9, used by dmlc_tracker
    threading.Thread.isAlive = threading.Thread.is_alive
for p in os.environ.get("VAEGAN_DMLC_TRACKER_PATH", "").split(os.pathsep):
    if p:
        sys.path.insert(0, p)
host_ip = os.environ.get("VAEGAN_TRACKER_HOST_IP")
if host_ip:
    import dmlc_tracker.tracker as _t
    _t.get_host_ip = lambda hostIP=None: host_ip
launch_py = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(launch_py, run_name="__main__")
"""


# ----------------------------------------------------------------------------------------------
# launch
# ----------------------------------------------------------------------------------------------
def launch(command, n_workers, n_servers=None, launcher="local", hostfile=None, timeout=None,
           env=None, log_dir=None, host_ip=None, shutdown_grace=30.0, verbose=True):
    """Run ``command`` as ``n_workers`` workers + ``n_servers`` servers + 1 scheduler of MXNet's
    parameter-server kvstore; return 0 when every worker exited 0, raise :class:`LaunchError` otherwise.

    Parameters
    ----------
    command : list of str
        The program every process runs (``['vaegan', 'run', ...]``); servers and the scheduler stop
        inside ``import mxnet``, so the same command serves all roles (as with ``launch.py``).
    n_workers, n_servers : int
        Number of worker / server processes; ``n_servers`` defaults to ``n_workers``.
    launcher : 'local' | 'ssh' | 'mpi'
        ``local`` runs everything on this machine over 127.0.0.1; ``ssh``/``mpi`` go through the
        wheel's ``mxnet/tools/launch.py`` with ``-H hostfile``.
    hostfile : str
        One host per line (``host`` or ``host:sshport``); required for ``ssh``.
    timeout : float
        Seconds after which everything is killed and :class:`LaunchError` is raised.
    env : dict
        Extra environment for every process (over ``os.environ``).
    log_dir : str
        If given, each process writes ``<role>-<index>.log`` there (else it inherits our stdout/err)
        and error messages quote the tail of the failed process's log. ``local`` only.
    host_ip : str
        ``ssh``/``mpi``: address the workers use to reach the scheduler on this machine, if the
        tracker's guess is wrong. (``local`` always uses 127.0.0.1.)
    shutdown_grace : float
        ``local``: seconds servers/scheduler get to exit after the last worker finished.
    """
    n_servers = validate(command, n_workers, n_servers, launcher, hostfile, timeout)
    command = list(command)
    if launcher == "local":
        return _launch_local(command, n_workers, n_servers, timeout, env, log_dir, shutdown_grace,
                             verbose)
    return _launch_tracker(command, n_workers, n_servers, launcher, hostfile, timeout, env, host_ip,
                           verbose)


def _launch_local(command, n_workers, n_servers, timeout, env, log_dir, shutdown_grace, verbose):
    base = dict(os.environ)
    base.update({str(k): str(v) for k, v in (env or {}).items()})
    launch_dir = tempfile.mkdtemp(prefix="vaegan-launch-")
    base.update({
        "DMLC_PS_ROOT_URI": "127.0.0.1",
        "DMLC_PS_ROOT_PORT": str(free_port()),
        "DMLC_NUM_WORKER": str(n_workers),
        "DMLC_NUM_SERVER": str(n_servers),
        "DMLC_NODE_HOST": "127.0.0.1",
        "DMLC_JOB_CLUSTER": "local",
        LAUNCH_DIR_ENV: launch_dir,
        LAUNCH_ID_ENV: uuid.uuid4().hex,
    })
    # Several processes share this machine's cores: unless the user chose, split them between workers
    # (vaegan_gluon's import would otherwise give every process all the cores) and give servers one.
    omp_user = base.get("OMP_NUM_THREADS")
    worker_threads = omp_user or str(max(1, usable_cores() // n_workers))
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)

    roles = [("scheduler", 0)] + [("server", i) for i in range(n_servers)] \
        + [("worker", i) for i in range(n_workers)]
    procs, files = [], []
    t0 = time.monotonic()
    deadline = None if timeout is None else t0 + timeout
    try:
        for role, index in roles:
            penv = dict(base, DMLC_ROLE=role)
            penv["OMP_NUM_THREADS"] = worker_threads if role == "worker" else (omp_user or "1")
            # dmlc_tracker.local numbers workers 0..n-1 and servers n..n+m-1
            penv["DMLC_TASK_ID"] = str(index if role == "worker" else n_workers + index)
            if role == "scheduler":
                penv.pop("DMLC_TASK_ID")
            out = log_path = None
            if log_dir:
                log_path = os.path.join(log_dir, "%s-%d.log" % (role, index))
                out = open(log_path, "wb")
                files.append(out)
            try:
                popen = subprocess.Popen(command, env=penv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT if out else None,
                                         start_new_session=True)
            except OSError as e:
                raise LaunchError("cannot start %s %d: %s: %s" % (role, index, command[0], e)) from e
            procs.append(Proc(role, index, popen, log_path))
        if verbose:
            print("[vaegan launch] local: %d worker(s), %d server(s), scheduler on 127.0.0.1:%s; "
                  "pids %s" % (n_workers, n_servers, base["DMLC_PS_ROOT_PORT"],
                               ", ".join("%s%d=%d" % (p.role[:3], p.index, p.pid) for p in procs)),
                  file=sys.stderr, flush=True)
        workers = [p for p in procs if p.role == "worker"]
        workers_done_at = None
        while True:
            failed = [p for p in procs if p.popen.poll() not in (None, 0)]
            if failed:
                # blame a worker first (servers/scheduler may fail *because* a worker died)
                failed.sort(key=lambda q: q.role != "worker")
                p = failed[0]
                others = [q for q in procs if q is not p]
                kill_all(others)
                also = "".join("; also %s %s" % (q.describe(launch_dir), status_text(q.popen.returncode))
                               for q in failed[1:])
                raise LaunchError("%s %s%s; killed the other %d process(es) of the job%s"
                                  % (p.describe(launch_dir), status_text(p.popen.returncode), also,
                                     len(others), log_tail(p.log_path)))
            if all(p.popen.poll() is not None for p in procs):
                break
            now = time.monotonic()
            if workers_done_at is None and all(w.popen.poll() is not None for w in workers):
                workers_done_at = now
            if workers_done_at is not None and now - workers_done_at > shutdown_grace:
                left = [p for p in procs if p.popen.poll() is None]
                if verbose:
                    print("[vaegan launch] all workers finished; killing %s that did not exit "
                          "within %.0f s" % (", ".join(p.describe() for p in left), shutdown_grace),
                          file=sys.stderr, flush=True)
                break
            if deadline is not None and now > deadline:
                left = [p for p in procs if p.popen.poll() is None]
                kill_all(procs)
                raise LaunchError("timeout: the job did not finish within %g s; killed %s"
                                  % (timeout, ", ".join(p.describe(launch_dir) for p in left)))
            time.sleep(POLL)
        if verbose:
            print("[vaegan launch] done in %.1f s" % (time.monotonic() - t0), file=sys.stderr,
                  flush=True)
        return 0
    except KeyboardInterrupt:
        if verbose:
            print("[vaegan launch] interrupted: killing all %d process(es) of the job" % len(procs),
                  file=sys.stderr, flush=True)
        kill_all(procs)
        raise
    finally:
        kill_all(procs, grace=0.5)  # no-op for reaped children; catches leftovers of every path
        for f in files:
            f.close()
        shutil.rmtree(launch_dir, ignore_errors=True)


def _launch_tracker(command, n_workers, n_servers, launcher, hostfile, timeout, env, host_ip,
                    verbose):
    penv = dict(os.environ)
    penv.update({str(k): str(v) for k, v in (env or {}).items()})
    penv["VAEGAN_DMLC_TRACKER_PATH"] = os.pathsep.join(_dmlc_tracker_paths())
    if host_ip:
        penv["VAEGAN_TRACKER_HOST_IP"] = host_ip
    # launch.py joins the command with spaces into a shell line: quote each word.
    argv = [sys.executable, "-c", _BOOTSTRAP, find_launch_py(), "--launcher", launcher,
            "-n", str(n_workers), "-s", str(n_servers)]
    if hostfile is not None:
        argv += ["-H", os.path.abspath(hostfile)]
    argv += [shlex.quote(c) for c in command]
    if verbose:
        print("[vaegan launch] %s: %s" % (launcher, " ".join(shlex.quote(a) for a in argv[3:])),
              file=sys.stderr, flush=True)
    popen = subprocess.Popen(argv, env=penv, stdin=subprocess.DEVNULL, start_new_session=True)
    proc = Proc("launch.py", 0, popen)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while popen.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                kill_all([proc])
                raise LaunchError("timeout: the %s job did not finish within %g s; killed the local "
                                  "launcher tree (pid %d); check the remote hosts for leftovers"
                                  % (launcher, timeout, popen.pid))
            time.sleep(POLL)
        if popen.returncode != 0:
            raise LaunchError("mxnet/tools/launch.py (%s launcher, pid %d) %s"
                              % (launcher, popen.pid, status_text(popen.returncode)))
        return 0
    except KeyboardInterrupt:
        kill_all([proc])
        raise
    finally:
        kill_all([proc], grace=0.5)

