"""Atomic checkpoints: a complete folder per epoch, published by an atomic rename of a pointer file.

Layout under ``<run>/checkpoints/``::

    epoch-0007/            parameters of every network, every optimiser's states, state.json
    latest.json            {"dir": "epoch-0007", "epoch": 7}   <- written last, atomically

A checkpoint folder is first written as ``.tmp-epoch-0007`` and renamed when complete; ``latest.json``
is then replaced atomically. A crash (even SIGKILL) at any moment leaves the previous checkpoint valid.
"""
import os
import shutil

from mxnet import nd
from mxnet.ndarray import NDArray

from ..utils import read_json, write_json


def save_optimizer(opt, path):
    """Save a ``gluon.Trainer``'s optimiser state to ``path`` (+ ``.json``).

    ``gluon.Trainer.save_states`` pickles every state array into one bytes object first: for Adam on
    a 441 M-parameter ConvVAE(1024) that is 3.5 GB held twice in memory at once (measured: the
    process reached 22.8 GB and was OOM-killed on a 24 GB machine). Here the arrays go to disk with
    ``nd.save`` and the counters (update counts per parameter, which drive Adam's bias correction)
    to JSON. Optimisers whose states are not tuples of NDArrays fall back to ``save_states``.
    """
    if not opt._kv_initialized:
        opt._init_kvstore()
    if opt._params_to_init:
        opt._init_params()
    if opt._update_on_kvstore or not opt._updaters:
        opt.save_states(path)
        return
    arrays, parts = {}, {}
    for idx, st in opt._updaters[0].states.items():
        flat = tuple(st) if isinstance(st, (list, tuple)) else (st,)
        if not all(isinstance(a, NDArray) for a in flat):
            opt.save_states(path)
            return
        parts[str(idx)] = len(flat)
        for j, a in enumerate(flat):
            arrays[f"{idx}:{j}"] = a
    o = opt._optimizer
    nd.save(path, arrays)
    write_json(path + ".json", {"num_update": o.num_update, "parts": parts,
                                "counts": {str(d): {str(k): v for k, v in c.items()}
                                           for d, c in o._all_index_update_counts.items()}})


def load_optimizer(opt, path):
    """Inverse of :func:`save_optimizer` (also reads files written by ``gluon.Trainer.save_states``)."""
    if not os.path.exists(path + ".json"):
        opt.load_states(path)
        return
    meta = read_json(path + ".json")
    arrays = nd.load(path)
    states = {int(i): tuple(arrays[f"{i}:{j}"] for j in range(n)) for i, n in meta["parts"].items()}
    if not opt._kv_initialized:
        opt._init_kvstore()
    if opt._params_to_init:
        opt._init_params()
    for upd in opt._updaters:
        upd.states = dict(states)
        upd.states_synced = dict.fromkeys(upd.states, False)   # moved to each device on first use
    o = opt._optimizer
    o.num_update = meta["num_update"]
    o._all_index_update_counts = {int(d): {int(k): v for k, v in c.items()} for d, c in meta["counts"].items()}
    o._index_update_count = o._all_index_update_counts.setdefault(0, {})


def save_checkpoint(folder, epoch, networks, optimizers, state, keep=1):
    """networks: dict name -> Block; optimizers: dict name -> gluon.Trainer; state: JSON-able dict."""
    os.makedirs(folder, exist_ok=True)
    name = f"epoch-{epoch:04d}"
    tmp = os.path.join(folder, ".tmp-" + name)
    final = os.path.join(folder, name)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for key, net in networks.items():
        if net is not None:
            net.save_parameters(os.path.join(tmp, f"{key}.params"))
    for key, opt in optimizers.items():
        save_optimizer(opt, os.path.join(tmp, f"{key}.states"))
    write_json(os.path.join(tmp, "state.json"), dict(state, epoch=epoch))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    write_json(os.path.join(folder, "latest.json"), {"dir": name, "epoch": epoch})
    # keep only the newest `keep` complete checkpoints
    done = sorted(d for d in os.listdir(folder) if d.startswith("epoch-"))
    for old in done[:-max(1, keep)]:
        shutil.rmtree(os.path.join(folder, old), ignore_errors=True)
    return final


def latest_checkpoint(folder):
    """Path of the newest complete checkpoint in ``folder``, or None."""
    pointer = os.path.join(folder, "latest.json")
    if not os.path.exists(pointer):
        return None
    path = os.path.join(folder, read_json(pointer)["dir"])
    return path if os.path.isdir(path) else None


def load_checkpoint(path, networks, optimizers, ctx):
    """Load parameters and optimiser states saved by :func:`save_checkpoint`; returns the state dict."""
    for key, net in networks.items():
        if net is not None:
            net.load_parameters(os.path.join(path, f"{key}.params"), ctx=ctx)
    for key, opt in optimizers.items():
        load_optimizer(opt, os.path.join(path, f"{key}.states"))
    return read_json(os.path.join(path, "state.json"))
