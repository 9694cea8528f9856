"""The MXNet half of the PyTorch side: the bundle :mod:`benchmarks.torch_side` runs, and the one-step check.

:func:`export_bundle` builds *our* step for a config exactly as the benchmark's ``ours`` side does (a
:class:`vaegan_gluon.train.Trainer`, prepared), and writes to a folder:

- ``<graph>.json``: each network's MXNet symbol, from calling the Gluon block on a ``Symbol`` (the operators
  its hybridized graph runs): ``vae`` (learnable loss, AE-GAN) or ``encoder`` and ``decoder`` (Larsen: the
  scheme calls them apart), and ``disc``;
- ``params.npz``: every parameter and BatchNorm running statistic by its Gluon name (the trainer's
  initial weights);
- ``spec.json``: the scheme, phase, batch, image shape, learning rate, Adam betas, loss weights, and the
  optimiser groups (the scheme's optimisers: ``vae``/``disc``, or ``encoder``/``decoder``/``disc``);
- with ``check=True``, ``check.npz``: one batch ``x``, the random draws our step makes from a fixed seed
  (``noise0`` = the reparameterisation's ``eps``, Larsen's ``noise1`` = its prior draw ``z_p``; drawn by
  ``nd.random.normal_like`` after ``mx.random.seed``, the draws the step's own operators make after the
  same seed), our step's batch sums and every optimiser group's gradients at its update (raw batch sums,
  before Gluon's ``1/n``), then ``ours.npz`` holds those.

:func:`compare` reads ours and the torch side's check output: relative error of every loss sum, and
per parameter ``||g_torch - g_ours|| / ||g_ours||`` (with the largest, the median, and which tensor).
"""
import json
import os

import numpy as np

__all__ = ["export_bundle", "compare", "CHECK_SEED"]

CHECK_SEED = 1234


def _groups(scheme):
    return {name: [p.name for p in opt._params if p.grad_req != "null"]
            for name, opt in scheme.optimizers.items()}


