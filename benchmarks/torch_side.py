"""The PyTorch side of the benchmark: our training step's arithmetic, written in PyTorch.

Run as a **script under another Python** (``python -m benchmarks --sides ours,torch,torch_compile
--torch-python /work/torchvenv/bin/python``, or ``VAEGAN_TORCH_PYTHON``): it imports ``torch`` and
``numpy``, never ``mxnet`` nor ``vaegan_gluon``, so the package never imports torch and the main
environment's pins stay as they are.

**The models** come from a bundle the benchmark's MXNet side writes (:mod:`benchmarks.torch_export`):
each network's MXNet symbol (JSON: the graph of operators the Gluon block runs, from calling the block on
a ``Symbol``) and its parameters as ``.npz``. :class:`Graph` runs such a symbol with PyTorch's functional
operators (``conv2d``, ``conv_transpose2d``, ``batch_norm`` in training mode, ``linear``, ...), one
PyTorch call per MXNet operator, the attributes parsed once at build time; the parameters are
``nn.Parameter`` (BatchNorm's running statistics buffers), shared between the graphs that use them
(the VAE, its encoder and its decoder). So the layers, their shapes and their initial weights are ours
exactly, and the layer code is PyTorch's own.

**The steps** (:class:`Step`), the package's arithmetic for every scheme the campaign runs, written the
way a PyTorch user writes them: one ``torch.optim.Adam(fused=True)`` per parameter group, ``zero_grad
(set_to_none=True)``, losses summed over the batch and divided by its size (the gradient Gluon's
``Trainer.step(n)`` applies), the batch statistics accumulated on the device (no per-step host read):

- ``learnable_loss`` (the study's scheme): the VAE once; D on ``x`` and on the *detached*
  reconstructions ``sigmoid(logits)``, D's update; the VAE's loss ``KL + pbp_w * BCE + disc_w *
  BCE(D(x_hat), 1)`` through the *updated* D with D's parameters frozen (``requires_grad_(False)``: ours'
  ``no_parameter_gradients``); solo: ``KL + pbp_w * BCE``;
- ``aegan``: ``ae = sum((sigmoid(logits) - x)^2) / pixels``; D's update as above; ``alpha * ae + beta *
  BCE(D(x_hat), 1)`` (D's parameter gradients computed and dropped, as ours does);
- ``larsen``: encoder once, decoder on ``[z; z_prior]``, D on ``x`` and on the ``2m`` fakes, the three
  losses of Larsen et al.; each network's gradient of its own loss by ``torch.autograd.grad`` (the
  PyTorch way: each reaches only what its loss needs, where ours runs three full backward passes).

``torch.compile`` (``--compile``): each graph (VAE, encoder, decoder, D) and the loss arithmetic
compiled (inductor, default mode); the optimizer and backward as eager PyTorch runs them.

``--check OUT.npz``: one step from the bundle's batch and noise (the ``eps`` / prior draws our step
made, exported by the MXNet side), writing the batch sums of the losses and every network's gradient at
its update (multiplied back by the batch size: ours keeps raw sums) for
:func:`benchmarks.torch_export.compare`.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

BCE_FAKE, BCE_REAL = 0.0, 1.0


def _tuple(v):
    v = v.strip()
    if v in ("()", ""):
        return ()
    return tuple(int(t) for t in v.strip("()[]").split(",") if t.strip() not in ("", "None"))


def _bool(v):
    return str(v).strip().lower() in ("true", "1")


# --------------------------------------------------------------------------------------------- graphs
class Graph(torch.nn.Module):
    """An MXNet symbol (its JSON) run with PyTorch operators. ``forward(data, noise=None)`` returns the
    symbol's outputs (a list). ``noise``: a list of tensors returned, in order, by the graph's random
    operators instead of fresh draws (the check)."""

    def __init__(self, sym_json, params, buffers):
        super().__init__()
        g = json.loads(sym_json) if isinstance(sym_json, str) else sym_json
        self.params, self.buffers_ = params, buffers
        nodes = g["nodes"]
        self.plan = []
        for i, node in enumerate(nodes):
            op, name, attrs = node["op"], node["name"], node.get("attrs", {})
            ins = [(a, b) for a, b, *_ in node["inputs"]]
            if op == "null":
                self.plan.append((i, "null", name, None))
            else:
                self.plan.append((i, op, ins, self._compile(op, attrs)))
        self.heads = [(a, b) for a, b, *_ in g["heads"]]

    def _compile(self, op, a):
        if op == "Convolution":
            stride, pad, dil = _tuple(a.get("stride", "(1,1)")) or (1, 1), _tuple(a.get("pad", "(0,0)")) or (0, 0), \
                _tuple(a.get("dilate", "(1,1)")) or (1, 1)
            groups = int(a.get("num_group", 1))
            return lambda x, w, b=None: F.conv2d(x, w, b, stride, pad, dil, groups)
        if op == "Deconvolution":
            if a.get("target_shape") not in (None, "()", "[]"):
                raise NotImplementedError("Deconvolution target_shape")
            stride, pad = _tuple(a.get("stride", "(1,1)")) or (1, 1), _tuple(a.get("pad", "(0,0)")) or (0, 0)
            adj = _tuple(a.get("adj", "(0,0)")) or (0, 0)
            groups = int(a.get("num_group", 1))
            return lambda x, w, b=None: F.conv_transpose2d(x, w, b, stride, pad, adj, groups)
        if op == "BatchNorm":
            eps, mom = float(a.get("eps", 1e-3)), float(a.get("momentum", 0.9))
            fix_gamma, glob = _bool(a.get("fix_gamma", "True")), _bool(a.get("use_global_stats", "False"))
            if int(a.get("axis", 1)) != 1:
                raise NotImplementedError("BatchNorm axis != 1")

            def bn(x, gamma, beta, mean, var):
                w = torch.ones_like(gamma) if fix_gamma else gamma
                return F.batch_norm(x, mean, var, w, beta, training=not glob, momentum=1.0 - mom, eps=eps)
            return bn
        if op == "FullyConnected":
            flat = _bool(a.get("flatten", "True"))

            def fc(x, w, b=None):
                if flat and x.dim() > 2:
                    x = x.reshape(x.shape[0], -1)
                return F.linear(x, w, b)
            return fc
        if op == "Activation":
            return {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                    "softrelu": F.softplus}[a["act_type"]]
        if op == "LeakyReLU":
            if a.get("act_type", "leaky") != "leaky":
                raise NotImplementedError(a.get("act_type"))
            slope = float(a.get("slope", 0.25))
            return lambda x: F.leaky_relu(x, slope)
        if op == "SliceChannel":
            k, axis, sq = int(a["num_outputs"]), int(a.get("axis", 1)), _bool(a.get("squeeze_axis", "False"))
            if sq:
                raise NotImplementedError("squeeze_axis")
            return lambda x: list(torch.chunk(x, k, dim=axis))
        if op == "_mul_scalar":
            s = float(a["scalar"])
            return lambda x: x * s
        if op == "_plus_scalar":
            s = float(a["scalar"])
            return lambda x: x + s
        if op == "exp":
            return torch.exp
        if op in ("elemwise_mul", "broadcast_mul"):
            return torch.mul
        if op in ("elemwise_add", "broadcast_add", "_Plus"):
            return torch.add
        if op == "_random_normal_like":
            loc, scale = float(a.get("loc", 0.0)), float(a.get("scale", 1.0))
            return ("random", loc, scale)
        if op == "Reshape":
            shape = _tuple(a["shape"])
            if any(s < -1 for s in shape):
                raise NotImplementedError(f"Reshape {shape}")

            def reshape(x):
                return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(shape)])
            return reshape
        if op == "Flatten":
            return lambda x: x.reshape(x.shape[0], -1)
        if op == "Pooling":
            kind = a.get("pool_type", "max")
            if _bool(a.get("global_pool", "False")):
                pool = F.adaptive_avg_pool2d if kind == "avg" else F.adaptive_max_pool2d
                return lambda x: pool(x, 1)
            if a.get("pooling_convention", "valid") != "valid":
                raise NotImplementedError("pooling_convention")
            k = _tuple(a["kernel"])
            st, pad = _tuple(a.get("stride", "(1,1)")) or (1, 1), _tuple(a.get("pad", "(0,0)")) or (0, 0)
            if kind == "max":
                return lambda x: F.max_pool2d(x, k, st, pad)
            return lambda x: F.avg_pool2d(x, k, st, pad, count_include_pad=_bool(a.get("count_include_pad", "True")))
        if op == "zeros_like":
            return torch.zeros_like
        if op == "slice_axis":
            axis, begin = int(a["axis"]), int(a["begin"])
            end = None if a.get("end", "None") == "None" else int(a["end"])
            return lambda x: x.narrow(axis, begin, (x.shape[axis] if end is None else end) - begin)
        raise NotImplementedError(f"MXNet operator {op} in the torch side")

    def forward(self, data, noise=None):
        vals = {}
        k = 0
        for i, op, spec, fn in self.plan:
            if op == "null":
                if spec in self.params:
                    vals[i] = [self.params[spec]]
                elif spec in self.buffers_:
                    vals[i] = [self.buffers_[spec]]
                else:
                    vals[i] = [data]
                continue
            args = [vals[a][b] for a, b in spec]
            if isinstance(fn, tuple):    # a random operator
                if noise is not None:
                    out = noise[k]
                    k += 1
                else:
                    out = torch.randn_like(args[0]) * fn[2] + fn[1] if (fn[1], fn[2]) != (0.0, 1.0) \
                        else torch.randn_like(args[0])
            else:
                out = fn(*args)
            vals[i] = out if isinstance(out, list) else [out]
        return [vals[a][b] for a, b in self.heads]


# ---------------------------------------------------------------------------------------------- losses
def bce_rows(logits, target):
    """Per-image sum of ``relu(l) - l * t + softplus(-|l|)`` (losses.bce_from_logits, summed per image)."""
    lg = logits.reshape(logits.shape[0], -1)
    t = target.reshape(target.shape[0], -1) if torch.is_tensor(target) else target
    return (F.relu(lg) - lg * t + F.softplus(-lg.abs())).sum(1)


def kl_divergence(mu, logvar):
    return -0.5 * (1 + logvar - mu * mu - torch.exp(logvar)).sum(1)


# ------------------------------------------------------------------------------------------------ step
class Step:
    """One scheme's training step on the bundle's graphs (see the module docstring)."""

    def __init__(self, bundle, compile_=False, dtype=torch.float32):
        with open(os.path.join(bundle, "spec.json")) as f:
            self.spec = spec = json.load(f)
        arrays = np.load(os.path.join(bundle, "params.npz"))
        trainable = set(spec["trainable"])
        self.P = torch.nn.ParameterDict()
        self.B = {}
        for name in arrays.files:
            t = torch.from_numpy(np.array(arrays[name], dtype=np.float32)).to(dtype)
            if name in trainable:
                self.P[name] = torch.nn.Parameter(t)
            else:
                self.B[name] = t
        self.graphs = {}
        for g, js in spec["graphs"].items():
            with open(os.path.join(bundle, js)) as f:
                graph = Graph(f.read(), self.P, self.B)
            self.graphs[g] = torch.compile(graph) if compile_ else graph
        self.compiled = compile_
        if compile_:   # the Larsen step's retained graph (three autograd.grad calls) needs it
            import torch._functorch.config as fconfig
            fconfig.donated_buffer = False
        self.scheme, self.phase = spec["scheme"], spec["phase"]
        adam = dict(lr=spec["lr"], betas=(spec["beta1"], spec["beta2"]), eps=1e-8, fused=dtype == torch.float32)
        self.groups = {k: [self.P[n] for n in names] for k, names in spec["groups"].items()}
        self.names = spec["groups"]
        self.opts = {k: torch.optim.Adam(ps, **adam) for k, ps in self.groups.items()}
        self.w = spec["weights"]
        self.sums = None
        self.after = None
        lossfn = {"learnable_loss": self._learnable_losses, "aegan": self._aegan_losses,
                  "larsen": self._larsen_losses}[self.scheme]
        self.losses = torch.compile(lossfn) if compile_ else lossfn

    # the loss arithmetic of each scheme (compiled with --compile)
    def _learnable_losses(self, x, logits, mu, logvar):
        pbp = bce_rows(logits, x)
        kl = kl_divergence(mu, logvar)
        return pbp, kl, torch.sigmoid(logits)

    def _aegan_losses(self, x, logits, mu, logvar):
        return ((torch.sigmoid(logits) - x) ** 2).reshape(x.shape[0], -1).sum(1) * (1.0 / self.spec["pixels"]), \
            None, torch.sigmoid(logits)

    def _larsen_losses(self, x, mu, logvar, f_real, l_real, f_fake, l_fake):
        m = x.shape[0]
        f_tilde, l_tilde, l_prior = f_fake[:m], l_fake[:m], l_fake[m:]
        kl = kl_divergence(mu, logvar)
        feat = ((f_real.detach() - f_tilde) ** 2).reshape(m, -1).sum(1)
        adv = bce_rows(l_tilde, BCE_REAL) + bce_rows(l_prior, BCE_REAL)
        enc = self.w["kl_weight"] * kl / mu.shape[1] + feat
        dec = self.w["gamma"] * feat + adv
        d_fake = bce_rows(l_fake, BCE_FAKE)
        dis = bce_rows(l_real, BCE_REAL) + d_fake[:m] + d_fake[m:]
        return kl, feat, adv, enc, dec, dis

    def _disc(self, x):
        return self.graphs["disc"](x)

    def _accumulate(self, *sums):
        v = torch.stack([s.detach().sum() for s in sums])
        self.sums = v if self.sums is None else self.sums + v

    def _disc_half(self, x, fake, n, grads):
        d_real = self._disc(x)[0]
        d_fake = self._disc(fake.detach())[0]
        d_loss = bce_rows(d_real, BCE_REAL) + bce_rows(d_fake, BCE_FAKE)
        self.opts["disc"].zero_grad(set_to_none=True)
        (d_loss.sum() / n).backward()
        self._keep(grads, "disc", n)
        self.opts["disc"].step()
        if self.after is not None:   # the check: the VAE half from ours' updated D (Adam's eps differs)
            with torch.no_grad():
                for name, p in zip(self.names["disc"], self.groups["disc"]):
                    p.copy_(self.after[name])
        return d_loss

    def _keep(self, grads, group, n):
        if grads is not None:
            for name, p in zip(self.names[group], self.groups[group]):
                grads[f"{group}/{name}"] = (p.grad.detach() * n).float().numpy().copy()

    def step(self, x, noise=None, grads=None):
        """One training step; ``noise`` (check): the random draws in order; ``grads`` (check): a dict that
        receives every group's gradient (x batch size) at its update. Returns the step's loss sums."""
        n = x.shape[0]
        if self.scheme == "larsen" and self.phase == "combo":
            return self._larsen(x, n, noise, grads)
        logits, mu, logvar = self.graphs["vae"](x, noise)[:3] if self.scheme != "aegan" else \
            (self.graphs["vae"](x, noise)[0], None, None)
        rec, kl, fake = self.losses(x, logits, mu, logvar)
        if self.phase != "combo":
            loss = kl + self.w["pbp_weight"] * rec
            self.opts["vae"].zero_grad(set_to_none=True)
            (loss.sum() / n).backward()
            self._keep(grads, "vae", n)
            self.opts["vae"].step()
            self._accumulate(loss, rec, kl)
            return dict(vae_loss=loss.sum(), pbp_loss=rec.sum(), kl=kl.sum())
        d_loss = self._disc_half(x, fake, n, grads)
        if self.scheme == "learnable_loss":
            for p in self.groups["disc"]:
                p.requires_grad_(False)
            adv = bce_rows(self._disc(fake)[0], BCE_REAL)
            for p in self.groups["disc"]:
                p.requires_grad_(True)
            loss = kl + self.w["pbp_weight"] * rec + self.w["disc_weight"] * adv
        else:   # aegan, constant policy: alpha * ae + beta * gan (D's gradients computed, dropped)
            adv = bce_rows(self._disc(fake)[0], BCE_REAL)
            loss = self.w["alpha"] * rec + self.w["beta"] * adv
        self.opts["vae"].zero_grad(set_to_none=True)
        (loss.sum() / n).backward()
        self._keep(grads, "vae", n)
        self.opts["vae"].step()
        self._accumulate(loss, d_loss, adv, rec)
        out = dict(vae_loss=loss.sum(), disc_loss=d_loss.sum())
        out["gan_loss" if self.scheme == "aegan" else "adv_loss"] = adv.sum()
        out["ae_loss" if self.scheme == "aegan" else "pbp_loss"] = rec.sum()
        if kl is not None:
            out["kl"] = kl.sum()
        return out

    def _larsen(self, x, n, noise, grads):
        h = self.graphs["encoder"](x)[0]
        mu, logvar = torch.chunk(h, 2, dim=1)
        eps, z_p = (noise[0], noise[1]) if noise is not None else (torch.randn_like(mu), torch.randn_like(mu))
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.graphs["decoder"](torch.cat([z, z_p], 0))[0]
        fake = torch.sigmoid(logits)
        l_real, f_real = self._disc(x)
        l_fake, f_fake = self._disc(fake)
        kl, feat, adv, enc, dec, dis = self.losses(x, mu, logvar, f_real, l_real, f_fake, l_fake)
        gd = torch.autograd.grad(dis.sum() / n, self.groups["disc"], retain_graph=True)
        ge = torch.autograd.grad(enc.sum() / n, self.groups["encoder"], retain_graph=True)
        gg = torch.autograd.grad(dec.sum() / n, self.groups["decoder"])
        for group, gs in (("disc", gd), ("encoder", ge), ("decoder", gg)):
            for p, g in zip(self.groups[group], gs):
                p.grad = g
            self._keep(grads, group, n)
            self.opts[group].step()
        self._accumulate(enc, dec, dis, kl, feat, adv)
        return dict(enc_loss=enc.sum(), dec_loss=dec.sum(), disc_loss=dis.sum(), kl=kl.sum(),
                    feature_loss=feat.sum(), adv_loss=adv.sum(), vae_loss=enc.sum())

    def read(self):
        return self.sums.tolist() if self.sums is not None else []


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--check", default=None, metavar="OUT.npz")
    ap.add_argument("--float64", action="store_true",
                    help="with --check: in float64 (the float32 sides' own rounding, measured against it)")
    a = ap.parse_args(argv)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    t0 = time.time()
    dtype = torch.float64 if a.float64 else torch.float32
    step = Step(a.bundle, compile_=a.compile, dtype=dtype)
    spec = step.spec
    if a.check:
        data = np.load(os.path.join(a.bundle, "check.npz"))
        x = torch.from_numpy(data["x"]).to(dtype)
        noise = [torch.from_numpy(data[k]).to(dtype) for k in sorted(f for f in data.files if f.startswith("noise"))]
        grads = {}
        step.after = {k[len("after/disc/"):]: torch.from_numpy(data[k]).to(dtype) for k in data.files
                      if k.startswith("after/disc/") and k[len("after/disc/"):] in step.P} or None
        sums = step.step(x, noise or None, grads)
        np.savez(a.check, **{f"sum/{k}": v.detach().double().numpy() for k, v in sums.items()},
                 **{f"grad/{k}": v for k, v in grads.items()})
        print(json.dumps({"check": a.check, "torch": torch.__version__}))
        return 0
    rs = np.random.RandomState(0)
    batch, shape = spec["batch"], tuple(spec["shape"])
    batches = [torch.from_numpy(rs.rand(batch, *shape).astype(np.float32)) for _ in range(4)]

    def run(n_steps):
        for i in range(n_steps):
            step.step(batches[i % len(batches)])
        return step.read()   # one host read per repeat
    tw = time.time()
    for _ in range(a.warmup):
        run(a.steps)
    warm_s = time.time() - tw
    build_s = tw - t0
    times = []
    load_start = os.getloadavg()
    for _ in range(a.repeats):
        t = time.perf_counter()
        run(a.steps)
        times.append(time.perf_counter() - t)
    ips = [a.steps * batch / t for t in times]
    print(json.dumps({"images_per_s": {"median": statistics.median(ips), "min": min(ips), "max": max(ips), "all": ips},
                      "batch": batch, "seconds_per_step": statistics.median(times) / a.steps, "steps": a.steps,
                      "repeats": a.repeats, "warmup": a.warmup, "build_seconds": build_s,
                      "warmup_seconds": warm_s, "peak_rss_mb": peak_rss_mb(), "torch": torch.__version__,
                      "compiled": a.compile, "torch_threads": torch.get_num_threads(),
                      "optimizer": "torch.optim.Adam(fused=True)",
                      "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                      "loadavg_start": load_start, "loadavg_end": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
