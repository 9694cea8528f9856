"""Process bookkeeping of :func:`vaegan_gluon.distributed.launch`: the launch arguments' checks, each
started process (role, index, pid, log), its exit status in words, and killing whole process groups."""
import os
import signal
import socket
import subprocess
import time

LAUNCHERS = ("local", "ssh", "mpi")
POLL = 0.05          # seconds between polls of the children
KILL_GRACE = 2.0     # seconds between SIGTERM and SIGKILL


class LaunchError(RuntimeError):
    """A distributed launch failed: a process died, the timeout elapsed, or it was interrupted."""


class Proc:
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
            except (OSError, ValueError):  # no rank file yet: named by launch index below
                pass
        return s + " (pid %d)" % self.pid


def status_text(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "signal %d" % -rc
        return "was killed by signal %s (%d)" % (name, -rc)
    return "exited with code %d" % rc


def log_tail(path, n=15):
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


def signal_group(p, sig):
    try:
        os.killpg(p.pgid, sig)
    except (ProcessLookupError, PermissionError):  # the group has already exited
        pass


def kill_all(procs, grace=KILL_GRACE):
    """SIGTERM every group, SIGKILL what is left after ``grace`` seconds, reap every child."""
    for p in procs:
        signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.popen.poll() is None for p in procs):
        time.sleep(POLL)
    for p in procs:  # also members of the group that outlived its leader (e.g. bash -> python)
        signal_group(p, signal.SIGKILL)
    for p in procs:
        try:
            p.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
            pass


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def validate(command, n_workers, n_servers, launcher, hostfile, timeout):
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
