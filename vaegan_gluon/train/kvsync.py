"""Gradient and statistics synchronisation over MXNet's own distributed kvstore (``dist_sync``...).

Why not hand the kvstore to ``gluon.Trainer``: a scheme has two or three Gluon Trainers (VAE and
discriminator; encoder, decoder and discriminator), and a process has exactly one distributed kvstore.
Gluon keys parameters by their index *within one Trainer* (0, 1, ...), so two Trainers sharing the
kvstore would collide on every key, and ``set_optimizer`` of the second would replace the first's on the
servers. Here every parameter of every optimiser gets its own key; the servers only sum (no optimiser on
the servers, i.e. Gluon's ``update_on_kvstore=False`` mode), and every worker applies the same Adam
update to the same summed gradient, so parameters stay identical across workers.
"""
import mxnet as mx
from mxnet import nd


class KVSync:
    """Key bookkeeping on one distributed kvstore: broadcast parameters, sum gradients and statistics."""

    def __init__(self, kv):
        self.kv = kv
        self._keys = {}        # (group, index) -> int key
        self._next = 0

    @property
    def rank(self):
        return self.kv.rank

    @property
    def num_workers(self):
        return self.kv.num_workers

    def _key(self, group, i, init_value):
        k = self._keys.get((group, i))
        if k is None:
            k = self._keys[(group, i)] = self._next
            self._next += 1
            self.kv.init(k, init_value)   # the servers keep rank 0's value
        return k

    def broadcast_parameters(self, group, params):
        """Give every worker rank 0's initial values (call once, before training)."""
        for i, p in enumerate(params):   # BatchNorm running statistics included
            data = p.list_data()
            k = self._key(group, i, data[0])
            self.kv.pull(k, out=data)

    def allreduce_grads(self, group, params):
        """Sum every parameter's gradient over all workers, in place."""
        for i, p in enumerate(params):
            if p.grad_req == "null":
                continue
            grads = p.list_grad()
            k = self._key(group + "/grad", i, nd.zeros_like(grads[0]))
            self.kv.pushpull(k, grads, out=grads, priority=-k)

    def allreduce_values(self, name, values):
        """Sum a list of floats over all workers (statistics: once per log interval, not per batch)."""
        arr = nd.array(values, dtype="float64").astype("float32")
        k = self._key("stats/" + name + f"/{len(values)}", 0, nd.zeros_like(arr))
        out = nd.zeros_like(arr)
        self.kv.pushpull(k, arr, out=out)
        return [float(v) for v in out.asnumpy()]


def create(kvstore):
    """A KVSync for a distributed kvstore name, or None for local ones ("device", "local", None)."""
    if isinstance(kvstore, str) and kvstore.startswith("dist"):
        from ..distributed import kvstore_info
        kv = mx.kv.create(kvstore)
        kvstore_info(kv)   # reports the rank to `vaegan launch` and makes a raising worker exit at once
        return KVSync(kv)
    return None
