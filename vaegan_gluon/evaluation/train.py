"""Train a shipped extractor: ``vaegan extractors train NAME`` (writes its weights + manifest entry).

Deterministic from the spec's seed: ``mx.random.seed`` + ``numpy.random.RandomState`` fix the
initialisation and the data order (a fresh permutation per epoch; the digit nets also shift each image
by up to ``shift`` pixels). Data come from the training split only; the held-out split named in the
spec measures the accuracy written to the manifest. Multi-threaded CPU kernels may round differently
on another machine, so a retrain reproduces the accuracy, not necessarily the sha256.
"""
import json
import os
import platform
import time

import numpy as np

from ..utils import file_sha256
from .extractors import MANIFEST, SPECS, WEIGHTS_DIR, Extractor, build_network, check_name, prepare, read_manifest


def _labels(imageset, heads):
    """``(N, n_heads)`` int64 targets from an ImageSet's labels or attribute table."""
    if [k for k, _ in heads] == ["class"]:
        return np.asarray(imageset.labels, np.int64)[:, None]
    cols = []
    for k, values in heads:
        col = imageset.attributes[k]
        if values == (False, True):
            cols.append(col.to_numpy().astype(np.int64))
        else:
            cols.append(np.asarray([values.index(v) for v in col.astype(str)], np.int64))
    return np.stack(cols, 1)


def load_split(spec_part):
    from ..data import load
    return load(spec_part["source"], split=spec_part["split"], **spec_part["options"])


def _shift(batch, rng, shift):
    if not shift:
        return batch
    n, c, h, w = batch.shape
    padded = np.pad(batch, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
    out = np.empty_like(batch)
    offs = rng.randint(0, 2 * shift + 1, size=(n, 2))
    for i, (dy, dx) in enumerate(offs):
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out


def held_out_accuracy(ext, images, targets):
    """``{"accuracy": mean over heads, "per_head": {head: accuracy}}`` on held-out images."""
    preds = ext.predict_all(images)[1]
    per = {k: float((preds[k] == targets[:, j]).mean()) for j, (k, _) in enumerate(ext.heads)}
    return {"accuracy": float(np.mean(list(per.values()))), "per_head": per}


def train_extractor(name, out_dir=None, epochs=None, log=print):
    """Train extractor ``name`` from its spec, save ``<out_dir>/<name>.params`` and its manifest entry.

    Returns the manifest entry (dict). ``out_dir`` defaults to the package's ``weights/`` folder.
    """
    import mxnet as mx
    from mxnet import autograd, gluon, nd
    key = check_name(name)
    spec = SPECS[key]
    out_dir = out_dir or WEIGHTS_DIR
    t0 = time.time()
    train = load_split(spec["train_data"])
    held = load_split(spec["held_out"])
    net, heads = build_network(key)
    x_train = prepare(key, train.images, "training images")
    y_train = _labels(train, heads)
    x_held, y_held = prepare(key, held.images, "held-out images"), _labels(held, heads)
    log(f"{key}: {len(x_train)} training images {x_train.shape[1:]}, {len(x_held)} held-out, "
        f"{len(heads)} head(s); data {time.time() - t0:.0f} s")
    seed = int(spec["seed"])
    mx.random.seed(seed)
    rng = np.random.RandomState(seed)
    net.initialize(mx.init.Xavier(), ctx=mx.cpu())
    net.hybridize(static_alloc=True)
    epochs = int(epochs or spec["epochs"])
    bs = int(spec["batch_size"])
    steps = epochs * (-(-len(x_train) // bs))
    sched = mx.lr_scheduler.CosineScheduler(max_update=steps, base_lr=spec["lr"], final_lr=spec["lr"] * 0.02)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": spec["lr"], "lr_scheduler": sched})
    ce = gluon.loss.SoftmaxCrossEntropyLoss()
    sizes = [len(v) for _, v in heads]
    starts = np.cumsum([0] + sizes)
    for epoch in range(epochs):
        perm = rng.permutation(len(x_train))
        total, te = 0.0, time.time()
        for b in range(0, len(perm), bs):
            idx = perm[b:b + bs]
            x = nd.array(_shift(x_train[idx], rng, spec["shift"]))
            y = nd.array(y_train[idx])
            with autograd.record():
                logits = net(x)[1]
                loss = sum(ce(nd.slice_axis(logits, axis=1, begin=int(starts[j]), end=int(starts[j + 1])),
                              y[:, j]) for j in range(len(heads))) / len(heads)
            loss.backward()
            trainer.step(len(idx))
            total += float(loss.sum().asscalar())
        ext = Extractor(key, net, heads, "", {})
        acc = held_out_accuracy(ext, x_held, y_held)
        log(f"{key}: epoch {epoch + 1}/{epochs} loss {total / len(perm):.4f} held-out accuracy "
            f"{acc['accuracy']:.4f} ({time.time() - te:.0f} s)")
    os.makedirs(out_dir, exist_ok=True)
    fname = f"{key}.params"
    path = os.path.join(out_dir, fname)
    net.save_parameters(path)
    n_params = int(sum(p.data().size for p in net.collect_params().values()))
    entry = {
        "file": fname, "sha256": file_sha256(path), "bytes": os.path.getsize(path),
        "network": spec["network"], "input_shape": list(spec["input_shape"]), "feature_dim": 128,
        "parameters": n_params,
        "heads": {k: list(map(str, v)) for k, v in heads},
        "training_data": dict(spec["train_data"], count=len(x_train),
                              checksum=train.provenance.get("checksum")),
        "held_out_data": dict(spec["held_out"], count=len(x_held), checksum=held.provenance.get("checksum")),
        "held_out_accuracy": acc["accuracy"],
        "held_out_accuracy_per_head": acc["per_head"],
        "min_accuracy": spec["min_accuracy"],
        "training": {"epochs": epochs, "batch_size": bs, "lr": spec["lr"], "optimizer": "adam, cosine decay",
                     "shift_augmentation": spec["shift"], "seed": seed,
                     "seconds": round(time.time() - t0, 1)},
        "command": f"vaegan extractors train {key}",
        "mxnet": mx.__version__, "python": platform.python_version(),
    }
    if os.path.abspath(out_dir) == os.path.abspath(WEIGHTS_DIR):
        manifest = read_manifest()
        manifest[key] = entry
        tmp = MANIFEST + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(sorted(manifest.items())), f, indent=1)
            f.write("\n")
        os.replace(tmp, MANIFEST)
        from . import extractors
        extractors._CACHE.pop(key, None)
    log(f"{key}: wrote {path} ({entry['bytes'] / 1e6:.2f} MB, sha256 {entry['sha256'][:16]}...), "
        f"held-out accuracy {acc['accuracy']:.4f} in {entry['training']['seconds']:.0f} s")
    return entry


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(prog="vaegan extractors train")
    p.add_argument("name", choices=sorted(SPECS))
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--out", default=None, help="write here instead of the package's weights/ (no manifest)")
    a = p.parse_args(argv)
    train_extractor(a.name, out_dir=a.out, epochs=a.epochs, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
