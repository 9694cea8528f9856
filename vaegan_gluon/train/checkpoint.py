"""Atomic checkpoints: a complete folder per epoch, published by an atomic rename of a pointer file.

Layout under ``<run>/checkpoints/``::

    epoch-0007/            parameters of every network, every optimiser's states, state.json, manifest.json
    latest.json            {"dir": "epoch-0007", "epoch": 7}   <- written last, atomically

A checkpoint folder is first written as ``.tmp-epoch-0007`` and renamed when complete; ``latest.json``
is then replaced atomically. A crash (even SIGKILL) at any moment leaves the previous checkpoint valid.
``manifest.json`` (written last inside the folder) holds every file's size and sha256, so a resume can
tell an intact checkpoint from a truncated, emptied or overwritten one.

Resuming (:func:`restore_newest`) tries the checkpoint ``latest.json`` names, then every other complete
folder, newest first; it says which ones it skipped and why. When checkpoints exist but none can be
read it raises :class:`CheckpointError` naming the file and what to do: a resume never silently
starts again from epoch 0. A write that fails (disk full, permission denied) raises
:class:`CheckpointWriteError`; the previous checkpoint stays published and intact.
"""
import contextlib
import hashlib
import os
import shutil

import numpy as np
from mxnet import nd
from mxnet.base import MXNetError

from ..utils import file_sha256, read_json, write_json
from .optim_state import load_optimizer, save_optimizer, structural_names  # noqa: F401  (re-exported)

MANIFEST = "manifest.json"
POINTER = "latest.json"


class CheckpointError(ValueError):
    """No usable checkpoint to resume from although the folder holds some (or holds a run's statistics)."""


class CheckpointWriteError(RuntimeError):
    """A checkpoint could not be written (disk full, permission denied, ...); the previous one is intact."""


def network_signature(networks):
    """{name: digest of its parameters' structural names and shapes}: which networks a state.json is for."""
    out = {}
    for key, net in sorted(networks.items()):
        if net is not None:
            shapes = sorted((k, tuple(p.shape)) for k, p in net._collect_params_with_prefix().items())
            out[key] = hashlib.sha256(repr(shapes).encode()).hexdigest()[:16]
    return out


def _write_manifest(folder):
    files = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if name != MANIFEST and os.path.isfile(p):
            files[name] = {"bytes": os.path.getsize(p), "sha256": file_sha256(p)}
    write_json(os.path.join(folder, MANIFEST), {"files": files})


def all_finite(networks):
    """True when every parameter (and running statistic) of ``networks`` is finite: one host read."""
    total = None
    for net in networks.values():
        if net is None:
            continue
        for p in net.collect_params().values():
            if p._data is None:
                continue
            s = nd.sum(p.data() * 0).as_in_context(total.context if total is not None else p.data().context)
            total = s if total is None else total + s   # inf * 0 and nan * 0 are nan
    return total is None or bool(np.isfinite(total.asscalar()))


