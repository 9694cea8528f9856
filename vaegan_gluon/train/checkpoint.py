"""Atomic checkpoints: a complete folder per epoch, published by an atomic rename of a pointer file.

Layout under ``<run>/checkpoints/``::

    epoch-0007/            parameters of every network, every optimiser's states, state.json
    latest.json            {"dir": "epoch-0007", "epoch": 7}   <- written last, atomically

A checkpoint folder is first written as ``.tmp-epoch-0007`` and renamed when complete; ``latest.json``
is then replaced atomically. A crash (even SIGKILL) at any moment leaves the previous checkpoint valid.
"""
import os
import shutil

from ..utils import atomic_write_bytes, read_json, write_json


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
        opt.save_states(os.path.join(tmp, f"{key}.states"))
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
        opt.load_states(os.path.join(path, f"{key}.states"))
    return read_json(os.path.join(path, "state.json"))


def write_bytes(path, data):  # re-exported for callers that write small files atomically
    atomic_write_bytes(path, data)
