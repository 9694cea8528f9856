"""The faults campaign: kill -9 anywhere, broken checkpoints, failing writes, two runs in one folder,
fuzzed settings and fuzzed image files, each counted.

    python -m benchmarks.faults            # the full campaign (make faults): >= 50 kills, >= 1,000 settings
    python -m benchmarks.faults --quick    # the reduced campaign CI runs (a few minutes)
    python -m benchmarks.faults --render results/faults/faults.json   # the README table again

Writes ``<out>/faults.json`` (every trial's raw outcome) and ``<out>/faults.md`` (the table the README's
"Faults tried" section pastes). Runs go through the real command line (``vaegan_gluon.cli.main``) on
tiny quick-scale configurations. mxnet is imported once; every run that may be killed is a forked child
(the parent never runs an mxnet operation, so forking is safe), so a SIGKILL is a real SIGKILL of a
real training process at a seeded moment.
"""
import argparse
import contextlib
import csv
import errno
import glob
import io
import json
import math
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_REAL_OPEN = open   # Hooks(full_at=...) replaces builtins.open in a child

# scheme -> (experiment, overrides): tiny, 2 solo + 2 combo epochs, checkpoints of the last 2 kept
COMMON = ["data.n_train=64", "data.n_val=16", "eval.n_samples=16", "train.n_epochs=4", "train.n_solo_epochs=2",
          "train.batch_size=32", "train.keep_checkpoints=2", "train.log_interval=1"]
SCHEMES = {
    "learnable_loss": ("mnist-vae-logreg", ["vae.n_hidden_units=64", "disc.n_hidden_units=32"]),
    "larsen": ("mnist-larsen-vaegan", ["vae.n_latent=8", "vae.base_channels=4", "disc.base_channels=4"]),
    "aegan": ("faces-aegan-constant", ["vae.n_latent=16", "vae.base_channels=4", "disc.base_channels=4"]),
}
TIMING = ("seconds", "images_per_s")


def argv_for(scheme, results, *extra):
    name, sets = SCHEMES[scheme]
    out = ["run", name, "--scale", "quick", "--results", results, "--no-progress"]
    for s in COMMON + sets:
        out += ["--set", s]
    return out + list(extra)


# ------------------------------------------------------------------------------ forked children
def _die():
    os.kill(os.getpid(), signal.SIGKILL)


class Hooks:
    """Counters (and an optional kill or failure) at the moments the campaign aims at, in a child."""

    def __init__(self, kill=None, fail=None, slow=0.0, record=None, full_at=None):
        self.kill, self.fail, self.slow, self.record = kill, fail, slow, record
        self.full_at = full_at   # (write target, n): the disk is full from the n-th write of that target on
        self.counts = {"solo": 0, "combo": 0, "ckpt": 0, "report": 0, "saves": 0}
        self.counts.update({"write " + w: 0 for w in WRITE_TARGETS})
        self.full = False
        self.epochs = []
        self.in_ckpt = self.in_report = False

    def event(self, kind):
        self.counts[kind] += 1
        if self.kill and self.kill[0] == kind and self.counts[kind] == self.kill[1]:
            _die()

    def install(self):
        import mxnet
        from vaegan_gluon.evaluation import folder as eval_folder
        from vaegan_gluon.experiments import runner
        from vaegan_gluon.train import checkpoint as ckpt
        from vaegan_gluon.train.trainer import Trainer
        h = self
        run_epoch, call = Trainer._run_epoch, Trainer._call

        def _run_epoch(self, epoch, *a, **k):
            h.epochs.append(epoch)
            h.phase = self.phase_of(epoch)
            if h.record:
                with _REAL_OPEN(h.record, "w") as f:
                    json.dump({"epochs": h.epochs}, f)
            return run_epoch(self, epoch, *a, **k)

        def _call(self, hook, *a):
            call(self, hook, *a)
            if hook == "batch_end":
                if h.slow:
                    time.sleep(h.slow)
                h.event(h.phase)
        Trainer._run_epoch, Trainer._call = _run_epoch, _call

        def io_event(fn, name):
            def wrapped(*a, **k):
                if h.in_ckpt and h.fail and h.fail[0] in (errno.ENOSPC, errno.EACCES) \
                        and h.counts["ckpt"] + 1 == h.fail[1]:
                    err = h.fail[0]
                    raise OSError(err, os.strerror(err), str(a[0]) if a else name)
                out = fn(*a, **k)
                if h.in_ckpt:
                    h.event("ckpt")
                elif h.in_report:
                    h.event("report")
                return out
            return wrapped
        save_ckpt = ckpt.save_checkpoint

        def save_checkpoint(*a, **k):
            h.counts["saves"] += 1
            if h.fail and h.counts["saves"] == h.fail[1]:
                real_failure(*h.fail)
            h.in_ckpt = True
            try:
                return save_ckpt(*a, **k)
            finally:
                h.in_ckpt = False
        ckpt.save_checkpoint = save_checkpoint
        mxnet.ndarray.save = io_event(mxnet.ndarray.save, "nd.save")
        ckpt.write_json = io_event(ckpt.write_json, "write_json")
        finish = runner.finish

        def _finish(*a, **k):
            h.in_report = True
            try:
                return finish(*a, **k)
            finally:
                h.in_report = False
        runner.finish = _finish
        eval_folder.write_json = io_event(eval_folder.write_json, "metrics json")
        import matplotlib.figure
        matplotlib.figure.Figure.savefig = io_event(matplotlib.figure.Figure.savefig, "savefig")
        from PIL import Image
        Image.Image.save = io_event(Image.Image.save, "image save")
        # feature-space scoring (an extractor network) is evaluation, not a fault target: skipped for speed
        from vaegan_gluon.evaluation import scoring
        scoring.add_scores = lambda m, *a, **k: m
        if self.kill and self.kill[0] == "time":
            threading.Timer(self.kill[1], _die).start()
        self._install_writes()

    def _install_writes(self, patch=setattr):
        """Count the run's writes of each :data:`WRITE_TARGETS` file; with ``full_at`` the disk fills at the
        n-th write of one of them: that and every later write to the same disk (the dataset cache's, or
        the results' for every other target) fails with ENOSPC at its first
        ``write()``, as the kernel says it (no file name: a full disk fails the write, not the open).
        Checkpoints' parameter files (MXNet's C++ writer) are part_diskfull's."""
        import builtins
        import fnmatch
        h = self
        real_open, real_fdopen, real_mkstemp = builtins.open, os.fdopen, tempfile.mkstemp
        fd_paths = {}

        def target_of(path):
            try:
                path = os.fsdecode(path)
            except TypeError:
                return None
            name = os.path.basename(path)
            for target, (patterns, under) in WRITE_TARGETS.items():
                if any(fnmatch.fnmatch(name, p) for p in patterns) and (under is None or under(path)):
                    return target
            return None

        def watched(f, path, mode):
            if not isinstance(mode, str) or not any(c in mode for c in "wax+"):
                return f
            target = target_of(path)
            if target is not None:
                h.counts["write " + target] += 1
                if h.full_at and h.full_at[0] == target and h.counts["write " + target] == h.full_at[1]:
                    h.full = True
            # the dataset cache and the results are two disks: the one that filled stays full
            return _FullDisk(f) if h.full and _in_cache(path) == (h.full_at[0] == "dataset cache") else f

        def _open(file, mode="r", *a, **k):
            f = real_open(file, mode, *a, **k)
            return watched(f, file if not isinstance(file, int) else fd_paths.get(file, ""), mode)

        def _fdopen(fd, mode="r", *a, **k):
            f = real_fdopen(fd, mode, *a, **k)
            return watched(f, fd_paths.get(fd, ""), mode)

        def _mkstemp(*a, **k):
            fd, path = real_mkstemp(*a, **k)
            fd_paths[fd] = path
            return fd, path
        for mod, name, fn in ((builtins, "open", _open), (io, "open", _open), (os, "fdopen", _fdopen),
                              (tempfile, "mkstemp", _mkstemp)):
            patch(mod, name, fn)   # a test passes monkeypatch.setattr (undone after it)


class _FullDisk:
    """A file on a full disk: every ``write`` fails with ENOSPC (the rest is the real file's)."""

    def __init__(self, f):
        self._f = f

    def write(self, *a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    writelines = write

    def __getattr__(self, k):
        return getattr(self._f, k)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self._f.close()

    def __iter__(self):
        return iter(self._f)


def _in_cache(path):
    if not path:
        return False
    return os.path.abspath(path).startswith(os.path.abspath(os.environ.get("VAEGAN_CACHE", "/nonexistent")) + os.sep)


#: the files a run writes, besides checkpoints: target -> (file name patterns, where)
WRITE_TARGETS = {
    "config.json": (("*config.json",), lambda p: not _in_cache(p)),
    "training_statistics.csv": (("*training_statistics.csv",), None),
    "metrics.json": (("*metrics.json",), None),
    "README.md": (("*README.md",), lambda p: not _in_cache(p)),
    "images": (("*.png", "*.gif"), lambda p: not _in_cache(p)),
    "dataset cache": (("*",), lambda p: _in_cache(p) and os.sep + "ext" + os.sep not in p),   # not the kernels
}


def real_failure(mode, at, arg):
    """From this moment the kernel makes writes fail: ``fsize`` (RLIMIT_FSIZE = ``arg`` bytes: a write
    past it fails with EFBIG, SIGXFSZ ignored) or ``tmpfs`` (a filler file leaves ``arg[1]`` bytes free
    on the small tmpfs at ``arg[0]``: ENOSPC)."""
    if mode == "fsize":
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (arg, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    elif mode == "tmpfs":
        mount, leave = arg
        st = os.statvfs(mount)
        with open(os.path.join(mount, "filler"), "wb") as f:
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))


def child(argv, hooks=None, log=None, wait=True):
    """Fork; the child runs ``vaegan`` ``argv`` (with ``hooks``) and writes its counters to ``log``.json.

    Returns ``(pid)`` if not ``wait`` else ``{"status": ..., "stderr": ..., "counts": ...}``."""
    log = log or tempfile.mktemp(prefix="faults-child-")
    pid = os.fork()
    if pid == 0:   # the child
        rc = 70
        try:
            fd = os.open(log + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 2)
            out = os.open(log + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
            t0 = time.time()
            if hooks:
                hooks.install()
            from vaegan_gluon.cli import main
            rc = main(argv)
            if hooks:
                with _REAL_OPEN(log + ".json", "w") as f:   # the harness's own file: never on the "full disk"
                    json.dump({"counts": hooks.counts, "epochs": hooks.epochs, "seconds": time.time() - t0}, f)
        except BaseException:   # a traceback escaping main: what the campaign counts
            import traceback
            traceback.print_exc()
            rc = 71
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc if isinstance(rc, int) else 72)
    if not wait:
        return pid, log
    return collect(pid, log)


