"""Multi-process / multi-machine launcher around MXNet's own parameter-server kvstore.

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
"""
import argparse
import importlib.util
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

__all__ = ["LaunchError", "launch", "launch_main", "kvstore_info", "shard_indices",
           "install_fail_fast", "find_launch_py", "LAUNCHERS"]

LAUNCHERS = ("local", "ssh", "mpi")
LAUNCH_DIR_ENV = "VAEGAN_LAUNCH_DIR"
LAUNCH_ID_ENV = "VAEGAN_LAUNCH_ID"
_POLL = 0.05          # seconds between polls of the children
_KILL_GRACE = 2.0     # seconds between SIGTERM and SIGKILL


class LaunchError(RuntimeError):
    """A distributed launch failed: a process died, the timeout elapsed, or it was interrupted."""


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
# ranks and sharding (used by the trainer inside a worker)
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# process bookkeeping
# ----------------------------------------------------------------------------------------------
class _Proc:
    def __init__(self, role, index, popen, log_path=None):
        self.role, self.index, self.popen, self.log_path = role, index, popen, log_path
        self.pid = popen.pid
        self.pgid = popen.pid  # start_new_session=True: the child leads its own session and group

    def describe(self, launch_dir=None):
        s = "%s %d" % (self.role, self.index)
        if self.role == "worker" and launch_dir:
            try:
                with open(os.path.join(launch_dir, "worker-%d.rank" % self.index)) as f:
                    s = "worker rank %d (launch index %d" % (int(f.read().strip()), self.index)
                    return s + ", pid %d)" % self.pid
            except (OSError, ValueError):
                pass
        return s + " (pid %d)" % self.pid


