"""Optimiser states in a checkpoint: saved with each parameter's structural name (its block path) and
remapped on load, streamed with ``nd.save`` (``gluon.Trainer.save_states`` pickles them: GBs held twice
for ConvVAE 1024). Split out of :mod:`.checkpoint`, which re-exports these names.
"""
import os

from mxnet import nd
from mxnet.ndarray import NDArray

from ..utils import read_json, write_json


def _init_trainer(opt):
    """What a ``gluon.Trainer`` does lazily at its first step (kvstore, parameter lists), done now."""
    if not opt._kv_initialized:
        opt._init_kvstore()
    if opt._params_to_init:
        opt._init_params()


def structural_names(networks):
    """``{id(parameter): "net.structural.name"}`` over ``networks`` (dict name -> Block). Gluon 1.x names
    parameters from process-wide counters (``conv9_weight`` in one process is ``conv13_weight`` in the
    next) and ``gluon.Trainer`` orders its parameters by those names, so an optimiser state's index is
    not stable across processes; the structural name (the block path) is."""
    return {id(p): f"{key}.{name}" for key, net in networks.items() if net is not None
            for name, p in net._collect_params_with_prefix().items()}


def save_optimizer(opt, path, names=None):
    """Save a ``gluon.Trainer``'s optimiser state to ``path`` (+ ``.json``).

    ``gluon.Trainer.save_states`` pickles every state array into one bytes object first: for Adam on
    a 441 M-parameter ConvVAE(1024) that is 3.5 GB held twice in memory at once (measured: the
    process reached 22.8 GB and was OOM-killed on a 24 GB machine). Here the arrays go to disk with
    ``nd.save`` and the counters (update counts per parameter, which drive Adam's bias correction)
    to JSON. Optimisers whose states are not tuples of NDArrays fall back to ``save_states``.
    """
    _init_trainer(opt)
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
    extra = {} if names is None else {"names": {str(i): names.get(id(p)) for i, p in enumerate(opt._params)}}
    write_json(path + ".json", {**extra, "num_update": o.num_update, "parts": parts,
                                "counts": {str(d): {str(k): v for k, v in c.items()}
                                           for d, c in o._all_index_update_counts.items()}})


def load_optimizer(opt, path, names=None):
    """Inverse of :func:`save_optimizer` (also reads files written by ``gluon.Trainer.save_states``).

    Raises ``ValueError`` when the states do not fit ``opt``'s parameters (another model's file).
    """
    if not os.path.exists(path + ".json"):
        opt.load_states(path)
        return
    meta = read_json(path + ".json")
    arrays = nd.load(path)
    try:
        states = {int(i): tuple(arrays[f"{i}:{j}"] for j in range(n)) for i, n in meta["parts"].items()}
        counts = {int(d): {int(k): v for k, v in c.items()} for d, c in meta["counts"].items()}
        num_update = int(meta["num_update"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:   # the two files do not belong together
        name = os.path.basename(path)
        raise ValueError(f"{name}.json does not describe the arrays in {name} ({type(err).__name__}: "
                         f"{str(err)[:80]}): they come from different checkpoints or models") from None
    params = opt._params
    if names is not None and "names" in meta:   # saved indices -> this process's indices, by block path
        here = {names.get(id(p)): i for i, p in enumerate(params)}
        saved = meta["names"]
        try:
            indices = set(states) | {i for per_device in counts.values() for i in per_device}
            remap = {i: here[saved[str(i)]] for i in indices}
        except KeyError as err:
            raise ValueError(f"{path}: state of parameter {err.args[0]!r}, which this model does not have") from None
        states = {remap[i]: st for i, st in states.items()}
        counts = {d: {remap[i]: v for i, v in c.items()} for d, c in counts.items()}
    for i, st in states.items():
        if not 0 <= i < len(params):
            raise ValueError(f"{path}: state of parameter #{i}, but the model has {len(params)} parameters")
        if any(tuple(a.shape) != tuple(params[i].shape) for a in st):
            raise ValueError(f"{path}: state of parameter #{i} has shape {tuple(st[0].shape)}, "
                             f"the model's {params[i].name} is {tuple(params[i].shape)}")
    _init_trainer(opt)
    for upd in opt._updaters:
        upd.states = dict(states)
        upd.states_synced = dict.fromkeys(upd.states, False)   # moved to each device on first use
    o = opt._optimizer
    o.num_update = num_update
    o._all_index_update_counts = counts
    o._index_update_count = o._all_index_update_counts.setdefault(0, {})