def export_bundle(name, out_dir, check=False, phase=None):
    """Write the bundle of config ``name`` (``benchmarks.CONFIGS``) to ``out_dir``; returns ``spec``."""
    import vaegan_gluon  # noqa: F401  (OMP settings before mxnet)
    import mxnet as mx
    from mxnet import nd
    from . import CONFIGS, _ours, batch_of
    cfg = CONFIGS[name]
    os.makedirs(out_dir, exist_ok=True)
    mx.random.seed(0)
    rs = np.random.RandomState(0)
    batch = batch_of(cfg)
    x = nd.array(rs.rand(batch, *cfg["shape"]).astype(np.float32))
    run, _ = _ours(cfg, [x], {})
    trainer = run.trainer
    scheme = trainer.scheme
    vae, disc = trainer.vae, trainer.disc
    phase = phase or ("combo" if disc is not None else "solo")
    sname = cfg.get("scheme", "learnable_loss")
    data = mx.sym.var("data")

    def sym_of(block):
        out = block(data)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return mx.sym.Group(outs) if len(outs) > 1 else outs[0]
    graphs = {}
    if sname == "larsen" and phase == "combo":
        graphs["encoder"], graphs["decoder"] = sym_of(vae.encoder), sym_of(vae.decoder)
    else:
        graphs["vae"] = sym_of(vae)
    if disc is not None:
        graphs["disc"] = sym_of(disc)
    files = {}
    for g, sym in graphs.items():
        files[g] = f"{g}.json"
        with open(os.path.join(out_dir, files[g]), "w") as f:
            f.write(sym.tojson())
    params = {}
    for net in (vae, disc):
        if net is not None:
            for p in net.collect_params().values():
                params[p.name] = p.data().asnumpy()
    np.savez(os.path.join(out_dir, "params.npz"), **params)
    groups = _groups(scheme)
    c, e = trainer.config, trainer.config.extra
    spec = {"config": name, "scheme": sname, "phase": phase, "batch": batch, "shape": list(cfg["shape"]),
            "lr": c.lr, "beta1": c.beta1, "beta2": c.beta2, "graphs": files, "groups": groups,
            "trainable": sorted({n for g in groups.values() for n in g}),
            "pixels": int(np.prod(cfg["shape"])),
            "weights": {"pbp_weight": 1.0, "disc_weight": cfg.get("disc_weight", 1.0),
                        "alpha": getattr(e, "alpha", 1.0), "beta": getattr(e, "beta", None),
                        "gamma": getattr(e, "gamma", None), "kl_weight": getattr(e, "kl_weight", 1.0)}}
    with open(os.path.join(out_dir, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    if check:
        _check_ours(scheme, x, phase, sname, cfg, out_dir)
    return spec


def _check_ours(scheme, x, phase, sname, cfg, out_dir):
    """One step of ours from :data:`CHECK_SEED`: its noise, sums and gradients (see the module docstring)."""
    import mxnet as mx
    from mxnet import nd
    n_latent = cfg["vae"][1].get("n_latent")
    n_draws = 0 if cfg["vae"][0] == "AE" else (2 if sname == "larsen" and phase == "combo" else 1)
    mx.random.seed(CHECK_SEED)
    noise = {f"noise{k}": nd.random.normal_like(nd.zeros((x.shape[0], n_latent))).asnumpy()
             for k in range(n_draws)}
    grads = {}
    orig = scheme.update

    def update(name, n):   # the gradients each optimiser applies, as it applies them
        for p in scheme.optimizers[name]._params:
            if p.grad_req != "null":
                grads[f"grad/{name}/{p.name}"] = p.grad().asnumpy().copy()
        return orig(name, n)
    scheme.update = update
    mx.random.seed(CHECK_SEED)
    weights = {"pbp_weight": 1.0, "disc_weight": cfg.get("disc_weight", 1.0), "adv_on": phase == "combo"}
    from . import step_api   # the step's batch argument of the package at hand
    stats = scheme.step(step_api()[1](x), phase, weights)
    scheme.update = orig
    sums = {f"sum/{k}": np.array(float(v.asnumpy().sum())) for k, v in stats.items()}
    if scheme.disc is not None:   # D after its update: the torch side's VAE half starts from the same D
        for p in scheme.disc.collect_params().values():
            noise[f"after/disc/{p.name}"] = p.data().asnumpy()
    np.savez(os.path.join(out_dir, "check.npz"), x=x.asnumpy(), **noise)
    np.savez(os.path.join(out_dir, "ours.npz"), **sums, **grads)


def compare(ours_npz, torch_npz):
    """Ours against the torch side on one step: ``{"sums": {key: (ours, torch, rel)}, "grads": {"max_rel",
    "median_rel", "worst", "n", "missing"}, "max_sum_rel"}``."""
    a, b = np.load(ours_npz), np.load(torch_npz)
    sums = {}
    for k in a.files:
        if k.startswith("sum/") and k in b.files:
            x, y = float(a[k]), float(b[k])
            sums[k[4:]] = (x, y, abs(x - y) / max(abs(x), 1e-12))
    rels, missing = {}, []
    for k in a.files:
        if not k.startswith("grad/"):
            continue
        if k not in b.files:
            missing.append(k)
            continue
        g, h = a[k].astype(np.float64), b[k].astype(np.float64)
        rels[k[5:]] = float(np.linalg.norm(h - g) / max(np.linalg.norm(g), 1e-30))
    worst = max(rels, key=rels.get) if rels else None
    groups = {}
    for k, v in rels.items():
        groups.setdefault(k.split("/")[0], []).append(v)
    return {"sums": sums, "max_sum_rel": max((v[2] for v in sums.values()), default=None),
            "grads": {"n": len(rels), "max_rel": rels.get(worst), "worst": worst,
                      "median_rel": float(np.median(list(rels.values()))) if rels else None,
                      "max_rel_by_group": {g: max(v) for g, v in groups.items()},
                      "missing": missing}}