def _status(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "signal %d" % -rc
        return "was killed by signal %s (%d)" % (name, -rc)
    return "exited with code %d" % rc


def _tail(path, n=15):
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            lines = f.read().decode("utf-8", "replace").splitlines()[-n:]
    except OSError:
        return ""
    return "\n  last lines of %s:\n    %s" % (path, "\n    ".join(lines)) if lines else ""


def _signal_group(p, sig):
    try:
        os.killpg(p.pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_all(procs, grace=_KILL_GRACE):
    """SIGTERM every group, SIGKILL what is left after ``grace`` seconds, reap every child."""
    for p in procs:
        _signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.popen.poll() is None for p in procs):
        time.sleep(_POLL)
    for p in procs:  # also members of the group that outlived its leader (e.g. bash -> python)
        _signal_group(p, signal.SIGKILL)
    for p in procs:
        try:
            p.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
            pass


def _free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------------------------
# launch
# ----------------------------------------------------------------------------------------------
def _validate(command, n_workers, n_servers, launcher, hostfile, timeout):
    if isinstance(command, str) or not command or not all(isinstance(c, str) for c in command):
        raise ValueError("command must be a non-empty list of strings, e.g. ['python', 'train.py']")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError("n_workers must be an integer >= 1, got %r" % (n_workers,))
    if n_servers is None:
        n_servers = n_workers
    if isinstance(n_servers, bool) or not isinstance(n_servers, int) or n_servers < 1:
        raise ValueError("n_servers must be an integer >= 1 (the dist kvstore needs a server), got %r"
                         % (n_servers,))
    if launcher not in LAUNCHERS:
        raise ValueError("launcher must be one of %s, got %r" % (", ".join(LAUNCHERS), launcher))
    if launcher == "local" and hostfile is not None:
        raise ValueError("--hostfile is only used by the ssh and mpi launchers, not by 'local'")
    if launcher == "ssh" and hostfile is None:
        raise ValueError("the ssh launcher needs a hostfile (one host per line, optional :port)")
    if hostfile is not None:
        if not os.path.isfile(hostfile):
            raise ValueError("hostfile %r does not exist" % hostfile)
        with open(hostfile) as f:
            if not any(line.strip() for line in f):
                raise ValueError("hostfile %r lists no host" % hostfile)
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError("timeout must be a positive number of seconds, got %r" % (timeout,))
    return n_servers


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
    n_servers = _validate(command, n_workers, n_servers, launcher, hostfile, timeout)
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
        "DMLC_PS_ROOT_PORT": str(_free_port()),
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
    worker_threads = omp_user or str(max(1, _usable_cores() // n_workers))
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
            procs.append(_Proc(role, index, popen, log_path))
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
                _kill_all(others)
                also = "".join("; also %s %s" % (q.describe(launch_dir), _status(q.popen.returncode))
                               for q in failed[1:])
                raise LaunchError("%s %s%s; killed the other %d process(es) of the job%s"
                                  % (p.describe(launch_dir), _status(p.popen.returncode), also,
                                     len(others), _tail(p.log_path)))
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
                _kill_all(procs)
                raise LaunchError("timeout: the job did not finish within %g s; killed %s"
                                  % (timeout, ", ".join(p.describe(launch_dir) for p in left)))
            time.sleep(_POLL)
        if verbose:
            print("[vaegan launch] done in %.1f s" % (time.monotonic() - t0), file=sys.stderr,
                  flush=True)
        return 0
    except KeyboardInterrupt:
        if verbose:
            print("[vaegan launch] interrupted: killing all %d process(es) of the job" % len(procs),
                  file=sys.stderr, flush=True)
        _kill_all(procs)
        raise
    finally:
        _kill_all(procs, grace=0.5)  # no-op for reaped children; catches leftovers of every path
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
    proc = _Proc("launch.py", 0, popen)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while popen.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                _kill_all([proc])
                raise LaunchError("timeout: the %s job did not finish within %g s; killed the local "
                                  "launcher tree (pid %d); check the remote hosts for leftovers"
                                  % (launcher, timeout, popen.pid))
            time.sleep(_POLL)
        if popen.returncode != 0:
            raise LaunchError("mxnet/tools/launch.py (%s launcher, pid %d) %s"
                              % (launcher, popen.pid, _status(popen.returncode)))
        return 0
    except KeyboardInterrupt:
        _kill_all([proc])
        raise
    finally:
        _kill_all([proc], grace=0.5)


# ----------------------------------------------------------------------------------------------
# CLI: vaegan launch -n WORKERS -s SERVERS [--launcher ...] [--hostfile FILE] [--timeout SEC] -- cmd
# ----------------------------------------------------------------------------------------------
def _positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %r" % s) from None
    if v < 1:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %d" % v)
    return v


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds > 0, got %r" % s) from None
    if not v > 0:
        raise argparse.ArgumentTypeError("expected a number of seconds > 0, got %r" % s)
    return v


def build_parser(prog="vaegan launch"):
    p = argparse.ArgumentParser(
        prog=prog, usage="%(prog)s -n WORKERS [-s SERVERS] [--launcher {local,ssh,mpi}] "
                         "[--hostfile FILE] [--timeout SEC] [--log-dir DIR] -- command ...",
        description="Run a command as workers of MXNet's parameter-server kvstore (dist_sync), with "
                    "servers and a scheduler, using the dmlc tracker shipped in the mxnet wheel. "
                    "Never hangs: any failed process stops the whole job.",
        epilog="example: vaegan launch -n 2 -s 1 -- vaegan run mnist-vae-logreg --scale quick "
               "--kvstore dist_sync   (see docs/distributed.md)")
    p.add_argument("-n", "--num-workers", type=_positive_int, required=True, metavar="WORKERS")
    p.add_argument("-s", "--num-servers", type=_positive_int, default=None, metavar="SERVERS",
                   help="default: WORKERS")
    p.add_argument("--launcher", choices=LAUNCHERS, default="local")
    p.add_argument("-H", "--hostfile", default=None, metavar="FILE",
                   help="ssh/mpi: one host per line (host or host:port)")
    p.add_argument("--timeout", type=_positive_float, default=None, metavar="SEC",
                   help="kill everything and fail after SEC seconds")
    p.add_argument("--log-dir", default=None, metavar="DIR",
                   help="local: write <role>-<index>.log per process instead of sharing the terminal")
    p.add_argument("--host-ip", default=None, help="ssh/mpi: this machine's address as seen by the "
                                                   "hosts (default: the tracker's guess)")
    p.add_argument("-q", "--quiet", action="store_true", help="no launcher messages")
    return p


def launch_main(argv=None):
    """Entry point of ``vaegan launch``; returns the process exit status (0 ok, 1 failed, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "--" in argv:
        i = argv.index("--")
        opts, command = argv[:i], argv[i + 1:]
    else:
        opts, command = argv, []
    if any(a in ("-h", "--help") for a in opts):
        parser.print_help()
        return 0
    if "--" in argv:
        args = parser.parse_args(opts)  # exits with status 2 and a message on bad options
    else:
        args, stray = parser.parse_known_args(opts)
        if stray:
            parser.error("no command after '--': write  vaegan launch [options] -- %s"
                         % " ".join(shlex.quote(a) for a in stray))
    if not command:
        parser.error("no command: put the program to run after '--', e.g. "
                     "vaegan launch -n 2 -s 1 -- python train.py")
    try:
        n_servers = _validate(command, args.num_workers, args.num_servers, args.launcher,
                              args.hostfile, args.timeout)
    except ValueError as e:
        parser.error(str(e))

    def _term(signum, frame):  # SIGTERM to the launcher: clean up like Ctrl-C
        raise KeyboardInterrupt

    old = None
    try:
        old = signal.signal(signal.SIGTERM, _term)
    except ValueError:  # not in the main thread
        pass
    try:
        launch(command, args.num_workers, n_servers, launcher=args.launcher, hostfile=args.hostfile,
               timeout=args.timeout, log_dir=args.log_dir, host_ip=args.host_ip,
               verbose=not args.quiet)
    except LaunchError as e:
        print("vaegan launch: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vaegan launch: interrupted; all processes of the job were killed", file=sys.stderr)
        return 130
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    return 0


if __name__ == "__main__":  # python -m vaegan_gluon.distributed -n 2 -- cmd
    sys.exit(launch_main())
