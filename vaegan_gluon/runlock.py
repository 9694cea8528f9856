"""One writer per results folder: an exclusive lock file ``<run_dir>/.vaegan.lock``.

The file holds the holder's pid, host, start time and command (JSON); the exclusivity itself is an
``fcntl.flock`` on it, which the kernel drops when the holder exits however it exits (SIGKILL too).
A second run into the same folder — with or without ``--overwrite`` — fails at once with
:class:`RunLocked`, naming the folder and the holder, before anything in the folder is touched. A lock
file left by a process that is gone (its flock is free) is taken over with a one-line warning.

>>> with hold("results/x/run", command="vaegan run ..."):      # doctest: +SKIP
...     train()
"""
import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import time

LOCK_NAME = ".vaegan.lock"


class RunLocked(RuntimeError):
    """Another live process holds the results folder's lock."""


def lock_path(run_dir):
    return os.path.join(run_dir, LOCK_NAME)


def read_holder(run_dir):
    """The holder's record ``{"pid", "host", "started", "command"}`` or None (no or unreadable file)."""
    try:
        with open(lock_path(run_dir), encoding="utf-8") as f:
            rec = json.load(f)
        return rec if isinstance(rec, dict) else None
    except (OSError, ValueError):
        return None


def _describe(rec):
    if not rec:
        return "an unknown process"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rec.get("started", 0)))
    return f"pid {rec.get('pid')} on {rec.get('host')} (since {when}: {rec.get('command') or '?'})"


def _pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True
    return True


class RunLock:
    """The exclusive lock of one results folder (created if needed). Use :func:`hold`."""

    def __init__(self, run_dir, command=None, warn=None):
        self.run_dir = os.path.abspath(run_dir)
        self.path = lock_path(self.run_dir)
        self.command = command or " ".join(sys.argv)
        self.warn = warn or (lambda msg: print(f"vaegan: warning: {msg}", file=sys.stderr, flush=True))
        self.fd = None

    def acquire(self):
        os.makedirs(self.run_dir, exist_ok=True)
        for _ in range(20):   # retried only if the file is replaced between open and flock
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                raise RunLocked(f"{self.run_dir} is in use by {_describe(read_holder(self.run_dir))}: wait "
                                f"for it to finish or stop it (--overwrite does not take a folder in use), or "
                                f"write to another folder (--results DIR)") from None
            try:   # the file we locked must still be the one at the path (a releaser may have unlinked it)
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            old = read_holder(self.run_dir)
            if old and (old.get("pid") != os.getpid() or old.get("host") != socket.gethostname()):
                alive = old.get("host") == socket.gethostname() and _pid_alive(old.get("pid"))
                self.warn(f"{self.path}: took over the stale lock of {_describe(old)}"
                          + (" (that pid is now another process)" if alive else " (no longer running)"))
            rec = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                   "command": self.command}
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(rec) + "\n").encode(), 0)
            self.fd = fd
            return self
        raise RunLocked(f"{self.run_dir}: could not take {self.path} (it keeps being replaced)")

    def release(self):
        if self.fd is None:
            return
        try:
            os.unlink(self.path)   # before unlocking: a waiter then sees a fresh file, not ours
        except FileNotFoundError:  # already gone (a taken-over stale lock): nothing to remove
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


_HELD = {}   # run_dir -> [RunLock, depth]: re-entrant within one process (a sweep, a notebook)


@contextlib.contextmanager
def hold(run_dir, command=None, warn=None):
    """Hold ``run_dir``'s lock for the ``with`` block (re-entrant in one process)."""
    key = os.path.abspath(run_dir)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield _HELD[key][0]
        finally:
            _HELD[key][1] -= 1
        return
    existed = os.path.isdir(key)
    lock = RunLock(run_dir, command, warn).acquire()
    _HELD[key] = [lock, 1]
    try:
        yield lock
    finally:
        del _HELD[key]
        lock.release()
        if not existed:   # a run that failed before writing anything leaves no empty folder behind
            with contextlib.suppress(OSError):
                os.rmdir(key)


def clear_folder(run_dir):
    """Delete everything in ``run_dir`` but its lock file (``--overwrite`` while holding the lock)."""
    import shutil
    for name in os.listdir(run_dir):
        if name == LOCK_NAME:
            continue
        p = os.path.join(run_dir, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