def save_checkpoint(folder, epoch, networks, optimizers, state, keep=1):
    """networks: dict name -> Block; optimizers: dict name -> gluon.Trainer; state: JSON-able dict.

    Raises :class:`CheckpointWriteError` when a file cannot be written; the half-written folder is
    removed and ``latest.json`` still names the previous checkpoint.
    """
    name = f"epoch-{epoch:04d}"
    tmp = os.path.join(folder, ".tmp-" + name)
    final = os.path.join(folder, name)
    try:
        os.makedirs(folder, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for key, net in networks.items():
            if net is not None:
                net.save_parameters(os.path.join(tmp, f"{key}.params"))
        names = structural_names(networks)
        for key, opt in optimizers.items():
            save_optimizer(opt, os.path.join(tmp, f"{key}.states"), names)
        write_json(os.path.join(tmp, "state.json"), dict(state, epoch=epoch, networks=network_signature(networks)))
        _write_manifest(tmp)
        # never remove the folder latest.json names before the new one is in place
        if os.path.isdir(final):
            old = os.path.join(folder, ".old-" + name)
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        write_json(os.path.join(folder, POINTER), {"dir": name, "epoch": epoch})
    except (OSError, MXNetError) as err:   # MXNetError: a failed nd.save / save_parameters
        shutil.rmtree(tmp, ignore_errors=True)
        prev = latest_checkpoint(folder) if os.path.isdir(folder) else None
        reason = getattr(err, "strerror", None) or _reason(err) + _write_hint(folder)
        raise CheckpointWriteError(
            f"could not write checkpoint {final} ({type(err).__name__}: {reason}); "
            + (f"the previous checkpoint {prev} is intact: " if prev else "")
            + "free disk space or fix the folder's permissions, then continue with --resume") from err
    # keep only the newest `keep` complete checkpoints
    done = sorted(d for d in os.listdir(folder) if d.startswith("epoch-"))
    for old in done[:-max(1, keep)]:
        shutil.rmtree(os.path.join(folder, old), ignore_errors=True)
    return final


def _write_hint(folder):
    """MXNet's failed write does not say why: the free space and the file size limit (ulimit -f) do."""
    hint = ""
    with contextlib.suppress(OSError):
        st = os.statvfs(folder)
        hint += f"; {st.f_bavail * st.f_frsize // 1024} KiB free on its disk"
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource
        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY:
            hint += f"; files are limited to {soft} bytes (ulimit -f)"
    return hint


def latest_checkpoint(folder):
    """Path of the checkpoint ``latest.json`` names if that folder exists, else None (no verification)."""
    try:
        path = os.path.join(folder, str(read_json(os.path.join(folder, POINTER))["dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if os.path.isdir(path) else None


def has_checkpoints(folder):
    """True when ``folder`` holds a pointer or a complete checkpoint folder (intact or not)."""
    if not folder or not os.path.isdir(folder):
        return False
    return any(n == POINTER or n.startswith("epoch-") for n in os.listdir(folder))


def verify_checkpoint(path):
    """None if the checkpoint folder at ``path`` is intact, else the reason (naming the file)."""
    if not os.path.isdir(path):
        return f"{path} is missing"
    mpath = os.path.join(path, MANIFEST)
    if not os.path.exists(mpath):
        if not os.path.exists(os.path.join(path, "state.json")):
            return f"{os.path.join(path, 'state.json')} is missing"
        return None   # written before manifests existed: the loader is the check
    try:
        files = read_json(mpath)["files"]
        assert isinstance(files, dict) and all(isinstance(m, dict) for m in files.values())
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return f"{mpath} is unreadable"
    problems = []
    for name, meta in files.items():
        p = os.path.join(path, name)
        if not os.path.isfile(p):
            problems.append(f"{p} is missing")
        elif os.path.getsize(p) != meta.get("bytes"):
            problems.append(f"{p} has {os.path.getsize(p)} bytes, {MANIFEST} says {meta.get('bytes')} were "
                            "written (truncated or replaced)")
        elif file_sha256(p) != meta.get("sha256"):
            problems.append(f"{p} does not match its sha256 in {MANIFEST} (overwritten or corrupted)")
    if len(files) > 1 and len(problems) == len(files):   # then the manifest is the odd one out
        return (f"{mpath} matches none of the {len(files)} files it lists (another checkpoint's or model's "
                "manifest, or every file replaced)")
    return problems[0] if problems else None


def candidates(folder):
    """``(newest-first checkpoint paths to try, notes)``: the one ``latest.json`` names, then the rest."""
    notes, order = [], []
    pointer = os.path.join(folder, POINTER)
    named = None
    if os.path.exists(pointer):
        try:
            named = os.path.join(folder, str(read_json(pointer)["dir"]))
        except (OSError, ValueError, KeyError, TypeError):
            notes.append(f"{pointer} is unreadable")
        else:
            if os.path.isdir(named):
                order.append(named)
            else:
                notes.append(f"{pointer} names {named}, which does not exist")
    elif os.path.isdir(folder):
        if any(n.startswith("epoch-") for n in os.listdir(folder)):
            notes.append(f"{pointer} is missing")
    if os.path.isdir(folder):
        for d in sorted((n for n in os.listdir(folder) if n.startswith("epoch-")), reverse=True):
            p = os.path.join(folder, d)
            if p not in order and os.path.isdir(p):
                order.append(p)
    return order, notes


def _reason(err):
    """The line of an exception's message that says what went wrong: MXNet's messages start with its
    C++ "Traceback (most recent call last):" and stack lines, and end with the failed check."""
    lines = [ln.strip() for ln in str(err).strip().splitlines() if ln.strip()]
    if isinstance(err, MXNetError):
        lines = [ln for ln in lines if not ln.startswith(("Traceback (most recent call last)", "File ", "[bt]"))][-1:]
    text = lines[0] if lines else ""
    return text.replace("MXNetError: ", "").replace("Check failed: ", "")[:200]


def _first_line(err):
    return f"{type(err).__name__}: {_reason(err)}"


def restore_newest(folder, restore, required=()):
    """Restore the newest intact checkpoint under ``folder`` with ``restore(path) -> state``.

    Returns ``(path, state, note)``: ``note`` is None when the checkpoint ``latest.json`` names was used,
    else one line saying what was skipped and what was used instead. Raises :class:`CheckpointError`
    (naming the file and what to do) when checkpoints exist but none can be restored.
    """
    order, notes = candidates(folder)
    for path in order:
        problem = verify_checkpoint(path)
        if problem is None:
            try:
                state = restore(path)
                missing = [k for k in ("epoch",) + tuple(required) if not isinstance(state, dict) or k not in state]
                if missing:
                    raise ValueError(f"{os.path.join(path, 'state.json')} lacks {', '.join(missing)}")
            except Exception as err:   # another model's files, unreadable arrays, ...: try the next one
                why = _first_line(err)
                if not any(name in why for name in os.listdir(path)):
                    # load_checkpoint names the file of each error it raises: this one came from applying
                    # the state (another run's state.json lacks a key this run's scheme reads)
                    why = f"state.json does not fit this run: {why}"
                problem = f"{path} cannot be loaded ({why})"
        if problem is None:
            note = None if not notes else (
                f"resume: {'; '.join(notes)}; resumed from {path} (epoch {state['epoch']}), "
                "later epochs are trained again")
            return path, state, note
        notes.append(problem)
    raise CheckpointError(f"cannot resume from {folder}: {'; '.join(notes) or 'no checkpoint'}; "
                          "restore that file, or start the run again with --overwrite")


def check_nothing_lost(run_dir):
    """Raise :class:`CheckpointError` if ``run_dir`` holds training statistics but no checkpoint at all:
    resuming it would silently train again from epoch 0."""
    csv = os.path.join(run_dir, "training_statistics.csv")
    try:
        with open(csv, "rb") as f:
            n_rows = max(0, sum(1 for line in f if line.strip()) - 1)
    except OSError:
        return
    if n_rows:
        raise CheckpointError(f"cannot resume {run_dir}: {csv} holds {n_rows} epochs but "
                              f"{os.path.join(run_dir, 'checkpoints')} holds no checkpoint (deleted, or the run "
                              "used --no-checkpoints); start the run again with --overwrite")


def load_finished(run_dir, networks, n_epochs, ctx):
    """A run that trained all ``n_epochs`` and wrote its final parameters (``<name>.params``) and
    ``metrics.json``, but whose checkpoints are gone (``--no-checkpoints``, or a notebook that keeps
    none): load those parameters into ``networks`` and return its epoch rows; None for any other run
    (an unfinished run without checkpoints is refused by :func:`check_nothing_lost`)."""
    import pandas as pd
    needed = ["metrics.json", "training_statistics.csv"] + [f"{k}.params" for k, n in networks.items() if n is not None]
    if has_checkpoints(os.path.join(run_dir, "checkpoints")) or \
            not all(os.path.isfile(os.path.join(run_dir, f)) for f in needed):
        return None
    df = pd.read_csv(os.path.join(run_dir, "training_statistics.csv"))
    epochs = df.loc[df["event"].isna(), "epoch"] if "event" in df else df["epoch"]
    if len(epochs) == 0 or int(epochs.max()) < n_epochs:
        return None
    for key, net in networks.items():
        if net is not None:
            net.load_parameters(os.path.join(run_dir, f"{key}.params"), ctx=ctx)
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in df.to_dict("records")]


def load_checkpoint(path, networks, optimizers, ctx):
    """Load parameters and optimiser states saved by :func:`save_checkpoint`; returns the state dict."""
    def named(fn, file, *args, **kw):   # an error names the file it came from
        try:
            return fn(file, *args, **kw)
        except Exception as err:
            # the folder is named by the caller; the file's name and the reason fit one line
            name = os.path.basename(file)
            raise ValueError(str(err) if str(err).startswith(name) else f"{name}: {_first_line(err)}") from err
    names = structural_names(networks)
    for key, net in networks.items():
        if net is not None:
            named(lambda f: net.load_parameters(f, ctx=ctx), os.path.join(path, f"{key}.params"))
    for key, opt in optimizers.items():
        named(lambda f: load_optimizer(opt, f, names), os.path.join(path, f"{key}.states"))
    state = named(read_json, os.path.join(path, "state.json"))
    if not isinstance(state, dict):
        raise ValueError(f"{os.path.join(path, 'state.json')} is not a JSON object")
    if "networks" in state and state["networks"] != network_signature(networks):   # (older ones lack it)
        raise ValueError("state.json: written for other networks than this run's (another run's state.json?)")
    return state