def collect(pid, log):
    """Wait for child ``pid`` and read what it left: exit signal or status, its stderr/stdout and its
    ``.json`` report (:func:`collect_status` with the report)."""
    _, st = os.waitpid(pid, 0)
    return collect_status(pid, log, st, report=True)


# ---------------------------------------------------------------------------------- comparisons
def run_dir_of(results):
    hits = glob.glob(os.path.join(results, "*", "*", "config.json"))
    return os.path.dirname(hits[0]) if hits else None


def stats_rows(run_dir, events=True):
    """The CSV's rows as text, timing columns aside (bitwise comparison); event rows optional."""
    path = os.path.join(run_dir, "training_statistics.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [tuple((k, v) for k, v in r.items() if k not in TIMING) for r in rows if events or not r.get("event")]


def weights(run_dir):
    out = {}
    for name in ("vae.params", "disc.params"):
        p = os.path.join(run_dir, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                out[name] = f.read()
    return out


def tracebacks(*texts):
    return any("Traceback (most recent call last)" in (t or "") for t in texts)


def error_lines(stderr):
    return [line for line in (stderr or "").splitlines() if line.startswith("vaegan: error:")]


# ---------------------------------------------------------------------------------------- parts
def references(work):
    refs = {}
    for scheme in SCHEMES:
        res_root = os.path.join(work, "ref-" + scheme)
        r = child(argv_for(scheme, res_root), Hooks())
        d = run_dir_of(res_root)
        assert r["status"] == 0 and d, f"reference run of {scheme} failed: {r['stderr'][-2000:]}"
        refs[scheme] = {"dir": d, "stats": stats_rows(d), "weights": weights(d), "counts": r["counts"],
                        "seconds": r["seconds"]}
        print(f"  reference {scheme}: {len(refs[scheme]['stats'])} epochs, {r['seconds']:.1f} s, {r['counts']}",
              flush=True)
    return refs


def _saved(trials, t, save, res_root):
    """Write the trials so far (a campaign killed midway keeps them); drop a survived trial's folder."""
    if save:
        save(trials)
    if t["survived"]:
        shutil.rmtree(res_root, ignore_errors=True)


def part_kill(work, refs, n, rng, save=None):
    kinds = ["solo", "combo", "ckpt", "report", "time"]
    trials = []
    i = 0
    while sum(t["killed"] for t in trials) < n and i < 2 * n + 10:   # n kills that landed
        scheme = list(SCHEMES)[i % len(SCHEMES)]
        ref = refs[scheme]
        kind = kinds[rng.randrange(len(kinds))]
        at = (round(rng.uniform(0.5, 0.7 * ref["seconds"]), 2) if kind == "time"   # before the run ends
              else rng.randint(1, max(1, ref["counts"][kind])))
        res_root = os.path.join(work, f"kill-{i:03d}")
        rec = os.path.join(work, f"kill-{i:03d}.epochs.json")
        first = child(argv_for(scheme, res_root), Hooks(kill=(kind, at)))
        d = run_dir_of(res_root)
        done_at_kill = len(stats_rows(d, events=False)) if d else 0
        killed = first["signal"] == signal.SIGKILL
        again = child(argv_for(scheme, res_root, "--resume"), Hooks(record=rec))
        d = run_dir_of(res_root)
        epochs = again.get("epochs", [])
        start = epochs[0] if epochs else (len(ref["stats"]) if again["status"] == 0 else None)
        t = {"part": "kill", "scheme": scheme, "kind": kind, "at": at, "killed": killed,
             "epochs_done_at_kill": done_at_kill, "resume_start": start, "resume_status": again["status"],
             "traceback": tracebacks(first.get("stderr"), again.get("stderr")),
             "stats_differ": d is None or stats_rows(d) != ref["stats"],
             "weights_differ": d is None or weights(d) != ref["weights"],
             "lost_epochs": max(0, done_at_kill - (start or 0)) if start is not None else done_at_kill}
        t["survived"] = (again["status"] == 0 and not t["traceback"] and not t["stats_differ"]
                         and not t["weights_differ"] and t["lost_epochs"] == 0)
        trials.append(t)
        print(f"  kill {i}: {scheme} {kind}@{at} killed={killed} done={done_at_kill} start={start} "
              f"survived={t['survived']}", flush=True)
        _saved(trials, t, save, res_root)
        i += 1
    return trials


# other-model+manifest: another model's file and a manifest rewritten to match it (a checkpoint folder
# assembled by hand): only the loader can tell
SHARD = (0, 1)   # --shard K/M: this process runs the broken-checkpoint trials i with i % M == K
CKPT_FAULTS = ("missing", "empty", "truncated", "garbage", "other-model", "other-model+manifest")


def _break(path, fault, other, rng):
    if fault == "missing":
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.unlink(path)
    elif fault == "empty":
        open(path, "wb").close()
    elif fault == "truncated":
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:rng.randrange(max(1, len(data)))])
    elif fault == "garbage":
        size = os.path.getsize(path) if os.path.exists(path) else 64
        with open(path, "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(max(size, 1))))
    elif fault.startswith("other-model"):
        shutil.copyfile(other, path)
        if fault.endswith("+manifest"):
            from vaegan_gluon.train import checkpoint as ckpt   # file hashes only, no mxnet operation
            ckpt._write_manifest(os.path.dirname(path))


def part_checkpoint(work, refs, n, rng, save=None):
    trials = []
    combos = []
    for scheme, ref in refs.items():
        ck = os.path.join(ref["dir"], "checkpoints")
        latest = json.load(open(os.path.join(ck, "latest.json")))["dir"]
        files = ["latest.json"] + [os.path.join(latest, f) for f in sorted(os.listdir(os.path.join(ck, latest)))]
        for f in files:
            for fault in CKPT_FAULTS:
                if fault.endswith("+manifest") and os.path.basename(f) in ("latest.json", "manifest.json"):
                    continue   # latest.json is outside the manifest; a rewritten manifest is no damage
                for both in (False, True):   # both: the same file broken in every kept checkpoint
                    combos.append((scheme, f, fault, both))
    rng.shuffle(combos)
    grid = [c for c in combos if c[0] == list(SCHEMES)[0]]   # every file x every damage x both, one scheme
    if n >= len(grid):   # then the others' newest checkpoint, then the others' every checkpoint
        combos = grid + [c for c in combos if c[0] != grid[0][0] and not c[3]] + [
            c for c in combos if c[0] != grid[0][0] and c[3]]
    for i, (scheme, f, fault, both) in enumerate(combos[:n]):
        if i % SHARD[1] != SHARD[0]:
            continue   # another process's share (--shard)
        ref = refs[scheme]
        res_root = os.path.join(work, f"ckpt-{i:03d}")
        shutil.copytree(os.path.dirname(os.path.dirname(ref["dir"])), res_root)
        d = run_dir_of(res_root)
        ck = os.path.join(d, "checkpoints")
        others = [s for s in refs if s != scheme]
        other_ck = os.path.join(refs[others[i % len(others)]]["dir"], "checkpoints")
        targets = [f] if f == "latest.json" or not both else [
            os.path.join(e, os.path.basename(f)) for e in os.listdir(ck) if e.startswith("epoch-")]
        for tgt in targets:
            other = os.path.join(other_ck, tgt) if os.path.exists(os.path.join(other_ck, tgt)) else os.path.join(
                other_ck, "latest.json")
            _break(os.path.join(ck, tgt), fault, other, rng)
        r = child(argv_for(scheme, res_root, "--resume"), Hooks())
        rows = stats_rows(d)
        events = [dict(row).get("event") for row in rows if dict(row).get("event")]
        warned = [line for line in r["stderr"].splitlines() if "resume:" in line and "warning" in line]
        errors = error_lines(r["stderr"])
        epochs = r.get("epochs", [])
        t = {"part": "checkpoint", "scheme": scheme, "file": f, "fault": fault, "every_checkpoint": both,
             "combos_of_scheme": sum(c[0] == scheme for c in combos),
             "status": r["status"], "traceback": tracebacks(r["stderr"]), "resume_start": epochs[0] if epochs else None,
             "fell_back": bool(warned) and len(events) == 1, "stopped": r["status"] == 2 and len(errors) == 1,
             "names_file": bool(errors) and os.path.basename(f) in errors[0] or bool(warned),
             "message": (errors or warned or [""])[0][:1000],
             "stats_differ": stats_rows(d, events=False) != ref["stats"] if r["status"] == 0 else False}
        t["silent_restart"] = r["status"] == 0 and not warned and t["resume_start"] == 0
        t["silent"] = r["status"] == 0 and not warned and epochs != []   # trained again without saying so
        t["lost_epochs"] = (len(ref["stats"]) - t["resume_start"]) if (t["resume_start"] is not None) else 0
        t["survived"] = (not t["traceback"] and not t["silent_restart"] and not t["stats_differ"]
                         and not t["silent"] and (t["fell_back"] or (t["stopped"] and t["names_file"]) or
                                                  (r["status"] == 0 and not epochs)))
        trials.append(t)
        print(f"  checkpoint {i}: {scheme} {f} {fault} every={both} status={r['status']} fell_back={t['fell_back']} "
              f"stopped={t['stopped']} survived={t['survived']}", flush=True)
        _saved(trials, t, save, res_root)
    return trials


DISK_MODES = ("ENOSPC", "EACCES", "fsize", "tmpfs")


def _mount_tmpfs(path, size="64m"):
    """A small tmpfs at ``path`` (root only); None if mounted, else why not."""
    os.makedirs(path, exist_ok=True)
    import subprocess
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        return f"{type(err).__name__}: {err}"
    return None if p.returncode == 0 else (p.stderr.strip() or f"mount exit {p.returncode}")


def _umount(path):
    import subprocess
    subprocess.run(["umount", path], capture_output=True, timeout=60)


def _ckpt_bytes(ref):
    """(total bytes, largest file) of the reference's newest checkpoint folder."""
    ck = os.path.join(ref["dir"], "checkpoints")
    folder = sorted(e for e in os.listdir(ck) if e.startswith("epoch-"))[-1]
    sizes = [os.path.getsize(os.path.join(ck, folder, f)) for f in os.listdir(os.path.join(ck, folder))]
    return sum(sizes), max(sizes)


def part_diskfull(work, refs, n, rng, save=None):
    """A checkpoint write that fails: an injected OSError (ENOSPC, EACCES) at a seeded I/O step; the
    kernel's own EFBIG past RLIMIT_FSIZE; a real ENOSPC on a small tmpfs filled up to a seeded number of
    free bytes (root only). Then --resume once the cause is gone."""
    trials = []
    mount = os.path.join(work, "tmpfs")
    no_tmpfs = _mount_tmpfs(mount) if n else "not tried"
    try:
        for i in range(n):
            scheme = list(SCHEMES)[i % len(SCHEMES)]
            # 12 trials: every scheme meets every mode; fewer (CI): a real full disk first
            mode = DISK_MODES[(i + (3 if n < len(DISK_MODES) else 0)) % len(DISK_MODES)]
            if mode == "tmpfs" and no_tmpfs:
                mode = "fsize"
            ref = refs[scheme]
            total, largest = _ckpt_bytes(ref)
            if mode in ("ENOSPC", "EACCES"):
                err = getattr(errno, mode)
                at = rng.randint(ref["counts"]["ckpt"] // 5 + 1, ref["counts"]["ckpt"])   # not the epoch-0 one
                fail, detail = (err, at), at
            else:
                at = rng.randint(2, ref["counts"]["saves"])   # the save of epoch at-1: epoch-0 one exists
                arg = rng.randint(64, largest - 1) if mode == "fsize" else (mount, rng.randint(0, total // 2))
                fail, detail = (mode, at, arg), f"save {at}, " + (
                    f"RLIMIT_FSIZE {arg} B" if mode == "fsize" else f"{arg[1]} B free")
            res_root = os.path.join(mount if mode == "tmpfs" else work, f"disk-{i:03d}")
            r = child(argv_for(scheme, res_root), Hooks(fail=fail))
            d = run_dir_of(res_root)
            errors = error_lines(r["stderr"])
            from vaegan_gluon.train import checkpoint as ckpt   # no mxnet operation: only file checks
            latest = ckpt.latest_checkpoint(os.path.join(d, "checkpoints")) if d else None
            intact = latest is not None and ckpt.verify_checkpoint(latest) is None
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(mount, "filler"))   # the user frees disk space
            again = child(argv_for(scheme, res_root, "--resume"), Hooks())
            why = {"ENOSPC": (os.strerror(errno.ENOSPC),), "EACCES": (os.strerror(errno.EACCES),),
                   "fsize": (os.strerror(errno.EFBIG), "Write incomplete"),
                   "tmpfs": (os.strerror(errno.ENOSPC), "Write incomplete")}[mode]
            t = {"part": "diskfull", "scheme": scheme, "mode": mode, "errno": mode if mode in ("ENOSPC", "EACCES")
                 else ("EFBIG" if mode == "fsize" else "ENOSPC"), "at": detail, "status": r["status"],
                 "signal": r["signal"], "message": errors[0][:400] if errors else r["stderr"][-400:],
                 "clear_message": len(errors) == 1 and "could not write checkpoint" in errors[0]
                 and "--resume" in errors[0] and any(w in errors[0] for w in why),
                 "previous_intact": intact, "traceback": tracebacks(r["stderr"], again["stderr"]),
                 "resume_status": again["status"], "stats_differ": stats_rows(d) != ref["stats"] if d else True,
                 "weights_differ": weights(d) != ref["weights"] if d else True, "lost_epochs": 0}
            t["survived"] = (r["status"] == 1 and t["clear_message"] and intact and not t["traceback"]
                             and again["status"] == 0 and not t["stats_differ"] and not t["weights_differ"])
            trials.append(t)
            print(f"  disk {i}: {scheme} {mode} {detail} status={r['status']} intact={intact} "
                  f"survived={t['survived']} {t['message'][:200]}", flush=True)
            if mode == "tmpfs" and not t["survived"]:   # kept past the umount
                shutil.copytree(res_root, os.path.join(work, f"disk-{i:03d}"), dirs_exist_ok=True)
            _saved(trials, t, save, res_root)
    finally:
        if not no_tmpfs:
            _umount(mount)
    if no_tmpfs and n:
        trials.append({"part": "diskfull-note", "survived": True, "tmpfs": f"not possible: {no_tmpfs}"})
    return trials


def _rows_prefix(rows, ref_rows):
    """The CSV rows left on disk are the reference's first rows (nothing already written was lost)."""
    return rows == ref_rows[:len(rows)]


def part_writes(work, refs, n, rng, save=None):
    """The disk fills at the n-th write of one file the run writes besides checkpoints (config.json, the
    CSV, metrics.json, the report's README.md, its images, the dataset cache) and stays full for the
    rest of the run; then the space is freed and the run resumed (``--resume``, or run again when no run
    folder was made). Survived: one ``vaegan: error:`` line naming the file and what to do (or, for the
    cache, a warning and the run going on without it), no traceback, nothing already written lost (the
    CSV's rows a prefix of the uninterrupted run's, the newest checkpoint intact, no temporary files
    left), and the resumed run's statistics and weights bit for bit the uninterrupted run's."""
    from vaegan_gluon.train import checkpoint as ckpt   # file checks only
    trials = []
    targets = list(WRITE_TARGETS)
    if n < len(targets):   # the reduced campaign: the cache (another disk) and the CSV (rows already written) first
        targets = ["dataset cache", "training_statistics.csv"] + [x for x in targets if x not in (
            "dataset cache", "training_statistics.csv")]
    for i in range(n):
        target = targets[i % len(targets)]
        scheme = list(SCHEMES)[(i // len(targets)) % len(SCHEMES)] if n >= len(targets) else list(SCHEMES)[i % 3]
        ref = refs[scheme]
        cache = os.environ["VAEGAN_CACHE"]
        if target == "dataset cache":   # a cache to build: a fresh one (the kernels copied, not data)
            fresh = os.path.join(work, f"writes-cache-{i:03d}")
            os.makedirs(fresh, exist_ok=True)
            if os.path.isdir(os.path.join(cache, "ext")):
                shutil.copytree(os.path.join(cache, "ext"), os.path.join(fresh, "ext"), dirs_exist_ok=True)
            os.environ["VAEGAN_CACHE"] = fresh
            total = 1
        else:
            total = max(1, ref["counts"].get("write " + target, 1))
        at = rng.randint(1, total)
        res_root = os.path.join(work, f"writes-{i:03d}")
        try:
            r = child(argv_for(scheme, res_root), Hooks(full_at=(target, at)))
            d = run_dir_of(res_root)
            errors = error_lines(r["stderr"])
            warned = [ln for ln in r["stderr"].splitlines() if "warning" in ln.lower() and "No space" in ln]
            rows = stats_rows(d) if d else []
            try:
                latest = ckpt.latest_checkpoint(os.path.join(d, "checkpoints")) if d else None
                intact = latest is None or ckpt.verify_checkpoint(latest) is None
            except (OSError, ValueError):
                intact = False
            temps = [p for p in glob.glob(os.path.join(res_root, "**", ".tmp*"), recursive=True)]
            temps += [p for p in glob.glob(os.path.join(os.environ["VAEGAN_CACHE"], "**", "*.tmp*"), recursive=True)]
            again = child(argv_for(scheme, res_root, *(["--resume"] if d else [])), Hooks())
        finally:
            os.environ["VAEGAN_CACHE"] = cache
        d = run_dir_of(res_root)
        base = {"images": (".png", ".gif"), "dataset cache": (".npy", ".sha256", ".csv")}.get(target, (target,))
        line = errors[0] if len(errors) == 1 else ""
        t = {"part": "writes", "scheme": scheme, "target": target, "at": f"write {at} of {total}",
             "status": r["status"], "signal": r["signal"],
             "message": (errors or warned
                         or [r["stderr"].strip().splitlines()[-1] if r["stderr"].strip() else ""])[0][:400],
             "one_line": len(errors) == 1, "names_file": any(b in line for b in base),
             "says_what_to_do": any(w in line for w in ("free", "--resume", "--results")),
             "went_on_warned": r["status"] == 0 and bool(warned),
             "traceback": tracebacks(r["stderr"], again["stderr"]),
             "rows_kept": _rows_prefix(rows, ref["stats"]), "checkpoint_intact": intact,
             "temp_files": [os.path.basename(p) for p in temps],
             "resume_status": again["status"],
             "stats_differ": stats_rows(d) != ref["stats"] if d else True,
             "weights_differ": weights(d) != ref["weights"] if d else True}
        t["clear_message"] = (t["one_line"] and t["names_file"] and os.strerror(errno.ENOSPC) in line
                              and t["says_what_to_do"]) or t["went_on_warned"]
        t["lost"] = not (t["rows_kept"] and intact and not t["temp_files"])
        t["survived"] = (t["clear_message"] and not t["lost"] and not t["traceback"] and again["status"] == 0
                         and not t["stats_differ"] and not t["weights_differ"] and r["signal"] is None)
        resumed_rows = stats_rows(d) if d else []
        t["resumed_csv_short"] = bool(resumed_rows) and len(resumed_rows) < len(ref["stats"]) and \
            _rows_prefix(resumed_rows, ref["stats"])   # the resume kept the CSV as it was, rows missing
        known = []   # what explains a failure, when all else held (see KNOWN_DEFECTS)
        if not t["clear_message"] and t["one_line"] and os.strerror(errno.ENOSPC) in line and target != "dataset cache":
            known.append("write-names-no-file")
        if t["stats_differ"] and t["resumed_csv_short"]:
            known.append("resume-csv-not-rewritten")
        if (not t["survived"] and known and not t["lost"] and not t["traceback"] and again["status"] == 0
                and not t["weights_differ"] and (t["clear_message"] or "write-names-no-file" in known)
                and (not t["stats_differ"] or "resume-csv-not-rewritten" in known)):
            t["known_defect"] = "+".join(known)
        trials.append(t)
        print(f"  writes {i}: {scheme} {target} {t['at']} status={r['status']} resume={again['status']} "
              f"survived={t['survived']} {t['message'][:200]}", flush=True)
        _saved(trials, t, save, res_root)
    return trials


def _image_folder(path, n, seed=0, size=28):
    """``n`` random grey PNGs in ``path`` (the run's --data)."""
    import numpy as np
    from PIL import Image
    os.makedirs(path, exist_ok=True)
    rs = np.random.RandomState(seed)
    for i in range(n):
        Image.fromarray(rs.randint(0, 256, (size, size), dtype=np.uint8), "L").save(os.path.join(path, f"{i:03d}.png"))
    return path


def _csv_dicts(run_dir):
    """The CSV's rows as dicts, timing columns aside (an older version's columns compare key by key)."""
    path = os.path.join(run_dir, "training_statistics.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in TIMING} for r in csv.DictReader(f)]


def _snapshot(run_dir):
    """{relative path: bytes} of what a refused resume must leave alone (the lock aside)."""
    out = {}
    for dirpath, _, files in os.walk(run_dir or "/nonexistent"):
        for f in files:
            if f != ".vaegan.lock":
                p = os.path.join(dirpath, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, run_dir)] = fh.read()
    return out


DATA_CASES = (   # (class, variant); the first of each class first: the quick campaign takes those
    ("changed data", "one image's pixels"), ("corrupt cache", "bytes changed, same size"),
    ("empty split", "one image (no held-out)"), ("old checkpoint", 0),
    ("changed data", "one image added"), ("corrupt cache", "truncated"), ("empty split", "no images"),
    ("old checkpoint", 1),
    ("changed data", "one image removed"), ("corrupt cache", "digest file missing"),
    ("empty split", "only undecodable files"),
    ("changed data", "every image replaced"), ("corrupt cache", "garbage"),
)


def part_data(work, refs, n, rng, save=None):
    """Data faults and checkpoints of an older version (see each class in :data:`DATA_CASES`):

    - changed data under a resumed run (a run on an image folder killed after its solo epochs, the
      folder changed, ``--resume``): refused with one line (other data, ``--allow-other-data``), nothing in
      the run folder rewritten; with the data put back, the resume finishes;
    - a corrupt dataset cache (``$VAEGAN_CACHE/mnist-5k/*.npy``): detected, rebuilt with a warning naming
      the file, and the run's statistics and weights bit for bit the uninterrupted run's (the right data);
    - an empty split (``--data`` with 0 or 1 images, or none decodable): one line naming ``--data`` before
      training, no run folder left;
    - an old checkpoint (``benchmarks/faults_data/old-*``, made by :mod:`benchmarks.faults_old_checkpoint`):
      ``--resume`` by today's package finishes, or stops with one line naming a file of it."""
    trials = []
    for i, (cls, variant) in enumerate(DATA_CASES[:n]):
        res_root = os.path.join(work, f"data-{i:03d}")
        t = {"part": "data", "class": cls, "variant": variant}
        if cls == "changed data":
            folder = _image_folder(os.path.join(work, f"data-{i:03d}-images"), 96, seed=i)
            argv = argv_for("learnable_loss", res_root, "--data", folder)
            first = child(argv, Hooks(kill=("combo", 1)))
            d = run_dir_of(res_root)
            names = sorted(os.listdir(folder))
            keep = {f: open(os.path.join(folder, f), "rb").read() for f in names}
            if variant == "one image's pixels":
                _image_folder(os.path.join(work, "tmp-one"), 1, seed=999)
                shutil.move(os.path.join(work, "tmp-one", "000.png"), os.path.join(folder, names[rng.randrange(96)]))
            elif variant == "one image added":
                _image_folder(os.path.join(work, "tmp-one"), 1, seed=998)
                shutil.move(os.path.join(work, "tmp-one", "000.png"), os.path.join(folder, "zzz-added.png"))
            elif variant == "one image removed":
                os.unlink(os.path.join(folder, names[rng.randrange(96)]))
            else:
                _image_folder(folder, 96, seed=1000 + i)
            before = _snapshot(d)
            again = child(argv + ["--resume"], Hooks())
            errors = error_lines(again["stderr"])
            t.update({"first_signal": first["signal"], "status": again["status"],
                      "message": (errors or [""])[0][:400],
                      "refused": again["status"] == 2 and len(errors) == 1 and "other data" in errors[0]
                      and "--allow-other-data" in errors[0],
                      "rewritten": sorted(k for k, v in _snapshot(d).items() if before.get(k) != v)
                      + sorted(set(before) - set(_snapshot(d)))})
            for f in os.listdir(folder):   # the data put back
                if f not in keep:
                    os.unlink(os.path.join(folder, f))
            for f, b in keep.items():
                with open(os.path.join(folder, f), "wb") as fh:
                    fh.write(b)
            back = child(argv + ["--resume"], Hooks())
            t.update({"resume_status": back["status"],
                      "traceback": tracebacks(first["stderr"], again["stderr"], back["stderr"])})
            t["silent_data_change"] = again["status"] == 0
            t["survived"] = (first["signal"] == signal.SIGKILL and t["refused"] and not t["rewritten"]
                             and back["status"] == 0 and not t["traceback"])
        elif cls == "corrupt cache":
            cache = os.environ["VAEGAN_CACHE"]
            fresh = os.path.join(work, f"data-{i:03d}-cache")
            shutil.copytree(cache, fresh, ignore=shutil.ignore_patterns("*.tmp*"))
            (npy,) = glob.glob(os.path.join(fresh, "mnist-5k", "*.npy"))
            raw = bytearray(open(npy, "rb").read())
            if variant == "bytes changed, same size":
                pos = rng.randrange(200, len(raw) - 100)
                raw[pos:pos + 100] = bytes((b + 1) % 256 for b in raw[pos:pos + 100])
                open(npy, "wb").write(raw)
            elif variant == "truncated":
                open(npy, "wb").write(raw[:rng.randrange(len(raw))])
            elif variant == "digest file missing":
                raw[-50:] = bytes((b + 7) % 256 for b in raw[-50:])
                open(npy, "wb").write(raw)
                for f in glob.glob(os.path.join(fresh, "mnist-5k", "*.sha256")):
                    os.unlink(f)
            else:
                open(npy, "wb").write(bytes(rng.randrange(256) for _ in range(len(raw))))
            ref = refs["learnable_loss"]
            os.environ["VAEGAN_CACHE"] = fresh
            try:
                r = child(argv_for("learnable_loss", res_root), Hooks())
            finally:
                os.environ["VAEGAN_CACHE"] = cache
            d = run_dir_of(res_root)
            warned = [ln for ln in r["stderr"].splitlines() if "warning" in ln.lower() and os.path.basename(npy) in ln]
            t.update({"status": r["status"], "message": (warned or error_lines(r["stderr"]) or [""])[0][:400],
                      "warned": len(warned) == 1 and "rebuil" in warned[0],
                      "traceback": tracebacks(r["stderr"]),
                      "stats_differ": stats_rows(d) != ref["stats"] if d else True,
                      "weights_differ": weights(d) != ref["weights"] if d else True})
            t["silent_data_change"] = t["stats_differ"] and not warned
            # a cache without its digest file (as written before digests) is rebuilt quietly: nothing to disagree
            t["rebuilt_quietly"] = variant == "digest file missing" and not warned
            t["survived"] = (r["status"] == 0 and (t["warned"] or t["rebuilt_quietly"]) and not t["stats_differ"]
                             and not t["weights_differ"] and not t["traceback"])
        elif cls == "empty split":
            folder = os.path.join(work, f"data-{i:03d}-images")
            os.makedirs(folder, exist_ok=True)
            if variant == "one image (no held-out)":
                _image_folder(folder, 1)
            elif variant == "only undecodable files":
                for k in range(3):
                    with open(os.path.join(folder, f"{k}.png"), "w") as f:
                        f.write("not an image")
            r = child(argv_for("learnable_loss", res_root, "--data", folder), Hooks())
            errors = error_lines(r["stderr"])
            left = [p for p in glob.glob(os.path.join(res_root, "**"), recursive=True) if os.path.isfile(p)]
            t.update({"status": r["status"], "message": (errors or [""])[0][:400], "left_files": len(left),
                      "trained_epochs": len(r.get("epochs", [])), "traceback": tracebacks(r["stderr"])})
            t["names_data"] = bool(errors) and ("--data" in errors[0] or folder in errors[0])   # the option or its path
            t["survived"] = (r["status"] == 2 and len(errors) == 1 and t["names_data"] and not left
                             and not t["trained_epochs"] and not t["traceback"])
        else:   # old checkpoint
            from benchmarks.faults_old_checkpoint import fixtures
            fx = fixtures()
            if variant >= len(fx):
                continue
            folder, made = fx[variant]
            shutil.copytree(os.path.join(folder, "results"), res_root)
            old = run_dir_of(res_root)
            old_rows = _csv_dicts(old)
            rec = os.path.join(work, f"data-{i:03d}.epochs.json")
            argv = list(made["argv"]) + ["--results", res_root, "--resume"]
            r = child(argv, Hooks(record=rec))
            errors = error_lines(r["stderr"])
            dirs = glob.glob(os.path.join(res_root, "*", "*", "config.json"))
            epochs = r.get("epochs", [])
            t.update({"variant": f"{made['commit']} ({made['date'][:10]})", "status": r["status"],
                      "message": (errors or [""])[0][:400], "resume_start": epochs[0] if epochs else None,
                      "run_folders": len(dirs), "traceback": tracebacks(r["stderr"]),
                      "old_rows_kept": [{k: r.get(k) for k in old_rows[0]} for r in _csv_dicts(old)[:len(old_rows)]]
                      == old_rows if old_rows else True})
            t["resumed"] = r["status"] == 0 and len(dirs) == 1 and t["resume_start"] == 2 and os.path.exists(
                os.path.join(old, "metrics.json"))
            t["stopped"] = r["status"] in (1, 2) and len(errors) == 1 and any(
                w in errors[0] for w in ("checkpoint", ".json", ".params", ".states", "config"))
            t["survived"] = (t["resumed"] or t["stopped"]) and not t["traceback"] and t["old_rows_kept"]
        t.setdefault("lost_epochs", 0)
        trials.append(t)
        print(f"  data {i}: {cls} / {t['variant']} survived={t['survived']} {t.get('message', '')[:200]}", flush=True)
        _saved(trials, t, save, res_root)
    return trials


def part_lock(work, refs, n, rng, save=None):
    trials = []
    for i in range(n):
        scheme = list(SCHEMES)[i % len(SCHEMES)]
        ref = refs[scheme]
        res_root = os.path.join(work, f"lock-{i:03d}")
        stale = i % 3 == 2 or (n == 2 and i == 1)
        pid, log = child(argv_for(scheme, res_root), Hooks(slow=0.05, kill=("combo", 1) if stale else None),
                         wait=False)
        deadline = time.time() + 120
        while time.time() < deadline and not glob.glob(os.path.join(res_root, "*", "*", ".vaegan.lock")):
            time.sleep(0.05)
        if stale:
            first = collect(pid, log)           # killed -9 while holding the lock
            second = child(argv_for(scheme, res_root, "--resume"), Hooks())
            t = {"part": "lock", "scheme": scheme, "case": "stale lock of a killed run, --resume",
                 "second_status": second["status"],
                 "warned": "took over the stale lock" in second["stderr"],
                 "traceback": tracebacks(second["stderr"]),
                 "stats_differ": stats_rows(run_dir_of(res_root)) != ref["stats"], "lost_epochs": 0}
            t["survived"] = first["signal"] == signal.SIGKILL and second["status"] == 0 and t["warned"] \
                and not t["stats_differ"] and not t["traceback"]
        else:
            flag = ["--overwrite"] if i % 2 else []
            t0 = time.time()
            second = child(argv_for(scheme, res_root, *flag), None)
            waited = time.time() - t0
            first = collect(pid, log)
            errors = error_lines(second["stderr"])
            t = {"part": "lock", "scheme": scheme, "case": "second run" + (" --overwrite" if flag else ""),
                 "second_status": second["status"], "second_seconds": round(waited, 2),
                 "names_holder": bool(errors) and f"pid {pid} on {socket.gethostname()}" in errors[0],
                 "first_status": first["status"], "traceback": tracebacks(first["stderr"], second["stderr"]),
                 "stats_differ": stats_rows(run_dir_of(res_root)) != ref["stats"], "lost_epochs": 0}
            t["survived"] = (second["status"] == 1 and len(errors) == 1 and t["names_holder"]
                             and first["status"] == 0 and not t["stats_differ"] and not t["traceback"])
        trials.append(t)
        print(f"  lock {i}: {t['case']} survived={t['survived']}", flush=True)
        _saved(trials, t, save, res_root)
    return trials


# ---------------------------------------------------------------------------------- settings fuzz
class _Accepted(BaseException):
    """Raised instead of training: the settings were accepted (models and data built, trainer set up)."""


def part_settings(work, n, seed):
    """hypothesis over every --set key of the three experiments and --ctx/--data/--scale/--resume."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    from hypothesis import seed as hyp_seed
    from vaegan_gluon.cli import main
    from vaegan_gluon.experiments import get_config, parse_value, valid_keys
    from vaegan_gluon.train.trainer import Trainer

    os.chdir(work)   # relative paths a fuzzed value names (cache_dir=H) land in the scratch folder
    keys = sorted({(name, k) for name, _ in SCHEMES.values() for k in valid_keys(get_config(name, "quick"))})
    afile = os.path.join(work, "a-file.txt")
    open(afile, "w").write("not a folder")
    os.makedirs(os.path.join(work, "empty-dir"), exist_ok=True)
    values = st.one_of(
        st.integers(min_value=-10 ** 30, max_value=10 ** 30).map(str),
        st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "0", "-1", "1e-320", ""]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=12), st.sampled_from(["true", "false", "null", "[]", "{}", "[1, 2]", '{"a": 1}',
                                               "\u00e9\u00e8", "\U0001F600", "x" * 10_000, "\x00", "1 2"]))
    ctx = st.sampled_from([None] * 12 + ["cpu", "cpu:0", "gpu", "gpu:0,1", "tpu", "cpu:x", "", "cpu:-1", "\u00e9"])
    data = st.sampled_from([None] * 12 + ["/nonexistent/faces", afile, os.path.join(work, "empty-dir"), ""])
    scale = st.sampled_from([None] * 12 + ["quick", "medium", "nope", "", "QUICK"])
    trials = []
    real_fit = Trainer.fit

    def fake_fit(self, train, resume=False):   # everything up to the first mxnet operation, then stop
        raise _Accepted()

    @hyp_seed(seed)   # the same examples for the same --seed (CI is reproducible)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(key=st.sampled_from(keys), value=values, ctx=ctx, data=data, scale=scale, resume=st.booleans(),
           n_sets=st.integers(1, 3), more=st.lists(st.tuples(st.sampled_from(keys), values), max_size=2))
    def one(key, value, ctx, data, scale, resume, n_sets, more):
        name, k = key
        argv = ["run", name, "--results", os.path.join(work, "fuzz-results"), "--no-progress",
                "--set", f"{k}={value}"]
        for (n2, k2), v2 in more[: n_sets - 1]:
            if n2 == name:
                argv += ["--set", f"{k2}={v2}"]
        if ctx is not None:
            argv += ["--ctx", ctx]
        if data is not None:
            argv += ["--data", data]
        if scale is not None:
            argv += ["--scale", scale]
        if resume:
            argv += ["--resume"]
        err = io.StringIO()
        outcome, rc = "accepted", None
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                rc = main(argv)
            except _Accepted:
                rc = 0
            except SystemExit as e:   # argparse: exit 2 with usage + one error line
                rc = e.code
            except BaseException as e:  # noqa: BLE001  a traceback
                outcome = f"traceback: {type(e).__name__}: {e}"[:300]
        text = err.getvalue()
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("usage:")
                 and not line.startswith("  ") and "warning" not in line]
        if outcome == "accepted" and rc != 0:
            # exit 2: a bad value; exit 1: a valid request this machine cannot serve (a GPU on a CPU box)
            outcome = ("rejected" if rc in (1, 2) and len(lines) == 1
                       else f"bad rejection (exit {rc}, {len(lines)} lines)")
        t = {"part": "settings", "argv": argv[1:2] + [a[:60] for a in argv[5:]], "outcome": outcome, "exit": rc,
             "message": lines[0][:300] if lines else ""}
        if outcome == "accepted":   # the whole command: the training part runs it for real
            t["full_argv"] = argv
        set_keys = [a.split("=", 1)[0] for a in argv[argv.index("--set"):] if "=" in a and not a.startswith("--")]
        if outcome == "rejected":
            # the message names what was wrong: a key set (or its last part), the option, or the path
            named = ["--ctx", "context", "--data", "--scale", "scale", "resume", "key"] + ([data] if data else [])
            named += [w for key_ in set_keys for w in (key_, key_.split(".")[-1])]
            # or a setting the one set depends on (flip_when_disc_acc needs flip_steps >= 1)
            named += [f"{kk.split('.')[-1]}=" for nn, kk in keys if nn == name]
            t["names_key"] = any(w in t["message"] for w in named)
        parsed = [parse_value(a.split("=", 1)[1]) for a in argv if "=" in a and a.split("=", 1)[0] in set_keys]
        t["nonfinite_accepted"] = outcome == "accepted" and any(
            isinstance(v, float) and not math.isfinite(v) for v in parsed)
        trials.append(t)

    Trainer.fit = fake_fit
    try:
        one()
    finally:
        Trainer.fit = real_fit
    return trials


# ---------------------------------------------------------------------- settings fuzz, trained
#: what an accepted fuzz example trains on: a few steps of quick scale (its own --set come after these,
#: so a fuzzed key keeps its fuzzed value)
TRAIN_TINY = ["--scale", "quick", "--set", "data.n_train=16", "--set", "data.n_val=8", "--set", "train.n_epochs=1",
              "--set", "train.batch_size=8", "--set", "eval.n_samples=4", "--set", "train.log_interval=1"]
TRAIN_BUDGET = 90.0   # seconds a trained example may take (a fuzzed n_epochs=10**9 is accepted, not a defect)
TRAIN_BUDGET_QUICK = 30.0   # --quick (CI): data.n_train=1636060 (all 5,000 MNIST images) is over it


def _fuzz_train_argv(argv, results):
    """The accepted fuzz command ``argv`` (``run NAME --results R ...``) with the tiny settings, into ``results``."""
    rest = list(argv[2:])
    i = rest.index("--results")
    rest[i + 1] = results
    return argv[:2] + TRAIN_TINY + rest


def _leftovers(results):
    """What a failed run left that nobody can use: ``.tmp-*`` folders, and run folders with neither a
    finished report (metrics.json) nor a checkpoint to resume from."""
    bad = glob.glob(os.path.join(results, "**", ".tmp-*"), recursive=True)
    for cfg in glob.glob(os.path.join(results, "**", "config.json"), recursive=True):
        d = os.path.dirname(cfg)
        if not os.path.exists(os.path.join(d, "metrics.json")) and not os.path.exists(
                os.path.join(d, "checkpoints", "latest.json")):
            bad.append(d)
    return sorted(bad)


def part_trainfuzz(work, n, seed, sample=None, budget=TRAIN_BUDGET, validated=None):
    """The settings fuzz (``n`` hypothesis examples, as :func:`part_settings`), then every accepted example
    (or a seeded ``sample`` of them) trained for real, a few steps of quick scale, in a forked child:
    it finishes (metrics.json and README.md written), or stops with one ``vaegan: error:`` line naming a
    setting it was given, no traceback and nothing half-written left behind."""
    if validated is None:   # the settings part's own examples when it ran in this campaign (same n, seed)
        validated = in_child(part_settings, work, n, seed)
    accepted = [t for t in validated if t.get("outcome") == "accepted" and t.get("full_argv")]
    chosen = accepted if sample is None or sample >= len(accepted) else random.Random(seed).sample(accepted, sample)
    print(f"  trainfuzz: {len(accepted)} of {len(validated)} examples accepted, training {len(chosen)}", flush=True)
    trials = []
    for i, v in enumerate(chosen):
        results = os.path.join(work, f"trainfuzz-{i:03d}")
        argv = _fuzz_train_argv(v["full_argv"], results)
        t0 = time.time()
        pid, log = child(argv, None, wait=False)
        timed_out = False
        while True:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                r = collect_status(pid, log, _)
                break
            if time.time() - t0 > budget:
                os.kill(pid, signal.SIGKILL)
                timed_out = True
                r = collect(pid, log)
                break
            time.sleep(0.1)
        secs = round(time.time() - t0, 2)
        errors = error_lines(r["stderr"])
        sets = [a for a in v["full_argv"][2:] if "=" in a and not a.startswith("--")]
        named = ["--ctx", "--scale", "--resume", "--data"] + [w for a in sets for k in (a.split("=", 1)[0],)
                                                             for w in (k, k.split(".")[-1])]
        d = run_dir_of(results)
        finished = r["status"] == 0 and d is not None and all(
            os.path.exists(os.path.join(d, f)) for f in ("metrics.json", "README.md"))
        t = {"part": "trainfuzz", "argv": [a[:60] for a in argv[1:2] + v["full_argv"][5:]], "status": r["status"],
             "signal": r["signal"], "seconds": secs, "timed_out": timed_out,
             "traceback": tracebacks(r["stderr"], r.get("stdout")),
             "message": (errors or [r["stderr"].strip().splitlines()[-1] if r["stderr"].strip() else ""])[0][:300]}
        if finished:
            t["outcome"] = "trained"
        elif timed_out:
            t["outcome"] = "over budget"
        elif r["status"] in (1, 2) and len(errors) == 1 and not t["traceback"]:
            t["outcome"] = "refused"
            t["names_setting"] = any(w in errors[0] for w in named)
        else:
            t["outcome"] = f"failed (exit {r['status']}, signal {r['signal']}, {len(errors)} error lines)"
        t["leftovers"] = [os.path.relpath(x, results) for x in _leftovers(results)] if not finished else []
        t["survived"] = (t["outcome"] in ("trained", "over budget") or (
            t["outcome"] == "refused" and t["names_setting"])) and not t["leftovers"] and not t["traceback"]
        if not t["survived"] and t["outcome"] == "refused" and "TrainingDiverged" in t["message"] \
                and not t["leftovers"] and any("disc_lr" in a for a in sets):
            t["known_defect"] = "diverged-names-lr-only"
        trials.append(t)
        print(f"  trainfuzz {i}: {t['outcome']} {secs} s survived={t['survived']} {' '.join(t['argv'])[:160]} "
              f"{t['message'][:160] if not finished else ''}", flush=True)
        if t["survived"]:
            shutil.rmtree(results, ignore_errors=True)
    trials.append({"part": "trainfuzz-note", "survived": True, "examples": len(validated),
                   "accepted": len(accepted), "trained": len(chosen), "seed": seed, "budget": budget})
    return trials


def collect_status(pid, log, status, report=False):
    """What a child already reaped by ``waitpid`` left (``status`` its wait status); ``report``: also its
    ``.json`` report. The log files are removed."""
    res = {"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
           "status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None}
    for ext, key in ((".err", "stderr"), (".out", "stdout")):
        try:
            with open(log + ext, errors="replace") as f:
                res[key] = f.read()
        except OSError:
            res[key] = ""
    if report:
        try:
            with open(log + ".json") as f:
                res.update(json.load(f))
        except (OSError, ValueError):
            pass
    for ext in (".err", ".out", ".json"):
        with contextlib.suppress(OSError):
            os.unlink(log + ext)
    return res


# ------------------------------------------------------------------------------------ image fuzz
def _png_with_header(width, height):
    """A PNG whose IHDR declares width x height (a decompression bomb or a 0x0 image), tiny IDAT."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def special_images(folder):
    """Files every fuzz run includes: {name: what it is}. Returns the expected-skip names too."""
    import numpy as np
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rs = np.random.RandomState(0)
    rgb = rs.randint(0, 256, (24, 24, 3)).astype(np.uint8)
    made = {}
    with open(os.path.join(folder, "bomb.png"), "wb") as f:
        f.write(_png_with_header(100_000, 100_000))
    made["bomb.png"] = "skip"
    with open(os.path.join(folder, "bomb_1x.png"), "wb") as f:   # over the limit, under Pillow's own error
        f.write(_png_with_header(10_000, 10_000))
    made["bomb_1x.png"] = "skip"
    with open(os.path.join(folder, "zero.png"), "wb") as f:
        f.write(_png_with_header(0, 0))
    made["zero.png"] = "skip"
    frames = [Image.fromarray(np.roll(rgb, i, axis=0)) for i in range(3)]
    frames[0].save(os.path.join(folder, "animated.gif"), save_all=True, append_images=frames[1:], duration=50, loop=0)
    made["animated.gif"] = "load"
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(os.path.join(folder, "exif_rotated.jpg"), exif=exif.tobytes())
    made["exif_rotated.jpg"] = "load"
    Image.fromarray(rs.randint(0, 65535, (24, 24)).astype(np.uint16)).save(os.path.join(folder, "grey16.png"))
    made["grey16.png"] = "load"
    Image.fromarray(rgb).convert("CMYK").save(os.path.join(folder, "cmyk.jpg"))
    made["cmyk.jpg"] = "load"
    for name, bad in (("float_nan.tif", np.nan), ("float_inf.tif", np.inf)):
        a = rs.rand(24, 24).astype(np.float32)
        a[3, 4] = bad
        Image.fromarray(a, "F").save(os.path.join(folder, name))
        made[name] = "skip"
    Image.fromarray(rs.rand(24, 24).astype(np.float32), "F").save(os.path.join(folder, "float_ok.tif"))
    made["float_ok.tif"] = "load"
    os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
    with contextlib.suppress(OSError):
        os.symlink("..", os.path.join(folder, "sub", "loop"))                  # a folder symlink loop
        os.symlink("link_b.png", os.path.join(folder, "link_a.png"))           # a file symlink loop
        os.symlink("link_a.png", os.path.join(folder, "link_b.png"))
        os.symlink("does-not-exist.png", os.path.join(folder, "dangling.png"))
        made.update({"link_a.png": "skip", "link_b.png": "skip", "dangling.png": "skip"})
    with open(os.path.join(folder, "text.png"), "w") as f:
        f.write("not an image")
    made["text.png"] = "skip"
    return made


def mutated_images(folder, n, seed):
    """``n`` files mutated from valid images of several formats: bit flips, truncations, wrong
    extensions, header sizes; returns {name: mutation}."""
    import numpy as np
    from PIL import Image
    rng = random.Random(seed)
    rs = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    bases = []
    for fmt, ext, mode in (("PNG", ".png", "RGB"), ("JPEG", ".jpg", "RGB"), ("GIF", ".gif", "P"),
                           ("BMP", ".bmp", "RGB"), ("WEBP", ".webp", "RGB"), ("TIFF", ".tif", "RGB"),
                           ("PNG", ".png", "RGBA"), ("PNG", ".png", "L")):
        im = Image.fromarray(rs.randint(0, 256, (20, 20, 3)).astype(np.uint8)).convert(mode)
        buf = io.BytesIO()
        im.save(buf, fmt)
        bases.append((buf.getvalue(), ext))
    exts = [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".PNG"]
    made = {}
    for i in range(n):
        data, ext = bases[rng.randrange(len(bases))]
        data = bytearray(data)
        kind = rng.choice(["bitflip", "truncate", "wrong-ext", "header", "bitflip+truncate", "none"])
        if "bitflip" in kind:
            for _ in range(rng.randint(1, 16)):
                pos = rng.randrange(len(data))
                data[pos] ^= 1 << rng.randrange(8)
        if "truncate" in kind:
            data = data[:rng.randrange(len(data))]
        if kind == "wrong-ext":
            ext = rng.choice(exts)
        if kind == "header" and len(data) > 24:
            for pos in range(16, 24):   # PNG IHDR size / other formats' early header bytes
                data[pos] = rng.randrange(256)
        name = f"m{i:05d}_{kind}{ext}"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(bytes(data))
        made[name] = kind
    return made


def part_images(work, n, seed):
    import numpy as np
    from vaegan_gluon.data import image_folder as imf
    folder = os.path.join(work, "images")
    shutil.rmtree(folder, ignore_errors=True)
    special = special_images(folder)
    mutated = mutated_images(os.path.join(folder, "mutated"), n, seed)
    times = {}
    decode = imf.decode_image

    def timed(path, mode="rgb"):
        t0 = time.time()
        try:
            return decode(path, mode)
        finally:
            times[os.path.relpath(path, folder)] = time.time() - t0
    imf.decode_image = timed
    crash = None
    t0 = time.time()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = imf.load_image_folder("all", path=folder, size=16, cache_dir=os.path.join(work, "cache"))
        prov = s.provenance
    except BaseException as e:  # noqa: BLE001
        crash, prov = f"{type(e).__name__}: {e}"[:500], {}
    finally:
        imf.decode_image = decode
    listed = imf.list_images(folder)
    skipped = prov.get("skipped_files", {})
    loaded = prov.get("count", 0)
    t = {"part": "images", "files": len(special) + len(mutated), "listed": len(listed), "loaded": loaded,
         "skipped": len(skipped), "crash": crash, "seconds": round(time.time() - t0, 2),
         "slowest_file_seconds": round(max(times.values()), 3) if times else None,
         "over_time_limit": sum(v > imf.FILE_SECONDS for v in times.values()),
         "unaccounted": len(listed) - loaded - len(skipped),
         "skipped_without_reason": sum(not r for r in skipped.values()),
         "special": {name: ("skip" if name in skipped else "load") for name in special},
         "special_expected": special,
         "nonfinite_named": all("non-finite" in skipped.get(n, "") for n in ("float_nan.tif", "float_inf.tif")),
         "bomb_refused": all("ecompression" in skipped.get(b, "") for b in ("bomb.png", "bomb_1x.png")),
         "finite_pixels": bool(np.isfinite(s.images).all()) if crash is None else False,
         "reasons": sorted({r.split(": ", 1)[-1].split(" (")[0][:60] for r in skipped.values()})[:40]}
    t["special_wrong"] = sorted(k for k, v in special.items() if t["special"][k] != v)
    t["survived"] = (crash is None and t["unaccounted"] == 0 and t["over_time_limit"] == 0
                     and not t["special_wrong"] and t["nonfinite_named"] and t["bomb_refused"]
                     and t["skipped_without_reason"] == 0 and t["finite_pixels"])
    print(f"  images: {t['files']} files, {loaded} loaded, {len(skipped)} skipped, crash={crash}, "
          f"slowest {t['slowest_file_seconds']} s, wrong={t['special_wrong']} survived={t['survived']}", flush=True)
    return [t]


# ------------------------------------------------------------------------------------------ table
def summarize(trials):
    """Rows ``(fault, tried, survived, data lost, detail)`` from the raw trials."""
    rows = []
    by = lambda part: [t for t in trials if t["part"] == part]  # noqa: E731
    k = by("kill")
    if k:
        kinds = sorted({t["kind"] for t in k})
        landed = [t for t in k if t["killed"]]
        rows.append(("SIGKILL at a seeded moment (landed: " + ", ".join(
                     f"{sum(t['kind'] == x for t in landed)} {x}" for x in kinds) + "), then --resume; " + ", ".join(
                     f"{x} {sum(t['scheme'] == x for t in landed)}" for x in SCHEMES),
                     f"{len(k)} ({len(landed)} landed"
                     + ("; the others' run ended before their moment: drawn again)" if len(landed) < len(k) else ")"),
                     sum(t["survived"] for t in k),
                     f"{sum(t['lost_epochs'] for t in k)} epochs",
                     f"{sum(t['stats_differ'] for t in k)} runs with statistics differing bitwise, "
                     f"{sum(t['weights_differ'] for t in k)} with other final weights, "
                     f"{sum(t['traceback'] for t in k)} tracebacks, {sum(not t['killed'] for t in k)} not killed"))
    c = by("checkpoint")
    if c:
        cover = ", ".join(f"{x} {len({(t['file'], t['fault'], t['every_checkpoint']) for t in c if t['scheme'] == x})}"
                          + (f" of {t0}" if (t0 := max([t.get('combos_of_scheme', 0) for t in c if t['scheme'] == x]
                                                       or [0])) else "")
                          for x in SCHEMES if any(t["scheme"] == x for t in c))
        rows.append(("broken checkpoint file (" + ", ".join(x for x in CKPT_FAULTS if any(t["fault"] == x for t in c))
                     + "; latest.json, parameters, optimiser "
                     "states, state.json, manifest; in the newest or in every checkpoint), then --resume; "
                     f"file x damage x where tried: {cover}", len(c), sum(t["survived"] for t in c),
                     f"{sum(t['lost_epochs'] for t in c)} epochs retrained",
                     f"{sum(t['fell_back'] for t in c)} fell back with a message and an event row, "
                     f"{sum(t['stopped'] for t in c)} stopped with a one-line error naming the file, "
                     f"{sum(t['survived'] and not t['fell_back'] and not t['stopped'] for t in c)} resumed with "
                     "nothing to redo (every file resume reads was still valid: another model's latest.json or "
                     "disc optimiser JSON with the same content, or manifest.json missing, the loader then the check), "
                     f"{sum(t['silent_restart'] for t in c)} silent restarts, "
                     f"{sum(t['traceback'] for t in c)} tracebacks"))
    d = by("diskfull")
    if d:
        modes = {"ENOSPC": "ENOSPC injected", "EACCES": "EACCES injected", "fsize": "EFBIG past RLIMIT_FSIZE",
                 "tmpfs": "a full 64 MB tmpfs"}
        note = [t["tmpfs"] for t in by("diskfull-note")]
        rows.append(("disk full / permission denied while writing a checkpoint ("
                     + ", ".join(f"{sum(t.get('mode', t['errno']) == m for t in d)} {w}" for m, w in modes.items()
                                 if any(t.get("mode", t["errno"]) == m for t in d))
                     + "), then --resume", len(d), sum(t["survived"] for t in d),
                     "0 epochs" if all(not t["stats_differ"] for t in d) else
                     f"{sum(t['stats_differ'] for t in d)} runs differ",
                     f"{sum(t['previous_intact'] for t in d)} previous checkpoints intact, "
                     f"{sum(t['clear_message'] for t in d)} one-line messages naming the cause, "
                     f"{sum(t['traceback'] for t in d)} tracebacks, "
                     f"{sum(not t.get('stats_differ') and not t.get('weights_differ', False) for t in d)} resumed runs "
                     "identical to the uninterrupted one" + (f"; tmpfs {note[0]}" if note else "")))
    w = by("writes")
    if w:
        per = ", ".join(f"{x} {sum(t['target'] == x for t in w)}" for x in WRITE_TARGETS
                        if any(t["target"] == x for t in w))
        rows.append(("disk full from a seeded write of a file the run writes besides checkpoints, and for the rest "
                     f"of the run ({per}), then the space freed and --resume", len(w), sum(t["survived"] for t in w),
                     f"{sum(t['lost'] for t in w)} runs lost a written file; "
                     f"{sum(t['resume_status'] == 0 and t['stats_differ'] for t in w)} resumed CSVs short of "
                     "epoch rows",
                     f"{sum(t['one_line'] and t['names_file'] for t in w)} one-line errors naming the file, "
                     f"{sum(t['one_line'] and t['says_what_to_do'] for t in w)} saying what to do, "
                     f"{sum(t['went_on_warned'] for t in w)} went on with a warning, "
                     f"{sum(t['traceback'] for t in w)} tracebacks, "
                     f"{sum(t['one_line'] and not t['names_file'] for t in w)} messages naming no file (known "
                     "defect), "
                     f"{sum(t['resume_status'] == 0 and t['stats_differ'] for t in w)} resumed runs whose statistics "
                     "differ (the CSV kept without the rows its checkpoint holds: known defect), "
                     f"{sum(t['resume_status'] == 0 and not t['stats_differ'] and not t['weights_differ'] for t in w)} "
                     "resumed runs identical to the uninterrupted one"))
    dd = by("data")
    if dd:
        for cls, what in (("changed data", "changed data under a resumed run (one image's pixels, one added, one "
                                           "removed, every one replaced), then --resume"),
                          ("corrupt cache", "corrupt dataset cache (bytes changed, truncated, digest file missing, "
                                            "garbage)"),
                          ("empty split", "an empty split (--data with 1 image, none, only undecodable files)"),
                          ("old checkpoint", "a run folder killed mid-run by an older version of the package, "
                                             "--resume by this one")):
            c = [t for t in dd if t["class"] == cls]
            if not c:
                continue
            if cls == "changed data":
                detail = (f"{sum(t['refused'] for t in c)} refused with one line (--allow-other-data), "
                          f"{sum(bool(t['rewritten']) for t in c)} with a file rewritten, "
                          f"{sum(t['silent_data_change'] for t in c)} silent data changes, "
                          f"{sum(t['resume_status'] == 0 for t in c)} finished once the data was put back")
            elif cls == "corrupt cache":
                detail = (f"{sum(t['warned'] for t in c)} rebuilt with a warning naming the file, "
                          f"{sum(t.get('rebuilt_quietly', False) for t in c)} rebuilt quietly (no digest file), "
                          f"{sum(t['silent_data_change'] for t in c)} silent data changes, "
                          f"{sum(not t['stats_differ'] and not t['weights_differ'] for t in c)} runs bit for bit "
                          "the uninterrupted one's")
            elif cls == "empty split":
                detail = (f"{sum(t['status'] == 2 and t.get('names_data', False) for t in c)} one-line errors "
                          f"naming --data or its folder before training, {sum(t['left_files'] > 0 for t in c)} "
                          "runs leaving files")
            else:
                detail = ", ".join(f"{t['variant']}: " + ("resumed at epoch 2 and finished" if t["resumed"] else
                                   "stopped with one line naming a file" if t["stopped"] else
                                   f"exit {t['status']}") for t in c)
            detail += f", {sum(t['traceback'] for t in c)} tracebacks"
            if any(t.get("known_defect") for t in c):
                detail += f", {sum(bool(t.get('known_defect')) for t in c)} known defects (" + "; ".join(
                    sorted({KNOWN_DEFECTS[t['known_defect']].split(' (')[0] for t in c if t.get('known_defect')})) + ")"
            rows.append((what, len(c), sum(t["survived"] for t in c),
                         f"{sum(t.get('lost_epochs', 0) for t in c)} epochs", detail))
    lk = by("lock")
    if lk:
        rows.append(("two runs, one folder (second run, second run --overwrite, stale lock of a killed run)",
                     len(lk), sum(t["survived"] for t in lk), "0 runs",
                     f"{sum(t.get('names_holder', False) for t in lk)} refusals naming the holder, "
                     f"{sum(t.get('warned', False) for t in lk)} stale locks taken over with a warning"))
    s = by("settings")
    if s:
        ok = [t for t in s if t["outcome"] in ("accepted", "rejected")]
        rej = [t for t in s if t["outcome"] == "rejected"]
        bad = sum(t["outcome"].startswith("traceback") for t in s)
        rows.append(("fuzzed settings (hypothesis: every --set key; --ctx, --data, --scale, --resume)", len(s),
                     sum(t["outcome"] in ("accepted", "rejected") and t.get("names_key", True)
                         and not t["nonfinite_accepted"] for t in s), "-",
                     f"{len(rej)} one-line errors exit 2 ({sum(t.get('names_key', False) for t in rej)} naming the "
                     f"key), {len(ok) - len(rej)} accepted, {bad} tracebacks, "
                     f"{sum(t['nonfinite_accepted'] for t in s)} NaN/inf accepted, "
                     f"{len(s) - len(ok) - bad} other exits"))
    tf = by("trainfuzz")
    if tf:
        note = (by("trainfuzz-note") or [{}])[-1]
        rows.append(("fuzzed settings, trained: the accepted examples run for real (16 images, 1 epoch, then the "
                     "example's own settings); " + (
                         f"{note.get('trained')} of {note.get('accepted')} accepted of {note.get('examples')} examples"
                         if note else ""), len(tf), sum(t["survived"] for t in tf), "-",
                     f"{sum(t['outcome'] == 'trained' for t in tf)} trained to the report, "
                     f"{sum(t['outcome'] == 'refused' for t in tf)} one-line errors "
                     f"({sum(t.get('names_setting', False) for t in tf)} naming a setting), "
                     f"{sum(t['outcome'] == 'over budget' for t in tf)} over the "
                     f"{note.get('budget', TRAIN_BUDGET):.0f} s budget, "
                     f"{sum(t['traceback'] for t in tf)} tracebacks, {sum(bool(t['leftovers']) for t in tf)} "
                     "half-finished folders" + (
                         f", {sum(bool(t.get('known_defect')) for t in tf)} known defects (a divergence from "
                         "train.disc_lr names lr)" if any(t.get("known_defect") for t in tf) else "")))
    im = by("images")
    for t in im:
        rows.append(("fuzzed image files (bit flips, truncations, wrong extensions, header sizes, bombs, 0x0, "
                     "animated GIF, EXIF, 16-bit, CMYK, float NaN/inf TIFF, symlink loops)", t["files"],
                     t["files"] - t["unaccounted"] if t["crash"] is None else 0, "-",
                     f"{t['loaded']} loaded, {t['skipped']} skipped with a reason, {t['unaccounted']} unaccounted, "
                     f"slowest {t['slowest_file_seconds']} s a file, crash: {t['crash'] or 'none'}"))
    return rows


def render(result):
    """The "Faults tried" table of docs/faults.md (markdown) from a campaign's JSON."""
    lines = ["| fault | tried | survived | data lost | detail |", "|---|---|---|---|---|"]
    for fault, tried, survived, lost, detail in summarize(result["trials"]):
        lines.append(f"| {fault} | {tried} | {survived} | {lost} | {detail} |")
    lines.append("")
    planned = result.get("planned")
    status = "" if result.get("complete", True) else " Stopped before the end: the counts are what had run" + (
        f" (planned: {', '.join(f'{k} {v}' for k, v in planned.items())})" if planned else "") + "."
    lines.append(f"Command: `{result['command']}` ({result['mode']} mode, seed {result['seed']}, "
                 f"{result['seconds']:.0f} s" + (" summed over its processes" if " && " in result['command'] else "")
                 + f" on {result['host_cpus']} shared cores, {result['date']}).{status}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- main
MODES = {   # part -> count (full, quick)
    "kill": (51, 2), "checkpoint": (340, 2), "diskfull": (12, 1), "lock": (3, 1), "settings": (1000, 200),
    "images": (5200, 600), "trainfuzz": (1000, 200), "writes": (18, 2), "data": (13, 4),
}
#: trainfuzz: how many of the accepted examples train (full: all; quick: a seeded sample; VAEGAN_FUZZ_ALL=1: all)
TRAIN_SAMPLE = (None, 3)


def campaign(out, quick=False, seed=0, parts=None):
    import vaegan_gluon  # noqa: F401  (OMP threads)
    import vaegan_gluon.cli  # noqa: F401  imported once, before any fork
    import vaegan_gluon.experiments  # noqa: F401
    import vaegan_gluon.report  # noqa: F401
    import matplotlib
    matplotlib.use("Agg")
    parts = parts or list(MODES)
    counts = {p: MODES[p][1 if quick else 0] for p in parts}
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="faults-", dir=os.environ.get("VAEGAN_FAULTS_TMP"))
    user_cache = os.environ.get("VAEGAN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "vaegan_gluon")
    os.environ["VAEGAN_CACHE"] = os.path.join(work, "cache")   # the image cache of the fuzz runs
    if os.path.isdir(os.path.join(user_cache, "ext")):   # the compiled kernels (keyed by their sources): no rebuild
        shutil.copytree(os.path.join(user_cache, "ext"), os.path.join(work, "cache", "ext"))
    rng = random.Random(seed)
    t0 = time.time()
    trials = []
    cmd = "python -m benchmarks.faults " + " ".join(sys.argv[1:]) if sys.argv[1:] else "make faults"
    spent = {}   # part -> wall and CPU seconds (the forked children's, waited for)

    def timed(part, since):
        now = os.times()
        spent[part] = {"wall": round(time.time() - since[0], 1),
                       "cpu": round(now.children_user + now.children_system + now.user + now.system - since[1], 1)}
        print(f"  {part}: {spent[part]['wall']} s wall, {spent[part]['cpu']} s CPU", flush=True)

    def clock():
        now = os.times()
        return time.time(), now.children_user + now.children_system + now.user + now.system

    def save(final=False, extra=()):   # after every trial: a campaign stopped half-way keeps what it measured
        result = {"command": cmd, "mode": "quick" if quick else "full", "seed": seed,
                  "seconds": time.time() - t0, "host_cpus": os.cpu_count(), "complete": final, "planned": counts,
                  "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "part_seconds": spent,
                  "trials": trials + list(extra)}
        with open(os.path.join(out, "faults.json"), "w") as f:
            json.dump(result, f, indent=1, default=str)
        with open(os.path.join(out, "faults.md"), "w") as f:
            f.write(render(result) + "\n")
        return result
    try:
        # the in-process parts run in a forked child too: the parent never runs an mxnet operation
        for part in ("images", "settings"):
            if part in parts:
                print(f"{part}: {counts[part]} examples", flush=True)
                since = clock()
                trials += in_child(globals()["part_" + part], work, counts[part], seed)
                timed(part, since)
                save()
        if "trainfuzz" in parts:
            sample = None if os.environ.get("VAEGAN_FUZZ_ALL") == "1" else TRAIN_SAMPLE[1 if quick else 0]
            print(f"trainfuzz: {counts['trainfuzz']} examples, training " + (
                "every accepted one" if sample is None else f"a sample of {sample} accepted ones"), flush=True)
            since = clock()
            same = [t for t in trials if t["part"] == "settings"]
            trials += part_trainfuzz(work, counts["trainfuzz"], seed, sample=sample,
                                     validated=same if len(same) == counts["trainfuzz"] else None,
                                     budget=TRAIN_BUDGET if not quick else TRAIN_BUDGET_QUICK)
            timed("trainfuzz", since)
            save()
        needs_refs = any(p in parts for p in ("kill", "checkpoint", "diskfull", "lock", "writes", "data"))
        since = clock()
        refs = references(work) if needs_refs else {}
        if needs_refs:
            timed("references", since)
        for part in ("lock", "diskfull", "writes", "data", "checkpoint", "kill"):
            if part in parts:
                print(f"{part}: {counts[part]} trials", flush=True)
                since = clock()
                trials += globals()["part_" + part](work, refs, counts[part], rng,
                                                    save=lambda part_trials: save(extra=part_trials))
                timed(part, since)
                save()
    finally:
        failed = [t for t in trials if not t.get("survived", True)]
        if not failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept the failing trials' folders under {work}", flush=True)
    return save(final=True)


def in_child(fn, work, n, seed):
    """``fn(work, n, seed)`` in a forked child; its list of trials comes back through a JSON file."""
    path = os.path.join(work, f"{fn.__name__}.json")
    pid = os.fork()
    if pid == 0:
        rc = 0
        try:
            trials = fn(work, n, seed)
        except BaseException as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            trials, rc = [{"part": fn.__name__[5:], "survived": False, "crash": f"{type(e).__name__}: {e}"}], 1
        with open(path, "w") as f:
            json.dump(trials, f, default=str)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    os.waitpid(pid, 0)
    with open(path) as f:
        return json.load(f)


#: defects the campaign finds whose fix belongs in code owned elsewhere, each with its xfail(strict=True)
#: test: a trial failing only by one of these is counted in the table ("known defects") but does not fail
#: the campaign's exit status (CI), until the fix lands and the xfail test turns into a failure to remove.
KNOWN_DEFECTS = {
    "write-names-no-file": "a full disk at a results write says '[Errno 28] No space left on device', naming no "
                           "file and nothing to do (tests/test_faults_writes.py; fix: utils.atomic_write_bytes, "
                           "report.write, viz, the runner's --results translation)",
    "resume-csv-not-rewritten": "the disk full at the CSV write after the last epoch's checkpoint: --resume finds "
                                "every epoch done and finishes without writing the CSV again, so the last "
                                "epoch's row (in the checkpoint's state.json) is missing from "
                                "training_statistics.csv (tests/test_faults_writes.py; fix: train/trainer.py "
                                "fit writes the CSV after loading a checkpoint)",
    "diverged-names-lr-only": "a run that diverges because of train.disc_lr (1e30, accepted: finite) stops with "
                              "'TrainingDiverged: ... lower lr (now 5e-05)', naming the VAE's lr, not disc_lr "
                              "(tests/test_settings_fuzz_trains.py; fix: the TrainingDiverged message in "
                              "train/trainer.py names lr and disc_lr)",
}


def failures(result):
    """Trials that did not survive (settings: a traceback, a bad rejection, or NaN/inf accepted), known
    defects (:data:`KNOWN_DEFECTS`) aside."""
    bad = []
    for t in result["trials"]:
        if t["part"] == "settings":
            if t["outcome"] not in ("accepted", "rejected") or not t.get("names_key", True) or t["nonfinite_accepted"]:
                bad.append(t)
        elif not t.get("survived") and not (t.get("known_defect") and all(
                k in KNOWN_DEFECTS for k in t["known_defect"].split("+"))):
            bad.append(t)
    return bad


#: the markers of the faults table in docs/faults.md (moved out of the README)
README_BEGIN = ("<!-- faults table: generated by `python -m benchmarks.faults --render JSON --readme docs/faults.md`; "
                "do not edit -->")
README_END = "<!-- end of the faults table -->"


def write_readme(path, table):
    """Replace the table between the markers in ``path`` (docs/faults.md)."""
    from vaegan_gluon.utils import splice_between
    splice_between(path, table + "\n", README_BEGIN, README_END)


def compact(result):
    """The raw results without the scratch folders' long paths, strings cut at 120 characters (the copy
    kept in git; the table renders the same from it)."""
    import re
    pat = re.compile(r"/\S*?/(faults-[a-z0-9_]+)(/tmpfs)?/(\w+-\d{3})/[^/\s]+/[^/\s]+")

    def short(v, cap=120):   # long strings cut (the full ones stay in the campaign's own JSON)
        if isinstance(v, str):
            v = pat.sub(r"<\3>", v)
            return v if len(v) <= cap else v[:cap] + "..."
        if isinstance(v, list):
            return [short(x) for x in v]
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        return v
    # a settings trial keeps what the table counts (its argv and message are in the campaign's own JSON)
    trials = [{k: v for k, v in t.items() if k not in ("argv", "message", "full_argv")}
              if t.get("part") == "settings" else t
              for t in result["trials"]]
    return dict(result, trials=short(trials))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the reduced campaign CI runs")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "faults"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parts", default=None, help=f"comma-separated subset of {','.join(MODES)}")
    p.add_argument("--count", action="append", default=[], metavar="PART=N", help="override one part's count")
    p.add_argument("--train-sample", type=int, default=None, metavar="N",
                   help="trainfuzz: train a seeded sample of N accepted examples (default: all; --quick: "
                        f"{TRAIN_SAMPLE[1]}; VAEGAN_FUZZ_ALL=1: all)")
    p.add_argument("--train-budget", type=float, default=None, metavar="S",
                   help=f"trainfuzz: seconds an example may train (default {TRAIN_BUDGET:.0f}; --quick "
                        f"{TRAIN_BUDGET_QUICK:.0f})")
    p.add_argument("--render", metavar="JSON", default=None, help="print the table of a campaign's JSON")
    p.add_argument("--readme", metavar="MD", default=None,
                   help="with --render: also write the table between the faults-table markers of MD")
    p.add_argument("--reference", metavar="JSON", default=None,
                   help="with --render: also write a compact copy of the JSON (run folders shortened) there, "
                        "and its table beside it (.md)")
    p.add_argument("--shard", default="0/1", metavar="K/M",
                   help="run only the broken-checkpoint trials i with i %% M == K (M processes side by side)")
    p.add_argument("--merge", nargs="+", metavar="JSON", default=None,
                   help="BASE PARTS...: replace BASE's parts by the trials the PARTS JSONs (of --parts runs, "
                        "e.g. shards) hold; write BASE again")
    a = p.parse_args(argv)
    if a.merge:
        with open(a.merge[0]) as f:
            base = json.load(f)
        news = []
        for path in a.merge[1:]:
            with open(path) as f:
                news.append(json.load(f))
        parts = {t["part"] for new in news for t in new["trials"]}
        # a BASE stopped half-way is complete once the part it was in comes from the PARTS
        cut = base.get("complete", True) or bool(base["trials"]) and base["trials"][-1]["part"] in parts
        base["trials"] = [t for t in base["trials"] if t["part"] not in parts] + [
            t for new in news for t in new["trials"]]
        for new in news:
            base["command"] += f" && {new['command']} (merged: {', '.join(sorted({t['part'] for t in new['trials']}))})"
            base["seconds"] += new["seconds"]
            base.setdefault("planned", {}).update(new.get("planned") or {})
            base["date"] = max(base.get("date", ""), new.get("date", ""))
        base["complete"] = cut and all(new.get("complete", True) for new in news)
        with open(a.merge[0], "w") as f:
            json.dump(base, f, indent=1, default=str)
        with open(os.path.splitext(a.merge[0])[0] + ".md", "w") as f:
            f.write(render(base) + "\n")
        print(render(base))
        return 0
    if a.render:
        with open(a.render) as f:
            result = json.load(f)
        table = render(result)
        print(table)
        if a.reference:
            with open(a.reference, "w", encoding="utf-8") as f:
                json.dump(compact(result), f, separators=(",", ":"), ensure_ascii=False, default=str)
                f.write("\n")
            with open(os.path.splitext(a.reference)[0] + ".md", "w") as f:
                f.write(table + "\n")
        if a.readme:
            write_readme(a.readme, table)
        return 0
    global SHARD
    SHARD = tuple(int(x) for x in a.shard.split("/"))
    if a.train_sample is not None:
        globals()["TRAIN_SAMPLE"] = (a.train_sample, a.train_sample)
    if a.train_budget is not None:
        globals()["TRAIN_BUDGET"] = globals()["TRAIN_BUDGET_QUICK"] = a.train_budget
    out = a.out if not a.quick or a.out != p.get_default("out") else os.path.join(a.out, "quick")
    for item in a.count:
        part, _, n = item.partition("=")
        MODES[part] = (int(n), int(n))
    result = campaign(out, quick=a.quick, seed=a.seed, parts=a.parts.split(",") if a.parts else None)
    print(render(result))
    bad = failures(result)
    print(f"{len(bad)} failing trials; raw results: {os.path.join(out, 'faults.json')}")
    for t in bad[:20]:
        print("  FAILED:", json.dumps(t, default=str)[:400])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
